import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CustomersTable } from '../db/schema.js';
import { ConflictError } from '../errors.js';

export type CustomerRow = Selectable<CustomersTable>;

export interface CustomerJson {
  Id: string;
  Name: string;
  Email: string;
  Created: string;
}

export function customerToJson(c: CustomerRow): CustomerJson {
  return { Id: c.id, Name: c.name, Email: c.email, Created: c.created.toISOString() };
}

/** Case-insensitive: addresses differ in case between mail clients. */
export async function findCustomerByEmail(db: DbOrTrx, email: string): Promise<CustomerRow | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where(sql`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

export async function findCustomerById(db: DbOrTrx, id: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function createCustomer(db: DbOrTrx, input: { name: string; email: string }): Promise<CustomerRow> {
  const row = await db
    .insertInto('customers')
    .values({ name: input.name.trim(), email: input.email.trim() })
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new ConflictError(`A customer with the email ${input.email} already exists`, { email: input.email });
  return row;
}

export async function listCustomers(
  db: DbOrTrx,
  options: { email?: string; limit?: number } = {},
): Promise<CustomerRow[]> {
  let q = db
    .selectFrom('customers')
    .selectAll()
    .orderBy('created', 'desc')
    .limit(options.limit ?? 100);
  if (options.email) q = q.where(sql`lower(email)`, '=', options.email.trim().toLowerCase());
  return q.execute();
}

import { sql, type Selectable, type Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { StaffUsersTable } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { ROLES, type Role } from './claims.js';
import { assertPasswordAcceptable, generatePassword, hashPassword } from './passwords.js';

export type StaffUserRow = Selectable<StaffUsersTable>;

/** A staff user as the API shows it (never the password hash). */
export interface StaffUserJson {
  Id: string;
  Email: string;
  Name: string;
  Role: Role;
  Disabled: boolean;
  DisabledAt: string | null;
  Created: string;
  LastSignIn: string | null;
}

/** The one place a staff user row becomes API JSON. */
export function staffUserToJson(row: StaffUserRow): StaffUserJson {
  return {
    Id: row.id,
    Email: row.email,
    Name: row.name,
    Role: row.role,
    Disabled: row.disabled_at !== null,
    DisabledAt: row.disabled_at?.toISOString() ?? null,
    Created: row.created.toISOString(),
    LastSignIn: row.last_sign_in?.toISOString() ?? null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Deliberately loose: one @, something on both sides, no spaces. The address is a sign-in name, not a mail target.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const UNIQUE_VIOLATION = '23505';

function cleanEmail(email: string): string {
  const e = email.trim();
  if (!EMAIL.test(e) || e.length > 320) throw new ValidationError(`"${email}" is not an email address`);
  return e;
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n) throw new ValidationError('A staff user needs a name');
  if (n.length > 200) throw new ValidationError('A name may have at most 200 characters');
  return n;
}

function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role))
    throw new ValidationError(`Role must be one of ${ROLES.join(', ')}, got "${role}"`);
  return role as Role;
}

async function uniqueEmail<T>(email: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION)
      throw new ConflictError(`A staff user with the email ${email} already exists`, { Email: email });
    throw err;
  }
}

export interface NewStaffUser {
  email: string;
  name: string;
  role: string;
  /** Without one a password is generated and returned (once). */
  password?: string;
}

/** Creates a staff user; `password` in the result is the generated one when none was given. */
export async function createStaffUser(
  db: DbOrTrx,
  input: NewStaffUser,
): Promise<{ user: StaffUserRow; password?: string }> {
  const email = cleanEmail(input.email);
  const name = cleanName(input.name);
  const role = checkRole(input.role);
  const generated = input.password === undefined || input.password === '' ? generatePassword() : undefined;
  const password = generated ?? input.password!;
  assertPasswordAcceptable(password);
  const user = await uniqueEmail(email, () =>
    db
      .insertInto('staff_users')
      .values({ email, name, role, password_hash: '' })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  // Hashed after the insert: a duplicate email is refused without spending a hash on it.
  const password_hash = await hashPassword(password);
  await db.updateTable('staff_users').set({ password_hash }).where('id', '=', user.id).execute();
  return { user: { ...user, password_hash }, ...(generated ? { password: generated } : {}) };
}

export async function listStaffUsers(db: DbOrTrx, options: { activeOnly?: boolean } = {}): Promise<StaffUserRow[]> {
  let q = db.selectFrom('staff_users').selectAll().orderBy('name').orderBy('email');
  if (options.activeOnly) q = q.where('disabled_at', 'is', null);
  return q.execute();
}

/** A user by id; undefined for an unknown id (or one that is not a uuid). */
export async function findStaffUser(db: DbOrTrx, id: string): Promise<StaffUserRow | undefined> {
  if (!UUID.test(id)) return undefined;
  return db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getStaffUser(db: DbOrTrx, id: string): Promise<StaffUserRow> {
  const row = await findStaffUser(db, id);
  if (!row) throw new NotFoundError('Staff user', id);
  return row;
}

/** The name of the staff user an id names (undefined for another id: assignees may be users of other systems). */
export async function staffUserName(db: DbOrTrx, id: string): Promise<string | undefined> {
  return (await findStaffUser(db, id))?.name;
}

/** A user by email, whatever its letter case. */
export async function findStaffUserByEmail(db: DbOrTrx, email: string): Promise<StaffUserRow | undefined> {
  return db
    .selectFrom('staff_users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

export interface StaffUserChanges {
  name?: string;
  role?: string;
  disabled?: boolean;
  password?: string;
}

/**
 * Changes a user. Disabling ends every session of the user in the same transaction, so the user is out at once;
 * a new password ends them too (someone who knew the old one is signed out).
 */
export async function updateStaffUser(db: DbOrTrx, id: string, changes: StaffUserChanges): Promise<StaffUserRow> {
  const password_hash = changes.password === undefined ? undefined : await newHash(changes.password);
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('staff_users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw new NotFoundError('Staff user', id);
    const set: Updateable<StaffUsersTable> = {};
    if (changes.name !== undefined) set.name = cleanName(changes.name);
    if (changes.role !== undefined) set.role = checkRole(changes.role);
    if (changes.disabled !== undefined && changes.disabled !== (row.disabled_at !== null))
      set.disabled_at = changes.disabled ? new Date() : null;
    if (password_hash) set.password_hash = password_hash;
    if (Object.keys(set).length === 0) return row;
    const updated = await trx
      .updateTable('staff_users')
      .set({ ...set, changed: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (changes.disabled || password_hash) await trx.deleteFrom('staff_sessions').where('user_id', '=', id).execute();
    return updated;
  });
}

async function newHash(password: string): Promise<string> {
  assertPasswordAcceptable(password);
  return hashPassword(password);
}

/** Disables a user named by id or email and ends their sessions; NotFoundError when there is none. */
export async function disableStaffUser(db: DbOrTrx, idOrEmail: string): Promise<StaffUserRow> {
  const row = (await findStaffUser(db, idOrEmail)) ?? (await findStaffUserByEmail(db, idOrEmail));
  if (!row) throw new NotFoundError('Staff user', idOrEmail);
  return updateStaffUser(db, row.id, { disabled: true });
}

import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ProjectRow } from './project.mapper.js';
import { lockProject, updateProjectRow } from './project.repository.js';
import { transactionColumns, type TransactionInput } from './project.service.js';
import { parseId } from './project-types.js';
import { PART_STATUSES, type PropertyJson } from './project.types.js';

export type PartKind = 'part' | 'change_order';

export interface PartInput {
  title: string;
  description?: string | null;
  status?: string | null;
  cartIds?: string[] | null;
  properties?: PropertyJson[] | null;
  approvedBy?: string | null;
}

const KIND_NAME: Record<PartKind, string> = { part: 'Project part', change_order: 'Change order' };

/**
 * Part columns from a body. A status outside Sent, Rejected, Approved, Cancelled is a 400 (default Sent). A change
 * order that becomes Approved records when (now) and by whom (approvedBy, else the API key's name).
 */
function partColumns(input: PartInput, kind: PartKind, previous: { status: string } | undefined, by: string | null) {
  const title = input.title.trim();
  if (!title) throw new ValidationError('title must not be empty');
  const status = input.status?.trim() || 'Sent';
  if (!(PART_STATUSES as readonly string[]).includes(status)) {
    throw new ValidationError(`status "${status}" is not one of ${PART_STATUSES.join(', ')}`, { status });
  }
  const cols = {
    title,
    description: input.description ?? null,
    status,
    cart_ids: [...new Set((input.cartIds ?? []).map((c) => c.trim()).filter(Boolean))],
    properties: JSON.stringify(input.properties ?? []),
    modified: new Date(),
  };
  if (kind !== 'change_order') return cols;
  if (status !== 'Approved') return { ...cols, approved: null, approved_by: null };
  if (previous?.status === 'Approved') return cols;
  return { ...cols, approved: cols.modified, approved_by: input.approvedBy?.trim() || by };
}

async function withLockedProject<T>(
  db: DbOrTrx,
  projectId: string | number,
  fn: (trx: DbOrTrx, row: ProjectRow) => Promise<T>,
) {
  return inTransaction(db, async (trx) => {
    const row = await lockProject(trx, projectId);
    const result = await fn(trx, row);
    await updateProjectRow(trx, row.id, { modified: new Date() });
    return result;
  });
}

export async function addPart(
  db: DbOrTrx,
  projectId: string | number,
  kind: PartKind,
  input: PartInput,
  by: string | null,
) {
  return withLockedProject(db, projectId, async (trx, row) => {
    const cols = partColumns(input, kind, undefined, by);
    return trx
      .insertInto('project_parts')
      .values({ ...cols, project_id: row.id, kind, created: cols.modified })
      .returning('id')
      .executeTakeFirstOrThrow();
  });
}

export async function updatePart(
  db: DbOrTrx,
  projectId: string | number,
  kind: PartKind,
  partId: string,
  input: PartInput,
  by: string | null,
) {
  return withLockedProject(db, projectId, async (trx, row) => {
    const id = parseId(partId);
    const previous = id
      ? await trx
          .selectFrom('project_parts')
          .select('status')
          .where('id', '=', id as never)
          .where('project_id', '=', row.id)
          .where('kind', '=', kind)
          .executeTakeFirst()
      : undefined;
    if (!previous) throw new NotFoundError(KIND_NAME[kind], partId);
    await trx
      .updateTable('project_parts')
      .set(partColumns(input, kind, previous, by))
      .where('id', '=', id as never)
      .execute();
  });
}

export async function removePart(db: DbOrTrx, projectId: string | number, kind: PartKind, partId: string) {
  return withLockedProject(db, projectId, async (trx, row) => {
    const id = parseId(partId);
    const done = id
      ? await trx
          .deleteFrom('project_parts')
          .where('id', '=', id as never)
          .where('project_id', '=', row.id)
          .where('kind', '=', kind)
          .executeTakeFirst()
      : undefined;
    if (!done || Number(done.numDeletedRows) === 0) throw new NotFoundError(KIND_NAME[kind], partId);
  });
}

export async function addTransaction(db: DbOrTrx, projectId: string | number, input: TransactionInput) {
  return withLockedProject(db, projectId, async (trx, row) =>
    trx
      .insertInto('project_transactions')
      .values({ ...transactionColumns(input), project_id: row.id, created: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
}

export async function updateTransaction(
  db: DbOrTrx,
  projectId: string | number,
  transactionId: string,
  input: TransactionInput,
) {
  return withLockedProject(db, projectId, async (trx, row) => {
    const id = parseId(transactionId);
    const done = id
      ? await trx
          .updateTable('project_transactions')
          .set(transactionColumns(input))
          .where('id', '=', id as never)
          .where('project_id', '=', row.id)
          .executeTakeFirst()
      : undefined;
    if (!done || Number(done.numUpdatedRows) === 0) throw new NotFoundError('Transaction', transactionId);
  });
}

export async function removeTransaction(db: DbOrTrx, projectId: string | number, transactionId: string) {
  return withLockedProject(db, projectId, async (trx, row) => {
    const id = parseId(transactionId);
    const done = id
      ? await trx
          .deleteFrom('project_transactions')
          .where('id', '=', id as never)
          .where('project_id', '=', row.id)
          .executeTakeFirst()
      : undefined;
    if (!done || Number(done.numDeletedRows) === 0) throw new NotFoundError('Transaction', transactionId);
  });
}

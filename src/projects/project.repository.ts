import { sql, type Insertable, type Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { ProjectProductsTable, ProjectsTable } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { PROJECT_COLUMNS, type ProjectDetails, type ProjectRow, type TransactionTotalsRow } from './project.mapper.js';
import { parseId } from './project-types.js';
import { PROJECT_NUMBER_PREFIX } from './project.types.js';

/**
 * The id of the project `idOrNumber` names: a whole number is the id, `PR-1004` (any letter case) the project number.
 * undefined when it cannot name a project.
 */
async function projectIdOf(db: DbOrTrx, idOrNumber: string | number): Promise<string | undefined> {
  const id = parseId(idOrNumber);
  if (id) return id;
  const text = String(idOrNumber).trim().toUpperCase();
  if (!text.startsWith(PROJECT_NUMBER_PREFIX)) return undefined;
  const row = await db.selectFrom('projects').select('id').where('project_number', '=', text).executeTakeFirst();
  return row?.id;
}

export async function findProjectRow(
  db: DbOrTrx,
  idOrNumber: string | number,
  options: { forUpdate?: boolean; includeDeleted?: boolean } = {},
): Promise<ProjectRow | undefined> {
  const id = await projectIdOf(db, idOrNumber);
  if (!id) return undefined;
  let q = db
    .selectFrom('projects')
    .select(PROJECT_COLUMNS)
    .where('id', '=', id as never);
  if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** The live project, locked for a change in the caller's transaction; NotFoundError when missing or deleted. */
export async function lockProject(trx: DbOrTrx, idOrNumber: string | number): Promise<ProjectRow> {
  const row = await findProjectRow(trx, idOrNumber, { forUpdate: true });
  if (!row) throw new NotFoundError('Project', String(idOrNumber));
  return row;
}

export async function insertProjectRow(
  trx: DbOrTrx,
  values: Omit<Insertable<ProjectsTable>, 'number' | 'project_number'>,
): Promise<ProjectRow> {
  return trx
    .insertInto('projects')
    .values({
      ...values,
      number: sql<string>`nextval('project_number_seq')`,
      project_number: sql<string>`${PROJECT_NUMBER_PREFIX} || currval('project_number_seq')`,
    } as Insertable<ProjectsTable>)
    .returning(PROJECT_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function updateProjectRow(
  trx: DbOrTrx,
  id: string,
  values: Updateable<ProjectsTable>,
): Promise<ProjectRow> {
  return trx
    .updateTable('projects')
    .set(values)
    .where('id', '=', id as never)
    .returning(PROJECT_COLUMNS)
    .executeTakeFirstOrThrow();
}

export type NewProductRow = Omit<Insertable<ProjectProductsTable>, 'project_id' | 'position'>;

/** The whole product list of a project, replaced: the old rows go, the new ones come in their order. */
export async function replaceProducts(trx: DbOrTrx, projectId: string, products: readonly NewProductRow[]) {
  await trx.deleteFrom('project_products').where('project_id', '=', projectId).execute();
  if (products.length === 0) return;
  await trx
    .insertInto('project_products')
    .values(products.map((p, position) => ({ ...p, project_id: projectId, position })))
    .execute();
}

const TOTALS = sql<TransactionTotalsRow>`
  SELECT coalesce(sum(cost), 0)::text AS total_cost,
         coalesce(sum(revenue), 0)::text AS total_revenue,
         coalesce(sum(budget_cost), 0)::text AS total_budget_cost,
         coalesce(sum(budget_revenue), 0)::text AS total_budget_revenue,
         (coalesce(sum(revenue), 0) - coalesce(sum(cost), 0))::text AS result,
         (coalesce(sum(budget_revenue), 0) - coalesce(sum(budget_cost), 0))::text AS budget_result,
         round((sum(cost) - sum(budget_cost)) * 100 / nullif(sum(budget_cost), 0), 2)::text AS cost_deviation,
         round((sum(revenue) - sum(budget_revenue)) * 100 / nullif(sum(budget_revenue), 0), 2)::text
           AS revenue_deviation,
         round(((sum(revenue) - sum(cost)) - (sum(budget_revenue) - sum(budget_cost))) * 100
           / nullif(abs(sum(budget_revenue) - sum(budget_cost)), 0), 2)::text AS result_deviation
    FROM project_transactions`;

/** A project's products, parts, change orders, transactions with their totals (summed exactly), and workflow log. */
export async function loadProjectDetails(db: DbOrTrx, projectId: string): Promise<ProjectDetails> {
  const products = await db
    .selectFrom('project_products')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('position')
    .execute();
  const parts = await db
    .selectFrom('project_parts')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
  const transactions = await db
    .selectFrom('project_transactions')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
  const { rows } = await sql<TransactionTotalsRow>`${TOTALS} WHERE project_id = ${projectId}`.execute(db);
  const log = await db
    .selectFrom('project_workflow_log')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
  return { products, parts, transactions, totals: rows[0]!, log };
}

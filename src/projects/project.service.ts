import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { parseDecimal } from '../decimal.js';
import { initialWorkflow, productRows, projectColumns } from './project-fields.js';
import { projectToJson, type ProjectRow } from './project.mapper.js';
import {
  findProjectRow,
  insertProjectRow,
  loadProjectDetails,
  lockProject,
  replaceProducts,
  updateProjectRow,
} from './project.repository.js';
import { findProjectType, type ProjectTypeRow } from './project-types.js';
import { DEFAULT_PROJECT_STATUS, type ProjectInput, type ProjectJson } from './project.types.js';

/** The project type a body names; an unknown one is the client's mistake (400), not a missing resource. */
async function typeOf(db: DbOrTrx, id: number | null | undefined): Promise<ProjectTypeRow> {
  if (id === null || id === undefined) throw new ValidationError('type (the projectTypeId) is required');
  const type = await findProjectType(db, id);
  if (!type) throw new ValidationError(`type: there is no project type ${id}`, { type: id });
  return type;
}

/** The full API view of a project: row, products, parts, change orders, transactions and their totals, workflow log. */
export async function getProjectJson(
  db: DbOrTrx,
  idOrNumber: string | number,
  options: { includeDeleted?: boolean } = {},
): Promise<ProjectJson> {
  const row = await findProjectRow(db, idOrNumber, options);
  if (!row) throw new NotFoundError('Project', String(idOrNumber));
  return projectToJson(row, await loadProjectDetails(db, row.id));
}

/** A new project of a type, with its workflow at the type's first step, and its products. */
export async function createProject(
  db: DbOrTrx,
  input: ProjectInput,
  options: { relatedCases?: string[]; now?: Date } = {},
): Promise<ProjectRow> {
  return inTransaction(db, async (trx) => {
    const type = await typeOf(trx, input.type);
    const now = options.now ?? new Date();
    const products = productRows(input.products ?? [], type);
    const row = await insertProjectRow(trx, {
      ...projectColumns(input, 'create', type),
      ...initialWorkflow(type, now),
      name: input.name?.trim() ?? '',
      project_type_id: type.id,
      project_type_name: type.name,
      status: input.status?.trim() || DEFAULT_PROJECT_STATUS,
      related_cases: options.relatedCases ?? [],
      created: now,
      modified: now,
    });
    await replaceProducts(trx, row.id, products);
    return row;
  });
}

/**
 * PUT (every editable field replaced; absent ones cleared, the product list too) or PATCH (only fields present and
 * not null; a `products` list replaces the whole list). A different `type` restarts the workflow at the new type's
 * first step. relatedCases is not editable here: the case link endpoints keep it in step with the cases.
 */
export async function updateProject(
  db: DbOrTrx,
  id: number,
  input: ProjectInput,
  mode: 'put' | 'patch',
): Promise<ProjectRow> {
  return inTransaction(db, async (trx) => {
    const row = await lockProject(trx, id);
    const now = new Date();
    const changeType = input.type !== undefined && input.type !== null && String(input.type) !== row.project_type_id;
    const type = await typeOf(trx, changeType ? input.type : Number(row.project_type_id));
    const cols = projectColumns(input, mode, type);
    if (mode === 'put' && !input.status) cols.status = row.status;
    if (changeType) {
      Object.assign(cols, initialWorkflow(type, now), { project_type_id: type.id, project_type_name: type.name });
      await trx
        .insertInto('project_workflow_log')
        .values({ project_id: row.id, action: 'TypeChanged', from_step_id: row.workflow_step_id, to_step_id: null })
        .execute();
    }
    if (mode === 'put' || input.products) await replaceProducts(trx, row.id, productRows(input.products ?? [], type));
    return updateProjectRow(trx, row.id, { ...cols, modified: now });
  });
}

/** Soft delete: the row stays (search finds it with includeDeleted), GET answers 404. */
export async function softDeleteProject(db: DbOrTrx, id: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await lockProject(trx, id);
    const now = new Date();
    await updateProjectRow(trx, row.id, { deleted_at: now, modified: now });
  });
}

export interface ProductStatusUpdate {
  skuId: string;
  status: string;
  cancellationCode?: string | null;
  cancellationReason?: string | null;
}

/**
 * Sets the status of some of a project's products, all or nothing: an SKU the project does not have is a 400 naming
 * it, and nothing changes. The project row is locked first, so two updates of one project run one after the other
 * and each sees the other's result: updates of different SKUs both survive.
 */
export async function updateProductStatuses(
  db: DbOrTrx,
  projectId: number,
  updates: readonly ProductStatusUpdate[],
): Promise<ProjectRow> {
  return inTransaction(db, async (trx) => {
    const row = await lockProject(trx, projectId);
    const skus = updates.map((u) => u.skuId.trim());
    const twice = skus.find((s, i) => skus.indexOf(s) !== i);
    if (twice)
      throw new ValidationError(`productStatusUpdates: the skuId "${twice}" is listed twice`, { skuId: twice });
    const known = new Set(
      (
        await trx
          .selectFrom('project_products')
          .select('sku_id')
          .where('project_id', '=', row.id)
          .where('sku_id', 'in', skus.length ? skus : [''])
          .execute()
      ).map((r) => r.sku_id),
    );
    const unknown = skus.filter((s) => !known.has(s));
    if (unknown.length) {
      throw new ValidationError(
        `productStatusUpdates: project ${row.project_number} has no product with skuId ${unknown.map((s) => `"${s}"`).join(', ')}; nothing was changed`,
        { skuIds: unknown },
      );
    }
    for (const [i, u] of updates.entries()) {
      const status = u.status.trim();
      if (!status) throw new ValidationError(`productStatusUpdates/${i}/status must not be empty`);
      await trx
        .updateTable('project_products')
        .set({
          status,
          cancellation_code: u.cancellationCode?.trim() || null,
          cancellation_reason: u.cancellationReason?.trim() || null,
        })
        .where('project_id', '=', row.id)
        .where('sku_id', '=', skus[i]!)
        .execute();
    }
    return updateProjectRow(trx, row.id, { modified: new Date() });
  });
}

export interface TransactionInput {
  description?: string | null;
  cost?: number | string | null;
  revenue?: number | string | null;
  budgetCost?: number | string | null;
  budgetRevenue?: number | string | null;
}

/** Transaction columns from a client's body; absent amounts are 0. */
export function transactionColumns(input: TransactionInput) {
  return {
    description: input.description?.trim() || null,
    cost: parseDecimal('cost', input.cost ?? 0, { allowNegative: true }),
    revenue: parseDecimal('revenue', input.revenue ?? 0, { allowNegative: true }),
    budget_cost: parseDecimal('budgetCost', input.budgetCost ?? 0, { allowNegative: true }),
    budget_revenue: parseDecimal('budgetRevenue', input.budgetRevenue ?? 0, { allowNegative: true }),
  };
}

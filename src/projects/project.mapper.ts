import type { Selectable } from 'kysely';
import type {
  ProjectPartsTable,
  ProjectProductsTable,
  ProjectsTable,
  ProjectTransactionsTable,
  ProjectWorkflowLogTable,
} from '../db/schema.js';
import { normalizeDecimal, nullableDecimal } from '../decimal.js';
import type {
  ChangeOrderJson,
  PartnerJson,
  ProductJson,
  ProjectJson,
  ProjectPartJson,
  ProjectSummaryJson,
  ProjectWorkflowStepJson,
  PropertyJson,
  TransactionJson,
  TransactionSummaryJson,
  WorkflowLogJson,
} from './project.types.js';

export type ProjectRow = Omit<Selectable<ProjectsTable>, 'search_vector'>;
export type ProductRow = Selectable<ProjectProductsTable>;
export type PartRow = Selectable<ProjectPartsTable>;
export type TransactionRow = Selectable<ProjectTransactionsTable>;
export type WorkflowLogRow = Selectable<ProjectWorkflowLogTable>;

/** Every column of a project row but the generated search vector: what every SELECT and RETURNING of one reads. */
export const PROJECT_COLUMNS = [
  'id',
  'number',
  'project_number',
  'name',
  'project_type_id',
  'project_type_name',
  'status',
  'workflow_steps',
  'workflow_step_id',
  'workflow_step_index',
  'workflow_step_name',
  'customer_id',
  'customer_name',
  'customer_email',
  'partner',
  'partner_id',
  'partner_name',
  'partners',
  'partner_ids',
  'store_id',
  'store_contact',
  'deadline',
  'project_date',
  'project_value',
  'project_budget_value',
  'tags',
  'comments',
  'customer_comments',
  'properties',
  'related_orders',
  'related_carts',
  'related_cases',
  'canceled',
  'cancellation_code',
  'cancellation_reason',
  'created',
  'modified',
  'deleted_at',
] as const satisfies readonly (keyof ProjectRow)[];

/** Sums of a project's transactions as PostgreSQL computed them (numeric text), and the deviations in percent. */
export interface TransactionTotalsRow {
  total_cost: string;
  total_revenue: string;
  total_budget_cost: string;
  total_budget_revenue: string;
  result: string;
  budget_result: string;
  cost_deviation: string | null;
  revenue_deviation: string | null;
  result_deviation: string | null;
}

export interface ProjectDetails {
  products: ProductRow[];
  parts: PartRow[];
  transactions: TransactionRow[];
  totals: TransactionTotalsRow;
  log: WorkflowLogRow[];
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function projectToSummaryJson(row: ProjectRow): ProjectSummaryJson {
  const steps = row.workflow_steps as ProjectWorkflowStepJson[];
  const customer =
    row.customer_id || row.customer_name || row.customer_email
      ? { id: row.customer_id, name: row.customer_name, email: row.customer_email }
      : null;
  return {
    id: Number(row.id),
    projectNumber: row.project_number,
    name: row.name,
    type: Number(row.project_type_id),
    projectTypeName: row.project_type_name,
    status: row.status,
    workflowStep: steps.find((s) => s.current) ?? null,
    workflowSteps: steps,
    customer,
    partner: (row.partner as PartnerJson | null) ?? null,
    partners: row.partners as PartnerJson[],
    storeId: row.store_id,
    storeContact: row.store_contact,
    deadline: iso(row.deadline),
    projectDate: iso(row.project_date),
    projectValue: nullableDecimal(row.project_value),
    projectBudgetValue: nullableDecimal(row.project_budget_value),
    tags: row.tags,
    comments: row.comments,
    customerComments: row.customer_comments,
    properties: row.properties as PropertyJson[],
    relatedOrders: row.related_orders,
    relatedCarts: row.related_carts,
    relatedCases: row.related_cases,
    created: row.created.toISOString(),
    modified: row.modified.toISOString(),
    canceled: row.canceled,
    cancellationCode: row.cancellation_code,
    cancellationReason: row.cancellation_reason,
    deleted: iso(row.deleted_at),
  };
}

export function productToJson(p: ProductRow): ProductJson {
  return {
    name: p.name,
    skuId: p.sku_id,
    productId: p.product_id,
    quantity: normalizeDecimal(p.quantity),
    status: p.status,
    cancellationCode: p.cancellation_code,
    cancellationReason: p.cancellation_reason,
    properties: p.properties as PropertyJson[],
    referenceType: p.reference_type,
    orderType: p.order_type,
    orderId: p.order_id,
  };
}

export function partToJson(p: PartRow): ProjectPartJson {
  return {
    id: Number(p.id),
    title: p.title,
    description: p.description,
    status: p.status,
    cartIds: p.cart_ids,
    properties: p.properties as PropertyJson[],
    created: p.created.toISOString(),
    modified: p.modified.toISOString(),
  };
}

export function changeOrderToJson(p: PartRow): ChangeOrderJson {
  return { ...partToJson(p), approved: iso(p.approved), approvedBy: p.approved_by };
}

export function transactionToJson(t: TransactionRow): TransactionJson {
  return {
    id: Number(t.id),
    description: t.description,
    cost: normalizeDecimal(t.cost),
    revenue: normalizeDecimal(t.revenue),
    budgetCost: normalizeDecimal(t.budget_cost),
    budgetRevenue: normalizeDecimal(t.budget_revenue),
    created: t.created.toISOString(),
  };
}

export function totalsToJson(t: TransactionTotalsRow): TransactionSummaryJson {
  return {
    totalCost: normalizeDecimal(t.total_cost),
    totalRevenue: normalizeDecimal(t.total_revenue),
    totalBudgetCost: normalizeDecimal(t.total_budget_cost),
    totalBudgetRevenue: normalizeDecimal(t.total_budget_revenue),
    result: normalizeDecimal(t.result),
    budgetResult: normalizeDecimal(t.budget_result),
    costDeviationPercent: nullableDecimal(t.cost_deviation),
    revenueDeviationPercent: nullableDecimal(t.revenue_deviation),
    resultDeviationPercent: nullableDecimal(t.result_deviation),
  };
}

export function logToJson(l: WorkflowLogRow): WorkflowLogJson {
  return {
    action: l.action,
    fromStepId: l.from_step_id,
    toStepId: l.to_step_id,
    reason: l.reason,
    createdBy: l.created_by,
    timestamp: l.timestamp.toISOString(),
  };
}

export function projectToJson(row: ProjectRow, d: ProjectDetails): ProjectJson {
  return {
    ...projectToSummaryJson(row),
    products: d.products.map(productToJson),
    projectParts: d.parts.filter((p) => p.kind === 'part').map(partToJson),
    changeOrders: d.parts.filter((p) => p.kind === 'change_order').map(changeOrderToJson),
    transactions: d.transactions.map(transactionToJson),
    transactionSummary: totalsToJson(d.totals),
    workflowLog: d.log.map(logToJson),
  };
}

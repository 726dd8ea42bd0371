import type { Updateable } from 'kysely';
import type { ProjectsTable } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { parseIsoDateTime } from '../iso-date.js';
import { parseDecimal } from '../decimal.js';
import type { NewProductRow } from './project.repository.js';
import type { ProjectTypeRow } from './project-types.js';
import {
  DEFAULT_PRODUCT_STATUS,
  type PartnerJson,
  type ProductInput,
  type ProjectInput,
  type ProjectWorkflowStepJson,
  type WorkflowStepDefinition,
} from './project.types.js';

const text = (v: string | null | undefined): string | null => v?.trim() || null;
const list = (v: readonly string[] | null | undefined): string[] => [
  ...new Set((v ?? []).map((s) => s.trim()).filter(Boolean)),
];

function date(v: string | null | undefined, field: string): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = parseIsoDateTime(v);
  if (!d) throw new ValidationError(`${field} must be an ISO 8601 date-time with a time zone; got "${v}"`);
  return d;
}

function partnerOf(p: Partial<PartnerJson>): PartnerJson {
  return { id: text(p.id), name: text(p.name), email: text(p.email), phone: text(p.phone), role: text(p.role) };
}

type Columns = Updateable<ProjectsTable>;

/**
 * The project columns `input` sets. PUT clears what is absent; PATCH applies only fields present and not null
 * (send "" or [] to empty one). Products are not here: they are rows of their own (productRows).
 */
export function projectColumns(input: ProjectInput, mode: 'create' | 'put' | 'patch', type: ProjectTypeRow): Columns {
  const has = (k: keyof ProjectInput) => mode !== 'patch' || (input[k] !== undefined && input[k] !== null);
  const cols: Columns = {};
  if (has('name')) cols.name = input.name?.trim() ?? '';
  if (has('status') && (mode === 'patch' || input.status)) cols.status = text(input.status) ?? undefined;
  if (has('customer')) {
    cols.customer_id = text(input.customer?.id);
    cols.customer_name = text(input.customer?.name);
    cols.customer_email = text(input.customer?.email);
  }
  if (has('partners') || has('partner')) {
    // `partner` is the main partner; `partners` all of them. A main partner missing from the list is added to it.
    const partners = has('partners') ? (input.partners ?? []).map(partnerOf) : undefined;
    const main = has('partner') ? (input.partner ? partnerOf(input.partner) : null) : undefined;
    if (partners !== undefined) {
      const all = main && !partners.some((p) => p.id === main.id) ? [main, ...partners] : partners;
      if (!type.can_have_multiple_partners && all.length > 1) {
        throw new ValidationError(
          `The project type "${type.name}" allows one partner (canHaveMultiplePartners is false); got ${all.length}`,
        );
      }
      cols.partners = JSON.stringify(all);
      cols.partner_ids = list(all.map((p) => p.id ?? ''));
    }
    if (main !== undefined) {
      cols.partner = main ? JSON.stringify(main) : null;
      cols.partner_id = main?.id ?? null;
      cols.partner_name = main?.name ?? null;
    }
  }
  if (has('storeId')) cols.store_id = text(input.storeId);
  if (has('storeContact')) cols.store_contact = text(input.storeContact);
  if (has('deadline')) cols.deadline = date(input.deadline, 'deadline');
  if (has('projectDate')) cols.project_date = date(input.projectDate, 'projectDate');
  if (has('projectValue'))
    cols.project_value =
      input.projectValue == null ? null : parseDecimal('projectValue', input.projectValue, { allowNegative: true });
  if (has('projectBudgetValue'))
    cols.project_budget_value =
      input.projectBudgetValue == null
        ? null
        : parseDecimal('projectBudgetValue', input.projectBudgetValue, { allowNegative: true });
  if (has('tags')) cols.tags = list(input.tags);
  if (has('comments')) cols.comments = input.comments || null;
  if (has('customerComments')) cols.customer_comments = input.customerComments || null;
  if (has('properties')) cols.properties = JSON.stringify(input.properties ?? []);
  if (has('relatedOrders')) cols.related_orders = list(input.relatedOrders);
  if (has('relatedCarts')) cols.related_carts = list(input.relatedCarts);
  if (has('canceled')) cols.canceled = input.canceled ?? false;
  if (has('cancellationCode')) cols.cancellation_code = text(input.cancellationCode);
  if (has('cancellationReason')) cols.cancellation_reason = text(input.cancellationReason);
  return cols;
}

/**
 * Product rows from the client's list: SKUs unique within the project (status updates name products by SKU),
 * quantities exact and not negative, the reference type one of the project type's, the order type defaulting to the
 * type's default order type.
 */
export function productRows(products: readonly ProductInput[], type: ProjectTypeRow): NewProductRow[] {
  const seen = new Set<string>();
  return products.map((p, i) => {
    const sku = p.skuId.trim();
    if (!sku) throw new ValidationError(`products/${i}/skuId must not be empty`);
    if (seen.has(sku)) throw new ValidationError(`products: the skuId "${sku}" is listed twice`, { skuId: sku });
    seen.add(sku);
    const referenceType = text(p.referenceType);
    if (referenceType && !type.reference_types.includes(referenceType)) {
      throw new ValidationError(
        `products/${i}/referenceType "${referenceType}" is not one of the project type's referenceTypes ` +
          `(${type.reference_types.join(', ') || 'none'})`,
        { referenceType },
      );
    }
    return {
      sku_id: sku,
      name: text(p.name),
      product_id: text(p.productId),
      quantity: parseDecimal(`products/${i}/quantity`, p.quantity),
      status: text(p.status) ?? DEFAULT_PRODUCT_STATUS,
      cancellation_code: text(p.cancellationCode),
      cancellation_reason: text(p.cancellationReason),
      properties: JSON.stringify(p.properties ?? []),
      reference_type: referenceType,
      order_type: text(p.orderType) ?? type.default_order_type,
      order_id: text(p.orderId),
    };
  });
}

/** A new project's workflow: the type's steps, the first one current since `now`. */
export function initialWorkflow(type: ProjectTypeRow, now: Date): Columns {
  const steps: ProjectWorkflowStepJson[] = (type.workflow_steps as WorkflowStepDefinition[]).map((s, i) => ({
    ...s,
    current: i === 0,
    startDate: i === 0 ? now.toISOString() : null,
    dateCompleted: null,
  }));
  return workflowColumns(steps);
}

/** The workflow columns of a list of steps: the steps and the current one's id, index and name (sort keys). */
export function workflowColumns(steps: readonly ProjectWorkflowStepJson[]): Columns {
  const current = steps.find((s) => s.current);
  return {
    workflow_steps: JSON.stringify(steps),
    workflow_step_id: current?.id ?? null,
    workflow_step_index: current?.index ?? null,
    workflow_step_name: current?.name ?? null,
  };
}

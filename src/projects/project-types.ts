import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { ProjectTypesTable } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ProjectTypeJson, WorkflowStepDefinition } from './project.types.js';

export type ProjectTypeRow = Selectable<ProjectTypesTable>;

export interface WorkflowStepInput {
  id?: string | null;
  name: string;
  index?: number | null;
  description?: string | null;
  hiddenFromCustomer?: boolean | null;
  hiddenFromPartner?: boolean | null;
}

export interface ProjectTypeInput {
  projectTypeName: string;
  workflowSteps?: WorkflowStepInput[] | null;
  referenceTypes?: string[] | null;
  canHaveMultiplePartners?: boolean | null;
  finishOnLastStep?: boolean | null;
  defaultOrderType?: string | null;
}

/** A project type id as the URL or body gives it: a positive whole number, else the type cannot exist. */
export function parseId(id: string | number): string | undefined {
  const text = String(id);
  return /^[1-9]\d{0,17}$/.test(text) ? text : undefined;
}

export function projectTypeToJson(row: ProjectTypeRow): ProjectTypeJson {
  return {
    projectTypeId: Number(row.id),
    projectTypeName: row.name,
    workflowSteps: row.workflow_steps as WorkflowStepDefinition[],
    referenceTypes: row.reference_types,
    canHaveMultiplePartners: row.can_have_multiple_partners,
    finishOnLastStep: row.finish_on_last_step,
    defaultOrderType: row.default_order_type,
  };
}

/**
 * The steps in their order: by `index` where the client gave one (else by position in the list), renumbered from 0.
 * Step ids are the client's or new uuids; two steps with one id are a 400 (GoToWorkflowStep names steps by id).
 */
export function workflowStepsOf(input: readonly WorkflowStepInput[]): WorkflowStepDefinition[] {
  const ordered = input
    .map((s, position) => ({ s, key: s.index ?? position, position }))
    .sort((a, b) => a.key - b.key || a.position - b.position);
  const steps = ordered.map(({ s }, index) => ({
    id: s.id?.trim() || randomUUID(),
    name: s.name.trim(),
    index,
    description: s.description ?? null,
    hiddenFromCustomer: s.hiddenFromCustomer ?? false,
    hiddenFromPartner: s.hiddenFromPartner ?? false,
  }));
  const seen = new Set<string>();
  for (const step of steps) {
    if (!step.name) throw new ValidationError('workflowSteps: every step needs a name');
    if (seen.has(step.id)) throw new ValidationError(`workflowSteps: the step id "${step.id}" is used twice`);
    seen.add(step.id);
  }
  return steps;
}

function columnsOf(input: ProjectTypeInput) {
  const name = input.projectTypeName.trim();
  if (!name) throw new ValidationError('projectTypeName must not be empty');
  return {
    name,
    workflow_steps: JSON.stringify(workflowStepsOf(input.workflowSteps ?? [])),
    reference_types: [...new Set((input.referenceTypes ?? []).map((r) => r.trim()).filter(Boolean))],
    can_have_multiple_partners: input.canHaveMultiplePartners ?? false,
    finish_on_last_step: input.finishOnLastStep ?? false,
    default_order_type: input.defaultOrderType?.trim() || null,
  };
}

export async function listProjectTypes(db: DbOrTrx): Promise<ProjectTypeRow[]> {
  return db.selectFrom('project_types').selectAll().orderBy('id').execute();
}

export async function findProjectType(
  db: DbOrTrx,
  id: string | number,
  options: { forUpdate?: boolean } = {},
): Promise<ProjectTypeRow | undefined> {
  const parsed = parseId(id);
  if (!parsed) return undefined;
  let q = db
    .selectFrom('project_types')
    .selectAll()
    .where('id', '=', parsed as never);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function getProjectType(db: DbOrTrx, id: string | number): Promise<ProjectTypeRow> {
  const row = await findProjectType(db, id);
  if (!row) throw new NotFoundError('Project type', String(id));
  return row;
}

export async function createProjectType(db: DbOrTrx, input: ProjectTypeInput): Promise<ProjectTypeRow> {
  const now = new Date();
  return db
    .insertInto('project_types')
    .values({ ...columnsOf(input), created: now, modified: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Replaces a type. Projects keep the workflow they were created with (their steps carry their own dates); the
 * type's name is copied onto its projects in the same transaction, since search sorts by it.
 */
export async function updateProjectType(db: DbOrTrx, id: number, input: ProjectTypeInput): Promise<ProjectTypeRow> {
  return inTransaction(db, async (trx) => {
    const current = await findProjectType(trx, id, { forUpdate: true });
    if (!current) throw new NotFoundError('Project type', String(id));
    const cols = columnsOf(input);
    const row = await trx
      .updateTable('project_types')
      .set({ ...cols, modified: new Date() })
      .where('id', '=', current.id as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (cols.name !== current.name) {
      await trx
        .updateTable('projects')
        .set({ project_type_name: cols.name })
        .where('project_type_id', '=', current.id)
        .execute();
    }
    return row;
  });
}

import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { ConflictError, ValidationError } from '../errors.js';
import { workflowColumns } from './project-fields.js';
import type { ProjectRow } from './project.mapper.js';
import { lockProject, updateProjectRow } from './project.repository.js';
import { findProjectType } from './project-types.js';
import { DEFAULT_PROJECT_STATUS, FINISHED_PROJECT_STATUS, type ProjectWorkflowStepJson } from './project.types.js';

export type WorkflowAction = 'GoToWorkflowStep' | 'Accept' | 'Decline';

/**
 * The steps after moving to `target`: steps before it completed (their completion date kept when they had one),
 * the target current from `now`, later steps not started. On the last step of a type with finishOnLastStep the
 * step is completed too and the project finishes.
 */
export function moveTo(
  steps: readonly ProjectWorkflowStepJson[],
  target: ProjectWorkflowStepJson,
  now: string,
  finishOnLastStep: boolean,
): { steps: ProjectWorkflowStepJson[]; finished: boolean } {
  const last = steps[steps.length - 1]!;
  const finished = finishOnLastStep && target.id === last.id;
  const moved = steps.map((s) => {
    if (s.index < target.index)
      return { ...s, current: false, startDate: s.startDate ?? now, dateCompleted: s.dateCompleted ?? now };
    if (s.id === target.id) return { ...s, current: true, startDate: now, dateCompleted: finished ? now : null };
    return { ...s, current: false, startDate: null, dateCompleted: null };
  });
  return { steps: moved, finished };
}

async function logEntry(
  trx: DbOrTrx,
  row: ProjectRow,
  entry: { action: WorkflowAction; to: string | null; reason?: string | null; by?: string | null; now: Date },
) {
  await trx
    .insertInto('project_workflow_log')
    .values({
      project_id: row.id,
      action: entry.action,
      from_step_id: row.workflow_step_id,
      to_step_id: entry.to,
      reason: entry.reason?.trim() || null,
      created_by: entry.by ?? null,
      timestamp: entry.now,
    })
    .execute();
}

/**
 * A workflow move, logged: GoToWorkflowStep to any step of the project's workflow; Accept (the partner accepts the
 * current step: the project moves to the next step, or completes the last one); Decline (the partner declines the
 * current step: logged with its reason, the project stays where it is).
 */
export async function moveWorkflow(
  db: DbOrTrx,
  projectId: string | number,
  action: WorkflowAction,
  options: { stepId?: string; reason?: string | null; by?: string | null } = {},
): Promise<ProjectRow> {
  return inTransaction(db, async (trx) => {
    const row = await lockProject(trx, projectId);
    const steps = row.workflow_steps as ProjectWorkflowStepJson[];
    if (steps.length === 0) throw new ValidationError(`Project ${row.project_number} has no workflow steps`);
    const type = await findProjectType(trx, row.project_type_id);
    const finishOnLastStep = type?.finish_on_last_step ?? false;
    const now = new Date();
    const current = steps.find((s) => s.current);

    if (action === 'Decline') {
      if (!current) throw new ConflictError(`Project ${row.project_number} has no current workflow step to decline`);
      await logEntry(trx, row, { action, to: current.id, reason: options.reason, by: options.by, now });
      return updateProjectRow(trx, row.id, { modified: now });
    }

    let target: ProjectWorkflowStepJson;
    if (action === 'GoToWorkflowStep') {
      const found = steps.find((s) => s.id === options.stepId);
      if (!found) {
        throw new ValidationError(
          `stepId "${options.stepId}" is not a step of project ${row.project_number} (steps: ${steps.map((s) => s.id).join(', ')})`,
          { stepId: options.stepId },
        );
      }
      target = found;
    } else {
      if (!current) throw new ConflictError(`Project ${row.project_number} has no current workflow step to accept`);
      if (current.dateCompleted) throw new ConflictError(`Project ${row.project_number} has completed its workflow`);
      const next = steps.find((s) => s.index === current.index + 1);
      if (!next) {
        // Accepting the last step completes it; the project finishes when its type says so.
        const done = steps.map((s) => (s.id === current.id ? { ...s, dateCompleted: now.toISOString() } : s));
        await logEntry(trx, row, { action, to: current.id, reason: options.reason, by: options.by, now });
        return updateProjectRow(trx, row.id, {
          ...workflowColumns(done),
          ...(finishOnLastStep ? { status: FINISHED_PROJECT_STATUS } : {}),
          modified: now,
        });
      }
      target = next;
    }
    const { steps: moved, finished } = moveTo(steps, target, now.toISOString(), finishOnLastStep);
    await logEntry(trx, row, { action, to: target.id, reason: options.reason, by: options.by, now });
    const status = finished
      ? FINISHED_PROJECT_STATUS
      : row.status === FINISHED_PROJECT_STATUS
        ? DEFAULT_PROJECT_STATUS
        : row.status;
    return updateProjectRow(trx, row.id, { ...workflowColumns(moved), status, modified: now });
  });
}

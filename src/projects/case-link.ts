import { caseIdOf } from '../cases/case.service.js';
import { findCaseRow, updateCaseRow } from '../cases/case.repository.js';
import type { CaseRow } from '../cases/case.mapper.js';
import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { NotFoundError } from '../errors.js';
import type { ProjectRow } from './project.mapper.js';
import { lockProject, updateProjectRow } from './project.repository.js';
import { createProject } from './project.service.js';

// A case and a project are linked both ways: the case's RelatedProjects holds the project's id, the project's
// relatedCases the case's id. Every change of a link locks the case first, then the project (always in that order,
// so two link changes cannot deadlock), and writes both sides in one transaction.

async function lockCase(trx: DbOrTrx, idOrNumber: string): Promise<CaseRow> {
  const id = await caseIdOf(trx, idOrNumber);
  const row = await findCaseRow(trx, id, { forUpdate: true });
  if (!row) throw new NotFoundError('Case', idOrNumber);
  return row;
}

const withItem = (list: readonly string[], item: string) => (list.includes(item) ? [...list] : [...list, item]);
const withoutItem = (list: readonly string[], item: string) => list.filter((x) => x !== item);

export interface ProjectFromCaseInput {
  projectTypeId: number;
  name?: string | null;
}

/**
 * A new project of `projectTypeId` for a case: named after the case's subject unless a name is given, with the
 * case's customer and related orders, linked both ways.
 */
export async function createProjectFromCase(
  db: DbOrTrx,
  caseIdOrNumber: string,
  input: ProjectFromCaseInput,
): Promise<{ project: ProjectRow; caseRow: CaseRow }> {
  return inTransaction(db, async (trx) => {
    const c = await lockCase(trx, caseIdOrNumber);
    const project = await createProject(
      trx,
      {
        type: input.projectTypeId,
        name: input.name?.trim() || c.subject,
        customer: { id: c.customer_id, name: c.customer_name, email: c.customer_email },
        relatedOrders: c.related_orders,
      },
      { relatedCases: [c.id] },
    );
    const caseRow = await updateCaseRow(trx, c.id, {
      related_projects: withItem(c.related_projects, project.id),
      changed: new Date(),
    });
    return { project, caseRow };
  });
}

/** Links (or unlinks) a case and a project on both sides; linking twice or unlinking what is not linked changes nothing. */
export async function setCaseProjectLink(
  db: DbOrTrx,
  caseIdOrNumber: string,
  projectId: string,
  linked: boolean,
): Promise<{ project: ProjectRow; caseRow: CaseRow }> {
  return inTransaction(db, async (trx) => {
    const c = await lockCase(trx, caseIdOrNumber);
    const p = await lockProject(trx, projectId);
    const change = linked ? withItem : withoutItem;
    const now = new Date();
    const caseProjects = change(c.related_projects, p.id);
    const projectCases = change(p.related_cases, c.id);
    const caseRow =
      caseProjects.length === c.related_projects.length
        ? c
        : await updateCaseRow(trx, c.id, { related_projects: caseProjects, changed: now });
    const project =
      projectCases.length === p.related_cases.length
        ? p
        : await updateProjectRow(trx, p.id, { related_cases: projectCases, modified: now });
    return { project, caseRow };
  });
}

import type { Selectable } from 'kysely';
import { caseIdOf } from '../cases/case.service.js';
import type { DbOrTrx } from '../db/database.js';
import type { ReplyTemplatesTable } from '../db/schema.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { UUID } from '../cases/case.repository.js';

// Reply templates: text an agent starts a reply from, with a few variables filled in from the case and the agent.

/** The variables a template may use, as `{{customer.name}}`. Any other `{{…}}` is refused when a template is saved. */
export const TEMPLATE_VARIABLES = [
  'customer.name',
  'customer.email',
  'case.number',
  'case.subject',
  'agent.name',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export const MAX_TEMPLATE_NAME_LENGTH = 200;
export const MAX_TEMPLATE_BODY_LENGTH = 100_000;

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface ReplyTemplateJson {
  Id: string;
  Name: string;
  Body: string;
  Public: boolean;
}

type Row = Selectable<ReplyTemplatesTable>;
const toJson = (r: Row): ReplyTemplateJson => ({ Id: r.id, Name: r.name, Body: r.body, Public: r.is_public });

/** The unknown variables of a template body (none: it may be saved). */
export function unknownVariables(body: string): string[] {
  const known = new Set<string>(TEMPLATE_VARIABLES);
  return [...new Set([...body.matchAll(VARIABLE)].map((m) => m[1]!).filter((v) => !known.has(v)))];
}

/** `body` with each variable replaced by its value (an empty value for a case without, say, a customer name). */
export function renderTemplate(body: string, values: Readonly<Record<TemplateVariable, string>>): string {
  return body.replace(VARIABLE, (whole, name: string) => (name in values ? values[name as TemplateVariable] : whole));
}

function checked(input: { Name: string; Body: string }): { name: string; body: string } {
  const name = input.Name.trim();
  if (!name) throw new ValidationError('Name must not be empty');
  const unknown = unknownVariables(input.Body);
  if (unknown.length) {
    throw new ValidationError(
      `Unknown template variable${unknown.length > 1 ? 's' : ''} ${unknown.map((v) => `{{${v}}}`).join(', ')}; allowed: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
    );
  }
  return { name, body: input.Body };
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';
const duplicate = (name: string) => new ConflictError(`A reply template named "${name}" exists already`);

export async function listReplyTemplates(db: DbOrTrx): Promise<ReplyTemplateJson[]> {
  return (await db.selectFrom('reply_templates').selectAll().orderBy('name').orderBy('id').execute()).map(toJson);
}

async function findTemplate(db: DbOrTrx, id: string): Promise<Row> {
  const row = UUID.test(id)
    ? await db.selectFrom('reply_templates').selectAll().where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('Reply template', id);
  return row;
}

export async function getReplyTemplate(db: DbOrTrx, id: string): Promise<ReplyTemplateJson> {
  return toJson(await findTemplate(db, id));
}

export async function createReplyTemplate(
  db: DbOrTrx,
  input: { Name: string; Body: string; Public?: boolean },
): Promise<ReplyTemplateJson> {
  const { name, body } = checked(input);
  try {
    const row = await db
      .insertInto('reply_templates')
      .values({ name, body, is_public: input.Public ?? true })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJson(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate(name);
    throw err;
  }
}

export async function updateReplyTemplate(
  db: DbOrTrx,
  id: string,
  input: { Name: string; Body: string; Public?: boolean },
): Promise<ReplyTemplateJson> {
  const { name, body } = checked(input);
  await findTemplate(db, id);
  try {
    const row = await db
      .updateTable('reply_templates')
      .set({ name, body, ...(input.Public === undefined ? {} : { is_public: input.Public }), changed: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Reply template', id);
    return toJson(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate(name);
    throw err;
  }
}

export async function deleteReplyTemplate(db: DbOrTrx, id: string): Promise<void> {
  const found = UUID.test(id)
    ? await db.deleteFrom('reply_templates').where('id', '=', id).returning('id').executeTakeFirst()
    : undefined;
  if (!found) throw new NotFoundError('Reply template', id);
}

/** A template filled in for a case (by id or number) and the agent who will send it. */
export async function renderReplyTemplate(
  db: DbOrTrx,
  caseIdOrNumber: string,
  templateId: string,
  agentName: string,
): Promise<{ Body: string }> {
  const template = await findTemplate(db, templateId);
  const caseId = await caseIdOf(db, caseIdOrNumber);
  const c = await db
    .selectFrom('cases')
    .select(['case_number', 'subject', 'customer_name', 'customer_email'])
    .where('id', '=', caseId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!c) throw new NotFoundError('Case', caseIdOrNumber);
  return {
    Body: renderTemplate(template.body, {
      'customer.name': c.customer_name ?? '',
      'customer.email': c.customer_email ?? '',
      'case.number': c.case_number,
      'case.subject': c.subject,
      'agent.name': agentName,
    }),
  };
}

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { caseCounts, EXACT_CASE_COUNT_LIMIT } from '../../cases/case-counts.js';
import { getThread } from '../../inbox/thread.js';
import { errorResponses } from '../schemas/error.js';
import { IdParams } from '../schemas/common.js';
import { ThreadSchema } from '../schemas/inbox.js';

const tags = ['Staff inbox'];

export const CaseCountsSchema = Type.Object(
  {
    Unassigned: Type.Integer({ description: 'Cases not in Status Closed without an assignee' }),
    Waiting: Type.Integer({
      description:
        'Cases in a status named "Waiting…", "Pending…" or "On hold…"; without one, in a status whose level lies between those of Status New and Status Closed',
    }),
    Mine: Type.Integer({ description: "Cases not in Status Closed assigned to the caller's user id (0 for API keys)" }),
    Open: Type.Integer({ description: 'Cases not in Status Closed' }),
    Estimated: Type.Boolean({
      description: `True when a count is above ${EXACT_CASE_COUNT_LIMIT} and therefore the planner's estimate`,
    }),
  },
  { additionalProperties: false, title: 'CaseCounts' },
);

/** What the staff inbox reads beside the cases API: counts, a case's thread, a message's parts. */
export function staffInboxRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/cases/counts',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'The inbox counts: unassigned, waiting, mine, open. Needs: cases:read',
          description: `Deleted cases never count. Each count is exact up to ${EXACT_CASE_COUNT_LIMIT}, above that the planner's estimate (Estimated: true).`,
          operationId: 'getCaseCounts',
          response: { 200: CaseCountsSchema, ...errorResponses() },
        },
      },
      async (req) => caseCounts(ctx.db, req.actor?.kind === 'user' ? req.actor.id : null, ctx.caseSettings),
    );

    r.get(
      '/cases/:id/thread',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: "A case's emails, notes and status changes in time order. Needs: cases:read",
          description:
            "The id is the case's uuid or its number (CS-1004). Inbound emails carry the reply text and the folded quote, and URLs of their sanitised HTML, raw message and attachments.",
          operationId: 'getCaseThread',
          params: IdParams,
          response: { 200: ThreadSchema, ...errorResponses(404) },
        },
      },
      async (req) =>
        getThread(ctx.db, req.params.id, { settingsCache: ctx.caseSettings, mailFrom: ctx.config.mailFrom }),
    );
  };
}

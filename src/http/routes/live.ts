import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { caseIdOf } from '../../cases/case.service.js';
import { NotFoundError, ServiceUnavailableError } from '../../errors.js';
import { createLiveHub, type LiveEvent } from '../../live/live-hub.js';
import { PRESENCE_REFRESH_MS, PRESENCE_TTL_MS, readPresence, setPresence } from '../../live/presence.js';
import { metrics } from '../../ops/metrics.js';
import { IdParams } from '../schemas/common.js';
import { sessionStillActive } from '../../live/session-check.js';
import { errorResponses } from '../schemas/error.js';

const tags = ['Staff inbox'];

/** A comment line this often keeps proxies and load balancers from closing an idle event stream. */
export const SSE_HEARTBEAT_MS = 25_000;
/** The browser's reconnect delay after the stream breaks (the `retry:` field). */
export const SSE_RETRY_MS = 3_000;

const PresenceUser = Type.Object(
  {
    UserId: Type.String(),
    Name: Type.String(),
    Activity: Type.Union([Type.Literal('viewing'), Type.Literal('replying')]),
  },
  { additionalProperties: false, title: 'PresenceUser' },
);
const PresenceSchema = Type.Object(
  { CaseId: Type.String(), Users: Type.Array(PresenceUser) },
  { additionalProperties: false, title: 'CasePresence' },
);

const frame = (event: LiveEvent) => `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;

/**
 * GET /api/events: Server-Sent Events of case changes and presence, from this process's one LISTEN connection
 * (src/live/live-hub.ts). Presence routes are registered by the same plugin (presence.ts uses the hub's channel).
 */
export function liveRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const hub = createLiveHub({ databaseUrl: ctx.config.databaseUrl, logger: ctx.logger });
    const streams = new Set<ServerResponse>();
    // Open streams would hold the server's close forever: end them first.
    app.addHook('preClose', async () => {
      for (const s of streams) s.end();
    });
    app.addHook('onClose', async () => hub.close());

    app.get(
      '/events',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Live case changes and presence as Server-Sent Events. Needs: cases:read',
          description:
            '`event: case` data `{CaseId, CaseNumber, Change: "created"|"updated"|"thread"}`; `event: presence` data `{CaseId, Users: [{UserId, Name, Activity}]}`; `event: resync` after the server lost its database notifications for a while (reload what is shown). A comment line every 25 s; `retry: 3000`. A stream of a staff session ends when the session does.',
          operationId: 'getEvents',
          response: {
            200: {
              description: 'The event stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...errorResponses(),
          },
        },
      },
      async (req, reply) => {
        const session = req.staffSession;
        // Subscribed and listening before the stream says it is connected, so no change after that is missed.
        const res = reply.raw;
        let early: LiveEvent[] | null = [];
        const unsubscribe = hub.subscribe((event) => (early ? early.push(event) : res.write(frame(event))));
        await Promise.race([hub.ready(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
        reply.hijack();
        if (res.destroyed || req.raw.destroyed) {
          unsubscribe();
          return;
        }
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // nginx would otherwise buffer the stream.
          'x-accel-buffering': 'no',
          'x-content-type-options': 'nosniff',
        });
        res.write(`retry: ${SSE_RETRY_MS}\n: connected\n\n`);
        for (const event of early) res.write(frame(event));
        early = null;
        streams.add(res);
        metrics.liveStreams.inc();
        const heartbeat = setInterval(() => {
          res.write(': heartbeat\n\n');
          // A signed-out, disabled or expired session ends its stream (the browser's reconnect then gets a 401).
          if (session) {
            sessionStillActive(ctx.db, session.id, { idleMinutes: ctx.config.sessionIdleMinutes })
              .then((active) => {
                if (!active) res.end();
              })
              .catch(() => undefined);
          }
        }, SSE_HEARTBEAT_MS);
        heartbeat.unref();
        let open = true;
        const cleanup = () => {
          if (!open) return;
          open = false;
          metrics.liveStreams.dec();
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(res);
        };
        res.on('close', cleanup);
        req.raw.on('close', cleanup);
      },
    );

    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const redisOf = () => {
      if (!ctx.redis) throw new ServiceUnavailableError('Presence needs Redis, and this process has none');
      return ctx.redis;
    };
    /** The id of a live case named by id or number (404 otherwise). */
    const liveCaseId = async (idOrNumber: string) => {
      const id = await caseIdOf(ctx.db, idOrNumber);
      const found = await ctx.db
        .selectFrom('cases')
        .select('id')
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!found) throw new NotFoundError('Case', idOrNumber);
      return found.id;
    };

    r.put(
      '/cases/:id/presence',
      {
        config: { needs: 'cases' },
        schema: {
          tags,
          summary: 'Say that you are viewing or replying to a case, or have left it. Needs: cases',
          description: `An entry ends ${PRESENCE_TTL_MS / 1000} s after its last PUT: repeat it every ${PRESENCE_REFRESH_MS / 1000} s while the case is open. A change is sent to every /api/events stream as \`event: presence\`.`,
          operationId: 'putCasePresence',
          params: IdParams,
          body: Type.Object(
            { Activity: Type.Union([Type.Literal('viewing'), Type.Literal('replying'), Type.Literal('left')]) },
            { additionalProperties: false },
          ),
          response: { 200: PresenceSchema, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) =>
        setPresence(
          { db: ctx.db, redis: redisOf(), prefix: ctx.config.queuePrefix },
          await liveCaseId(req.params.id),
          { id: req.actor!.id, name: req.actor!.name },
          req.body.Activity,
        ),
    );

    r.get(
      '/cases/:id/presence',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Who is viewing or replying to a case now. Needs: cases:read',
          operationId: 'getCasePresence',
          params: IdParams,
          response: { 200: PresenceSchema, ...errorResponses(404) },
        },
      },
      async (req) => {
        const caseId = await liveCaseId(req.params.id);
        return { CaseId: caseId, Users: await readPresence(redisOf(), ctx.config.queuePrefix, caseId) };
      },
    );
  };
}

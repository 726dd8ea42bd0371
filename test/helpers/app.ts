import type { LightMyRequestResponse } from 'fastify';
import { createApiKey } from '../../src/auth/api-keys.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { buildServer, type App } from '../../src/http/server.js';
import { createAppContext, type AppContext } from '../../src/app-context.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createDb } from '../../src/db/database.js';
import { noteEmailHooks } from '../../src/outbound/note-hooks.js';

export interface TestApp {
  app: App;
  ctx: AppContext;
  database: TestDatabase;
  adminKey: string;
  readKey: string;
  /** Sends a request with the admin key (or `key`), JSON body, and returns status + parsed JSON. */
  call(
    method: string,
    url: string,
    body?: unknown,
    key?: string | null,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the answer's JSON as the API documents it
  ): Promise<{ status: number; json: any; res: LightMyRequestResponse }>;
  close(): Promise<void>;
}

/** The web app over its own fresh database, with one admin and one read key. */
export async function createTestApp(
  label: string,
  env: Record<string, string> = {},
  extra: Partial<AppContext> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(label);
  const config: Config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env });
  // DATABASE_STATEMENT_TIMEOUT_MS gives the app a pool of its own with that timeout, as the web process has.
  const timed = config.databaseStatementTimeoutMs
    ? createDb(database.url, { statementTimeoutMs: config.databaseStatementTimeoutMs })
    : undefined;
  const logger = createLogger('silent');
  const ctx = createAppContext({
    config,
    db: timed ?? database.db,
    logger,
    caseHooks: noteEmailHooks({ config, logger }),
    ...extra,
  });
  const app = await buildServer(ctx, { logger: false });
  await app.ready();
  const adminKey = (await createApiKey(database.db, { name: 'test-admin', scope: 'admin' })).key;
  const readKey = (await createApiKey(database.db, { name: 'test-read', scope: 'read' })).key;
  return {
    app,
    ctx,
    database,
    adminKey,
    readKey,
    async call(method, url, body, key = adminKey) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      let json: unknown;
      try {
        json = res.body ? JSON.parse(res.body) : null;
      } catch {
        json = res.body;
      }
      return { status: res.statusCode, json, res };
    },
    async close() {
      await app.close();
      await timed?.destroy();
      await database.drop();
    },
  };
}

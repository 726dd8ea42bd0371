import { loadConfig } from '../src/config.js';
import { createDb, DEFAULT_WEB_POOL_SIZE, DEFAULT_WEB_STATEMENT_TIMEOUT_MS } from '../src/db/database.js';
import { buildServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';

// The API as a child process of bench/api.ts, so autocannon and the server do not share one event loop.
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' } as Record<string, string>);
// The web process's pool, as workers/web.ts makes it: DATABASE_POOL_SIZE=N tries other sizes.
const db = createDb(config.databaseUrl, {
  poolSize: config.databasePoolSize ?? DEFAULT_WEB_POOL_SIZE,
  statementTimeoutMs: config.databaseStatementTimeoutMs ?? DEFAULT_WEB_STATEMENT_TIMEOUT_MS,
});
const app = await buildServer({ config, db, logger: createLogger('silent') }, { logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => db.destroy()).finally(() => process.exit(0));
});

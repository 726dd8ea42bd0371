import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/database.js';
import { buildServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';

// The API as a child process of bench/api.ts, so autocannon and the server do not share one event loop.
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' } as Record<string, string>);
// BENCH_POOL_SIZE tries other pool sizes (default: the web process's DEFAULT_POOL_SIZE).
const db = createDb(config.databaseUrl, process.env.BENCH_POOL_SIZE ? { poolSize: Number(process.env.BENCH_POOL_SIZE) } : {});
const app = await buildServer({ config, db, logger: createLogger('silent') }, { logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => db.destroy()).finally(() => process.exit(0));
});

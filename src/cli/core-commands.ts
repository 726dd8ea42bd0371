/** The core commands: migrate and apikey. */
import { parseArgs } from 'node:util';
import { loadConfigFromEnvironment } from '../config.js';
import { createDb, ensureDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys.js';
import { registerCommand, USAGE } from './registry.js';

/** Runs `fn` against the configured database, migrated first; the pool is closed afterwards. */
export async function withDb<T>(fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const config = loadConfigFromEnvironment();
  await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

registerCommand('migrate', async () => {
  await withDb(async () => undefined);
  console.log('database is up to date');
  return 0;
});

registerCommand('apikey', async (args) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { scope: { type: 'string' }, name: { type: 'string' } },
    allowPositionals: true,
  });
  if (sub === 'create') {
    const key = await withDb((db) => createApiKey(db, { name: values.name ?? '', scope: values.scope ?? '' }));
    console.log(key.key);
    console.error(`created ${key.scope} key "${key.name}" (id ${key.id}); store it now, it cannot be shown again`);
    return 0;
  }
  if (sub === 'list') {
    const keys = await withDb((db) => listApiKeys(db));
    for (const k of keys)
      console.log(`${k.id}  ${k.scope.padEnd(5)}  ${k.key_prefix}…  ${k.name}${k.revoked_at ? '  (revoked)' : ''}`);
    return 0;
  }
  if (sub === 'revoke' && positionals[0]) {
    const ok = await withDb((db) => revokeApiKey(db, positionals[0]!));
    console.log(ok ? 'revoked' : 'no such key');
    return ok ? 0 : 1;
  }
  process.stderr.write(USAGE);
  return 2;
});

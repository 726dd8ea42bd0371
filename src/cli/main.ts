import { parseArgs } from 'node:util';
import { loadConfigFromEnvironment } from '../config.js';
import { createDb, ensureDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys.js';
import { AppError } from '../errors.js';

const USAGE = `usage: intake <command>

  migrate                                   apply pending database migrations
  apikey create --scope read|admin --name N print a new API key (only its hash is stored)
  apikey list                               list keys (never the keys themselves)
  apikey revoke <id>                        revoke a key
  ingest [--wait] <file.eml|mbox>...        store and queue messages for the worker (same path as the poller)
  parse <file.eml>                          print the normalised message and the threading decision as JSON
  requeue-stale [--older-than <seconds>]    queue again stored messages whose job Redis lost
  outbox list [--status S] [--limit N]      list outbound mail and its delivery state
  outbox retry <id>                         send a failed outbound mail again
  send-test-mail --from A --subject S [--body T]  mail the try-out mailbox (npm run dev -- --with-mailbox)
`;

type Command = (args: string[]) => Promise<number>;

async function withDb<T>(fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
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

const commands: Record<string, Command> = {
  async migrate() {
    await withDb(async () => undefined);
    console.log('database is up to date');
    return 0;
  },
  async apikey(args) {
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
  },
};

/** Registers a further command (features add theirs: ingest, parse, ...). */
export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(USAGE);
    return name ? 2 : 0;
  }
  try {
    return await command(args);
  } catch (err) {
    // One clear line for the operator, not a stack trace.
    const message = err instanceof AppError || err instanceof Error ? err.message : String(err);
    console.error(`intake ${name}: ${message}`);
    return 1;
  }
}

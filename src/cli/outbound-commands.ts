import { parseArgs } from 'node:util';
import { loadConfigFromEnvironment } from '../config.js';
import { createDb, ensureDatabase, type Db } from '../db/database.js';
import { requeueOutboxRow } from '../outbound/relay.js';
import { registerCommand } from './registry.js';

const USAGE = `usage: intake outbox <list|retry>

  outbox list [--status queued|sending|sent|failed|suppressed] [--limit N]
                     recent outbound mail with its status and last error (newest first)
  outbox retry <id>  send a failed (or suppressed) mail again; the worker's relay picks it up
`;

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const config = loadConfigFromEnvironment();
  await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl, { poolSize: 2 });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES = ['queued', 'sending', 'sent', 'failed', 'suppressed'] as const;

registerCommand('outbox', async (args) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { status: { type: 'string' }, limit: { type: 'string' } },
    allowPositionals: true,
  });
  if (sub === 'list') {
    const status = values.status as (typeof STATUSES)[number] | undefined;
    if (status && !STATUSES.includes(status)) throw new Error(`--status must be one of ${STATUSES.join(', ')}`);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a whole number >= 1');
    const rows = await withDb((db) => {
      let q = db
        .selectFrom('outbox')
        .innerJoin('cases', 'cases.id', 'outbox.case_id')
        .select([
          'outbox.id',
          'outbox.kind',
          'outbox.status',
          'outbox.attempts',
          'outbox.to_addresses',
          'outbox.last_error',
          'outbox.created',
          'cases.case_number',
        ])
        .orderBy('outbox.created', 'desc')
        .limit(limit);
      if (status) q = q.where('outbox.status', '=', status);
      return q.execute();
    });
    for (const r of rows) {
      console.log(
        `${r.id}  ${r.created.toISOString()}  ${r.case_number}  ${r.kind.padEnd(5)}  ${r.status.padEnd(10)}  x${r.attempts}  ${r.to_addresses.join(',')}${r.last_error ? `  ${r.last_error}` : ''}`,
      );
    }
    return 0;
  }
  if (sub === 'retry' && positionals[0]) {
    const id = positionals[0];
    if (!UUID.test(id)) throw new Error(`"${id}" is not an outbox id (a uuid from "intake outbox list")`);
    const ok = await withDb((db) => requeueOutboxRow(db, id));
    console.log(ok ? 'queued again' : 'no failed or suppressed outbox row with that id');
    return ok ? 0 : 1;
  }
  process.stderr.write(USAGE);
  return 2;
});

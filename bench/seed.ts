import { sql } from 'kysely';
import type { Db } from '../src/db/database.js';
import { DEFAULT_CASE_SETTINGS } from '../src/settings/case-settings.js';
import { saveCaseSettings } from '../src/settings/settings.repository.js';

/** Tags the seeded cases carry; the bench's case settings allow exactly these. */
export const BENCH_TAGS = ['billing', 'shipping', 'returns', 'warranty', 'vip', 'complaint', 'b2b', 'urgent'] as const;
/** Customers in the seeded directory; cases pick one at random. */
export const BENCH_CUSTOMERS = 100_000;
const SEED_KEY = 'bench';
const INDEXES_KEY = 'bench-indexes';
/** Rows per INSERT … SELECT statement: big enough to be set-based, small enough to show progress. */
const CHUNK = 100_000;
/** Parallel inserting connections: the machine has 2 cores. */
const PARALLEL = 2;

const SUBJECTS = [
  'Refund for order',
  'Where is my parcel',
  'Damaged item received',
  'Cannot log in to my account',
  'Question about my invoice',
  'Change delivery address',
  'Wrong size delivered',
  'Payment failed',
  'Cancel my subscription',
  'Return label missing',
  'Refunded amount is wrong',
  'Parcel delivered to neighbour',
  'Discount code not working',
  'Warranty claim',
  'Product stopped working',
  'Missing parts in package',
  'Request for a quote',
  'Update billing details',
  'Order arrived late',
  'Exchange for another colour',
];
const WORDS = [
  'jacket',
  'shoes',
  'laptop',
  'headphones',
  'blender',
  'sofa',
  'lamp',
  'bicycle',
  'camera',
  'watch',
  'kettle',
  'printer',
  'charger',
  'backpack',
  'mattress',
  'curtains',
  'monitor',
  'keyboard',
  'tent',
  'stroller',
];
const SENTENCES = [
  'I ordered this last week and it still has not arrived.',
  'The box was crushed and the item inside is broken.',
  'Please send me a refund as soon as possible.',
  'I was charged twice for the same order.',
  'The tracking number does not show any updates.',
  'Could you tell me when the courier will deliver?',
  'I would like to return the item for a full refund.',
  'The invoice shows the wrong company name.',
  'My account was locked after I reset the password.',
  'The colour is different from the picture on the website.',
  'I need this urgently for a birthday on Saturday.',
  'Can I exchange it for a larger size instead?',
];
const FIRST = [
  'Anna',
  'Bob',
  'Carla',
  'David',
  'Emma',
  'Farid',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Karin',
  'Liam',
  'Maja',
  'Noah',
  'Olga',
  'Pavel',
];
const LAST = [
  'Smith',
  'Jensen',
  'Garcia',
  'Novak',
  'Berg',
  'Rossi',
  'Kowalski',
  'Dubois',
  'Silva',
  'Schmidt',
  'Larsen',
  'Murphy',
];
const AGENTS = Array.from(
  { length: 20 },
  (_, i) => [`agent-${i + 1}`, `${FIRST[i % FIRST.length]} Agent${i + 1}`] as const,
);

const arr = (values: readonly string[]) =>
  sql.raw(`ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')}]::text[]`);
/** A random element of a text array literal, per row. */
const pick = (values: readonly string[]) => sql`(${arr(values)})[1 + floor(random() * ${sql.lit(values.length)})::int]`;

export async function seededCount(db: Db): Promise<number | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', SEED_KEY).executeTakeFirst();
  return (row?.value as { cases?: number } | undefined)?.cases;
}

async function seedChunk(db: Db, from: number, to: number, count: number): Promise<void> {
  // Every value comes from generate_series and random(): one statement per chunk, no round trips per row.
  await sql`
    INSERT INTO cases (number, case_number, subject, description, status, priority, source, assigned_to_user_id,
      assigned_to_name, customer_id, customer_name, customer_email, tags, related_orders, follow_up_date, reply_token,
      status_changed_at, created, changed, deleted_at, comment_count)
    SELECT n, 'CS-' || n, s.subject, s.description, s.status, s.priority, s.source, s.agent_id, s.agent_name,
      c.id, c.name, c.email, s.tags, s.orders, s.follow_up, md5('bench' || n), s.created, s.created,
      s.created + (random() * interval '20 days'), CASE WHEN random() < 0.01 THEN s.created END, 0
    FROM (
      SELECT g + 1000 AS n,
        ${pick(SUBJECTS)} || ' ' || ${pick(WORDS)} || CASE WHEN random() < 0.3 THEN ' #' || (100000 + floor(random() * 900000)::int) ELSE '' END AS subject,
        ${pick(SENTENCES)} || ' ' || ${pick(SENTENCES)} || ' The ' || ${pick(WORDS)} || ' is the problem.' AS description,
        (ARRAY['New','In Progress','Reopened','Resolved','Closed'])[1 + floor(power(random(), 0.7) * 5)::int] AS status,
        (ARRAY['Low','Medium','Medium','High','Critical'])[1 + floor(random() * 5)::int] AS priority,
        (ARRAY['Email','Email','Email','Phone','Web'])[1 + floor(random() * 5)::int] AS source,
        CASE WHEN random() < 0.8 THEN floor(random() * ${sql.lit(AGENTS.length)})::int END AS agent,
        (g::bigint * 7919) % ${sql.lit(BENCH_CUSTOMERS)} + 1 AS customer_no,
        CASE WHEN random() < 0.5 THEN ARRAY[${pick(BENCH_TAGS)}]
             WHEN random() < 0.5 THEN ARRAY(SELECT DISTINCT unnest(ARRAY[${pick(BENCH_TAGS)}, ${pick(BENCH_TAGS)}]))
             ELSE '{}'::text[] END AS tags,
        CASE WHEN random() < 0.7 THEN ARRAY['ORD-' || (100000 + floor(random() * 500000)::int)] ELSE '{}'::text[] END AS orders,
        CASE WHEN random() < 0.3 THEN now() + (random() * interval '30 days') END AS follow_up,
        -- Cases arrive over time, so rows sit in the table in roughly created order (as in production).
        now() - interval '730 days' * (1 - g::float8 / ${sql.lit(count)}) + random() * interval '1 hour' AS created
      FROM generate_series(${sql.lit(from)}, ${sql.lit(to - 1)}) g
    ) s0
    CROSS JOIN LATERAL (
      SELECT s0.subject, s0.description, s0.status, s0.priority, s0.source, s0.tags, s0.orders, s0.follow_up, s0.created,
        CASE WHEN s0.agent IS NOT NULL THEN 'agent-' || (s0.agent + 1) END AS agent_id,
        CASE WHEN s0.agent IS NOT NULL THEN (${arr(AGENTS.map((a) => a[1]))})[s0.agent + 1] END AS agent_name
    ) s
    JOIN bench_customers c ON c.no = s0.customer_no
    ORDER BY n`.execute(db);
}

/**
 * Seeds `count` cases with set-based SQL. Secondary indexes are dropped first and rebuilt after
 * (one sort per index instead of a million random inserts), which is what makes 1M rows take a minute, not ten.
 */
export async function seedCases(db: Db, count: number, log: (line: string) => void): Promise<void> {
  const settings = { ...structuredClone(DEFAULT_CASE_SETTINGS), Tags: [...BENCH_TAGS] };
  await saveCaseSettings(db, settings);
  await db.deleteFrom('settings').where('key', '=', SEED_KEY).execute();
  await sql`TRUNCATE cases, customers, case_status_log CASCADE`.execute(db);
  await sql`DROP TABLE IF EXISTS bench_customers`.execute(db);

  // The index definitions are saved before they are dropped, so a seed that dies half-way still restores them next time.
  const { rows: current } = await sql<{ indexname: string; indexdef: string }>`
    SELECT i.indexname, i.indexdef FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename IN ('cases', 'case_search', 'case_status_log')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`.execute(db);
  const saved = await db.selectFrom('settings').select('value').where('key', '=', INDEXES_KEY).executeTakeFirst();
  const byName = new Map<string, string>(Object.entries((saved?.value ?? {}) as Record<string, string>));
  for (const i of current) byName.set(i.indexname, i.indexdef);
  const definitions = JSON.stringify(Object.fromEntries(byName));
  await db
    .insertInto('settings')
    .values({ key: INDEXES_KEY, value: definitions })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: definitions }))
    .execute();
  for (const i of current) await sql`DROP INDEX ${sql.id(i.indexname)}`.execute(db);
  const indexes = [...byName.values()].map((d) => ({
    indexdef: d.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '),
  }));

  await sql`
    CREATE UNLOGGED TABLE bench_customers AS
    SELECT g AS no, gen_random_uuid() AS id,
      ${pick(FIRST)} || ' ' || ${pick(LAST)} AS name,
      'customer' || g || '@example' || (g % 50) || '.com' AS email
    FROM generate_series(1, ${sql.lit(BENCH_CUSTOMERS)}) g`.execute(db);
  await sql`CREATE UNIQUE INDEX ON bench_customers (no)`.execute(db);
  await sql`INSERT INTO customers (id, name, email) SELECT id, name, email FROM bench_customers`.execute(db);

  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      const to = Math.min(count, next + CHUNK);
      next = to;
      await seedChunk(db, from, to, count);
      done += to - from;
      log(`  cases ${done.toLocaleString('en')} / ${count.toLocaleString('en')}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await sql`SELECT setval('case_number_seq', ${sql.lit(count + 1000)})`.execute(db);

  // The first log entry of every case, and a second one for cases that moved on from New.
  await sql`
    INSERT INTO case_status_log (case_id, status, "timestamp", duration_since_previous_ms)
    SELECT id, 'New', created, NULL FROM cases
    UNION ALL
    SELECT id, status, changed, (extract(epoch FROM changed - created) * 1000)::bigint FROM cases WHERE status <> 'New'`.execute(
    db,
  );
  log('  status log written; rebuilding indexes');

  const half = Math.ceil(indexes.length / 2);
  await Promise.all(
    [indexes.slice(0, half), indexes.slice(half)].map((part) =>
      db.transaction().execute(async (trx) => {
        await sql`SET LOCAL maintenance_work_mem = '256MB'`.execute(trx);
        for (const i of part) await sql.raw(i.indexdef).execute(trx);
      }),
    ),
  );
  await sql`DROP TABLE bench_customers`.execute(db);
  log('  vacuum analyze');
  await sql`VACUUM ANALYZE cases`.execute(db);
  await sql`VACUUM ANALYZE case_search`.execute(db);
  await sql`VACUUM ANALYZE case_status_log`.execute(db);
  await sql`VACUUM ANALYZE customers`.execute(db);
  await db
    .insertInto('settings')
    .values({ key: SEED_KEY, value: JSON.stringify({ cases: count }) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify({ cases: count }) }))
    .execute();
}

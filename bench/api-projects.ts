import { sql } from 'kysely';
import type { Db } from '../src/db/database.js';
import type { Scenario } from './api-scenarios.js';

/**
 * The projects part of bench:api: BENCH_PROJECTS projects (default 100,000) seeded with set-based SQL beside the
 * cases, and a scenario that searches them by text sorted by ProjectDeadlineAscending (docs/projects.md).
 */
export const DEFAULT_BENCH_PROJECTS = 100_000;
const SEED_KEY = 'bench-projects';

const KINDS = ['Claim', 'Return', 'Repair', 'Replacement', 'Warranty case', 'Refund', 'Exchange', 'Complaint'];
const ITEMS = [
  'sofa',
  'laptop',
  'bicycle',
  'camera',
  'mattress',
  'printer',
  'kettle',
  'monitor',
  'stroller',
  'tent',
  'jacket',
  'headphones',
  'blender',
  'lamp',
  'watch',
  'dishwasher',
  'wardrobe',
  'television',
  'drill',
  'freezer',
];
const ADJECTIVES = ['damaged', 'broken', 'missing', 'scratched', 'late', 'wrong', 'faulty', 'incomplete'];
const FIRST = ['Anna', 'Bob', 'Carla', 'David', 'Emma', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Karin', 'Liam'];
const LAST = ['Smith', 'Jensen', 'Garcia', 'Novak', 'Berg', 'Rossi', 'Kowalski', 'Dubois', 'Silva', 'Schmidt'];
const PARTNERS = ['FixIt', 'Nordic Repairs', 'QuickShip', 'Carrier One', 'Service Pro', 'HomeCare', 'TechMend'];
/** What staff type: an item, a kind with an item, an adjective with an item, a customer's name. */
const QUERIES = [
  ...ITEMS,
  ...ITEMS.slice(0, 8).map((i, n) => `${ADJECTIVES[n]} ${i}`),
  ...KINDS.slice(0, 6).map((k, n) => `${k.split(' ')[0]} ${ITEMS[n + 4]}`),
  ...FIRST.slice(0, 6).map((f, n) => `${f} ${LAST[n]}`),
  'anna',
  'nordic',
];

const arr = (values: readonly string[]) =>
  sql.raw(`ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')}]::text[]`);
const pick = (values: readonly string[]) => sql`(${arr(values)})[1 + floor(random() * ${sql.lit(values.length)})::int]`;

export async function seededProjectCount(db: Db): Promise<number | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', SEED_KEY).executeTakeFirst();
  return (row?.value as { projects?: number } | undefined)?.projects;
}

/** Seeds `count` projects of four types (two products each), unless the database already holds that many. */
export async function ensureProjects(db: Db, count: number, log: (line: string) => void): Promise<void> {
  if ((await seededProjectCount(db)) === count) {
    log(`reusing the seeded projects (${count.toLocaleString('en')})`);
    return;
  }
  const started = performance.now();
  log(`seeding ${count.toLocaleString('en')} projects ...`);
  await sql`TRUNCATE project_types, projects, project_products, project_parts, project_transactions, project_workflow_log RESTART IDENTITY CASCADE`.execute(
    db,
  );
  await sql`
    INSERT INTO project_types (name, workflow_steps, reference_types, finish_on_last_step, default_order_type)
    SELECT k, jsonb_build_array(
        jsonb_build_object('id', 'registered', 'name', 'Registered', 'index', 0, 'description', null, 'hiddenFromCustomer', false, 'hiddenFromPartner', false),
        jsonb_build_object('id', 'in-progress', 'name', 'In progress', 'index', 1, 'description', null, 'hiddenFromCustomer', false, 'hiddenFromPartner', false),
        jsonb_build_object('id', 'done', 'name', 'Done', 'index', 2, 'description', null, 'hiddenFromCustomer', false, 'hiddenFromPartner', false)),
      ARRAY['Damaged', 'Missing'], true, 'Replacement'
    FROM unnest(ARRAY['Claim', 'Return', 'Repair', 'Warranty']) k`.execute(db);
  // One statement: every value from generate_series and random(); deadlines over two years, a tenth of them empty.
  await sql`
    INSERT INTO projects (number, project_number, name, project_type_id, project_type_name, status, workflow_steps,
      workflow_step_id, workflow_step_index, workflow_step_name, customer_id, customer_name, customer_email,
      partner, partner_id, partner_name, partners, partner_ids, store_id, store_contact, deadline, project_date,
      project_value, project_budget_value, tags, comments, related_orders, created, modified)
    SELECT g + 1000, 'PR-' || (g + 1000), s.name, t.id, t.name, 'Active',
      -- Each step as the API stores it: the first current since the project was created, none completed.
      (SELECT jsonb_agg(step || jsonb_build_object('current', (step->>'index')::int = 0,
                'startDate', CASE WHEN (step->>'index')::int = 0 THEN to_jsonb(s.created) ELSE 'null'::jsonb END,
                'dateCompleted', null) ORDER BY (step->>'index')::int)
         FROM jsonb_array_elements(t.workflow_steps) step),
      'registered', 0, 'Registered', 'cust-' || s.customer_no, s.customer_name,
      'customer' || s.customer_no || '@example.com',
      jsonb_build_object('id', 'partner-' || s.partner_no, 'name', s.partner_name, 'email', null, 'phone', null, 'role', 'Repairer'),
      'partner-' || s.partner_no, s.partner_name,
      jsonb_build_array(jsonb_build_object('id', 'partner-' || s.partner_no, 'name', s.partner_name, 'email', null, 'phone', null, 'role', 'Repairer')),
      ARRAY['partner-' || s.partner_no], 'store-' || (g % 40), ${pick(FIRST)},
      CASE WHEN random() < 0.9 THEN s.created + random() * interval '120 days' END, s.created,
      round((random() * 5000)::numeric, 2), round((random() * 5000)::numeric, 2),
      CASE WHEN random() < 0.3 THEN ARRAY['vip'] ELSE '{}'::text[] END,
      'Customer reports the ' || s.item || ' is ' || ${pick(ADJECTIVES)} || '.',
      ARRAY['ORD-' || (100000 + g)], s.created, s.created
    FROM (
      SELECT g,
        ${pick(KINDS)} || ': ' || ${pick(ADJECTIVES)} || ' ' || i.item AS name, i.item,
        1 + floor(random() * 4)::int AS type_no,
        1 + (g * 7919) % 20000 AS customer_no,
        ${pick(FIRST)} || ' ' || ${pick(LAST)} AS customer_name,
        1 + floor(random() * ${sql.lit(PARTNERS.length)})::int AS partner_no,
        ${pick(PARTNERS)} AS partner_name,
        now() - interval '730 days' * (1 - g::float8 / ${sql.lit(count)}) AS created
      FROM generate_series(1, ${sql.lit(count)}) g
      -- The empty substr ties the pick to the row, so it is drawn per row rather than once for the statement.
      CROSS JOIN LATERAL (SELECT ${pick(ITEMS)} || substr(g::text, 1, 0) AS item) i
    ) s
    JOIN project_types t ON t.id = s.type_no`.execute(db);
  await sql`SELECT setval('project_number_seq', ${sql.lit(count + 1000)})`.execute(db);
  await sql`
    INSERT INTO project_products (project_id, position, sku_id, product_id, name, quantity, status, reference_type, order_type)
    SELECT p.id, k, 'SKU-' || p.id || '-' || k, 'P-' || k, 'Item ' || k, round((random() * 10)::numeric, 3), 'Active',
      'Damaged', 'Replacement'
    FROM projects p CROSS JOIN generate_series(0, 1) k`.execute(db);
  await sql`VACUUM ANALYZE projects`.execute(db);
  await sql`VACUUM ANALYZE project_search`.execute(db);
  await sql`VACUUM ANALYZE project_products`.execute(db);
  const value = JSON.stringify({ projects: count });
  await db
    .insertInto('settings')
    .values({ key: SEED_KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  log(`seeded projects in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The projects scenario: text search sorted by deadline, held to 50 ms p99 from 200 requests/s up. */
export function projectScenarios(): Scenario[] {
  return [
    {
      name: 'projects search: text, ProjectDeadlineAscending',
      targetP99: 50,
      startRate: 200,
      request: (random) => ({
        method: 'POST',
        path: '/api/Projects/SearchProjects',
        body: JSON.stringify({
          query: QUERIES[Math.floor(random() * QUERIES.length)],
          sortOrder: 'ProjectDeadlineAscending',
        }),
      }),
    },
  ];
}

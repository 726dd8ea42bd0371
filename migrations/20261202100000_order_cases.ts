import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. Order cases (docs/order-cases.md):
// - `orders` and `order_lines`: the order store, the orders intake knows (imported by PUT /api/orders). Quantities and
//   prices are numeric: stored exactly as sent, never as floats.
// - `cases.case_type`: 'Standard' or 'Order'. A column of the case (not only the side table) so that search can
//   filter on it and every case JSON carries it without a join. Adding a column with a constant default rewrites
//   nothing (PostgreSQL 11+).
// - `order_cases`: the order-specific header of an order case (scope, order, account, service, codes, draft state).
// - `case_lines` and `case_line_state_log`: the case's line items, each with its own state history.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE orders (
      order_number text PRIMARY KEY,
      customer_id text,
      customer_name text,
      customer_email text,
      market_id text,
      order_created timestamptz,
      status text,
      currency text,
      imported timestamptz NOT NULL DEFAULT now(),
      changed timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX orders_customer_id_idx ON orders (customer_id)`.execute(db);
  await sql`CREATE INDEX orders_customer_email_idx ON orders (lower(customer_email))`.execute(db);
  await sql`
    CREATE TABLE order_lines (
      order_number text NOT NULL REFERENCES orders (order_number) ON DELETE CASCADE,
      line_number integer NOT NULL,
      sku text,
      product_id text,
      name text,
      quantity numeric NOT NULL,
      unit_price numeric,
      line_status text,
      PRIMARY KEY (order_number, line_number)
    )`.execute(db);
  await sql`ALTER TABLE cases ADD COLUMN case_type text NOT NULL DEFAULT 'Standard'`.execute(db);
  await sql`
    CREATE TABLE order_cases (
      case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
      scope text NOT NULL CHECK (scope IN ('SpecificLineItems', 'MultipleOrders')),
      order_number text,
      account_id text,
      account_name text,
      account_email text,
      service text,
      request_reason_code text,
      resolution_code text,
      state text NOT NULL CHECK (state IN ('Draft', 'Submitted', 'Cancelled')),
      submitted_at timestamptz,
      cancelled_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE case_lines (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      line_number integer NOT NULL,
      order_number text NOT NULL,
      order_line_number integer,
      sku_id text,
      name text,
      ordered_quantity numeric,
      requested_quantity numeric,
      approved_quantity numeric,
      requested_date date,
      approved_date date,
      current_shipping_address jsonb,
      requested_shipping_address jsonb,
      assigned_to_user_id text,
      assigned_to_name text,
      state text NOT NULL CHECK (state IN ('Draft', 'New', 'WorkInProgress', 'AwaitingInfo', 'ResolvedAccepted',
                                            'ResolvedDenied', 'Cancelled')),
      state_changed_at timestamptz NOT NULL,
      close_notes text,
      work_notes text,
      created timestamptz NOT NULL,
      changed timestamptz NOT NULL,
      UNIQUE (case_id, line_number)
    )`.execute(db);
  // One line per order (whole order) or per order line within a case.
  await sql`CREATE UNIQUE INDEX case_lines_item_idx ON case_lines (case_id, order_number, coalesce(order_line_number, -1))`.execute(
    db,
  );
  // Search by line state: the cases that have a line in a state.
  await sql`CREATE INDEX case_lines_state_idx ON case_lines (state, case_id)`.execute(db);
  await sql`
    CREATE TABLE case_line_state_log (
      id bigserial PRIMARY KEY,
      line_id uuid NOT NULL REFERENCES case_lines (id) ON DELETE CASCADE,
      state text NOT NULL,
      "timestamp" timestamptz NOT NULL,
      duration_since_previous_ms bigint
    )`.execute(db);
  await sql`CREATE INDEX case_line_state_log_line_idx ON case_line_state_log (line_id, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS case_line_state_log`.execute(db);
  await sql`DROP TABLE IF EXISTS case_lines`.execute(db);
  await sql`DROP TABLE IF EXISTS order_cases`.execute(db);
  await sql`ALTER TABLE cases DROP COLUMN IF EXISTS case_type`.execute(db);
  await sql`DROP TABLE IF EXISTS order_lines`.execute(db);
  await sql`DROP TABLE IF EXISTS orders`.execute(db);
}

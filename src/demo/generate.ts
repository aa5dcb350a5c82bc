/**
 * The demo warehouse: a deterministic, seeded restaurant-analytics database
 * generated with DuckDB SQL. It holds the write-up's scenario with exact IDs:
 * tenant 12 owns business 628 (200 locations, two in Chicago); admin 7042 is a
 * franchise owner granted the two Chicago stores; admin 7001 is the brand
 * manager granted all 200; business 544 belongs to tenant 31. Last week
 * (2026-11-09..2026-11-15) sums to exactly $84,000.00 for 7042 and
 * $9,200,000.00 for 7001.
 *
 * Randomness is integer hashing of (seed, keys), so the same seed gives the
 * same bytes of data on every machine and thread count.
 */
import { mkdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../config/config.js';
import { engine } from '../engine-registry.js';

/** Version of the generated layout; bump when the schema or the data changes. */
export const DEMO_DATA_VERSION = '3';
export const DEMO_SEED = 42;

/** The scenario the demo data guarantees, used by tests and the README. */
export const DEMO_SCENARIO = {
  today: '2026-11-18',
  lastWeek: { from: '2026-11-09', to: '2026-11-15' },
  franchiseOwner: {
    tenantId: '12',
    businessId: '628',
    adminId: '7042',
    locations: ['628017', '628123'],
    lastWeekNetSales: '84000.00',
  },
  brandManager: {
    tenantId: '12',
    businessId: '628',
    adminId: '7001',
    locationCount: 200,
    lastWeekNetSales: '9200000.00',
  },
  zeroLocations: { tenantId: '12', businessId: '628', adminId: '7099' },
  otherTenant: { tenantId: '31', businessId: '544', adminId: '5401' },
} as const;

/** Options for {@link generateDemoWarehouse}. */
export interface GenerateOptions {
  readonly path: string;
  readonly seed?: number;
  /** Days of daily sales, ending the day before DEMO_SCENARIO.today. */
  readonly days?: number;
  /**
   * Multiplies the number of locations of every business but 628 (whose scenario stays exact):
   * 1 gives about 1.3 M daily rows, 40 about 50 M. Item sales are generated at scale 1 only.
   */
  readonly scale?: number;
  /** Physical order of the fact tables: clustered by tenant, business, location, date (default) or shuffled. */
  readonly layout?: 'sorted' | 'random';
  /** Called with a line per stage (each table written, then the checkpoint), for a log; silent when absent. */
  readonly progress?: (line: string) => void;
}

/** Generate the demo warehouse into `path` (written to a temporary file, then renamed). */
export async function generateDemoWarehouse(opts: GenerateOptions): Promise<{ path: string; ms: number }> {
  const started = performance.now();
  const seed = opts.seed ?? DEMO_SEED;
  const days = opts.days ?? 383;
  const scale = opts.scale ?? 1;
  const layout = opts.layout ?? 'sorted';
  // Location IDs are business_id * 1000 + n (628017 must stay 628017): at most 17 * 58 = 986 per business.
  if (!Number.isInteger(scale) || scale < 1 || scale > 58) throw new Error('scale must be an integer 1..58');
  if (!Number.isInteger(seed) || seed < 0 || seed > 1_000_000) throw new Error('seed must be an integer 0..1000000');
  if (!Number.isInteger(days) || days < 60 || days > 5000) throw new Error('days must be an integer 60..5000');
  mkdirSync(dirname(opts.path), { recursive: true });
  const tmp = `${opts.path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  const instance = await DuckDBInstance.create(tmp, { threads: '2' });
  const conn = await instance.connect();
  const say = opts.progress ?? ((): void => {});
  const seconds = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const statements = demoSql(seed, days, scale, layout);
  const tables = statements.map((stmt) => /^CREATE TABLE (\w+)/.exec(stmt)?.[1]);
  const total = tables.filter((t) => t !== undefined).length;
  let written = 0;
  say(`generating the demo warehouse at ${opts.path} (seed ${seed}, scale ${scale}, ${layout}): ${total} tables`);
  try {
    for (const [i, stmt] of statements.entries()) {
      await conn.run(stmt);
      const table = tables[i];
      if (table !== undefined)
        say(`generating the demo warehouse: tables ${++written}/${total} (${table}, ${seconds()})`);
    }
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  renameSync(tmp, opts.path);
  if (existsSync(`${tmp}.wal`)) rmSync(`${tmp}.wal`);
  say(`generating the demo warehouse: done in ${seconds()}`);
  return { path: opts.path, ms: performance.now() - started };
}

/** The generator's SQL, statement by statement. */
export function demoSql(seed: number, days: number, scale = 1, layout: 'sorted' | 'random' = 'sorted'): string[] {
  const today = DEMO_SCENARIO.today;
  // Generic admin IDs are business_id * stride + k; at scale > 1 a business has hundreds of franchise owners.
  const adminStride = scale === 1 ? 100 : 10_000;
  const order = (keys: string): string =>
    layout === 'sorted' ? `ORDER BY ${keys}` : `ORDER BY hash(${keys}, ${seed})`;
  const { from: weekFrom, to: weekTo } = DEMO_SCENARIO.lastWeek;
  return [
    // h(a, b, c) -> [0, 1): integer hashing; no random(), so the output is identical on every run.
    `CREATE TEMP MACRO h(a, b, c) AS
       ((((a * 1103515245 + b * 12345 + c * 2654435761 + ${seed} * 97 + 7) % 2147483647) * 48271) % 2147483647) / 2147483647.0`,
    `CREATE TABLE splitplane_meta AS SELECT * FROM (VALUES ('data_version', '${DEMO_DATA_VERSION}'), ('seed', '${seed}'), ('today', '${today}')) t(key, value)`,
    `CREATE TEMP TABLE cities AS SELECT * FROM (VALUES
       (1, 'Chicago', 'IL'), (2, 'New York', 'NY'), (3, 'Los Angeles', 'CA'), (4, 'Houston', 'TX'),
       (5, 'Phoenix', 'AZ'), (6, 'Philadelphia', 'PA'), (7, 'San Antonio', 'TX'), (8, 'San Diego', 'CA'),
       (9, 'Dallas', 'TX'), (10, 'Austin', 'TX'), (11, 'Jacksonville', 'FL'), (12, 'Columbus', 'OH'),
       (13, 'Charlotte', 'NC'), (14, 'Indianapolis', 'IN'), (15, 'Seattle', 'WA'), (16, 'Denver', 'CO'),
       (17, 'Nashville', 'TN'), (18, 'Boston', 'MA'), (19, 'Portland', 'OR'), (20, 'Las Vegas', 'NV'),
       (21, 'Detroit', 'MI'), (22, 'Memphis', 'TN'), (23, 'Louisville', 'KY'), (24, 'Baltimore', 'MD'),
       (25, 'Milwaukee', 'WI'), (26, 'Albuquerque', 'NM'), (27, 'Tucson', 'AZ'), (28, 'Atlanta', 'GA'),
       (29, 'Kansas City', 'MO'), (30, 'Miami', 'FL'), (31, 'Minneapolis', 'MN'), (32, 'Tampa', 'FL')
     ) t(city_no, city, state)`,
    `CREATE TABLE dim_tenants AS
       SELECT tenant_id, 'Tenant ' || tenant_id || ' Restaurant Group' AS name FROM range(1, 41) r(tenant_id)`,
    // 350 businesses under 40 tenants; 628 -> 12 and 544 -> 31 are pinned.
    `CREATE TABLE dim_businesses AS
       SELECT business_id,
              CASE business_id WHEN 628 THEN 12 WHEN 544 THEN 31 ELSE 1 + (business_id * 37) % 40 END AS tenant_id,
              CASE business_id WHEN 628 THEN 'Prairie Burger Co.' WHEN 544 THEN 'Harbor Noodle House'
                   ELSE 'Business ' || business_id END AS name
       FROM range(301, 651) r(business_id)`,
    `CREATE TEMP TABLE loc_counts AS
       SELECT business_id, tenant_id, CASE business_id WHEN 628 THEN 200 ELSE (1 + (business_id * 7919) % 17) * ${scale} END AS n
       FROM dim_businesses`,
    // Business 628: 200 stores, exactly two in Chicago (628017 and 628123); no other 628 store is in Chicago.
    `CREATE TABLE dim_locations AS
       SELECT l.business_id * 1000 + g.n AS location_id, l.tenant_id, l.business_id,
              c.city || ' #' || g.n AS name, c.city, c.state,
              DATE '2015-01-01' + CAST(floor(h(l.business_id, g.n, 1) * 3650) AS INTEGER) AS opened_on,
              'manager.' || (l.business_id * 1000 + g.n) || '@example.com' AS manager_email
       FROM loc_counts l, LATERAL range(1, l.n + 1) g(n),
            cities c
       WHERE c.city_no = CASE
               WHEN l.business_id = 628 AND g.n IN (17, 123) THEN 1
               WHEN l.business_id = 628 THEN 2 + (g.n * 13) % 31
               ELSE 1 + (l.business_id * 31 + g.n * 17) % 32 END`,
    `CREATE TABLE dim_admins AS
       WITH generic AS (
         SELECT b.business_id * ${adminStride} + 1 AS admin_id, b.tenant_id, b.business_id, 'brand_manager' AS role
         FROM dim_businesses b WHERE b.business_id NOT IN (628, 544)
         UNION ALL
         SELECT b.business_id * ${adminStride} + 1 + k.k, b.tenant_id, b.business_id, 'franchise_owner'
         FROM loc_counts b, LATERAL range(1, CAST(ceil(b.n / 3.0) AS BIGINT) + 1) k(k)
         WHERE b.business_id NOT IN (628, 544)
       ), pinned AS (
         SELECT * FROM (VALUES (7001, 12, 628, 'brand_manager'), (7042, 12, 628, 'franchise_owner'),
                               (7099, 12, 628, 'franchise_owner'),
                               (5401, 31, 544, 'brand_manager'), (5402, 31, 544, 'franchise_owner'),
                               (7101, 12, 628, 'regional_director'), (7102, 12, 628, 'operations_analyst'),
                               (7103, 12, 628, 'contractor')) t(admin_id, tenant_id, business_id, role)
         UNION ALL
         SELECT 7042 + k, 12, 628, 'franchise_owner' FROM range(1, 41) r(k)
       )
       SELECT admin_id, tenant_id, business_id, role, 'Admin ' || admin_id AS name,
              'admin.' || admin_id || '@example.com' AS email, TRUE AS active
       FROM (SELECT * FROM generic UNION ALL SELECT * FROM pinned)`,
    `CREATE TABLE admin_location_grants AS
       SELECT a.admin_id, l.location_id FROM dim_admins a JOIN dim_locations l USING (business_id)
       WHERE a.role IN ('brand_manager', 'regional_director', 'operations_analyst', 'contractor') -- the last three: 7101..7103, every 628 store
       UNION ALL
       SELECT 7042, location_id FROM dim_locations WHERE location_id IN (628017, 628123)
       UNION ALL -- franchise owners 7043..7082 of 628: five non-Chicago stores each
       SELECT 7042 + ((n - 1) // 5) + 1, location_id FROM (
         SELECT location_id, row_number() OVER (ORDER BY location_id) AS n FROM dim_locations
         WHERE business_id = 628 AND location_id NOT IN (628017, 628123))
       WHERE n <= 200
       UNION ALL
       SELECT 5402, location_id FROM dim_locations WHERE business_id = 544 AND location_id % 1000 = 1
       UNION ALL -- generic franchise owners: groups of three stores
       SELECT a.admin_id, l.location_id FROM dim_admins a JOIN dim_locations l USING (business_id)
       WHERE a.role = 'franchise_owner' AND a.business_id NOT IN (628, 544)
         AND (l.location_id % 1000 - 1) // 3 = a.admin_id - a.business_id * ${adminStride} - 2`,
    `CREATE TEMP TABLE raw_sales AS
       SELECT l.tenant_id, l.business_id, l.location_id, d.business_date,
              (3000 + 6000 * h(l.location_id, 0, 2))
              * CASE dayofweek(d.business_date) WHEN 5 THEN 1.25 WHEN 6 THEN 1.35 WHEN 0 THEN 1.10 WHEN 1 THEN 0.85 ELSE 1.0 END
              * (0.85 + 0.30 * h(l.location_id, CAST(d.business_date - DATE '2000-01-01' AS BIGINT), 3))
              * (1.0 + 0.08 * sin(2 * pi() * dayofyear(d.business_date) / 365.0)) AS amount,
              18 + 14 * h(l.location_id, 0, 4) AS avg_check,
              1.2 + 0.8 * h(l.location_id, CAST(d.business_date - DATE '2000-01-01' AS BIGINT), 5) AS guests_per_order
       FROM dim_locations l,
            (SELECT CAST(DATE '${today}' - INTERVAL (g) DAY AS DATE) AS business_date FROM range(1, ${days + 1}) r(g)) d`,
    // Scale business 628's last week to the scenario's exact totals; the residual cent lands on one row per group.
    `CREATE TABLE fact_daily_sales AS
       WITH grouped AS (
         SELECT *, CASE WHEN business_id = 628 AND business_date BETWEEN DATE '${weekFrom}' AND DATE '${weekTo}'
                        THEN CASE WHEN location_id IN (628017, 628123) THEN 1 ELSE 2 END END AS grp
         FROM raw_sales
       ), scaled AS (
         SELECT *, CASE grp WHEN 1 THEN 84000.00 WHEN 2 THEN 9116000.00 END AS target,
                CASE WHEN grp IS NULL THEN round(amount, 2)
                     ELSE round(amount * CASE grp WHEN 1 THEN 84000.00 WHEN 2 THEN 9116000.00 END
                                / sum(amount) OVER (PARTITION BY grp), 2) END AS amt,
                row_number() OVER (PARTITION BY grp ORDER BY location_id, business_date) AS rn
         FROM grouped
       ), fixed AS (
         SELECT *, CASE WHEN grp IS NOT NULL AND rn = 1 THEN amt + (target - sum(amt) OVER (PARTITION BY grp)) ELSE amt END AS final_amt
         FROM scaled
       )
       SELECT tenant_id, business_id, location_id, business_date,
              CAST(final_amt AS DECIMAL(12, 2)) AS net_sales_amount,
              CAST(greatest(1, round(final_amt / avg_check)) AS INTEGER) AS order_count,
              CAST(greatest(1, round(final_amt / avg_check * guests_per_order)) AS INTEGER) AS guest_count
       FROM fixed ${order('tenant_id, business_id, location_id, business_date')}`,
    `CREATE TEMP TABLE item_names AS SELECT * FROM (VALUES
       (1, 'Classic Burger', 'Burgers', 9.50), (2, 'Double Cheeseburger', 'Burgers', 12.00), (3, 'Veggie Burger', 'Burgers', 10.50),
       (4, 'Chicken Sandwich', 'Sandwiches', 10.00), (5, 'Fish Tacos', 'Tacos', 11.00), (6, 'House Salad', 'Salads', 8.50),
       (7, 'Fries', 'Sides', 3.50), (8, 'Onion Rings', 'Sides', 4.50), (9, 'Milkshake', 'Drinks', 5.50),
       (10, 'Fountain Soda', 'Drinks', 2.50), (11, 'Iced Coffee', 'Drinks', 3.75), (12, 'Brownie', 'Desserts', 4.00),
       (13, 'Crème Brûlée', 'Desserts', 6.50)
     ) t(n, name, category, price)`,
    `CREATE TABLE dim_menu_items AS
       SELECT b.business_id * 100 + i.n AS item_id, b.tenant_id, b.business_id, i.name, i.category,
              CAST(i.price * (0.9 + 0.2 * h(b.business_id, i.n, 6)) AS DECIMAL(8, 2)) AS price,
              CAST(i.price * (0.25 + 0.1 * h(b.business_id, i.n, 7)) AS DECIMAL(8, 2)) AS unit_cost
       FROM dim_businesses b, item_names i`,
    `CREATE TABLE fact_item_sales AS
       SELECT s.tenant_id, s.business_id, s.location_id, s.business_date, m.item_id,
              CAST(5 + floor(55 * h(s.location_id, m.item_id, CAST(s.business_date - DATE '2000-01-01' AS BIGINT))) AS INTEGER) AS quantity,
              CAST(m.price * (5 + floor(55 * h(s.location_id, m.item_id, CAST(s.business_date - DATE '2000-01-01' AS BIGINT)))) AS DECIMAL(12, 2)) AS net_amount
       FROM fact_daily_sales s JOIN dim_menu_items m USING (business_id)
       WHERE s.business_date >= DATE '${today}' - INTERVAL 120 DAY
         AND h(s.location_id, m.item_id, CAST(s.business_date - DATE '2000-01-01' AS BIGINT) + 11) < 0.42
         AND ${scale} = 1
       ${order('s.tenant_id, s.business_id, s.location_id, s.business_date, m.item_id')}`,
    `CREATE TEMP TABLE first_names AS SELECT * FROM (VALUES (0,'Ava'),(1,'Liam'),(2,'Maya'),(3,'Noah'),(4,'Zoe'),(5,'Ethan'),(6,'Iris'),(7,'Omar'),(8,'Lena'),(9,'Diego')) t(k, first_name)`,
    `CREATE TEMP TABLE last_names AS SELECT * FROM (VALUES (0,'Garcia'),(1,'Smith'),(2,'Chen'),(3,'Okafor'),(4,'Novak'),(5,'Patel'),(6,'Rossi'),(7,'Kim'),(8,'Silva'),(9,'Moreau')) t(k, last_name)`,
    // Loyalty members: personal data that no role's sandbox exposes.
    `CREATE TABLE customers AS
       SELECT b.business_id * 1000 + g.n AS customer_id, b.tenant_id, b.business_id,
              f.first_name, l.last_name,
              lower(f.first_name || '.' || l.last_name || '.' || (b.business_id * 1000 + g.n)) || '@example.com' AS email,
              CASE WHEN h(b.business_id, g.n, 8) < 0.1 THEN 'gold' WHEN h(b.business_id, g.n, 8) < 0.4 THEN 'silver' ELSE 'basic' END AS loyalty_tier,
              DATE '2020-01-01' + CAST(floor(h(b.business_id, g.n, 9) * 2000) AS INTEGER) AS joined_on
       FROM dim_businesses b, range(1, 21) g(n), first_names f, last_names l
       WHERE f.k = (b.business_id + g.n) % 10 AND l.k = (b.business_id * 3 + g.n * 7) % 10`,
  ];
}

/**
 * Start-up for the demo: when `demo.generateIfMissing` is set and the configured engine is an
 * embedded one whose file is absent, generate the demo warehouse there. The CLI calls this before
 * it starts the services; the services themselves never generate data. A line per stage goes to
 * `progress` (stderr by default): on a first start the generation takes a while.
 */
export async function ensureDemoWarehouse(
  config: Config,
  progress: (line: string) => void = stderrLine,
): Promise<void> {
  const demoFile = engine(config.warehouse.engine).demoFile?.(config.warehouse[config.warehouse.engine]);
  if (config.demo.generateIfMissing && demoFile !== undefined && !existsSync(demoFile))
    await generateDemoWarehouse({ path: demoFile, progress });
}

/** Progress of a first start on stderr (stdout carries serve's JSON log and the CLI's results). */
function stderrLine(line: string): void {
  process.stderr.write(`splitplane: ${line}\n`);
}

/**
 * The differential oracle: a second DuckDB database that physically holds only
 * one persona's authorised rows and columns, as tables named like the sandbox
 * CTEs. It is built from the raw grant table with its own SQL and its own
 * column lists, not with the sandbox builder or the policy, so it is an
 * independent statement of what the persona may see. The row filters and
 * masks of the newer roles are written here too, in this file's own SQL (a
 * regular expression for the partial e-mail, a state list for the regional
 * director, the date window from the demo's today), not taken from the
 * decision or the sandbox builder.
 *
 * On PostgreSQL the oracle is the same statement in PostgreSQL's SQL: a schema of its own holding
 * only those rows and columns, copied from the loaded warehouse and read by a role that may read
 * nothing else. (PostgreSQL and DuckDB differ on SQL the corpus uses: integer division, YEAR(), the
 * types of ROUND and AVG; so the PostgreSQL path is compared with a PostgreSQL oracle.)
 */
import { randomBytes } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { toCell } from '../../src/warehouse/cells.js';
import type { Cell } from '../../src/warehouse/connector.js';

/** A persona for the oracle. */
export interface Persona {
  readonly name: string;
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  readonly role: 'franchise_owner' | 'brand_manager' | 'regional_director' | 'operations_analyst' | 'contractor';
}

/** The demo's today (config/demo.yaml's clock): the contractor's window is the 90 days before it. */
export const ORACLE_TODAY = '2026-11-18';

export const PERSONAS: readonly Persona[] = [
  { name: 'franchise owner 7042', tenantId: '12', businessId: '628', adminId: '7042', role: 'franchise_owner' },
  { name: 'brand manager 7001', tenantId: '12', businessId: '628', adminId: '7001', role: 'brand_manager' },
  { name: 'brand manager 5401 of another tenant', tenantId: '31', businessId: '544', adminId: '5401', role: 'brand_manager' },
  { name: 'admin 7099 with zero locations', tenantId: '12', businessId: '628', adminId: '7099', role: 'franchise_owner' },
  { name: 'regional director 7101 (IL and WI stores)', tenantId: '12', businessId: '628', adminId: '7101', role: 'regional_director' },
  { name: 'operations analyst 7102 (e-mails masked)', tenantId: '12', businessId: '628', adminId: '7102', role: 'operations_analyst' },
  { name: 'contractor 7103 (last 90 days)', tenantId: '12', businessId: '628', adminId: '7103', role: 'contractor' },
];

/** A table as the oracle builds it: select items (a mask is an expression AS the column), and extra row conditions. */
type OracleTable = { raw: string; columns: string[]; perLocation: boolean; where?: string[] };

const SALES = ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'];
const ITEM_SALES = ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'];

/** The oracle's own SQL for what differs between the engines: where the raw tables are, and the filters and masks. */
interface OracleSql {
  raw(table: string): string;
  readonly last90Days: string;
  readonly partialEmail: string;
  readonly roundedCost: string;
}
const DUCKDB_SQL: OracleSql = {
  raw: (t) => `src.main.${t}`,
  last90Days: `business_date >= DATE '${ORACLE_TODAY}' - INTERVAL 90 DAY`,
  partialEmail: `regexp_replace(manager_email, '^(.)[^@]*(@.*)$', '\\1***\\2') AS manager_email`,
  roundedCost: 'round(CAST(unit_cost AS DOUBLE), 0) AS unit_cost',
};
const POSTGRES_SQL: OracleSql = {
  raw: (t) => `warehouse.${t}`,
  last90Days: `business_date >= DATE '${ORACLE_TODAY}' - 90`,
  partialEmail: `regexp_replace(manager_email, '^(.)[^@]*(@.*)$', '\\1***\\2') AS manager_email`,
  // unit_cost is NUMERIC(8,2): rounded exactly (half away from zero), then a double like the mask's.
  roundedCost: 'CAST(round(unit_cost, 0) AS double precision) AS unit_cost',
};

/** What each role may see, written out independently of policies/splitplane.rego. */
function columns(sql: OracleSql): Record<Persona['role'], Record<string, OracleTable>> {
  const IL_WI = `location_id IN (SELECT location_id FROM ${sql.raw('dim_locations')} WHERE business_id = 628 AND state IN ('IL', 'WI'))`;
  const LAST_90_DAYS = sql.last90Days;
  return {
    franchise_owner: {
      daily_sales: { raw: 'fact_daily_sales', columns: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'], perLocation: true },
      item_sales: { raw: 'fact_item_sales', columns: ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'], perLocation: true },
      locations: { raw: 'dim_locations', columns: ['location_id', 'name', 'city', 'state', 'opened_on'], perLocation: true },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price'], perLocation: false },
    },
    brand_manager: {
      daily_sales: { raw: 'fact_daily_sales', columns: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'], perLocation: true },
      item_sales: { raw: 'fact_item_sales', columns: ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'], perLocation: true },
      locations: { raw: 'dim_locations', columns: ['location_id', 'name', 'city', 'state', 'opened_on', 'manager_email'], perLocation: true },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price', 'unit_cost'], perLocation: false },
    },
    regional_director: {
      daily_sales: { raw: 'fact_daily_sales', columns: SALES, perLocation: true, where: [IL_WI] },
      item_sales: { raw: 'fact_item_sales', columns: ITEM_SALES, perLocation: true, where: [IL_WI] },
      locations: { raw: 'dim_locations', columns: ['location_id', 'name', 'city', 'state', 'opened_on', 'manager_email'], perLocation: true, where: [`state IN ('IL', 'WI')`] },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price', 'unit_cost'], perLocation: false },
    },
    operations_analyst: {
      daily_sales: { raw: 'fact_daily_sales', columns: SALES, perLocation: true },
      locations: {
        raw: 'dim_locations',
        columns: ['location_id', 'name', 'city', 'state', 'opened_on', sql.partialEmail],
        perLocation: true,
      },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price', sql.roundedCost], perLocation: false },
    },
    contractor: {
      daily_sales: { raw: 'fact_daily_sales', columns: SALES, perLocation: true, where: [LAST_90_DAYS] },
      item_sales: { raw: 'fact_item_sales', columns: ITEM_SALES, perLocation: true, where: [LAST_90_DAYS] },
      locations: { raw: 'dim_locations', columns: ['location_id', 'name', 'city', 'state'], perLocation: true },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price'], perLocation: false },
    },
  };
}

/** The outcome of running SQL: rows (sorted, normalised) or an error. */
export type Outcome = { readonly ok: true; readonly columns: readonly string[]; readonly rows: readonly string[]; readonly truncated: boolean } | { readonly ok: false; readonly error: string };

/** A persona's physical sandbox. */
export interface PhysicalSandbox {
  run(sql: string, rowCap: number): Promise<Outcome>;
  close(): void | Promise<void>;
}

/** Build the physical sandbox for a persona from the demo warehouse at `warehousePath`. */
export async function buildPhysicalSandbox(warehousePath: string, persona: Persona): Promise<PhysicalSandbox> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  await conn.run(`ATTACH '${warehousePath.replaceAll("'", "''")}' AS src (READ_ONLY)`);
  for (const statement of createTables(DUCKDB_SQL, persona, (name) => name, ' ORDER BY ALL')) await conn.run(statement);
  await conn.run('DETACH src');
  // Lock it down like the service, so hostile SQL run here reads nothing else either.
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
  return {
    run: (sql, rowCap) => runSql(conn, sql, rowCap),
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** The CREATE TABLE statements of a persona's oracle: `target` names each table where it is created. */
function createTables(sql: OracleSql, persona: Persona, target: (name: string) => string, order = ''): string[] {
  const grants = `SELECT location_id FROM ${sql.raw('admin_location_grants')} WHERE admin_id = ${Number(persona.adminId)}`;
  return Object.entries(columns(sql)[persona.role]).map(([name, t]) => {
    const where = [`tenant_id = ${Number(persona.tenantId)}`, `business_id = ${Number(persona.businessId)}`];
    if (t.perLocation) where.push(`location_id IN (${grants})`);
    where.push(...(t.where ?? []));
    return `CREATE TABLE ${target(name)} AS SELECT ${t.columns.join(', ')} FROM ${sql.raw(t.raw)} WHERE ${where.join(' AND ')}${order}`;
  });
}

/** DATE as the string PostgreSQL sent, as the connector reads it (a JS Date would shift with the time zone). */
const PG_KEEP_DATES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

/**
 * A persona's physical sandbox on PostgreSQL: a schema of its own (a fresh name each time, dropped
 * on close) holding only the persona's rows and columns, copied from the `warehouse` schema that
 * loadPostgres filled, as the superuser at `adminUrl`. Queries run in a read-only transaction as
 * splitplane_oracle, a role that may read this schema and nothing else, one statement at a time.
 */
export async function buildPostgresPhysicalSandbox(adminUrl: string, persona: Persona): Promise<PhysicalSandbox> {
  const schema = `splitplane_oracle_${persona.adminId}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl, types: PG_KEEP_DATES });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_oracle') THEN CREATE ROLE splitplane_oracle NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$`);
    await client.query(`CREATE SCHEMA ${schema}`);
    for (const statement of createTables(POSTGRES_SQL, persona, (name) => `${schema}.${name}`)) await client.query(statement);
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO splitplane_oracle`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO splitplane_oracle`);
  } catch (e) {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
    throw e;
  }
  let tail = Promise.resolve();
  const run = async (sql: string, rowCap: number): Promise<Outcome> => {
    try {
      await client.query('BEGIN READ ONLY');
      await client.query('SET LOCAL ROLE splitplane_oracle');
      await client.query(`SET LOCAL search_path = pg_catalog, ${schema}`);
      await client.query('SET LOCAL statement_timeout = 60000');
      // The extended protocol takes one statement only: nothing after the query can run.
      // (pg has queryMode; its type definitions do not yet.)
      await client.query({ text: `DECLARE oracle_rows NO SCROLL CURSOR FOR ${sql}`, queryMode: 'extended' } as pg.QueryConfig);
      const res = await client.query({ text: `FETCH ${rowCap + 1} FROM oracle_rows`, rowMode: 'array' });
      return normalise(res.fields.map((f) => f.name), (res.rows as unknown[][]).map((r) => r.map(toCell)), rowCap);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    } finally {
      await client.query('ROLLBACK');
    }
  };
  return {
    // One client: queries take turns.
    run: (sql, rowCap) => {
      const next = tail.then(() => run(sql, rowCap));
      tail = next.then(() => undefined);
      return next;
    },
    close: async () => {
      await tail;
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

async function runSql(conn: DuckDBConnection, sql: string, rowCap: number): Promise<Outcome> {
  try {
    const reader = await conn.streamAndReadUntil(sql, rowCap + 1);
    const rows = reader.getRowsJson() as Cell[][];
    return normalise(reader.columnNames(), rows, rowCap);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Rows as sorted JSON strings (a multiset), doubles rounded so summation order cannot matter. */
export function normalise(columns: readonly string[], rows: readonly (readonly Cell[])[], rowCap: number): Outcome {
  const norm = rows.slice(0, rowCap).map((r) => JSON.stringify(r.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v))));
  return { ok: true, columns: [...columns], rows: norm.sort(), truncated: rows.length > rowCap };
}

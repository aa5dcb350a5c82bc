/**
 * The differential oracle: a second DuckDB database that physically holds only
 * one persona's authorised rows and columns, as tables named like the sandbox
 * CTEs. It is built from the raw grant table with the domain's independent
 * access statement (test/support/domains.ts: its own SQL, its own column lists,
 * row filters, unit filters and masks, written by reading each domain's policy),
 * not with the sandbox builder, the registry's scope columns or the policy, so it
 * is an independent statement of what the persona may see. Any domain: the
 * restaurant demo by default, the Tracklane example (examples/projects/) too.
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
import { rawIn, RESTAURANT, type Domain, type OracleEngine, type Persona } from '../support/domains.js';

export type { Persona } from '../support/domains.js';

/** The restaurant's today and personas (test/support/domains.ts), under the names other tests import. */
export const ORACLE_TODAY = RESTAURANT.today;
export const PERSONAS: readonly Persona[] = RESTAURANT.personas;

/** The outcome of running SQL: rows (sorted, normalised) or an error. */
export type Outcome =
  | {
      readonly ok: true;
      readonly columns: readonly string[];
      readonly rows: readonly string[];
      readonly truncated: boolean;
    }
  | { readonly ok: false; readonly error: string };

/** A persona's physical sandbox. */
export interface PhysicalSandbox {
  run(sql: string, rowCap: number): Promise<Outcome>;
  close(): void | Promise<void>;
}

/** Build the physical sandbox for a persona of `domain` (default: the restaurant) from its warehouse at `warehousePath`. */
export async function buildPhysicalSandbox(
  warehousePath: string,
  persona: Persona,
  domain: Domain = RESTAURANT,
): Promise<PhysicalSandbox> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  await conn.run(`ATTACH '${warehousePath.replaceAll("'", "''")}' AS src (READ_ONLY)`);
  for (const statement of createTables(domain, 'duckdb', persona, (name) => name, ' ORDER BY ALL'))
    await conn.run(statement);
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

/**
 * The CREATE TABLE statements of a persona's oracle, from the domain's independent access statement:
 * the persona's tenant and business, its granted units where a table is per unit, and the
 * statement's own row and unit filters. `target` names each table where it is created.
 */
function createTables(
  domain: Domain,
  engine: OracleEngine,
  persona: Persona,
  target: (name: string) => string,
  order = '',
): string[] {
  const access = domain.access;
  const { scope } = access;
  const granted = access.grants(engine, persona);
  return Object.entries(access.tables(engine, persona)).map(([name, t]) => {
    const where = [
      `${scope.tenant} = ${Number(persona.tenantId)}`,
      `${scope.business} = ${Number(persona.businessId)}`,
    ];
    if (t.perUnit) where.push(`${scope.unit} IN (${granted})`);
    where.push(...(t.where ?? []));
    return `CREATE TABLE ${target(name)} AS SELECT ${t.columns.join(', ')} FROM ${rawIn(engine, t.raw)} WHERE ${where.join(' AND ')}${order}`;
  });
}

/** DATE as the string PostgreSQL sent, as the connector reads it (a JS Date would shift with the time zone). */
const PG_KEEP_DATES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- pg's overloads type a parser as any; handed back to pg as it came
    oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A persona's physical sandbox on PostgreSQL: a schema of its own (a fresh name each time, dropped
 * on close) holding only the persona's rows and columns, copied from the `warehouse` schema that
 * loadPostgres filled, as the superuser at `adminUrl`. Queries run in a read-only transaction as
 * splitplane_oracle, a role that may read this schema and nothing else, one statement at a time.
 */
export async function buildPostgresPhysicalSandbox(
  adminUrl: string,
  persona: Persona,
  domain: Domain = RESTAURANT,
): Promise<PhysicalSandbox> {
  const schema = `splitplane_oracle_${persona.adminId}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl, types: PG_KEEP_DATES });
  await client.connect();
  try {
    await client.query(
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_oracle') THEN CREATE ROLE splitplane_oracle NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$`,
    );
    await client.query(`CREATE SCHEMA ${schema}`);
    for (const statement of createTables(domain, 'postgres', persona, (name) => `${schema}.${name}`))
      await client.query(statement);
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
      await client.query({
        text: `DECLARE oracle_rows NO SCROLL CURSOR FOR ${sql}`,
        queryMode: 'extended',
      } as pg.QueryConfig);
      const res = await client.query({ text: `FETCH ${rowCap + 1} FROM oracle_rows`, rowMode: 'array' });
      return normalise(
        res.fields.map((f) => f.name),
        (res.rows as unknown[][]).map((r) => r.map(toCell)),
        rowCap,
      );
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
  const norm = rows
    .slice(0, rowCap)
    .map((r) =>
      JSON.stringify(r.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v))),
    );
  return { ok: true, columns: [...columns], rows: norm.sort(), truncated: rows.length > rowCap };
}

/**
 * PostgreSQL, with row-level security as a second wall. Queries run as a role
 * with SELECT on the exposed raw tables only, inside a READ ONLY transaction
 * with statement_timeout, after the verified scope is set transaction-locally
 * (SET LOCAL). The raw tables carry FORCE'd RLS policies that
 * read those settings: with no setting, a policy matches no row (never all
 * rows). Every connection is rolled back and RESET ALL before it goes back
 * to the pool, so nothing one request did can reach the next. The guard's
 * engine check uses PostgreSQL's own parser (libpg-query).
 */
import { parse as pgParse } from 'libpg-query';
import pg from 'pg';
import { SplitplaneError } from '../../errors.js';
import { bindScope, scopeIdsWellFormed } from '../../warehouse/bindings.js';
import { toCell } from '../../warehouse/cells.js';
import type { ExecuteOptions, QueryResult } from '../../warehouse/connector.js';
import type { EngineConnector } from '../engine.js';
import { postgresDialect } from './dialect.js';
import { postgresEngineCheck } from './engine-check.js';

/** Options for {@link openPostgres}. */
export interface PostgresOptions {
  /** The query role (SELECT on exposed raw tables only; RLS applies). */
  readonly url: string;
  /** The directory role (reads admins and grants at start-up and on reload). */
  readonly directoryUrl: string;
  readonly poolSize: number;
}

import { SCOPE_SETTINGS } from './settings.js';

export { SCOPE_SETTINGS };

export async function openPostgres(opts: PostgresOptions): Promise<EngineConnector> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize, types: KEEP_DATES });
  pool.on('error', () => {
    // An idle client died; the pool replaces it. Queries report their own errors.
  });
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end();
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'cannot connect to PostgreSQL', cause });
  }
  return new PostgresConnector(pool, opts.directoryUrl);
}

class PostgresConnector implements EngineConnector {
  readonly dialect = postgresDialect;
  readonly check = postgresEngineCheck(this);

  constructor(
    private readonly pool: pg.Pool,
    private readonly directoryUrl: string,
  ) {}

  async execute(sql: string, opts: ExecuteOptions): Promise<QueryResult> {
    if (opts.signal?.aborted) throw new SplitplaneError('SP_ERR_EXECUTION_TIMEOUT', { detail: 'aborted before start' });
    // $1, $2... in placeholder order, every value from the verified scope (the location list as bigint[]).
    const values = bindScope(opts.bindings, opts.scope).map((b) =>
      Array.isArray(b.value) ? [...(b.value as readonly (string | number)[])] : b.value,
    );
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(opts.timeoutMs))}`);
      // Functions, operators and types resolve in pg_catalog only: a schema on the role's search_path
      // (public, "$user") could hold a better-matching overload of an allowed name (upper(varchar)).
      await client.query('SET LOCAL search_path = pg_catalog, pg_temp');
      if (opts.scope) {
        // SET LOCAL, not set_config(): EXECUTE on set_config is revoked from the query role, so SQL that
        // slipped past the guard cannot widen its own scope; a cursor (below) cannot run SET.
        if (!scopeIdsWellFormed(opts.scope))
          throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope IDs' });
        await client.query(`SET LOCAL ${SCOPE_SETTINGS.tenant} = '${opts.scope.tenantId}'`);
        await client.query(`SET LOCAL ${SCOPE_SETTINGS.business} = '${opts.scope.businessId}'`);
        await client.query(`SET LOCAL ${SCOPE_SETTINGS.units} = '${opts.scope.units.join(',')}'`);
      }
      // A cursor reads at most cap + 1 rows, whatever the SQL would return.
      await client.query(`DECLARE splitplane_rows NO SCROLL CURSOR FOR ${sql}`, values);
      const res = await client.query({ text: `FETCH ${opts.rowCap + 1} FROM splitplane_rows`, rowMode: 'array' });
      const rows = (res.rows as unknown[][]).map((r) => r.map(toCell));
      return {
        columns: res.fields.map((f) => ({ name: f.name, type: pgTypeName(f.dataTypeID) })),
        rows: rows.slice(0, opts.rowCap),
        truncated: rows.length > opts.rowCap,
      };
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      // Engine text can quote row values: it goes to `cause` (logs), never to the client.
      throw new SplitplaneError(code === '57014' ? 'SP_ERR_EXECUTION_TIMEOUT' : 'SP_ERR_EXECUTION_FAILED', { cause });
    } finally {
      try {
        await client.query('ROLLBACK');
        await client.query('RESET ALL');
      } catch {
        broken = true;
      }
      client.release(broken);
    }
  }

  async engineParse(sql: string): Promise<unknown> {
    return pgParse(sql);
  }

  /** As the directory role, on a connection of its own (the query role cannot read the grant tables). */
  async readDirectory(sql: string): Promise<readonly Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: this.directoryUrl });
    try {
      await client.connect();
      return (await client.query<Record<string, unknown>>(sql)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** DATE stays the string PostgreSQL sent (a JS Date would shift with the process time zone). */
const KEEP_DATES = {
  // pg's own overloads type their parsers as any; each is handed back to pg as it came.
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-enum-assignment -- pg's overloads type a parser as any; handed back to pg as it came
    oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const PG_TYPES: Readonly<Record<number, string>> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  25: 'TEXT',
  700: 'REAL',
  701: 'DOUBLE',
  1043: 'VARCHAR',
  1082: 'DATE',
  1700: 'NUMERIC',
};

function pgTypeName(oid: number): string {
  return PG_TYPES[oid] ?? `OID ${oid}`;
}

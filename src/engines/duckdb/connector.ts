/**
 * DuckDB, embedded. The database file is opened read-only with external
 * access, extension loading and community extensions off, and then the
 * configuration is locked, before any candidate SQL can run.
 *
 * Queries run in supervised worker processes (pool.ts), each with the
 * same lockdown, a row cap (streamed, so the engine stops reading) and a
 * deadline that holds even while the engine plans: a worker that does not
 * stop is killed. This process keeps its own instance only for the guard's
 * engine parse (json_serialize_sql), the directory and readiness, so those
 * never wait behind a user's query.
 *
 * The connector is latched to the file it opened. Its identity (device,
 * inode, size, modification time: fileIdentity) is recorded once, at open;
 * every engine worker must find that same file or refuse to start (worker.ts),
 * and every execution and directory read checks the file at the path before
 * and after it runs. Once the file there was deleted, or another renamed or
 * copied over it, each fails SP_ERR_WAREHOUSE_UNAVAILABLE (503), and so does
 * readiness. There is no hot reload, on purpose: the directory (admins and
 * grants) was read from the opened file, so serving rows from a new one would
 * answer under a scope read from another file. The remedy is a restart, which
 * opens the new file and reads its directory together.
 */
import { DuckDBConnection, DuckDBInstance, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { SplitplaneError } from '../../errors.js';
import { ALLOWED_FUNCTIONS, SQL_VALUE_FUNCTIONS } from '../../guard/allow-list.js';
import { bindScope } from '../../warehouse/bindings.js';
import type { ExecuteOptions, QueryResult } from '../../warehouse/connector.js';
import type { EngineConnector } from '../engine.js';
import { duckdbDialect } from './dialect.js';
import { duckdbEngineCheck } from './engine-check.js';
import { DUCKDB_OPERATOR_FUNCTIONS } from './functions.js';
import { duckdbPlanPolicy } from './plan-check.js';
import type { TableRegistry } from '../../schema/tables.js';
import { EnginePool, fileIdentity } from './pool.js';

/** Options for {@link openDuckDb}. */
export interface DuckDbOptions {
  readonly path: string;
  /** DuckDB threads of each engine worker. */
  readonly threads: number;
  /** Memory limit of each engine worker. */
  readonly memoryLimit: string;
  /** Most engine worker processes at once (default 4). */
  readonly workers?: number;
  /** Most engine workers one tenant may hold at once (default half of `workers`, rounded up). */
  readonly workersPerTenant?: number | undefined;
  /** Engine workers started at open and kept running (default 1; the rest start on demand). */
  readonly workersWarm?: number;
  /**
   * The catalog's tables: which raw tables each sandbox CTE may scan (the bound-plan check). Without
   * it no sandbox CTE may scan anything: a query over the sandbox is refused, never let through.
   */
  readonly registry?: TableRegistry;
}

/** The settings that lock the engine down, applied in this order, then locked. */
export const DUCKDB_LOCKDOWN: Readonly<Record<string, string>> = Object.freeze({
  access_mode: 'READ_ONLY',
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
  // The engine's own bound on expression depth (default 1000), second to the guard's (src/guard/limits.ts):
  // planning cost grows steeply with depth, and the guard already refuses more than 48.
  max_expression_depth: '200',
});

/** Open the warehouse file locked down. Fails at start-up (not at the first request) when it cannot. */
export async function openDuckDb(opts: DuckDbOptions): Promise<EngineConnector> {
  // The file this service serves, for its whole life (see the top of this file).
  const identity = fileIdentity(opts.path);
  if (identity === undefined) {
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: `no DuckDB file at ${opts.path}` });
  }
  let instance: DuckDBInstance;
  let shadowing: string[];
  try {
    instance = await DuckDBInstance.create(opts.path, {
      ...DUCKDB_LOCKDOWN,
      threads: String(opts.threads),
      memory_limit: opts.memoryLimit,
    });
    const setup = await instance.connect();
    try {
      // lock_configuration last: after it, no statement can change a setting.
      await setup.run('SET lock_configuration = true');
      shadowing = await shadowingFunctions(setup);
    } finally {
      setup.closeSync();
    }
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: `cannot open ${opts.path}`, cause });
  }
  if (fileIdentity(opts.path) !== identity) {
    instance.closeSync();
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', {
      detail: `${opts.path} was replaced or deleted while the service opened it`,
    });
  }
  if (shadowing.length) {
    instance.closeSync();
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${opts.path} defines ${shadowing.join(', ')}, named like functions the guard allows; DuckDB would run them instead of the built-ins. Drop or rename them, or serve a copy without them.`,
    });
  }
  const parsers: Parser[] = [];
  for (let i = 0; i < Math.max(1, opts.threads); i++) {
    const conn = await instance.connect();
    parsers.push({ conn, stmt: await conn.prepare('SELECT json_serialize_sql($1::VARCHAR)'), tail: Promise.resolve() });
  }
  const workers = opts.workers ?? 4;
  const pool = new EnginePool({
    path: opts.path,
    identity,
    settings: workerSettings(opts),
    size: workers,
    perTenant: Math.min(workers, opts.workersPerTenant ?? Math.ceil(workers / 2)),
    warm: Math.min(workers, opts.workersWarm ?? 1),
    graceMs: KILL_GRACE_MS,
    planPolicy: duckdbPlanPolicy(opts.registry),
  });
  try {
    await pool.start();
  } catch (err) {
    await pool.close();
    for (const p of parsers) {
      p.stmt.destroySync();
      p.conn.closeSync();
    }
    instance.closeSync();
    throw err;
  }
  return new DuckDbConnector(instance, parsers, pool, opts.path, identity);
}

/** The settings each engine worker opens the file with: the lockdown, then its share of threads and memory. */
export function workerSettings(opts: Pick<DuckDbOptions, 'threads' | 'memoryLimit'>): Record<string, string> {
  return { ...DUCKDB_LOCKDOWN, threads: String(opts.threads), memory_limit: opts.memoryLimit };
}

/** How long an engine worker may take to stop after an interrupt before it is killed and replaced. */
export const KILL_GRACE_MS = 250;

/**
 * Functions and macros the warehouse file defines (not built-in) whose names the guard allows:
 * DuckDB looks a function up in the database's own schema before the built-ins, so a macro
 * `lower` in the file would run where the guard approved the built-in `lower`.
 */
async function shadowingFunctions(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    'SELECT DISTINCT database_name, schema_name, function_name FROM duckdb_functions() WHERE NOT internal ORDER BY ALL',
  );
  const allowed = (name: string): boolean => {
    const n = name.toLowerCase();
    return ALLOWED_FUNCTIONS.has(n) || DUCKDB_OPERATOR_FUNCTIONS.has(n) || SQL_VALUE_FUNCTIONS.has(n);
  };
  return reader
    .getRows()
    .filter((r) => allowed(String(r[2])))
    .map((r) => `${String(r[0])}.${String(r[1])}.${String(r[2])}`);
}

/** A connection kept for json_serialize_sql with its prepared statement; calls on it are serialised. */
interface Parser {
  readonly conn: DuckDBConnection;
  readonly stmt: DuckDBPreparedStatement;
  tail: Promise<unknown>;
}

class DuckDbConnector implements EngineConnector {
  readonly dialect = duckdbDialect;
  readonly check = duckdbEngineCheck(this);
  readonly #instance: DuckDBInstance;
  readonly #parsers: readonly Parser[];
  /** Where user queries run (this process never runs them). */
  readonly pool: EnginePool;
  #next = 0;
  #closed = false;

  readonly #path: string;
  /** The fileIdentity of the file opened: the only file this connector ever answers from. */
  readonly #identity: string;

  constructor(instance: DuckDBInstance, parsers: readonly Parser[], pool: EnginePool, path: string, identity: string) {
    this.#instance = instance;
    this.#parsers = parsers;
    this.pool = pool;
    this.#path = path;
    this.#identity = identity;
  }

  async execute(sql: string, opts: ExecuteOptions): Promise<QueryResult> {
    this.#sameFile();
    // A closed connector has closed its pool, which refuses the run.
    const result = await this.pool
      .run({
        sql,
        rowCap: opts.rowCap,
        timeoutMs: opts.timeoutMs,
        tenant: opts.scope?.tenantId ?? '',
        bindings: bindScope(opts.bindings, opts.scope),
        ...(opts.signal ? { signal: opts.signal } : {}),
      })
      .catch((err: unknown) => {
        this.#sameFile(err); // a failure because the file changed under the run is that, not an engine error
        throw err;
      });
    // Copied over while it ran, a worker's open file may have changed under the query: no such rows.
    this.#sameFile();
    return result;
  }

  /** The identity of the file served; a replaced file throws here too, so a cached answer is never read from it. */
  dataVersion(): Promise<string> {
    return Promise.resolve().then(() => {
      this.#sameFile();
      return this.#identity;
    });
  }

  async engineParse(sql: string): Promise<unknown> {
    if (this.#closed) throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'connector closed' });
    // json_serialize_sql only parses; a prepared statement on a kept connection saves a round trip.
    const parser = this.#parsers[this.#next++ % this.#parsers.length]!;
    const run = parser.tail.then(async () => {
      parser.stmt.bindVarchar(1, sql);
      const reader = await parser.stmt.runAndReadAll();
      const text = reader.getRows()[0]?.[0];
      if (typeof text !== 'string') throw new Error('json_serialize_sql returned no text');
      return JSON.parse(text) as unknown;
    });
    parser.tail = run.catch(() => undefined);
    return run;
  }

  async readDirectory(sql: string): Promise<readonly Record<string, unknown>[]> {
    // A reload (SIGHUP) must not read admins and grants from a file other than the one served.
    this.#sameFile();
    const conn = await this.#connect();
    try {
      const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson();
      this.#sameFile();
      return rows;
    } finally {
      conn.closeSync();
    }
  }

  /**
   * The file at the configured path is still the one opened (not deleted or replaced: the service
   * would go on answering from the old one), it answers, and an engine worker is ready (one is
   * started if none is).
   */
  async ping(): Promise<void> {
    this.#sameFile();
    const conn = await this.#connect();
    try {
      await conn.run('SELECT 1');
    } finally {
      conn.closeSync();
    }
    await this.pool.ping();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.close();
    await Promise.all(this.#parsers.map((p) => p.tail));
    for (const p of this.#parsers) {
      p.stmt.destroySync();
      p.conn.closeSync();
    }
    this.#instance.closeSync();
  }

  /** Throws SP_ERR_WAREHOUSE_UNAVAILABLE unless the file at the path is still the one opened. */
  #sameFile(cause?: unknown): void {
    if (fileIdentity(this.#path) === this.#identity) return;
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', {
      detail: `${this.#path} was deleted or replaced since the service opened it; restart the service to serve the new file`,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  async #connect(): Promise<DuckDBConnection> {
    if (this.#closed) throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'connector closed' });
    return this.#instance.connect();
  }
}

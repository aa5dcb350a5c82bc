/**
 * A Databricks SQL warehouse through the @databricks/sql client: one session
 * reused across requests (reopened if it fails), a query timeout, cancellation
 * on abort, a row cap, telemetry off, and the sandbox's IDs bound as named
 * parameters. The token comes from the environment or a file, never from a
 * request. The second wall on Databricks is the service principal's grants
 * (SELECT on the exposed tables only) and Unity Catalog row filters.
 */
import { DBSQLClient, DBSQLLogger, LogLevel } from '@databricks/sql';
import { SplitplaneError } from '../../errors.js';
import { bindScope, type Binding } from '../../warehouse/bindings.js';
import { toCell } from '../../warehouse/cells.js';
import type { ExecuteOptions, QueryResult } from '../../warehouse/connector.js';
import type { EngineConnector } from '../engine.js';
import { databricksDialect } from './dialect.js';
import { databricksEngineCheck, type DatabricksText } from './engine-check.js';
import { databricksFailure, describeDatabricksFailure, type DatabricksEndpoint } from './failure.js';

/** Options for {@link openDatabricks}. */
export interface DatabricksOptions {
  readonly host: string;
  readonly port?: number;
  /** e.g. /sql/1.0/warehouses/abc123 */
  readonly path: string;
  readonly token: string;
  readonly catalog: string;
  readonly schema: string;
  /** Extra CA certificate (PEM), for a private or test endpoint. */
  readonly customCaCert?: Buffer;
  /** Where the token came from, named in errors (e.g. "DATABRICKS_TOKEN"); never the token itself. */
  readonly tokenSource?: string;
}

type Session = Awaited<ReturnType<DBSQLClient['openSession']>>;

export async function openDatabricks(opts: DatabricksOptions): Promise<EngineConnector> {
  // The driver's own logger prints informational lines to stdout; keep only its errors.
  const client = new DBSQLClient({ logger: new DBSQLLogger({ level: LogLevel.error }) });
  try {
    await client.connect({
      host: opts.host,
      path: opts.path,
      token: opts.token,
      ...(opts.port ? { port: opts.port } : {}),
      ...(opts.customCaCert ? { customCaCert: opts.customCaCert } : {}),
      telemetryEnabled: false,
    });
  } catch (cause) {
    throw unavailable('cannot connect to Databricks', cause, endpoint(opts), opts.token);
  }
  return new DatabricksConnector(client, opts);
}

/**
 * SP_ERR_WAREHOUSE_UNAVAILABLE whose detail says why (host unreachable, token refused, warehouse not
 * running: src/engines/databricks/failure.ts), never with the token or the engine's own text.
 */
function unavailable(what: string, cause: unknown, at: DatabricksEndpoint, token: string): SplitplaneError {
  return new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', {
    detail: `${what}: ${describeDatabricksFailure(cause, at, token)}`,
    cause,
  });
}

function endpoint(opts: DatabricksOptions): DatabricksEndpoint {
  return {
    host: opts.host,
    path: opts.path,
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.tokenSource ? { tokenSource: opts.tokenSource } : {}),
  };
}

class DatabricksConnector implements EngineConnector {
  readonly dialect;
  readonly check = databricksEngineCheck;
  #session: Promise<Session> | undefined;
  /** Where it points and the token, only to name a failure (and keep the token out of its text); private, never logged. */
  readonly #at: DatabricksEndpoint;
  readonly #token: string;

  constructor(
    private readonly client: DBSQLClient,
    opts: DatabricksOptions,
  ) {
    this.dialect = databricksDialect(opts.catalog, opts.schema);
    this.#at = endpoint(opts);
    this.#token = opts.token;
  }

  #openSession(): Promise<Session> {
    this.#session ??= this.client.openSession().catch((cause: unknown) => {
      this.#session = undefined;
      throw unavailable('cannot open a Databricks session', cause, this.#at, this.#token);
    });
    return this.#session;
  }

  async #run(sql: string, bindings: readonly Binding[], timeoutMs: number, rowCap: number, signal?: AbortSignal) {
    const session = await this.#openSession();
    let op: Awaited<ReturnType<Session['executeStatement']>>;
    try {
      op = await session.executeStatement(sql, {
        queryTimeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
        maxRows: rowCap + 1,
        // Every scope value is bound, none spliced into the text: IDs as BIGINT, the location list
        // (the client binds no arrays) as a JSON array in a STRING, read back by from_json in the text;
        // the IDs are decimal strings (bindScope checks), written as JSON numbers without a float in between.
        namedParameters: Object.fromEntries(
          bindings.map((b) => [
            b.name,
            b.type === 'bigint' ? BigInt(b.value as string) : `[${(b.value as readonly string[]).join(',')}]`,
          ]),
        ),
      });
    } catch (cause) {
      this.#session = undefined;
      // The warehouse itself gone (unreachable, token revoked, stopped) is not a failed query.
      if (databricksFailure(cause, this.#at))
        throw unavailable('cannot run a statement on Databricks', cause, this.#at, this.#token);
      throw cause;
    }
    const cancel = (): void => void op.cancel();
    const timer = setTimeout(cancel, timeoutMs);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const rows = (await op.fetchChunk({ maxRows: rowCap + 1 })) as Record<string, unknown>[];
      const schema = await op.getSchema();
      return { rows, columns: (schema?.columns ?? []).map((c) => c.columnName) };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      await op.close().catch(() => undefined);
    }
  }

  async execute(sql: string, opts: ExecuteOptions): Promise<QueryResult> {
    if (opts.signal?.aborted) throw new SplitplaneError('SP_ERR_EXECUTION_TIMEOUT', { detail: 'aborted before start' });
    try {
      const { rows, columns } = await this.#run(
        sql,
        bindScope(opts.bindings, opts.scope),
        opts.timeoutMs,
        opts.rowCap,
        opts.signal,
      );
      const cells = rows.map((r) => columns.map((c) => toCell(r[c])));
      return {
        columns: columns.map((name) => ({ name, type: 'UNKNOWN' })),
        rows: cells.slice(0, opts.rowCap),
        truncated: cells.length > opts.rowCap,
      };
    } catch (cause) {
      if (cause instanceof SplitplaneError) throw cause;
      // Engine text can quote row values: it goes to `cause` (logs), never to the client.
      throw new SplitplaneError(opts.signal?.aborted ? 'SP_ERR_EXECUTION_TIMEOUT' : 'SP_ERR_EXECUTION_FAILED', {
        cause,
      });
    }
  }

  async engineParse(sql: string): Promise<DatabricksText> {
    return { text: sql };
  }

  async readDirectory(sql: string): Promise<readonly Record<string, unknown>[]> {
    return (await this.#run(sql, [], 60_000, 10_000_000)).rows;
  }

  async ping(): Promise<void> {
    await this.#run('SELECT 1 AS ok', [], 10_000, 1);
  }

  async close(): Promise<void> {
    const s = await this.#session?.catch(() => undefined);
    await s?.close().catch(() => undefined);
    await this.client.close();
  }
}

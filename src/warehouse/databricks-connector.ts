/**
 * A Databricks SQL warehouse through the @databricks/sql client: one session
 * reused across requests (reopened if it fails), a query timeout, cancellation
 * on abort, a row cap, telemetry off, and the sandbox's IDs bound as named
 * parameters. The token comes from the environment or a file, never from a
 * request. The second wall on Databricks is the service principal's grants
 * (SELECT on the exposed tables only) and Unity Catalog row filters.
 */
import { DBSQLClient, DBSQLLogger, LogLevel } from '@databricks/sql';
import { SplitplaneError } from '../errors.js';
import type { DatabricksText } from '../guard/engine-check-databricks.js';
import { databricksEngineChecker } from '../guard/engine-check-databricks.js';
import type { Directory, DirectoryAdmin } from '../identity/directory.js';
import type { Cell, ExecuteOptions, QueryResult, WarehouseConnector } from './connector.js';
import { bindScope, type Binding } from './bindings.js';
import { databricksDialect } from './databricks-dialect.js';

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
}

type Session = Awaited<ReturnType<DBSQLClient['openSession']>>;

export async function openDatabricks(opts: DatabricksOptions): Promise<WarehouseConnector> {
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
    } as Parameters<DBSQLClient['connect']>[0]);
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'cannot connect to Databricks', cause });
  }
  return new DatabricksConnector(client, opts);
}

class DatabricksConnector implements WarehouseConnector {
  readonly dialect;
  readonly engineChecker = databricksEngineChecker;
  #session: Promise<Session> | undefined;

  constructor(private readonly client: DBSQLClient, private readonly opts: DatabricksOptions) {
    this.dialect = databricksDialect(opts.catalog, opts.schema);
  }

  #openSession(): Promise<Session> {
    this.#session ??= this.client.openSession().catch((cause: unknown) => {
      this.#session = undefined;
      throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'cannot open a Databricks session', cause });
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
        namedParameters: Object.fromEntries(bindings.map((b) => [b.name, typeof b.value === 'string' ? BigInt(b.value) : `[${b.value.join(',')}]`])),
      } as Parameters<Session['executeStatement']>[1]);
    } catch (cause) {
      this.#session = undefined;
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
      const { rows, columns } = await this.#run(sql, bindScope(opts.bindings, opts.scope), opts.timeoutMs, opts.rowCap, opts.signal);
      const cells = rows.map((r) => columns.map((c) => cell(r[c])));
      return { columns: columns.map((name) => ({ name, type: 'UNKNOWN' })), rows: cells.slice(0, opts.rowCap), truncated: cells.length > opts.rowCap };
    } catch (cause) {
      if (cause instanceof SplitplaneError) throw cause;
      // Engine text can quote row values: it goes to `cause` (logs), never to the client.
      throw new SplitplaneError(opts.signal?.aborted ? 'SP_ERR_EXECUTION_TIMEOUT' : 'SP_ERR_EXECUTION_FAILED', { cause });
    }
  }

  async engineParse(sql: string): Promise<DatabricksText> {
    return { text: sql };
  }

  async loadDirectory(): Promise<Directory> {
    const t = (n: string): string => this.dialect.rawTable(n);
    try {
      const { rows } = await this.#run(
        `SELECT CAST(a.admin_id AS STRING) AS admin_id, CAST(b.tenant_id AS STRING) AS tenant_id, CAST(a.business_id AS STRING) AS business_id,
                a.role, a.active, CAST(g.location_id AS STRING) AS location_id
         FROM ${t('dim_admins')} a
         JOIN ${t('dim_businesses')} b ON b.business_id = a.business_id AND b.tenant_id = a.tenant_id
         LEFT JOIN ${t('admin_location_grants')} g ON g.admin_id = a.admin_id
         LEFT JOIN ${t('dim_locations')} l ON l.location_id = g.location_id AND l.business_id = a.business_id
         WHERE g.location_id IS NULL OR l.location_id IS NOT NULL`,
        [],
        60_000,
        10_000_000,
      );
      const byAdmin = new Map<string, { a: Record<string, unknown>; locations: string[] }>();
      for (const r of rows) {
        const id = String(r['admin_id']);
        const entry = byAdmin.get(id) ?? { a: r, locations: [] };
        if (r['location_id'] !== null && r['location_id'] !== undefined) entry.locations.push(String(r['location_id']));
        byAdmin.set(id, entry);
      }
      const admins = new Map<string, DirectoryAdmin>();
      for (const [id, { a, locations }] of byAdmin) {
        admins.set(id, Object.freeze({
          adminId: id, tenantId: String(a['tenant_id']), businessId: String(a['business_id']), role: String(a['role']),
          active: a['active'] === true || a['active'] === 'true', locations: Object.freeze([...new Set(locations)].sort()),
        }));
      }
      return Object.freeze({ admins, loadedAt: new Date() });
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'cannot load the directory', cause });
    }
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

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

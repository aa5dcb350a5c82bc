/**
 * A Databricks SQL warehouse's information schema, through the @databricks/sql client: the
 * session opens in the configured catalog, whose `information_schema` lists its tables and
 * columns (Unity Catalog). The token comes from the configuration's tokenEnv or tokenFile, and is
 * never part of a message.
 *
 * Tested only against the fake of test/support/fake-databricks.ts, which answers every statement
 * from DuckDB: the statements' shape and the client's plumbing are exercised there, Databricks'
 * own information_schema (its type names: STRING, INT, DECIMAL with numeric_precision and
 * numeric_scale) is not. The type mapping (src/init/types.ts) reads both vocabularies.
 */
import { DBSQLClient, DBSQLLogger, LogLevel } from '@databricks/sql';
import { describeCause, WarehouseUnreachable } from './errors.js';
import { groupColumns, tableList, type Introspector, type WarehouseTarget } from './introspect.js';
import type { RawTable } from './types.js';

type Target = Extract<WarehouseTarget, { engine: 'databricks' }>;
type Session = Awaited<ReturnType<DBSQLClient['openSession']>>;

export async function openDatabricksIntrospector(t: Target): Promise<Introspector> {
  const where = `Databricks ${t.host}${t.port ? `:${t.port}` : ''}${t.path} (catalog ${t.catalog})`;
  const unreachable = (what: string, cause: unknown): WarehouseUnreachable =>
    new WarehouseUnreachable(`${what} ${where}: ${describeCause(cause).replaceAll(t.token, '***')}`, { cause });
  const client = new DBSQLClient({ logger: new DBSQLLogger({ level: LogLevel.error }) });
  let session: Session;
  try {
    await client.connect({
      host: t.host,
      path: t.path,
      token: t.token,
      ...(t.port ? { port: t.port } : {}),
      ...(t.customCaCert ? { customCaCert: t.customCaCert } : {}),
      telemetryEnabled: false,
    });
    session = await client.openSession({ initialCatalog: t.catalog, initialSchema: t.schema });
  } catch (cause) {
    await client.close().catch(() => undefined);
    throw unreachable('cannot reach', cause);
  }
  const rows = async (sql: string, params: Record<string, string>): Promise<Record<string, unknown>[]> => {
    let op: Awaited<ReturnType<Session['executeStatement']>>;
    try {
      op = await session.executeStatement(sql, { namedParameters: params });
    } catch (cause) {
      throw unreachable('cannot read the information schema of', cause);
    }
    try {
      return (await op.fetchAll()) as Record<string, unknown>[];
    } finally {
      await op.close().catch(() => undefined);
    }
  };
  return {
    engine: 'databricks',
    where,
    defaultSchema: t.schema,
    async tableNames(schema: string): Promise<string[]> {
      const r = await rows(
        'SELECT table_name FROM information_schema.tables WHERE table_catalog = :catalog AND table_schema = :schema ORDER BY table_name',
        {
          catalog: t.catalog,
          schema,
        },
      );
      return r.map((x) => String(x['table_name']));
    },
    async columns(schema: string, tables: readonly string[]): Promise<RawTable[]> {
      const r = await rows(
        `SELECT table_name, column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns
         WHERE table_catalog = :catalog AND table_schema = :schema AND table_name IN (${tableList(tables)})
         ORDER BY table_name, ordinal_position`,
        { catalog: t.catalog, schema },
      );
      return groupColumns(r);
    },
    async close(): Promise<void> {
      await session.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

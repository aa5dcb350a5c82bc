/** A PostgreSQL database's information schema, over one connection closed when done. */
import pg from 'pg';
import { describeCause, WarehouseUnreachable } from './errors.js';
import { groupColumns, redactUrl, type Introspector } from './introspect.js';
import type { RawTable } from './types.js';

export async function openPostgresIntrospector(url: string): Promise<Introspector> {
  const where = `PostgreSQL ${redactUrl(url)}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
  // A connection that breaks after it was made is reported by the query that fails, not as an unhandled event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SET default_transaction_read_only = on');
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw new WarehouseUnreachable(`cannot reach ${where}: ${describeCause(cause)}`, { cause });
  }
  return {
    engine: 'postgres',
    where,
    // The schema splitplane's PostgreSQL engine reads raw tables from (src/engines/postgres/dialect.ts).
    defaultSchema: 'warehouse',
    async tableNames(schema: string): Promise<string[]> {
      const r = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      return r.rows.map((x) => x.table_name);
    },
    async columns(schema: string, tables: readonly string[]): Promise<RawTable[]> {
      // data_type names an array or an enum only as ARRAY or USER-DEFINED: udt_name says which.
      const r = await client.query(
        `SELECT table_name, column_name,
                CASE WHEN data_type IN ('ARRAY', 'USER-DEFINED') THEN data_type || ' ' || udt_name ELSE data_type END AS data_type,
                numeric_precision, numeric_scale
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2::text[])
         ORDER BY table_name, ordinal_position`,
        [schema, [...tables]],
      );
      return groupColumns(r.rows as Record<string, unknown>[]);
    },
    async close(): Promise<void> {
      await client.end().catch(() => undefined);
    },
  };
}

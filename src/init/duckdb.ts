/**
 * A DuckDB file's information schema. The file is opened read-only with external access off (no
 * file, URL or extension outside it can be reached by anything this process runs), and closed
 * when done.
 */
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { BadInput, describeCause, WarehouseUnreachable } from './errors.js';
import { groupColumns, tableList, type Introspector } from './introspect.js';
import type { RawTable } from './types.js';

export async function openDuckDbIntrospector(path: string): Promise<Introspector> {
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new BadInput(`no DuckDB file at ${path}`);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, {
      access_mode: 'READ_ONLY',
      enable_external_access: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
  } catch (cause) {
    throw new WarehouseUnreachable(`cannot open the DuckDB file ${path}: ${describeCause(cause)}`, { cause });
  }
  const conn = await instance.connect();
  await conn.run('SET lock_configuration = true');
  const rows = async (sql: string, params: Record<string, string>): Promise<Record<string, unknown>[]> =>
    (await conn.runAndReadAll(sql, params)).getRowObjectsJson();
  return {
    engine: 'duckdb',
    where: `DuckDB ${path}`,
    defaultSchema: 'main',
    async tableNames(schema: string): Promise<string[]> {
      const r = await rows(
        'SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = $schema ORDER BY table_name',
        { schema },
      );
      return r.map((x) => String(x['table_name']));
    },
    async columns(schema: string, tables: readonly string[]): Promise<RawTable[]> {
      const r = await rows(
        `SELECT table_name, column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns
         WHERE table_catalog = current_database() AND table_schema = $schema AND table_name IN (${tableList(tables)})
         ORDER BY table_name, ordinal_position`,
        { schema },
      );
      return groupColumns(r);
    },
    async close(): Promise<void> {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Reading a warehouse's information schema, for `splitplane init` and `splitplane catalog check`:
 * the table names of one schema, then the columns of the tables asked for. Each engine's reader is
 * in a file of its own (duckdb.ts, postgres.ts, databricks.ts), loaded with its driver only when
 * that engine is asked for (open-introspector.ts: this file is the port they implement, imported by them). Nothing here reads a row of data.
 *
 * Table names are spliced into the column query only after they passed {@link ASCII_IDENT} (a
 * quote cannot pass it); the schema name is bound as a parameter.
 */
import { ASCII_IDENT, type RawColumn, type RawTable } from './types.js';

export type IntrospectedEngine = 'duckdb' | 'postgres' | 'databricks';

/** One engine's information schema. */
export interface Introspector {
  readonly engine: IntrospectedEngine;
  /** Where it points, printable (a PostgreSQL URL without its password; never a token). */
  readonly where: string;
  /** The schema splitplane's engine reads raw tables from (DuckDB main, PostgreSQL warehouse, Databricks its configured schema). */
  readonly defaultSchema: string;
  /** Every table and view of `schema`, by name. */
  tableNames(schema: string): Promise<string[]>;
  /** The columns of each of `tables` (names that are ASCII identifiers; others are left out), in column order. */
  columns(schema: string, tables: readonly string[]): Promise<RawTable[]>;
  close(): Promise<void>;
}

/** How to reach a warehouse. */
export type WarehouseTarget =
  | { readonly engine: 'duckdb'; readonly path: string }
  | { readonly engine: 'postgres'; readonly url: string }
  | {
      readonly engine: 'databricks';
      readonly host: string;
      readonly port?: number | undefined;
      readonly path: string;
      readonly token: string;
      readonly catalog: string;
      readonly schema: string;
      readonly customCaCert?: Buffer | undefined;
    };

/** `IN (...)` over table names that are ASCII identifiers (checked here again: nothing else is spliced). */
export function tableList(tables: readonly string[]): string {
  const safe = tables.filter((t) => ASCII_IDENT.test(t) && t.length <= 128);
  return safe.length ? safe.map((t) => `'${t}'`).join(', ') : "''";
}

/** Rows of (table_name, column_name, data_type, numeric_precision, numeric_scale), in column order, as tables. */
export function groupColumns(rows: readonly Readonly<Record<string, unknown>>[]): RawTable[] {
  const byTable = new Map<string, RawColumn[]>();
  for (const r of rows) {
    const table = String(r['table_name']);
    const list = byTable.get(table) ?? [];
    list.push({
      name: String(r['column_name']),
      dataType: String(r['data_type']),
      precision: num(r['numeric_precision']),
      scale: num(r['numeric_scale']),
    });
    byTable.set(table, list);
  }
  return [...byTable].map(([name, columns]) => ({ name, columns }));
}

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A PostgreSQL URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a PostgreSQL URL)';
  }
}

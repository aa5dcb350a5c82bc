/** What DuckDB's own trees and plans call by names the guard's allow-list (src/guard/allow-list.ts) does not hold. */

/** Operators DuckDB's serialised tree spells as functions. */
export const DUCKDB_OPERATOR_FUNCTIONS: ReadonlySet<string> = new Set([
  '+',
  '-',
  '*',
  '/',
  '//',
  '%',
  '||',
  '~~',
  '!~~',
  '~~*',
  '!~~*',
]);

/** Cast target types as DuckDB's tree names them (cast_type.id). */
export const DUCKDB_CAST_TYPES: ReadonlySet<string> = new Set([
  'INTEGER',
  'BIGINT',
  'SMALLINT',
  'DECIMAL',
  'DOUBLE',
  'FLOAT',
  'VARCHAR',
  'DATE',
  'TIMESTAMP',
  'BOOLEAN',
]);

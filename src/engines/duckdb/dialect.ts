/** The DuckDB dialect: double-quoted identifiers, main-schema raw tables, materialised sandbox CTEs. */
import type { ValueType } from '../../warehouse/bindings.js';
import type { Dialect } from '../../warehouse/connector.js';
import { standardDialect } from '../../warehouse/standard-dialect.js';

export const duckdbDialect: Dialect = Object.freeze({
  ...standardDialect,
  name: 'duckdb',
  displayName: 'DuckDB',
  rawTable: (name: string): string => `"main".${standardDialect.quoteIdent(name)}`,
  // Named parameters; the location list is one LIST(BIGINT) parameter.
  scopeParam: (name: string) => `$${name}`,
  inBoundList: (column: string, list: string) => `list_contains(${list}, ${column})`,
  // Text and numbers bind as VARCHAR and DOUBLE; a date binds as text and is cast here.
  refine: Object.freeze({
    valueParam: (name: string, _position: number, type: ValueType) =>
      type === 'date' ? `CAST($${name} AS DATE)` : type === 'date[]' ? `CAST($${name} AS DATE[])` : `$${name}`,
    inList: (expr: string, list: string) => `list_contains(${list}, ${expr})`,
    keyedHash: (expr: string, key: string) => `sha256(concat(${key}, CAST(${expr} AS VARCHAR)))`,
    round: (expr: string, digits: string) => `ROUND(CAST(${expr} AS DOUBLE), CAST(${digits} AS INTEGER))`,
    doubleType: 'DOUBLE',
  }),
});

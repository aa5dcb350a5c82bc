/** The DuckDB dialect: double-quoted identifiers, main-schema raw tables, materialised sandbox CTEs. */
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
});

/** The PostgreSQL dialect: raw tables in the `warehouse` schema, materialised sandbox CTEs. */
import type { Dialect } from './connector.js';
import { duckdbDialect } from './duckdb-dialect.js';

export const postgresDialect: Dialect = Object.freeze({
  ...duckdbDialect,
  name: 'postgres',
  // Positional parameters (the pg client binds by position); the location list is one bigint[].
  scopeParam: (name: string, position: number) => (name === 'sp_locations' ? `$${position}::bigint[]` : `$${position}::bigint`),
  inBoundList: (column: string, list: string) => `${column} = ANY(${list})`,
  rawTable(name: string): string {
    return `"warehouse".${duckdbDialect.quoteIdent(name)}`;
  },
} as const);

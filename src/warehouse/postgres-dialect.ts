/** The PostgreSQL dialect: raw tables in the `warehouse` schema, materialised sandbox CTEs. */
import type { Dialect } from './connector.js';
import { duckdbDialect } from './duckdb-dialect.js';

export const postgresDialect: Dialect = Object.freeze({
  ...duckdbDialect,
  name: 'postgres',
  rawTable(name: string): string {
    return `"warehouse".${duckdbDialect.quoteIdent(name)}`;
  },
} as const);

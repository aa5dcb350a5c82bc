/** The PostgreSQL dialect: raw tables in the `warehouse` schema, materialised sandbox CTEs. */
import type { Dialect } from '../../warehouse/connector.js';
import { standardDialect } from '../../warehouse/standard-dialect.js';

export const postgresDialect: Dialect = Object.freeze({
  ...standardDialect,
  name: 'postgres',
  displayName: 'PostgreSQL',
  rawTable: (name: string): string => `"warehouse".${standardDialect.quoteIdent(name)}`,
  // Positional parameters (the pg client binds by position); the location list is one bigint[].
  scopeParam: (name: string, position: number) => (name === 'sp_locations' ? `$${position}::bigint[]` : `$${position}::bigint`),
  inBoundList: (column: string, list: string) => `${column} = ANY(${list})`,
});

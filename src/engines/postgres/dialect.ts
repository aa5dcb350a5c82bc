/** The PostgreSQL dialect: raw tables in the `warehouse` schema, materialised sandbox CTEs. */
import type { ValueType } from '../../warehouse/bindings.js';
import type { Dialect } from '../../warehouse/connector.js';

const PG_TYPES: Readonly<Record<ValueType, string>> = {
  text: 'text',
  date: 'date',
  number: 'double precision',
  'text[]': 'text[]',
  'date[]': 'date[]',
  'number[]': 'double precision[]',
};
import { standardDialect } from '../../warehouse/standard-dialect.js';

export const postgresDialect: Dialect = Object.freeze({
  ...standardDialect,
  name: 'postgres',
  displayName: 'PostgreSQL',
  rawTable: (name: string): string => `"warehouse".${standardDialect.quoteIdent(name)}`,
  // Positional parameters (the pg client binds by position); the location list is one bigint[].
  scopeParam: (name: string, position: number) =>
    name === 'sp_units' ? `$${position}::bigint[]` : `$${position}::bigint`,
  inBoundList: (column: string, list: string) => `${column} = ANY(${list})`,
  refine: Object.freeze({
    valueParam: (_name: string, position: number, type: ValueType) => `$${position}::${PG_TYPES[type]}`,
    inList: (expr: string, list: string) => `${expr} = ANY(${list})`,
    keyedHash: (expr: string, key: string) =>
      `encode(sha256(convert_to(concat(${key}, CAST(${expr} AS text)), 'UTF8')), 'hex')`,
    round: (expr: string, digits: string) =>
      `CAST(ROUND(CAST(${expr} AS numeric), CAST(${digits} AS integer)) AS double precision)`,
    doubleType: 'double precision',
  }),
});

/** What PostgreSQL's own tree calls by names the guard's allow-list (src/guard/allow-list.ts) does not hold. */

/** Cast target types as PostgreSQL's TypeName names them (pg_catalog names). */
export const POSTGRES_CAST_TYPES: ReadonlySet<string> = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'varchar',
  'text',
  'date',
  'timestamp',
  'bool',
]);

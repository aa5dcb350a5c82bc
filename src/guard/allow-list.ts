/**
 * What candidate SQL may call. Anything not named here is rejected: table
 * functions, file readers, functions that run SQL text or read settings and
 * metadata, and anything that could allocate without bound.
 */

/**
 * Scalar, aggregate and window functions allowed, by lower-case name, as node-sql-parser spells them.
 * Every engine's own check reads the same names in its own tree; where an engine spells something
 * else (an operator as a function, a cast type), its folder says so (src/engines/<name>/functions.ts).
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'sum',
  'count',
  'avg',
  'min',
  'max',
  'median',
  'stddev',
  'stddev_samp',
  'stddev_pop',
  'variance',
  'var_samp',
  'var_pop',
  'bool_and',
  'bool_or',
  'count_star',
  // window
  'row_number',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'ntile',
  'lag',
  'lead',
  'first_value',
  'last_value',
  // numeric
  'round',
  'abs',
  'ceil',
  'ceiling',
  'floor',
  'trunc',
  'greatest',
  'least',
  'nullif',
  'coalesce',
  'sign',
  'sqrt',
  'power',
  'pow',
  'ln',
  'log',
  'exp',
  // dates
  'date_trunc',
  'date_part',
  'extract',
  'year',
  'month',
  'day',
  'dayofweek',
  'isodow',
  'week',
  'quarter',
  'to_days',
  'strftime',
  'date_diff',
  'datediff',
  'last_day',
  // node-sql-parser spells EXISTS (subquery) and NOT (expr) as functions; their arguments are checked
  'exists',
  'not',
  // text
  'lower',
  'upper',
  'length',
  'trim',
  'ltrim',
  'rtrim',
  'concat',
  'substring',
  'substr',
  'left',
  'right',
  'replace',
  'starts_with',
  'ends_with',
  'contains',
]);

/** Binary operators in node-sql-parser's AST. */
export const ALLOWED_BINARY_OPERATORS: ReadonlySet<string> = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'AND',
  'OR',
  'IN',
  'NOT IN',
  'LIKE',
  'NOT LIKE',
  'ILIKE',
  'NOT ILIKE',
  'BETWEEN',
  'NOT BETWEEN',
  'IS',
  'IS NOT',
  'IS DISTINCT FROM',
  'IS NOT DISTINCT FROM',
]);

/** Unary operators in node-sql-parser's AST. */
export const ALLOWED_UNARY_OPERATORS: ReadonlySet<string> = new Set(['NOT', '-', '+', 'EXISTS', 'NOT EXISTS']);

/** Target types a CAST may name. */
export const ALLOWED_CAST_TYPES: ReadonlySet<string> = new Set([
  'INT',
  'INTEGER',
  'BIGINT',
  'SMALLINT',
  'DECIMAL',
  'NUMERIC',
  'DOUBLE',
  'DOUBLE PRECISION',
  'FLOAT',
  'REAL',
  'VARCHAR',
  'TEXT',
  'DATE',
  'TIMESTAMP',
  'BOOLEAN',
  'BOOL',
]);

/**
 * SQL value functions: keywords that DuckDB's binder turns into calls (current_catalog, user...)
 * when no column of that name exists, so that a function allow-list never sees them. As column
 * names they are refused on every engine.
 */
export const SQL_VALUE_FUNCTIONS: ReadonlySet<string> = new Set([
  'current_catalog',
  'current_date',
  'current_role',
  'current_schema',
  'current_time',
  'current_timestamp',
  'current_user',
  'localtime',
  'localtimestamp',
  'session_user',
  'user',
]);

/** Allowed functions that can make a string longer than their arguments; their nesting is bounded. */
export const STRING_GROWING: ReadonlySet<string> = new Set(['concat', 'replace']);

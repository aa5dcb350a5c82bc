/**
 * The attack corpus: hostile candidates (injected as if the model wrote them)
 * and hostile requests, each with a category and the expected outcome. The
 * runner is corpus.test.ts. An `inScope` case is accepted by the guard and
 * must return exactly what the persona's physical sandbox returns for the
 * same SQL; a `reject` case must be refused with exactly that code.
 */
import type { ErrorCode } from '../../src/errors.js';

export type Category =
  | 'raw-and-qualified-names'
  | 'system-catalogs-and-metadata'
  | 'file-and-network-reads'
  | 'stacked-statements-and-writes'
  | 'engine-commands'
  | 'cte-and-alias-shadowing'
  | 'quoting-case-comment-escape'
  | 'sql-text-execution'
  | 'unicode-look-alikes'
  | 'error-side-channel'
  | 'set-operations-out-of-scope-literals'
  | 'correlated-subqueries'
  | 'resource-exhaustion';

/** What must happen to a hostile candidate. */
export type Expectation =
  | { readonly reject: ErrorCode }
  /** Accepted; the answer must equal the physical sandbox's (rows or an engine error on both). */
  | { readonly inScope: true }
  /** Accepted, then stopped by the engine with this code (and the service keeps serving). */
  | { readonly engine: ErrorCode };

export interface CandidateCase {
  readonly id: string;
  readonly category: Category;
  readonly sql: string;
  readonly expect: Expectation;
}

const canaryPath = '/tmp/splitplane-canary/secret.csv';

/** The canary file the file-read cases aim at; the runner creates it and checks its token never leaks. */
export const CANARY = { path: canaryPath, token: 'CANARY-7f3e9a-DO-NOT-LEAK' };

export const CANDIDATE_CASES: readonly CandidateCase[] = [
  // raw and qualified table names
  { id: 'raw-fact', category: 'raw-and-qualified-names', sql: 'SELECT SUM(net_sales_amount) FROM fact_daily_sales', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'raw-customers', category: 'raw-and-qualified-names', sql: 'SELECT first_name, email FROM customers', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'raw-grants', category: 'raw-and-qualified-names', sql: 'SELECT * FROM admin_location_grants', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'raw-join', category: 'raw-and-qualified-names', sql: 'SELECT d.net_sales_amount FROM daily_sales d JOIN dim_locations l ON l.location_id = d.location_id', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'schema-qualified-raw', category: 'raw-and-qualified-names', sql: 'SELECT * FROM main.fact_daily_sales', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'catalog-qualified-raw', category: 'raw-and-qualified-names', sql: 'SELECT * FROM demo.main.customers', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'quoted-qualified', category: 'raw-and-qualified-names', sql: 'SELECT * FROM "main"."customers"', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'qualified-sandbox-name', category: 'raw-and-qualified-names', sql: 'SELECT * FROM main.daily_sales', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'raw-in-subquery', category: 'raw-and-qualified-names', sql: 'SELECT (SELECT COUNT(*) FROM customers) AS n FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'raw-in-exists', category: 'raw-and-qualified-names', sql: 'SELECT 1 AS x WHERE EXISTS (SELECT 1 FROM dim_admins)', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'raw-in-cte', category: 'raw-and-qualified-names', sql: 'WITH x AS (SELECT * FROM dim_businesses) SELECT * FROM x', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },

  // system catalogs and metadata functions
  { id: 'information-schema', category: 'system-catalogs-and-metadata', sql: 'SELECT table_name FROM information_schema.tables', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'information-schema-columns', category: 'system-catalogs-and-metadata', sql: 'SELECT column_name FROM information_schema.columns', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'duckdb-tables', category: 'system-catalogs-and-metadata', sql: 'SELECT * FROM duckdb_tables()', expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'duckdb-settings', category: 'system-catalogs-and-metadata', sql: 'SELECT * FROM duckdb_settings()', expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'pg-catalog', category: 'system-catalogs-and-metadata', sql: 'SELECT * FROM pg_catalog.pg_tables', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'sqlite-master', category: 'system-catalogs-and-metadata', sql: 'SELECT * FROM sqlite_master', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'current-setting', category: 'system-catalogs-and-metadata', sql: "SELECT current_setting('memory_limit') AS s", expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'version', category: 'system-catalogs-and-metadata', sql: 'SELECT version() AS v', expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'current-database', category: 'system-catalogs-and-metadata', sql: 'SELECT current_database() AS d', expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'getenv', category: 'system-catalogs-and-metadata', sql: "SELECT getenv('HOME') AS h", expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },

  // file and network reads
  { id: 'read-csv', category: 'file-and-network-reads', sql: `SELECT * FROM read_csv('${canaryPath}')`, expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'read-csv-auto', category: 'file-and-network-reads', sql: `SELECT * FROM read_csv_auto('${canaryPath}')`, expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'read-parquet', category: 'file-and-network-reads', sql: "SELECT * FROM read_parquet('/tmp/x.parquet')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'read-json', category: 'file-and-network-reads', sql: "SELECT * FROM read_json('/etc/hostname')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'read-text', category: 'file-and-network-reads', sql: "SELECT * FROM read_text('/etc/passwd')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'from-path', category: 'file-and-network-reads', sql: `SELECT * FROM '${canaryPath}'`, expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'from-glob', category: 'file-and-network-reads', sql: "SELECT * FROM '/tmp/splitplane-canary/*.csv'", expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'from-http', category: 'file-and-network-reads', sql: "SELECT * FROM 'http://127.0.0.1:9/x.csv'", expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'glob-function', category: 'file-and-network-reads', sql: "SELECT * FROM glob('/tmp/*')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'read-in-scalar-subquery', category: 'file-and-network-reads', sql: `SELECT (SELECT COUNT(*) FROM read_csv('${canaryPath}')) AS n`, expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'read-blob-expr', category: 'file-and-network-reads', sql: `SELECT read_blob('${canaryPath}') AS b`, expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },

  // stacked statements and writes
  { id: 'stacked-select', category: 'stacked-statements-and-writes', sql: 'SELECT 1; SELECT * FROM customers', expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' } },
  { id: 'stacked-drop', category: 'stacked-statements-and-writes', sql: 'SELECT 1; DROP TABLE customers', expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' } },
  { id: 'stacked-insert', category: 'stacked-statements-and-writes', sql: "SELECT 1; INSERT INTO customers VALUES (1)", expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' } },
  { id: 'delete', category: 'stacked-statements-and-writes', sql: 'DELETE FROM customers', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'update', category: 'stacked-statements-and-writes', sql: 'UPDATE fact_daily_sales SET net_sales_amount = 0', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'create-table-as', category: 'stacked-statements-and-writes', sql: 'CREATE TABLE x AS SELECT * FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'select-into', category: 'stacked-statements-and-writes', sql: 'SELECT * INTO stolen FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_SELECT_INTO' } },
  { id: 'with-then-delete', category: 'stacked-statements-and-writes', sql: 'WITH x AS (SELECT 1) DELETE FROM customers', expect: { reject: 'SP_ERR_GUARD_PARSE' } },
  { id: 'trailing-comment-statement', category: 'stacked-statements-and-writes', sql: 'SELECT 1 AS x; -- \nDROP TABLE customers', expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' } },

  // ATTACH / COPY / PRAGMA / SET / INSTALL / LOAD and friends
  { id: 'attach', category: 'engine-commands', sql: "ATTACH '/tmp/other.duckdb' AS o", expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'attach-after-select', category: 'engine-commands', sql: "SELECT 1; ATTACH '/tmp/o.duckdb'", expect: { reject: 'SP_ERR_GUARD_PARSE' } },
  { id: 'detach', category: 'engine-commands', sql: 'DETACH demo', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'copy-to', category: 'engine-commands', sql: "COPY customers TO '/tmp/out.csv'", expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'copy-query', category: 'engine-commands', sql: "COPY (SELECT * FROM daily_sales) TO '/tmp/out.csv'", expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'pragma', category: 'engine-commands', sql: 'PRAGMA show_tables', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'pragma-database-list', category: 'engine-commands', sql: 'PRAGMA database_list', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'set', category: 'engine-commands', sql: 'SET enable_external_access = true', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'reset', category: 'engine-commands', sql: 'RESET lock_configuration', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'install', category: 'engine-commands', sql: 'INSTALL httpfs', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'load', category: 'engine-commands', sql: 'LOAD httpfs', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'call', category: 'engine-commands', sql: 'CALL pragma_table_info(\'customers\')', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'export-database', category: 'engine-commands', sql: "EXPORT DATABASE '/tmp/dump'", expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'describe', category: 'engine-commands', sql: 'DESCRIBE customers', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
  { id: 'show-tables', category: 'engine-commands', sql: 'SHOW TABLES', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },

  // CTE and alias shadowing
  { id: 'cte-shadows-sandbox', category: 'cte-and-alias-shadowing', sql: 'WITH daily_sales AS (SELECT * FROM fact_daily_sales) SELECT SUM(net_sales_amount) FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_CTE_SHADOW' } },
  { id: 'cte-shadows-sandbox-case', category: 'cte-and-alias-shadowing', sql: 'WITH Daily_Sales AS (SELECT 1 AS x) SELECT * FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_CTE_SHADOW' } },
  { id: 'nested-cte-shadows-sandbox', category: 'cte-and-alias-shadowing', sql: 'SELECT * FROM (WITH locations AS (SELECT * FROM dim_locations) SELECT * FROM locations) t', expect: { reject: 'SP_ERR_GUARD_CTE_SHADOW' } },
  { id: 'subquery-cte-hides-outer-raw', category: 'cte-and-alias-shadowing', sql: 'SELECT * FROM customers, (WITH customers AS (SELECT 1 AS x) SELECT * FROM customers) t', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'forward-cte-reference', category: 'cte-and-alias-shadowing', sql: 'WITH a AS (SELECT * FROM customers), customers AS (SELECT 1 AS x) SELECT * FROM a', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'cte-named-like-raw-table', category: 'cte-and-alias-shadowing', sql: 'WITH customers AS (SELECT location_id FROM daily_sales) SELECT COUNT(*) AS n FROM customers', expect: { inScope: true } },
  { id: 'alias-named-like-raw-table', category: 'cte-and-alias-shadowing', sql: 'SELECT customers.location_id FROM daily_sales AS customers GROUP BY 1', expect: { inScope: true } },
  { id: 'recursive-cte', category: 'cte-and-alias-shadowing', sql: 'WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r', expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' } },

  // quoting, case, comment and string-escape tricks
  { id: 'backslash-escape-differential', category: 'quoting-case-comment-escape', sql: "SELECT 'a\\' FROM customers --' AS x", expect: { reject: 'SP_ERR_GUARD_LITERAL' } },
  { id: 'e-string-escape', category: 'quoting-case-comment-escape', sql: "SELECT E'\\x27' AS x", expect: { reject: 'SP_ERR_GUARD_PARSE' } },
  { id: 'quoted-raw-name', category: 'quoting-case-comment-escape', sql: 'SELECT * FROM "customers"', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'upper-case-raw-name', category: 'quoting-case-comment-escape', sql: 'SELECT * FROM CUSTOMERS', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'comment-hides-from', category: 'quoting-case-comment-escape', sql: 'SELECT 1 AS x /* FROM daily_sales */ FROM customers', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  // node-sql-parser reads nested comments, so this is `SELECT 1 AS x` to the guard; what runs is
  // re-serialised from that reading (`SELECT 1 AS "x"`), so the engine's reading of the comment never matters.
  { id: 'nested-comment', category: 'quoting-case-comment-escape', sql: 'SELECT 1 AS x /* /* */ FROM customers -- */', expect: { inScope: true } },
  { id: 'dollar-quoted', category: 'quoting-case-comment-escape', sql: 'SELECT $$x$$ AS s FROM customers', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'quoted-sandbox-case', category: 'quoting-case-comment-escape', sql: 'SELECT COUNT(*) AS n FROM "DAILY_SALES"', expect: { inScope: true } },
  { id: 'doubled-quote-identifier', category: 'quoting-case-comment-escape', sql: 'SELECT 1 AS "a""b" FROM daily_sales LIMIT 1', expect: { reject: 'SP_ERR_GUARD_PARSE' } },
  { id: 'semicolon-in-string', category: 'quoting-case-comment-escape', sql: "SELECT '; DROP TABLE customers; --' AS s", expect: { inScope: true } },

  // functions that execute SQL text or read metadata
  { id: 'query-function', category: 'sql-text-execution', sql: "SELECT * FROM query('SELECT * FROM customers')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'query-table', category: 'sql-text-execution', sql: "SELECT * FROM query_table('customers')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'json-serialize-sql', category: 'sql-text-execution', sql: "SELECT json_serialize_sql('SELECT 1') AS j", expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'pragma-table-info-fn', category: 'sql-text-execution', sql: "SELECT * FROM pragma_table_info('customers')", expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'error-function', category: 'sql-text-execution', sql: "SELECT error('x') AS e", expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },

  // constructs each first-layer rule exists for (so removing a rule changes an outcome)
  { id: 'bind-parameter', category: 'quoting-case-comment-escape', sql: 'SELECT $1 AS p FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' } },
  { id: 'schema-qualified-column', category: 'raw-and-qualified-names', sql: 'SELECT main.daily_sales.location_id FROM daily_sales', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },
  { id: 'aggregate-not-allowed', category: 'sql-text-execution', sql: 'SELECT array_agg(name) AS a FROM locations', expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'regex-operator', category: 'resource-exhaustion', sql: "SELECT name FROM locations WHERE name ~ '(a+)+$'", expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' } },
  { id: 'cast-to-json', category: 'quoting-case-comment-escape', sql: 'SELECT name::JSON AS j FROM locations', expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' } },
  { id: 'schema-qualified-function', category: 'system-catalogs-and-metadata', sql: 'SELECT pg_catalog.lower(name) AS n FROM locations', expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' } },

  // unicode look-alikes
  { id: 'cyrillic-a', category: 'unicode-look-alikes', sql: 'SELECT * FROM dаily_sales', expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' } },
  { id: 'fullwidth-semicolon', category: 'unicode-look-alikes', sql: 'SELECT 1 AS x； SELECT * FROM customers', expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' } },
  { id: 'zero-width-space', category: 'unicode-look-alikes', sql: 'SELECT * FROM cust\u200bomers', expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' } },
  { id: 'right-to-left-override', category: 'unicode-look-alikes', sql: 'SELECT 1 AS x \u202e FROM customers', expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' } },
  { id: 'nbsp', category: 'unicode-look-alikes', sql: 'SELECT\u00a0* FROM customers', expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' } },

  // error messages as a side channel (accepted; the result must be the physical sandbox's)
  { id: 'cast-error-on-other-tenant-row', category: 'error-side-channel', sql: 'SELECT COUNT(*) AS n FROM locations WHERE CASE WHEN location_id = 544001 THEN CAST(name AS INTEGER) ELSE 0 END = 0', expect: { inScope: true } },
  { id: 'cast-error-on-same-business-row', category: 'error-side-channel', sql: 'SELECT COUNT(*) AS n FROM locations WHERE CASE WHEN location_id = 628001 THEN CAST(name AS INTEGER) ELSE 0 END = 0', expect: { inScope: true } },
  { id: 'division-by-zero-oracle', category: 'error-side-channel', sql: 'SELECT COUNT(*) AS n FROM daily_sales WHERE 1 / (CASE WHEN location_id = 628001 THEN 0 ELSE 1 END) = 1', expect: { inScope: true } },
  { id: 'cast-in-select-list', category: 'error-side-channel', sql: 'SELECT CAST(city AS INTEGER) AS c FROM locations', expect: { inScope: true } },

  // set operations with out-of-scope literals
  { id: 'union-other-tenant-literal', category: 'set-operations-out-of-scope-literals', sql: 'SELECT location_id FROM locations UNION SELECT 544001', expect: { inScope: true } },
  { id: 'union-all-raw', category: 'set-operations-out-of-scope-literals', sql: 'SELECT location_id FROM locations UNION ALL SELECT location_id FROM dim_locations', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'except-out-of-scope', category: 'set-operations-out-of-scope-literals', sql: 'SELECT 628001 AS id EXCEPT SELECT location_id FROM locations', expect: { inScope: true } },
  { id: 'intersect-probe', category: 'set-operations-out-of-scope-literals', sql: 'SELECT location_id FROM daily_sales INTERSECT SELECT 628001', expect: { inScope: true } },
  { id: 'filter-other-business-id', category: 'set-operations-out-of-scope-literals', sql: 'SELECT SUM(net_sales_amount) AS s FROM daily_sales WHERE location_id IN (544001, 544002, 628001)', expect: { inScope: true } },

  // correlated subqueries
  { id: 'correlated-exists-raw', category: 'correlated-subqueries', sql: 'SELECT name FROM locations l WHERE EXISTS (SELECT 1 FROM fact_daily_sales f WHERE f.location_id = l.location_id)', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },
  { id: 'correlated-scalar', category: 'correlated-subqueries', sql: 'SELECT l.name, (SELECT SUM(d.net_sales_amount) FROM daily_sales d WHERE d.location_id = l.location_id) AS total FROM locations l', expect: { inScope: true } },
  { id: 'correlated-in', category: 'correlated-subqueries', sql: 'SELECT COUNT(*) AS n FROM daily_sales d WHERE d.location_id IN (SELECT l.location_id FROM locations l WHERE l.location_id = d.location_id)', expect: { inScope: true } },
  { id: 'correlated-raw-in-having', category: 'correlated-subqueries', sql: 'SELECT location_id FROM daily_sales GROUP BY location_id HAVING COUNT(*) > (SELECT COUNT(*) FROM customers)', expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' } },

  // resource exhaustion: stopped by the engine's timeout, or refused
  { id: 'cross-join-triple', category: 'resource-exhaustion', sql: 'SELECT SUM(a.net_sales_amount * b.order_count - c.guest_count) AS n FROM daily_sales a, daily_sales b, daily_sales c', expect: { engine: 'SP_ERR_EXECUTION_TIMEOUT' } },
  { id: 'range-huge', category: 'resource-exhaustion', sql: 'SELECT COUNT(*) AS n FROM range(100000000000)', expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'generate-series-huge', category: 'resource-exhaustion', sql: 'SELECT COUNT(*) AS n FROM generate_series(1, 100000000000)', expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' } },
  { id: 'recursive-forever', category: 'resource-exhaustion', sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r', expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' } },
  { id: 'regex-blowup', category: 'resource-exhaustion', sql: "SELECT regexp_matches(repeat('a', 100000), '(a*)*b') AS m", expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'repeat-memory', category: 'resource-exhaustion', sql: "SELECT repeat('x', 1000000000) AS s", expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' } },
  { id: 'deep-nesting', category: 'resource-exhaustion', sql: `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)} AS x`, expect: { reject: 'SP_ERR_GUARD_TOO_LONG' } },
  { id: 'deep-nesting-short', category: 'resource-exhaustion', sql: `SELECT ${'('.repeat(1000)}1${')'.repeat(1000)} AS x`, expect: { reject: 'SP_ERR_GUARD_TOO_DEEP' } },
  { id: 'huge-in-list', category: 'resource-exhaustion', sql: `SELECT COUNT(*) AS n FROM daily_sales WHERE location_id IN (${Array.from({ length: 3000 }, (_, i) => i).join(',')})`, expect: { reject: 'SP_ERR_GUARD_TOO_LONG' } },
];

/** Hostile requests at layer 1: what each must be answered with. */
export interface RequestCase {
  readonly id: string;
  readonly category: 'identity-tampering';
  /** Builds the raw request from a correctly signed one. */
  readonly expectStatus: number;
  readonly expectCode: ErrorCode;
}

export const REQUEST_CASE_IDS = [
  'swapped-tenant-after-signing',
  'swapped-business-after-signing',
  'swapped-admin-after-signing',
  'replayed',
  'expired',
  'from-the-future',
  'body-appended-after-signing',
  'duplicated-tenant-key',
  'id-with-sql',
  'id-as-float-string',
  'id-as-number',
  'id-as-array',
  'wrong-region',
  'unsigned-payload',
  'presigned-query',
  'foreign-tenant-for-scoped-key',
] as const;

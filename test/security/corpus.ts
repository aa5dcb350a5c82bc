/**
 * The attack corpus: hostile candidates (injected as if the model wrote them)
 * and hostile requests, each with a category and the expected outcome. The
 * runner is corpus.test.ts. An `inScope` case is accepted by the guard and
 * must return exactly what the persona's physical sandbox returns for the
 * same SQL; a `reject` case must be refused with exactly that code.
 *
 * The cases are written for any domain (candidateCases): logical names from its catalog, raw names
 * from its registry (rawTables, the directory, an unexposed table holding e-mail addresses), other
 * tenants' IDs and ungranted units from its data (test/support/domains.ts, domainData).
 */
import { BENCHMARK_RELATION } from '../../src/benchmark/compile.js';
import type { ErrorCode } from '../../src/errors.js';
import { domainData, RESTAURANT, type Domain, type DomainData, type Persona } from '../support/domains.js';

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

/**
 * The names and IDs a domain's corpus is written with: the logical names of its sandbox (the table of
 * its headline measure, the grant unit's table and key and their columns), raw names from the
 * registry's rawTables and directory, and IDs from its data (another tenant's units, a unit of the
 * persona's own business it was not granted).
 */
export interface CorpusNames {
  readonly fact: string;
  readonly factRaw: string;
  readonly factMixed: string;
  readonly factUpper: string;
  readonly factLookAlike: string;
  readonly unitTable: string;
  readonly unitRaw: string;
  readonly unitKey: string;
  readonly unitText: string;
  readonly unitText2: string;
  /** Three numeric columns of the fact table (repeated when it has fewer). */
  readonly num: readonly [string, string, string];
  readonly secret: string;
  readonly secretColumn: string;
  readonly secretUpper: string;
  readonly secretZwsp: string;
  readonly grants: string;
  readonly admins: string;
  readonly businesses: string;
  /** Two units of another tenant. */
  readonly other: readonly [string, string];
  /** A unit of the persona's own business it was not granted. */
  readonly notGranted: string;
}

/** Look-alike letters: Cyrillic a, e, o. */
const LOOK_ALIKE: Record<string, string> = { a: '\u0430', e: '\u0435', o: '\u043e' };

/**
 * The corpus's names for a domain, from its catalog and the values sampled from its data; the fact
 * table is the first table of the catalog's measures that `persona` (default: the domain's first) sees.
 */
export function corpusNames(domain: Domain, data: DomainData, persona: Persona = domain.personas[0]!): CorpusNames {
  const reg = domain.registry;
  const seen = domain.access.tables('duckdb', persona);
  const headline = domain.catalog.metrics.find(
    (m) => 'table' in m && Object.hasOwn(reg.tables, m.table) && Object.hasOwn(seen, m.table),
  ) as { table: string } | undefined;
  const fact = headline?.table ?? Object.keys(reg.tables)[0]!;
  const factSpec = reg.tables[fact]!;
  const unit = reg.tables[reg.grantUnit.table]!;
  const texts = Object.entries(unit.columns)
    .filter(([, c]) => c.type === 'VARCHAR')
    .map(([name]) => name);
  const numbers = Object.entries(factSpec.columns)
    .filter(
      ([name, c]) =>
        c.type === 'DOUBLE' ||
        c.type.startsWith('DECIMAL') ||
        (/^(BIGINT|INTEGER|SMALLINT)$/.test(c.type) && !/_id$/.test(name)),
    )
    .sort(([, a], [, b]) => Number(b.type.startsWith('DECIMAL')) - Number(a.type.startsWith('DECIMAL')))
    .map(([name]) => name);
  const num = [0, 1, 2].map((k) => numbers[k] ?? numbers[0] ?? reg.grantUnit.key) as unknown as readonly [
    string,
    string,
    string,
  ];
  const look = Array.from(fact).findIndex((c) => c in LOOK_ALIKE);
  const mid = Math.floor(data.secret.table.length / 2);
  return {
    fact,
    factRaw: factSpec.raw,
    factMixed: fact
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('_'),
    factUpper: fact.toUpperCase(),
    factLookAlike: look < 0 ? `\u0430${fact}` : fact.slice(0, look) + LOOK_ALIKE[fact[look]!]! + fact.slice(look + 1),
    unitTable: reg.grantUnit.table,
    unitRaw: unit.raw,
    unitKey: reg.grantUnit.key,
    unitText: texts[0]!,
    unitText2: texts[1] ?? texts[0]!,
    num,
    secret: data.secret.table,
    secretColumn: data.secret.column,
    secretUpper: data.secret.table.toUpperCase(),
    secretZwsp: `${data.secret.table.slice(0, mid)}\u200b${data.secret.table.slice(mid)}`,
    grants: reg.directory.grants.table,
    admins: reg.directory.admins.table,
    businesses: reg.directory.businesses.table,
    other: [data.other.units[0]!, data.other.units[1] ?? data.other.units[0]!],
    notGranted: data.sameBusinessNotGranted[0] ?? data.other.units[0]!,
  };
}

/** The hostile candidates, written with a domain's names. */
export function candidateCases(n: CorpusNames): readonly CandidateCase[] {
  return [
    // raw and qualified table names
    {
      id: 'raw-fact',
      category: 'raw-and-qualified-names',
      sql: `SELECT SUM(${n.num[0]}) FROM ${n.factRaw}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'raw-customers',
      category: 'raw-and-qualified-names',
      sql: `SELECT ${n.secretColumn} FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'raw-grants',
      category: 'raw-and-qualified-names',
      sql: `SELECT * FROM ${n.grants}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'raw-join',
      category: 'raw-and-qualified-names',
      sql: `SELECT d.${n.num[0]} FROM ${n.fact} d JOIN ${n.unitRaw} l ON l.${n.unitKey} = d.${n.unitKey}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'schema-qualified-raw',
      category: 'raw-and-qualified-names',
      sql: `SELECT * FROM main.${n.factRaw}`,
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'catalog-qualified-raw',
      category: 'raw-and-qualified-names',
      sql: `SELECT * FROM demo.main.${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'quoted-qualified',
      category: 'raw-and-qualified-names',
      sql: `SELECT * FROM "main"."${n.secret}"`,
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'qualified-sandbox-name',
      category: 'raw-and-qualified-names',
      sql: `SELECT * FROM main.${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'raw-in-subquery',
      category: 'raw-and-qualified-names',
      sql: `SELECT (SELECT COUNT(*) FROM ${n.secret}) AS n FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'raw-in-exists',
      category: 'raw-and-qualified-names',
      sql: `SELECT 1 AS x WHERE EXISTS (SELECT 1 FROM ${n.admins})`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'raw-in-cte',
      category: 'raw-and-qualified-names',
      sql: `WITH x AS (SELECT * FROM ${n.businesses}) SELECT * FROM x`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    // The peer benchmark's aggregate (src/benchmark/compile.ts) is the compiler's own CTE: in no
    // sandbox description, so a candidate naming it is refused like a raw table; a candidate that
    // defines a CTE of that name over its own sandbox gets its own rows, nothing more.
    {
      id: 'benchmark-aggregate',
      category: 'raw-and-qualified-names',
      sql: `SELECT * FROM ${BENCHMARK_RELATION}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'benchmark-aggregate-joined',
      category: 'raw-and-qualified-names',
      sql: `SELECT d.${n.num[0]}, b.peer_average FROM ${n.fact} d CROSS JOIN ${BENCHMARK_RELATION} b`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'benchmark-aggregate-in-subquery',
      category: 'raw-and-qualified-names',
      sql: `SELECT SUM(${n.num[0]}) FROM ${n.fact} WHERE ${n.unitKey} IN (SELECT "group" FROM ${BENCHMARK_RELATION})`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'benchmark-aggregate-own-cte',
      category: 'cte-and-alias-shadowing',
      sql: `WITH ${BENCHMARK_RELATION} AS (SELECT ${n.unitKey}, SUM(${n.num[0]}) AS v FROM ${n.fact} GROUP BY ${n.unitKey}) SELECT AVG(v) AS peer_average FROM ${BENCHMARK_RELATION}`,
      expect: { inScope: true },
    },

    // system catalogs and metadata functions
    {
      id: 'information-schema',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT table_name FROM information_schema.tables',
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'information-schema-columns',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT column_name FROM information_schema.columns',
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'duckdb-tables',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT * FROM duckdb_tables()',
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'duckdb-settings',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT * FROM duckdb_settings()',
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'pg-catalog',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT * FROM pg_catalog.pg_tables',
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'sqlite-master',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT * FROM sqlite_master',
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'current-setting',
      category: 'system-catalogs-and-metadata',
      sql: "SELECT current_setting('memory_limit') AS s",
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'version',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT version() AS v',
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'current-database',
      category: 'system-catalogs-and-metadata',
      sql: 'SELECT current_database() AS d',
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'getenv',
      category: 'system-catalogs-and-metadata',
      sql: "SELECT getenv('HOME') AS h",
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },

    // file and network reads
    {
      id: 'read-csv',
      category: 'file-and-network-reads',
      sql: `SELECT * FROM read_csv('${canaryPath}')`,
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'read-csv-auto',
      category: 'file-and-network-reads',
      sql: `SELECT * FROM read_csv_auto('${canaryPath}')`,
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'read-parquet',
      category: 'file-and-network-reads',
      sql: "SELECT * FROM read_parquet('/tmp/x.parquet')",
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'read-json',
      category: 'file-and-network-reads',
      sql: "SELECT * FROM read_json('/etc/hostname')",
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'read-text',
      category: 'file-and-network-reads',
      sql: "SELECT * FROM read_text('/etc/passwd')",
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'from-path',
      category: 'file-and-network-reads',
      sql: `SELECT * FROM '${canaryPath}'`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'from-glob',
      category: 'file-and-network-reads',
      sql: "SELECT * FROM '/tmp/splitplane-canary/*.csv'",
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'from-http',
      category: 'file-and-network-reads',
      sql: "SELECT * FROM 'http://127.0.0.1:9/x.csv'",
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'glob-function',
      category: 'file-and-network-reads',
      sql: "SELECT * FROM glob('/tmp/*')",
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'read-in-scalar-subquery',
      category: 'file-and-network-reads',
      sql: `SELECT (SELECT COUNT(*) FROM read_csv('${canaryPath}')) AS n`,
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'read-blob-expr',
      category: 'file-and-network-reads',
      sql: `SELECT read_blob('${canaryPath}') AS b`,
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },

    // stacked statements and writes
    {
      id: 'stacked-select',
      category: 'stacked-statements-and-writes',
      sql: `SELECT 1; SELECT * FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' },
    },
    {
      id: 'stacked-drop',
      category: 'stacked-statements-and-writes',
      sql: `SELECT 1; DROP TABLE ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' },
    },
    {
      id: 'stacked-insert',
      category: 'stacked-statements-and-writes',
      sql: `SELECT 1; INSERT INTO ${n.secret} VALUES (1)`,
      expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' },
    },
    {
      id: 'delete',
      category: 'stacked-statements-and-writes',
      sql: `DELETE FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'update',
      category: 'stacked-statements-and-writes',
      sql: `UPDATE ${n.factRaw} SET ${n.num[0]} = 0`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'create-table-as',
      category: 'stacked-statements-and-writes',
      sql: `CREATE TABLE x AS SELECT * FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'select-into',
      category: 'stacked-statements-and-writes',
      sql: `SELECT * INTO stolen FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_SELECT_INTO' },
    },
    {
      id: 'with-then-delete',
      category: 'stacked-statements-and-writes',
      sql: `WITH x AS (SELECT 1) DELETE FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_PARSE' },
    },
    {
      id: 'trailing-comment-statement',
      category: 'stacked-statements-and-writes',
      sql: `SELECT 1 AS x; -- \nDROP TABLE ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_MULTIPLE_STATEMENTS' },
    },

    // ATTACH / COPY / PRAGMA / SET / INSTALL / LOAD and friends
    {
      id: 'attach',
      category: 'engine-commands',
      sql: "ATTACH '/tmp/other.duckdb' AS o",
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'attach-after-select',
      category: 'engine-commands',
      sql: "SELECT 1; ATTACH '/tmp/o.duckdb'",
      expect: { reject: 'SP_ERR_GUARD_PARSE' },
    },
    { id: 'detach', category: 'engine-commands', sql: 'DETACH demo', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
    {
      id: 'copy-to',
      category: 'engine-commands',
      sql: `COPY ${n.secret} TO '/tmp/out.csv'`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'copy-query',
      category: 'engine-commands',
      sql: `COPY (SELECT * FROM ${n.fact}) TO '/tmp/out.csv'`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'pragma',
      category: 'engine-commands',
      sql: 'PRAGMA show_tables',
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'pragma-database-list',
      category: 'engine-commands',
      sql: 'PRAGMA database_list',
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'set',
      category: 'engine-commands',
      sql: 'SET enable_external_access = true',
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'reset',
      category: 'engine-commands',
      sql: 'RESET lock_configuration',
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'install',
      category: 'engine-commands',
      sql: 'INSTALL httpfs',
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    { id: 'load', category: 'engine-commands', sql: 'LOAD httpfs', expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' } },
    {
      id: 'call',
      category: 'engine-commands',
      sql: `CALL pragma_table_info('${n.secret}')`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'export-database',
      category: 'engine-commands',
      sql: "EXPORT DATABASE '/tmp/dump'",
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'describe',
      category: 'engine-commands',
      sql: `DESCRIBE ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },
    {
      id: 'show-tables',
      category: 'engine-commands',
      sql: 'SHOW TABLES',
      expect: { reject: 'SP_ERR_GUARD_NOT_SELECT' },
    },

    // CTE and alias shadowing
    {
      id: 'cte-shadows-sandbox',
      category: 'cte-and-alias-shadowing',
      sql: `WITH ${n.fact} AS (SELECT * FROM ${n.factRaw}) SELECT SUM(${n.num[0]}) FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_CTE_SHADOW' },
    },
    {
      id: 'cte-shadows-sandbox-case',
      category: 'cte-and-alias-shadowing',
      sql: `WITH ${n.factMixed} AS (SELECT 1 AS x) SELECT * FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_CTE_SHADOW' },
    },
    {
      id: 'nested-cte-shadows-sandbox',
      category: 'cte-and-alias-shadowing',
      sql: `SELECT * FROM (WITH ${n.unitTable} AS (SELECT * FROM ${n.unitRaw}) SELECT * FROM ${n.unitTable}) t`,
      expect: { reject: 'SP_ERR_GUARD_CTE_SHADOW' },
    },
    {
      id: 'subquery-cte-hides-outer-raw',
      category: 'cte-and-alias-shadowing',
      sql: `SELECT * FROM ${n.secret}, (WITH ${n.secret} AS (SELECT 1 AS x) SELECT * FROM ${n.secret}) t`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'forward-cte-reference',
      category: 'cte-and-alias-shadowing',
      sql: `WITH a AS (SELECT * FROM ${n.secret}), ${n.secret} AS (SELECT 1 AS x) SELECT * FROM a`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'cte-named-like-raw-table',
      category: 'cte-and-alias-shadowing',
      sql: `WITH ${n.secret} AS (SELECT ${n.unitKey} FROM ${n.fact}) SELECT COUNT(*) AS n FROM ${n.secret}`,
      expect: { inScope: true },
    },
    {
      id: 'alias-named-like-raw-table',
      category: 'cte-and-alias-shadowing',
      sql: `SELECT ${n.secret}.${n.unitKey} FROM ${n.fact} AS ${n.secret} GROUP BY 1`,
      expect: { inScope: true },
    },
    {
      id: 'recursive-cte',
      category: 'cte-and-alias-shadowing',
      sql: 'WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r',
      expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' },
    },

    // quoting, case, comment and string-escape tricks
    {
      id: 'backslash-escape-differential',
      category: 'quoting-case-comment-escape',
      sql: `SELECT 'a\\' FROM ${n.secret} --' AS x`,
      expect: { reject: 'SP_ERR_GUARD_LITERAL' },
    },
    {
      id: 'e-string-escape',
      category: 'quoting-case-comment-escape',
      sql: "SELECT E'\\x27' AS x",
      expect: { reject: 'SP_ERR_GUARD_PARSE' },
    },
    {
      id: 'quoted-raw-name',
      category: 'quoting-case-comment-escape',
      sql: `SELECT * FROM "${n.secret}"`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'upper-case-raw-name',
      category: 'quoting-case-comment-escape',
      sql: `SELECT * FROM ${n.secretUpper}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'comment-hides-from',
      category: 'quoting-case-comment-escape',
      sql: `SELECT 1 AS x /* FROM ${n.fact} */ FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    // node-sql-parser reads nested comments, so this is `SELECT 1 AS x` to the guard; what runs is
    // re-serialised from that reading (`SELECT 1 AS "x"`), so the engine's reading of the comment never matters.
    {
      id: 'nested-comment',
      category: 'quoting-case-comment-escape',
      sql: `SELECT 1 AS x /* /* */ FROM ${n.secret} -- */`,
      expect: { inScope: true },
    },
    {
      id: 'dollar-quoted',
      category: 'quoting-case-comment-escape',
      sql: `SELECT $$x$$ AS s FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'quoted-sandbox-case',
      category: 'quoting-case-comment-escape',
      sql: `SELECT COUNT(*) AS n FROM "${n.factUpper}"`,
      expect: { inScope: true },
    },
    {
      id: 'doubled-quote-identifier',
      category: 'quoting-case-comment-escape',
      sql: `SELECT 1 AS "a""b" FROM ${n.fact} LIMIT 1`,
      expect: { reject: 'SP_ERR_GUARD_PARSE' },
    },
    {
      id: 'semicolon-in-string',
      category: 'quoting-case-comment-escape',
      sql: `SELECT '; DROP TABLE ${n.secret}; --' AS s`,
      expect: { inScope: true },
    },

    // functions that execute SQL text or read metadata
    {
      id: 'query-function',
      category: 'sql-text-execution',
      sql: `SELECT * FROM query('SELECT * FROM ${n.secret}')`,
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'query-table',
      category: 'sql-text-execution',
      sql: `SELECT * FROM query_table('${n.secret}')`,
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'json-serialize-sql',
      category: 'sql-text-execution',
      sql: "SELECT json_serialize_sql('SELECT 1') AS j",
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'pragma-table-info-fn',
      category: 'sql-text-execution',
      sql: `SELECT * FROM pragma_table_info('${n.secret}')`,
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'error-function',
      category: 'sql-text-execution',
      sql: "SELECT error('x') AS e",
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },

    // constructs each first-layer rule exists for (so removing a rule changes an outcome)
    {
      id: 'bind-parameter',
      category: 'quoting-case-comment-escape',
      sql: `SELECT $1 AS p FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' },
    },
    {
      id: 'schema-qualified-column',
      category: 'raw-and-qualified-names',
      sql: `SELECT main.${n.fact}.${n.unitKey} FROM ${n.fact}`,
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },
    {
      id: 'aggregate-not-allowed',
      category: 'sql-text-execution',
      sql: `SELECT array_agg(${n.unitText}) AS a FROM ${n.unitTable}`,
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'regex-operator',
      category: 'resource-exhaustion',
      sql: `SELECT ${n.unitText} FROM ${n.unitTable} WHERE ${n.unitText} ~ '(a+)+$'`,
      expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' },
    },
    {
      id: 'cast-to-json',
      category: 'quoting-case-comment-escape',
      sql: `SELECT ${n.unitText}::JSON AS j FROM ${n.unitTable}`,
      expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' },
    },
    {
      id: 'schema-qualified-function',
      category: 'system-catalogs-and-metadata',
      sql: `SELECT pg_catalog.lower(${n.unitText}) AS n FROM ${n.unitTable}`,
      expect: { reject: 'SP_ERR_GUARD_QUALIFIED_NAME' },
    },

    // unicode look-alikes
    {
      id: 'cyrillic-a',
      category: 'unicode-look-alikes',
      sql: `SELECT * FROM ${n.factLookAlike}`,
      expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' },
    },
    {
      id: 'fullwidth-semicolon',
      category: 'unicode-look-alikes',
      sql: `SELECT 1 AS x； SELECT * FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' },
    },
    {
      id: 'zero-width-space',
      category: 'unicode-look-alikes',
      sql: `SELECT * FROM ${n.secretZwsp}`,
      expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' },
    },
    {
      id: 'right-to-left-override',
      category: 'unicode-look-alikes',
      sql: `SELECT 1 AS x \u202e FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' },
    },
    {
      id: 'nbsp',
      category: 'unicode-look-alikes',
      sql: `SELECT\u00a0* FROM ${n.secret}`,
      expect: { reject: 'SP_ERR_GUARD_BAD_CHARACTER' },
    },

    // error messages as a side channel (accepted; the result must be the physical sandbox's)
    {
      id: 'cast-error-on-other-tenant-row',
      category: 'error-side-channel',
      sql: `SELECT COUNT(*) AS n FROM ${n.unitTable} WHERE CASE WHEN ${n.unitKey} = ${n.other[0]} THEN CAST(${n.unitText} AS INTEGER) ELSE 0 END = 0`,
      expect: { inScope: true },
    },
    {
      id: 'cast-error-on-same-business-row',
      category: 'error-side-channel',
      sql: `SELECT COUNT(*) AS n FROM ${n.unitTable} WHERE CASE WHEN ${n.unitKey} = ${n.notGranted} THEN CAST(${n.unitText} AS INTEGER) ELSE 0 END = 0`,
      expect: { inScope: true },
    },
    {
      id: 'division-by-zero-oracle',
      category: 'error-side-channel',
      sql: `SELECT COUNT(*) AS n FROM ${n.fact} WHERE 1 / (CASE WHEN ${n.unitKey} = ${n.notGranted} THEN 0 ELSE 1 END) = 1`,
      expect: { inScope: true },
    },
    {
      id: 'cast-in-select-list',
      category: 'error-side-channel',
      sql: `SELECT CAST(${n.unitText2} AS INTEGER) AS c FROM ${n.unitTable}`,
      expect: { inScope: true },
    },

    // set operations with out-of-scope literals
    {
      id: 'union-other-tenant-literal',
      category: 'set-operations-out-of-scope-literals',
      sql: `SELECT ${n.unitKey} FROM ${n.unitTable} UNION SELECT ${n.other[0]}`,
      expect: { inScope: true },
    },
    {
      id: 'union-all-raw',
      category: 'set-operations-out-of-scope-literals',
      sql: `SELECT ${n.unitKey} FROM ${n.unitTable} UNION ALL SELECT ${n.unitKey} FROM ${n.unitRaw}`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'except-out-of-scope',
      category: 'set-operations-out-of-scope-literals',
      sql: `SELECT ${n.notGranted} AS id EXCEPT SELECT ${n.unitKey} FROM ${n.unitTable}`,
      expect: { inScope: true },
    },
    {
      id: 'intersect-probe',
      category: 'set-operations-out-of-scope-literals',
      sql: `SELECT ${n.unitKey} FROM ${n.fact} INTERSECT SELECT ${n.notGranted}`,
      expect: { inScope: true },
    },
    {
      id: 'filter-other-business-id',
      category: 'set-operations-out-of-scope-literals',
      sql: `SELECT SUM(${n.num[0]}) AS s FROM ${n.fact} WHERE ${n.unitKey} IN (${n.other[0]}, ${n.other[1]}, ${n.notGranted})`,
      expect: { inScope: true },
    },

    // correlated subqueries
    {
      id: 'correlated-exists-raw',
      category: 'correlated-subqueries',
      sql: `SELECT ${n.unitText} FROM ${n.unitTable} l WHERE EXISTS (SELECT 1 FROM ${n.factRaw} f WHERE f.${n.unitKey} = l.${n.unitKey})`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },
    {
      id: 'correlated-scalar',
      category: 'correlated-subqueries',
      sql: `SELECT l.${n.unitText}, (SELECT SUM(d.${n.num[0]}) FROM ${n.fact} d WHERE d.${n.unitKey} = l.${n.unitKey}) AS total FROM ${n.unitTable} l`,
      expect: { inScope: true },
    },
    {
      id: 'correlated-in',
      category: 'correlated-subqueries',
      sql: `SELECT COUNT(*) AS n FROM ${n.fact} d WHERE d.${n.unitKey} IN (SELECT l.${n.unitKey} FROM ${n.unitTable} l WHERE l.${n.unitKey} = d.${n.unitKey})`,
      expect: { inScope: true },
    },
    {
      id: 'correlated-raw-in-having',
      category: 'correlated-subqueries',
      sql: `SELECT ${n.unitKey} FROM ${n.fact} GROUP BY ${n.unitKey} HAVING COUNT(*) > (SELECT COUNT(*) FROM ${n.secret})`,
      expect: { reject: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
    },

    // resource exhaustion: stopped by the engine's timeout, or refused
    {
      id: 'cross-join-triple',
      category: 'resource-exhaustion',
      sql: `SELECT SUM(a.${n.num[0]} * b.${n.num[1]} - c.${n.num[2]}) AS n FROM ${n.fact} a, ${n.fact} b, ${n.fact} c`,
      expect: { engine: 'SP_ERR_EXECUTION_TIMEOUT' },
    },
    {
      id: 'range-huge',
      category: 'resource-exhaustion',
      sql: 'SELECT COUNT(*) AS n FROM range(100000000000)',
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'generate-series-huge',
      category: 'resource-exhaustion',
      sql: 'SELECT COUNT(*) AS n FROM generate_series(1, 100000000000)',
      expect: { reject: 'SP_ERR_GUARD_TABLE_FUNCTION' },
    },
    {
      id: 'recursive-forever',
      category: 'resource-exhaustion',
      sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r',
      expect: { reject: 'SP_ERR_GUARD_UNSUPPORTED' },
    },
    {
      id: 'regex-blowup',
      category: 'resource-exhaustion',
      sql: "SELECT regexp_matches(repeat('a', 100000), '(a*)*b') AS m",
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'repeat-memory',
      category: 'resource-exhaustion',
      sql: "SELECT repeat('x', 1000000000) AS s",
      expect: { reject: 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED' },
    },
    {
      id: 'deep-nesting',
      category: 'resource-exhaustion',
      sql: `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)} AS x`,
      expect: { reject: 'SP_ERR_GUARD_TOO_LONG' },
    },
    {
      id: 'deep-nesting-short',
      category: 'resource-exhaustion',
      sql: `SELECT ${'('.repeat(1000)}1${')'.repeat(1000)} AS x`,
      expect: { reject: 'SP_ERR_GUARD_TOO_DEEP' },
    },
    {
      id: 'huge-in-list',
      category: 'resource-exhaustion',
      sql: `SELECT COUNT(*) AS n FROM ${n.fact} WHERE ${n.unitKey} IN (${Array.from({ length: 3000 }, (_, i) => i).join(',')})`,
      expect: { reject: 'SP_ERR_GUARD_TOO_LONG' },
    },
  ];
}

/** The restaurant's corpus (what test/e2e/model.test.ts sends through a compromised model). */
export const CANDIDATE_CASES: readonly CandidateCase[] = candidateCases(
  corpusNames(RESTAURANT, await domainData(RESTAURANT)),
);

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

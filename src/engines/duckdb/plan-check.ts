/**
 * A third look on DuckDB, after the guard's parse and the engine's parse:
 * the bound plan. The parse-level checks see what the SQL says; the binder
 * decides what it means: it turns a column name it cannot resolve
 * (`current_catalog`) into a function call and folds others (`user`) into a
 * constant, resolves function names, and expands macros. So before a query
 * runs, its bound (unoptimised) logical plan, from json_serialize_plan, is
 * walked in the engine worker:
 *
 *   - every operator is a read (projection, filter, join, aggregate, ...);
 *   - every scan is a plain table scan (`seq_scan`) inside the definition of
 *     a sandbox CTE, of that CTE's own raw table (or, in a table that has
 *     locations, of the raw locations: a policy's location filter is a
 *     semi-join on them); no table function, and no raw table read anywhere else;
 *   - every scalar, aggregate and window function has an allowed name (a
 *     sandbox CTE's definition may also test the bound location list);
 *   - a constant that stands where the text has a word is the word itself
 *     (EXTRACT(YEAR ...)), or the word is an alias the text declares for a
 *     literal the text writes; anything else is a name the binder folded
 *     into a value. (Declaring `'duckdb' AS "user"` in one scope and naming
 *     `user` in another would pass here, as a guess confirmed: the two parse
 *     checks refuse such names before this one runs.)
 *
 * What it cannot see: the binder evaluates some expressions while binding
 * (LIMIT and OFFSET, a join condition that reads no column, a GROUP BY
 * ordinal's target), and only their value reaches the plan. Those are left to
 * the two parse-level checks, which see every function and name in them.
 *
 * A query the binder rejects (a type error, an unknown name) fails as it
 * would have when run: nothing of it executes. Anything else the check does
 * not recognise is refused. The check runs inside the deadline, in the
 * worker that can be killed.
 */
import { ALLOWED_FUNCTIONS } from '../../guard/allow-list.js';
import type { TableRegistry } from '../../schema/tables.js';
import { isNode } from './engine-check.js';
import { DUCKDB_OPERATOR_FUNCTIONS } from './functions.js';

/** What a bound plan may contain (plain data: it is sent to the worker). */
export interface PlanPolicy {
  /** Function names as the binder writes them. */
  readonly functions: readonly string[];
  /** Window kinds without a function name (`WINDOW_ROW_NUMBER`...). */
  readonly windows: readonly string[];
  /** Functions a sandbox CTE's own definition may call besides those (the bound location list's test). */
  readonly sandboxFunctions: readonly string[];
  /** Sandbox CTE name -> the raw tables (schema `main`) its definition may scan. */
  readonly sandboxTables: Readonly<Record<string, readonly string[]>>;
}

/** The binder's own error for a query it could not bind, if that is what the serialised plan says. */
export function bindError(serialised: unknown): string | undefined {
  return isNode(serialised) && serialised['error'] === true && typeof serialised['error_message'] === 'string'
    ? serialised['error_message']
    : undefined;
}

/** Logical operators a read-only analytics query is made of. */
const READ_OPERATORS: ReadonlySet<string> = new Set([
  'LOGICAL_PROJECTION',
  'LOGICAL_FILTER',
  'LOGICAL_AGGREGATE_AND_GROUP_BY',
  'LOGICAL_WINDOW',
  'LOGICAL_LIMIT',
  'LOGICAL_ORDER_BY',
  'LOGICAL_TOP_N',
  'LOGICAL_DISTINCT',
  'LOGICAL_COMPARISON_JOIN',
  'LOGICAL_ANY_JOIN',
  'LOGICAL_CROSS_PRODUCT',
  'LOGICAL_DELIM_JOIN',
  'LOGICAL_DEPENDENT_JOIN',
  'LOGICAL_UNION',
  'LOGICAL_EXCEPT',
  'LOGICAL_INTERSECT',
  'LOGICAL_GET',
  'LOGICAL_DUMMY_SCAN',
  'LOGICAL_EXPRESSION_GET',
  'LOGICAL_MATERIALIZED_CTE',
  'LOGICAL_CTE_REF',
  'LOGICAL_DELIM_GET',
  'LOGICAL_EMPTY_RESULT',
]);

const isNull = (value: unknown): boolean => isNode(value) && value['is_null'] === true;

/** Where a query location is none (2^64 - 1 as serialised). */
const NO_LOCATION = 2 ** 63;

/** Why the plan is refused, or undefined when it passes. */
export function planViolation(serialised: unknown, policy: PlanPolicy, sql: string): string | undefined {
  if (!isNode(serialised) || serialised['error'] !== false) return 'no plan';
  if (!Array.isArray(serialised['plans']) || serialised['plans'].length !== 1) return 'not exactly one plan';
  const functions = new Set(policy.functions);
  const inSandbox = new Set([...policy.functions, ...policy.sandboxFunctions]);
  const windows = new Set(policy.windows);
  // Query locations are byte offsets.
  const text = Buffer.from(sql, 'utf8');
  // Each entry: a value, and the raw tables a scan under it may read (inside a sandbox CTE's definition).
  const stack: [unknown, readonly string[] | undefined][] = [[serialised['plans'][0], undefined]];
  while (stack.length) {
    const [v, scannable] = stack.pop()!;
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, scannable]);
      continue;
    }
    if (!isNode(v)) continue;
    const type = v['type'];
    if (typeof type === 'string' && type.startsWith('LOGICAL_') && !READ_OPERATORS.has(type)) return `operator ${type}`;
    if (type === 'LOGICAL_MATERIALIZED_CTE' && Array.isArray(v['children']) && v['children'].length === 2) {
      const raw = Object.hasOwn(policy.sandboxTables, String(v['ctename']))
        ? policy.sandboxTables[String(v['ctename'])]
        : undefined;
      stack.push([v['children'][0], raw], [v['children'][1], undefined]);
      for (const [k, child] of Object.entries(v)) if (k !== 'children') stack.push([child, undefined]);
      continue;
    }
    if (type === 'LOGICAL_GET') {
      const data = isNode(v['function_data']) ? v['function_data'] : {};
      // A table function (range, read_csv, duckdb_tables...) is a LOGICAL_GET under another name.
      if (
        v['name'] !== 'seq_scan' ||
        data['schema'] !== 'main' ||
        scannable === undefined ||
        !scannable.includes(String(data['table']))
      ) {
        return `scan ${String(v['name'])} of ${String(data['schema'])}.${String(data['table'])}${scannable ? '' : ' outside a sandbox CTE'}`;
      }
    }
    const cls = v['expression_class'];
    const at = v['query_location'];
    if (cls === 'BOUND_CONSTANT' && typeof at === 'number' && at < NO_LOCATION && !isNull(v['value'])) {
      const word = /^[A-Za-z_"`][A-Za-z0-9_$"`]*/.exec(text.subarray(at, at + 200).toString('latin1'))?.[0];
      if (word !== undefined && !constantOfWord(word, v['value'], sql))
        return `the name ${word.slice(0, 40)} bound as a constant`;
    }
    if (
      cls === 'BOUND_FUNCTION' ||
      cls === 'BOUND_AGGREGATE' ||
      (cls === 'BOUND_WINDOW' && typeof v['name'] === 'string')
    ) {
      // Macros are expanded by the binder and never appear here; the ones that could shadow an
      // allowed name are refused when the file is opened (connector.ts).
      const name = String(v['name']);
      if (!(scannable === undefined ? functions : inSandbox).has(name)) return `function ${name}`;
    } else if (cls === 'BOUND_WINDOW') {
      if (!windows.has(String(v['type']))) return `window ${String(v['type'])}`;
    }
    for (const child of Object.values(v)) stack.push([child, scannable]);
  }
  return undefined;
}

/** Words a literal may start with (DATE '2026-01-01', INTERVAL 7 DAY, TRUE...). */
const LITERAL_WORDS: ReadonlySet<string> = new Set(['TRUE', 'FALSE', 'NULL', 'DATE', 'TIMESTAMP', 'TIME', 'INTERVAL']);

/**
 * Whether a constant found where the text has `word` is honest: a literal's keyword, the word itself
 * (a date part), or a value the text writes as a literal (a constant select item named by its alias).
 */
function constantOfWord(word: string, value: unknown, sql: string): boolean {
  if (LITERAL_WORDS.has(word.toUpperCase())) return true;
  const raw = isNode(value) ? value['value'] : undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return false;
  const s = String(raw);
  if (s.toLowerCase() === word.replaceAll('"', '').toLowerCase()) return true;
  // An alias the text declares, for a value the text writes: `'all' AS region ... GROUP BY region`.
  const name = word.replaceAll('"', '');
  const declared = new RegExp(`\\bAS\\s+"?${name.replace(/[^A-Za-z0-9_]/g, '')}"?(?![A-Za-z0-9_])`, 'i').test(sql);
  const literal = typeof raw === 'string' ? `'${s.replaceAll("'", "''")}'` : s;
  return declared && s !== '' && sql.includes(literal);
}

/**
 * Names the binder writes for constructs the first layer allows under other spellings:
 * `count(*)`, `extract(...)`, `LIKE`/`ILIKE`, date arithmetic, and the `error()` it adds to a
 * uncorrelated scalar subquery (`first` of its rows, `error` on more than one).
 */
const BINDER_SPELLINGS = ['count_star', 'date_part', 'to_days', '~~', '!~~', '~~*', '!~~*', 'first', 'error'];

/** Window kinds, by the functions the allow-list names. */
const WINDOW_KINDS: Readonly<Record<string, string>> = {
  row_number: 'WINDOW_ROW_NUMBER',
  rank: 'WINDOW_RANK',
  dense_rank: 'WINDOW_RANK_DENSE',
  percent_rank: 'WINDOW_PERCENT_RANK',
  cume_dist: 'WINDOW_CUME_DIST',
  ntile: 'WINDOW_NTILE',
  lag: 'WINDOW_LAG',
  lead: 'WINDOW_LEAD',
  first_value: 'WINDOW_FIRST_VALUE',
  last_value: 'WINDOW_LAST_VALUE',
};

/** Functions the binder writes for the masks a sandbox CTE may apply (sandbox/refine.ts, duckdbDialect.refine). */
const SANDBOX_MASK_FUNCTIONS = [
  'sha256',
  'concat',
  'substring',
  'position',
  'instr',
  'strpos',
  'round',
  'floor',
  '/',
  '*',
  'list_contains',
];

/**
 * The DuckDB plan policy for a registry: the guard's allow-lists, and for each sandbox table the raw
 * tables its definition may scan (its own, and the grant unit's for a table scoped per unit: a
 * policy's unit filter is a semi-join on it).
 */
export function duckdbPlanPolicy(registry: TableRegistry | undefined): PlanPolicy {
  const unitRaw = registry?.tables[registry.grantUnit.table]?.raw;
  return Object.freeze({
    functions: Object.freeze([...ALLOWED_FUNCTIONS, ...DUCKDB_OPERATOR_FUNCTIONS, ...BINDER_SPELLINGS]),
    windows: Object.freeze([...ALLOWED_FUNCTIONS].filter((f) => f in WINDOW_KINDS).map((f) => WINDOW_KINDS[f]!)),
    // duckdbDialect.inBoundList: `list_contains($sp_units, "<unit column>")`, and the mask functions of
    // sandbox/refine.ts; never callable by a candidate.
    sandboxFunctions: Object.freeze(['list_contains', ...SANDBOX_MASK_FUNCTIONS]),
    sandboxTables: Object.freeze(
      Object.fromEntries(
        Object.entries(registry?.tables ?? {}).map(([name, t]) => [
          name,
          Object.freeze(t.scope.unit !== undefined && unitRaw ? [...new Set([t.raw, unitRaw])] : [t.raw]),
        ]),
      ),
    ),
  });
}

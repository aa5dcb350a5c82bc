/**
 * The bound plan has the last word on DuckDB. The parse-level checks see
 * what the SQL says; the binder decides what it means: it turns a column
 * name it cannot resolve (`current_catalog`, `user`) into a function call,
 * resolves function names through the warehouse's own schema first, and
 * expands macros. So before a query runs, its bound (unoptimised) logical
 * plan, from json_serialize_plan, is walked in the engine worker:
 *
 *   - every operator is a read (projection, filter, join, aggregate, ...);
 *   - every scan is a plain table scan (`seq_scan`) of an exposed raw table
 *     in the `main` schema; no table function;
 *   - every scalar, aggregate and window function has an allowed name;
 *   - every constant stands where the text has a literal: the binder folds
 *     some names (`user`, `current_user`) straight into a constant such as
 *     the engine's role, which no function check would see.
 *
 * A query the binder rejects (a type error, an unknown name) fails as it
 * would have when run: nothing of it executes. Anything else the check does
 * not recognise is refused. The check runs inside the deadline, in the
 * worker that can be killed.
 */
import { SANDBOX_TABLES } from '../sandbox/tables.js';
import { ALLOWED_FUNCTIONS, ENGINE_OPERATOR_FUNCTIONS } from './allow-list.js';

/** What a bound plan may contain (plain data: it is sent to the worker). */
export interface PlanPolicy {
  /** Function names as the binder writes them. */
  readonly functions: readonly string[];
  /** Window kinds without a function name (`WINDOW_ROW_NUMBER`...). */
  readonly windows: readonly string[];
  /** Raw tables a scan may read, in schema `main`. */
  readonly tables: readonly string[];
}

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The binder's own error for a query it could not bind, if that is what the serialised plan says. */
export function bindError(serialised: unknown): string | undefined {
  return isNode(serialised) && serialised['error'] === true && typeof serialised['error_message'] === 'string' ? serialised['error_message'] : undefined;
}

const isNull = (value: unknown): boolean => isNode(value) && value['is_null'] === true;

/** Logical operators a read-only analytics query is made of. */
const READ_OPERATORS: ReadonlySet<string> = new Set([
  'LOGICAL_PROJECTION', 'LOGICAL_FILTER', 'LOGICAL_AGGREGATE_AND_GROUP_BY', 'LOGICAL_WINDOW', 'LOGICAL_LIMIT', 'LOGICAL_ORDER_BY',
  'LOGICAL_TOP_N', 'LOGICAL_DISTINCT', 'LOGICAL_COMPARISON_JOIN', 'LOGICAL_ANY_JOIN', 'LOGICAL_CROSS_PRODUCT', 'LOGICAL_DELIM_JOIN',
  'LOGICAL_DEPENDENT_JOIN', 'LOGICAL_UNION', 'LOGICAL_EXCEPT', 'LOGICAL_INTERSECT', 'LOGICAL_GET', 'LOGICAL_DUMMY_SCAN',
  'LOGICAL_EXPRESSION_GET', 'LOGICAL_MATERIALIZED_CTE', 'LOGICAL_CTE_REF', 'LOGICAL_DELIM_GET', 'LOGICAL_EMPTY_RESULT',
]);

/** Words a literal may start with (DATE '2026-01-01', INTERVAL 7 DAY, TRUE...). */
const LITERAL_WORDS: ReadonlySet<string> = new Set(['TRUE', 'FALSE', 'NULL', 'DATE', 'TIMESTAMP', 'TIME', 'INTERVAL']);

/** Why the plan is refused, or undefined when it passes. */
export function planViolation(serialised: unknown, policy: PlanPolicy, sql: string): string | undefined {
  if (!isNode(serialised) || serialised['error'] !== false) return 'no plan';
  if (!Array.isArray(serialised['plans']) || serialised['plans'].length !== 1) return 'not exactly one plan';
  const functions = new Set(policy.functions);
  const windows = new Set(policy.windows);
  const tables = new Set(policy.tables);
  const stack: unknown[] = [serialised['plans'][0]];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    if (!isNode(v)) continue;
    if (typeof v['type'] === 'string' && v['type'].startsWith('LOGICAL_') && !READ_OPERATORS.has(v['type'])) return `operator ${v['type']}`;
    if (v['type'] === 'LOGICAL_GET') {
      const data = isNode(v['function_data']) ? v['function_data'] : {};
      // A table function (range, read_csv, duckdb_tables...) is a LOGICAL_GET under another name.
      if (v['name'] !== 'seq_scan' || data['schema'] !== 'main' || !tables.has(String(data['table']))) {
        return `scan ${String(v['name'])} of ${String(data['schema'])}.${String(data['table'])}`;
      }
    }
    const cls = v['expression_class'];
    // NULL constants are left alone: the binder makes its own (with the location of a nearby token).
    if (cls === 'BOUND_CONSTANT' && typeof v['query_location'] === 'number' && v['query_location'] < sql.length && !isNull(v['value'])) {
      const word = /^[A-Za-z_"`][A-Za-z0-9_$"`]*/.exec(sql.slice(v['query_location']))?.[0];
      if (word !== undefined && !LITERAL_WORDS.has(word.toUpperCase())) return `the name ${word.slice(0, 40)} bound as a constant`;
    }
    if (cls === 'BOUND_FUNCTION' || cls === 'BOUND_AGGREGATE' || (cls === 'BOUND_WINDOW' && typeof v['name'] === 'string')) {
      // Macros are expanded by the binder and never appear here; the ones that could shadow an
      // allowed name are refused when the file is opened (duckdb-connector.ts).
      const name = String(v['name']);
      if (!functions.has(name)) return `function ${name}`;
    } else if (cls === 'BOUND_WINDOW') {
      if (!windows.has(String(v['type']))) return `window ${String(v['type'])}`;
    }
    stack.push(...Object.values(v));
  }
  return undefined;
}

/**
 * Names the binder writes for constructs the first layer allows under other spellings:
 * `count(*)`, `extract(...)`, `LIKE`/`ILIKE`, date arithmetic, ...
 */
const BINDER_SPELLINGS = ['count_star', 'date_part', 'to_days', '~~', '!~~', '~~*', '!~~*'];

/** Window kinds, by the functions the allow-list names. */
const WINDOW_KINDS: Readonly<Record<string, string>> = {
  row_number: 'WINDOW_ROW_NUMBER', rank: 'WINDOW_RANK', dense_rank: 'WINDOW_RANK_DENSE', percent_rank: 'WINDOW_PERCENT_RANK',
  cume_dist: 'WINDOW_CUME_DIST', ntile: 'WINDOW_NTILE', lag: 'WINDOW_LAG', lead: 'WINDOW_LEAD',
  first_value: 'WINDOW_FIRST_VALUE', last_value: 'WINDOW_LAST_VALUE',
};

/** The DuckDB plan policy: the guard's allow-lists and the exposed raw tables. */
export const DUCKDB_PLAN_POLICY: PlanPolicy = Object.freeze({
  functions: Object.freeze([...ALLOWED_FUNCTIONS, ...ENGINE_OPERATOR_FUNCTIONS, ...BINDER_SPELLINGS]),
  windows: Object.freeze([...ALLOWED_FUNCTIONS].filter((f) => f in WINDOW_KINDS).map((f) => WINDOW_KINDS[f]!)),
  tables: Object.freeze(Object.values(SANDBOX_TABLES).map((t) => t.raw)),
});

/**
 * The guard's own reading of a candidate: node-sql-parser's AST, checked
 * scope by scope. Every relation must resolve, where it stands, to a sandbox
 * CTE or to a CTE the candidate defined earlier in an enclosing WITH; every
 * function, operator and cast must be allowed; every node type must be one
 * this file knows. Anything else is rejected: the guard fails closed.
 *
 * node-sql-parser's AST shapes stay inside the guard folder.
 */
import { SplitplaneError } from '../errors.js';
import {
  ALLOWED_BINARY_OPERATORS,
  ALLOWED_CAST_TYPES,
  ALLOWED_FUNCTIONS,
  ALLOWED_UNARY_OPERATORS,
  SQL_VALUE_FUNCTIONS,
  STRING_GROWING,
} from './allow-list.js';
import { AST_LIMITS } from './limits.js';
import { text } from '../util/text.js';

type Node = Record<string, unknown>;

/** Expression node types the guard understands. Anything else is rejected. */
const EXPRESSION_TYPES = new Set([
  'column_ref',
  'function',
  'aggr_func',
  'window_func',
  'binary_expr',
  'unary_expr',
  'cast',
  'case',
  'when',
  'else',
  'expr_list',
  'expr',
  'number',
  'bigint',
  'single_quote_string',
  'string',
  'bool',
  'boolean',
  'null',
  'date',
  'time',
  'timestamp',
  'interval',
  'star',
  'default',
  'double_quote_string',
  'window',
  'extract',
  'origin',
  'datatype',
  'window_frame',
  // order-by items carry their direction in `type`; SELECT DISTINCT [ON (...)] its kind
  'ASC',
  'DESC',
  'DISTINCT',
  'DISTINCT ON',
]);
const STRING_LITERAL_TYPES = new Set(['single_quote_string', 'string']);
/** Keys of a select node; one not listed with a non-empty value is rejected. */
const SELECT_KEYS = new Set([
  'with',
  'type',
  'options',
  'distinct',
  'columns',
  'into',
  'from',
  'where',
  'groupby',
  'having',
  'orderby',
  'limit',
  'window',
  '_next',
  'set_op',
  'parentheses',
  '_parentheses',
  'loc',
  'collate',
  'qualify',
]);

function reject(code: ConstructorParameters<typeof SplitplaneError>[0], detail: string): never {
  throw new SplitplaneError(code, { detail });
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function identName(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isNode(v) && typeof v['value'] === 'string') return v['value'];
  return reject('SP_ERR_GUARD_UNSUPPORTED', 'unreadable identifier');
}

/**
 * Check one parsed SELECT statement against the sandbox names.
 * Returns the names of the candidate's top-level CTEs, in order.
 */
export function checkStatement(ast: Node, sandboxNames: ReadonlySet<string>): void {
  new ScopeChecker(sandboxNames).select(ast, new Set(sandboxNames));
}

function tooComplex(detail: string): never {
  return reject('SP_ERR_GUARD_TOO_COMPLEX', detail);
}

class ScopeChecker {
  #nodes = 0;
  #selects = 0;

  constructor(private readonly sandboxNames: ReadonlySet<string>) {}

  /** A select node (possibly the head of a set operation) under the visible names `outer`. */
  select(node: unknown, outer: ReadonlySet<string>, depth = 0): void {
    if (!isNode(node) || node['type'] !== 'select') reject('SP_ERR_GUARD_NOT_SELECT', 'not a select');
    if (++this.#selects > AST_LIMITS.maxSubqueries + 1) tooComplex(`more than ${AST_LIMITS.maxSubqueries} subqueries`);
    if (depth > AST_LIMITS.maxExpressionDepth) tooComplex('nested too deeply');
    const columns = node['columns'];
    if (Array.isArray(columns) && columns.length > AST_LIMITS.maxSelectItems)
      tooComplex(`more than ${AST_LIMITS.maxSelectItems} select items`);
    const fromList = node['from'];
    if (Array.isArray(fromList) && fromList.length > AST_LIMITS.maxJoins + 1)
      tooComplex(`more than ${AST_LIMITS.maxJoins} joins`);
    for (const [k, v] of Object.entries(node)) {
      if (!SELECT_KEYS.has(k) && v !== null && v !== undefined) reject('SP_ERR_GUARD_UNSUPPORTED', `select key ${k}`);
    }
    const into = node['into'];
    if (isNode(into) && (into['position'] != null || into['expr'] != null)) reject('SP_ERR_GUARD_SELECT_INTO', 'into');
    const options = node['options'];
    if (options != null && !(Array.isArray(options) && options.length === 0))
      reject('SP_ERR_GUARD_UNSUPPORTED', 'select options');

    const scope = new Set(outer);
    const withList = node['with'];
    if (withList != null) {
      if (!Array.isArray(withList)) reject('SP_ERR_GUARD_UNSUPPORTED', 'with');
      const declared = new Set<string>();
      for (const cte of withList) {
        if (!isNode(cte)) reject('SP_ERR_GUARD_UNSUPPORTED', 'cte');
        const name = identName(cte['name']).toLowerCase();
        if (this.sandboxNames.has(name)) reject('SP_ERR_GUARD_CTE_SHADOW', name);
        if (declared.has(name)) reject('SP_ERR_GUARD_UNSUPPORTED', `cte ${name} twice`);
        if (cte['recursive'] || cte['columns'] != null)
          reject('SP_ERR_GUARD_UNSUPPORTED', 'recursive cte or cte column list');
        for (const k of Object.keys(cte)) {
          if (!['name', 'stmt', 'columns', 'recursive'].includes(k)) reject('SP_ERR_GUARD_UNSUPPORTED', `cte key ${k}`);
        }
        // A CTE sees only the CTEs before it (and outer ones): strict, so no engine can read more into it.
        const stmt = cte['stmt'];
        this.select(isNode(stmt) && 'ast' in stmt ? stmt['ast'] : stmt, scope, depth + 1);
        declared.add(name);
        scope.add(name);
      }
    }

    const from = node['from'];
    if (from != null) {
      if (!Array.isArray(from)) reject('SP_ERR_GUARD_UNSUPPORTED', 'from');
      for (const item of from) this.fromItem(item, scope, depth + 1);
    }
    for (const key of [
      'columns',
      'where',
      'groupby',
      'having',
      'orderby',
      'limit',
      'window',
      'distinct',
      'qualify',
      'collate',
    ]) {
      this.expr(node[key], scope, depth + 1, 0);
    }
    // The WITH of the head of a set operation covers every branch, as in the engine.
    if (node['_next'] != null) this.select(node['_next'], scope, depth + 1);
  }

  fromItem(item: unknown, scope: ReadonlySet<string>, depth: number): void {
    if (!isNode(item)) reject('SP_ERR_GUARD_UNSUPPORTED', 'from item');
    if (item['prefix'] != null) reject('SP_ERR_GUARD_UNSUPPORTED', 'lateral or prefixed from item');
    if (item['type'] === 'expr' || item['type'] === 'dual' || item['type'] === 'values') {
      const inner = item['expr'];
      if (isNode(inner) && (inner['type'] === 'function' || inner['type'] === 'aggr_func')) {
        reject('SP_ERR_GUARD_TABLE_FUNCTION', identFunction(inner));
      }
      if (!(isNode(inner) && 'ast' in inner)) reject('SP_ERR_GUARD_UNSUPPORTED', `from ${item['type']}`);
    }
    if ('table' in item && typeof item['table'] === 'string') {
      for (const q of ['db', 'schema', 'catalog', 'server']) {
        if (item[q] != null) reject('SP_ERR_GUARD_QUALIFIED_NAME', `${text(item[q])}.${item['table']}`);
      }
      const name = item['table'].toLowerCase();
      if (!scope.has(name)) reject('SP_ERR_GUARD_UNKNOWN_RELATION', name);
    } else if (isNode(item['expr']) && 'ast' in item['expr']) {
      this.select(item['expr']['ast'], scope, depth + 1);
    } else {
      reject('SP_ERR_GUARD_UNSUPPORTED', 'from item shape');
    }
    for (const [k, v] of Object.entries(item)) {
      if (
        [
          'table',
          'db',
          'schema',
          'catalog',
          'server',
          'as',
          'join',
          'expr',
          'prefix',
          'type',
          'surround',
          'loc',
        ].includes(k)
      )
        continue;
      if (k === 'on' || k === 'using') this.expr(v, scope, depth + 1, 0);
      else if (v != null) reject('SP_ERR_GUARD_UNSUPPORTED', `from item key ${k}`);
    }
  }

  /**
   * Any expression position: walks every child, so a subquery cannot hide anywhere. `depth` counts
   * the expressions and queries above this one, `growth` the string-growing functions.
   */
  expr(value: unknown, scope: ReadonlySet<string>, depth: number, growth: number): void {
    if (value === null || value === undefined || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      if (value.length > AST_LIMITS.maxInList) tooComplex(`a list of more than ${AST_LIMITS.maxInList} items`);
      for (const v of value) this.expr(v, scope, depth, growth);
      return;
    }
    const node = value as Node;
    if (++this.#nodes > AST_LIMITS.maxNodes) tooComplex(`more than ${AST_LIMITS.maxNodes} nodes`);
    if ('ast' in node) {
      const ast = node['ast'];
      if (Array.isArray(ast)) reject('SP_ERR_GUARD_MULTIPLE_STATEMENTS', 'subquery with several statements');
      this.select(ast, scope, depth + 1);
      return;
    }
    const type = node['type'];
    if (type === 'select') {
      this.select(node, scope, depth + 1);
      return;
    }
    let below = depth;
    let grown = growth;
    if (typeof type === 'string') {
      this.typed(node, type);
      if (++below > AST_LIMITS.maxExpressionDepth)
        tooComplex(`expressions nested more than ${AST_LIMITS.maxExpressionDepth} deep`);
      if (growsString(node, type) && ++grown > AST_LIMITS.maxStringGrowth)
        tooComplex('string functions nested too deeply');
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'type' || k === 'loc') continue;
      this.expr(v, scope, below, grown);
    }
  }

  typed(node: Node, type: string): void {
    if (!EXPRESSION_TYPES.has(type)) reject('SP_ERR_GUARD_UNSUPPORTED', `expression ${type}`);
    switch (type) {
      case 'column_ref': {
        for (const q of ['db', 'schema'])
          if (node[q] != null) reject('SP_ERR_GUARD_QUALIFIED_NAME', 'qualified column');
        // DuckDB's binder answers an unresolved `current_catalog`, `user`... with the engine's own metadata.
        const column = node['column'];
        const name =
          typeof column === 'string'
            ? column
            : isNode(column) && isNode(column['expr'])
              ? column['expr']['value']
              : undefined;
        if (typeof name === 'string' && SQL_VALUE_FUNCTIONS.has(name.toLowerCase()))
          reject('SP_ERR_GUARD_KEYWORD_IDENTIFIER', name);
        return;
      }
      case 'function': {
        const name = identFunction(node);
        if (!ALLOWED_FUNCTIONS.has(name)) reject('SP_ERR_GUARD_FUNCTION_NOT_ALLOWED', name);
        return;
      }
      case 'aggr_func':
      case 'window_func': {
        const name = String(node['name']).toLowerCase();
        if (!ALLOWED_FUNCTIONS.has(name)) reject('SP_ERR_GUARD_FUNCTION_NOT_ALLOWED', name);
        return;
      }
      case 'binary_expr': {
        const op = String(node['operator']).toUpperCase();
        if (!ALLOWED_BINARY_OPERATORS.has(op))
          reject('SP_ERR_GUARD_UNSUPPORTED', `operator ${String(node['operator'])}`);
        if (op.endsWith('LIKE')) {
          const pattern = node['right'];
          if (
            !isNode(pattern) ||
            !STRING_LITERAL_TYPES.has(String(pattern['type'])) ||
            typeof pattern['value'] !== 'string'
          ) {
            tooComplex('a LIKE pattern that is not a string literal');
          }
          const wildcards = pattern['value'].replace(/[^%_]/g, '').length;
          if (wildcards > AST_LIMITS.maxLikeWildcards)
            tooComplex(`a LIKE pattern with more than ${AST_LIMITS.maxLikeWildcards} wildcards`);
        }
        return;
      }
      case 'unary_expr':
        if (!ALLOWED_UNARY_OPERATORS.has(String(node['operator']).toUpperCase())) {
          reject('SP_ERR_GUARD_UNSUPPORTED', `operator ${String(node['operator'])}`);
        }
        return;
      case 'cast': {
        const targets = Array.isArray(node['target']) ? node['target'] : [node['target']];
        for (const t of targets) {
          const dt = isNode(t) ? String(t['dataType']).toUpperCase() : '';
          if (!ALLOWED_CAST_TYPES.has(dt)) reject('SP_ERR_GUARD_UNSUPPORTED', `cast to ${dt}`);
          // `TIMESTAMP WITH TIME ZONE` reads as TIMESTAMP plus a suffix: refused (it reads the server's zone).
          const suffix = isNode(t) ? t['suffix'] : undefined;
          if (Array.isArray(suffix) && suffix.length > 0)
            reject('SP_ERR_GUARD_UNSUPPORTED', `cast to ${dt} ${suffix.join(' ')}`);
        }
        return;
      }
      default:
        if (STRING_LITERAL_TYPES.has(type) && typeof node['value'] === 'string' && node['value'].includes('\\')) {
          // Parsers disagree on backslash escapes; no reading of this literal is safe to trust.
          reject('SP_ERR_GUARD_LITERAL', 'backslash in a string literal');
        }
    }
  }
}

function growsString(node: Node, type: string): boolean {
  if (type === 'binary_expr') return node['operator'] === '||';
  return type === 'function' && STRING_GROWING.has(identFunction(node));
}

function identFunction(node: Node): string {
  const name = node['name'];
  if (isNode(name) && Array.isArray(name['name'])) {
    if (name['name'].length !== 1 || name['schema'] != null)
      reject('SP_ERR_GUARD_QUALIFIED_NAME', 'qualified function');
    return identName(name['name'][0]).toLowerCase();
  }
  return String(name).toLowerCase();
}

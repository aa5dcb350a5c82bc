/**
 * The engine's parser has the last word. The exact text that will run is
 * parsed by DuckDB (json_serialize_sql) and checked again, independently of
 * node-sql-parser: one SELECT; the leading CTEs are exactly the sandbox CTEs
 * as the sandbox builder wrote them; everywhere else every relation resolves,
 * by DuckDB's own tree and strict CTE scoping, to a sandbox CTE or a
 * candidate CTE; functions are allowed; no table functions, no parameters.
 * Any disagreement rejects with SP_ERR_GUARD_ENGINE_MISMATCH.
 */
import { ALLOWED_FUNCTIONS, SQL_VALUE_FUNCTIONS } from '../../guard/allow-list.js';
import { mismatch, verifySandboxPrefix, type EngineCheck } from '../../guard/engine-check.js';
import { DUCKDB_CAST_TYPES, DUCKDB_OPERATOR_FUNCTIONS } from './functions.js';
import { text } from '../../util/text.js';

type Node = Record<string, unknown>;

const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE']);
const EXPRESSION_CLASSES = new Set([
  'COLUMN_REF',
  'CONSTANT',
  'FUNCTION',
  'WINDOW',
  'OPERATOR',
  'COMPARISON',
  'CONJUNCTION',
  'CASE',
  'CAST',
  'BETWEEN',
  'STAR',
  'SUBQUERY',
]);

/** A JSON object (not an array): the shape of every node in DuckDB's serialised trees and plans. */
export function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The sandbox CTE entries of a parse of the sandbox probe (src/sandbox/statement.ts), in order. The
 * final text starts with the same `WITH <sandbox>` prefix, so even the parse positions must match exactly.
 */
export function sandboxCteEntries(tree: unknown): { key: string; value: string }[] {
  const node = rootNode(tree);
  return cteEntries(node).map((e) => ({ key: e.key, value: JSON.stringify(e.value) }));
}

/**
 * Check the engine's parse of the final SQL. `sandbox` is the expected leading
 * CTEs (from {@link sandboxCteEntries}), compared exactly.
 */
export function checkEngineTree(tree: unknown, sandbox: readonly { key: string; value: string }[]): void {
  const root = rootNode(tree);
  const names = verifySandboxPrefix(
    cteEntries(root).map((e) => ({ name: e.key, node: e.value })),
    sandbox,
  );
  new EngineScope(names).queryNode(root, new Set(names), sandbox.length);
}

function rootNode(tree: unknown): Node {
  if (!isNode(tree)) mismatch('no tree');
  if (tree['error'] !== false) mismatch(`engine parse error: ${text(tree['error_message'])}`);
  const statements = tree['statements'];
  if (!Array.isArray(statements) || statements.length !== 1) mismatch('not exactly one statement');
  const node = isNode(statements[0]) ? statements[0]['node'] : undefined;
  if (!isNode(node)) mismatch('no statement node');
  return node;
}

function cteEntries(node: Node): { key: string; value: unknown }[] {
  const map = isNode(node['cte_map']) ? node['cte_map']['map'] : undefined;
  if (map === undefined) return [];
  if (!Array.isArray(map)) mismatch('cte_map');
  return map.map((e) => {
    if (!isNode(e) || typeof e['key'] !== 'string') mismatch('cte entry');
    return { key: e['key'], value: e['value'] };
  });
}

class EngineScope {
  constructor(private readonly sandboxNames: ReadonlySet<string>) {}

  /** A query node; `skip` leading CTEs were already verified as the sandbox. */
  queryNode(node: unknown, outer: ReadonlySet<string>, skip = 0): void {
    if (!isNode(node) || !QUERY_NODES.has(String(node['type'])))
      mismatch(`query node ${String(isNode(node) ? node['type'] : node)}`);
    const scope = new Set(outer);
    cteEntries(node).forEach((entry, i) => {
      if (i < skip) return;
      const name = entry.key.toLowerCase();
      if (this.sandboxNames.has(name) || (scope.has(name) && !outer.has(name))) mismatch(`cte ${name} redefined`);
      if (!isNode(entry.value) || !isNode(entry.value['query'])) mismatch('cte body');
      this.queryNode(entry.value['query']['node'], scope);
      scope.add(name);
    });
    for (const [k, v] of Object.entries(node)) {
      if (k === 'cte_map' || k === 'type') continue;
      if (k === 'left' || k === 'right') this.queryNode(v, scope);
      else if (k === 'from_table') this.tableRef(v, scope);
      else this.walk(v, scope);
    }
  }

  tableRef(ref: unknown, scope: ReadonlySet<string>): void {
    if (!isNode(ref)) mismatch('table ref');
    if (ref['sample'] != null) mismatch('sample');
    switch (ref['type']) {
      case 'EMPTY':
        return;
      case 'BASE_TABLE': {
        const name = String(ref['table_name']).toLowerCase();
        if (ref['catalog_name'] !== '' || ref['schema_name'] !== '') mismatch(`qualified ${name}`);
        if (ref['at_clause'] != null) mismatch('at clause');
        if (!scope.has(name)) mismatch(`relation ${name} outside the sandbox`);
        return;
      }
      case 'JOIN':
        this.tableRef(ref['left'], scope);
        this.tableRef(ref['right'], scope);
        this.walk(ref['condition'], scope);
        return;
      case 'SUBQUERY': {
        const sub = ref['subquery'];
        if (!isNode(sub)) mismatch('subquery');
        this.queryNode(sub['node'], scope);
        return;
      }
      default:
        mismatch(`table ref ${String(ref['type'])}`);
    }
  }

  /** Expressions and modifiers: every child is visited. */
  walk(v: unknown, scope: ReadonlySet<string>): void {
    if (Array.isArray(v)) {
      for (const x of v) this.walk(x, scope);
      return;
    }
    if (!isNode(v)) return;
    if (typeof v['class'] === 'string') this.expression(v);
    if (typeof v['type'] === 'string' && QUERY_NODES.has(v['type']) && 'modifiers' in v) {
      this.queryNode(v, scope);
      return;
    }
    if ('from_table' in v || (typeof v['type'] === 'string' && v['type'].endsWith('_NODE'))) {
      mismatch(`unexpected query shape ${String(v['type'])}`);
    }
    for (const [k, child] of Object.entries(v)) {
      if (k === 'subquery' && isNode(child)) this.queryNode(child['node'], scope);
      else this.walk(child, scope);
    }
  }

  expression(e: Node): void {
    const cls = String(e['class']);
    if (!EXPRESSION_CLASSES.has(cls)) mismatch(`expression class ${cls}`);
    if (cls === 'COLUMN_REF' && Array.isArray(e['column_names'])) {
      if (e['column_names'].length > 2) mismatch('qualified column');
      // The binder would answer an unresolved `current_catalog`, `user`... with the engine's metadata.
      const last = String(e['column_names'][e['column_names'].length - 1]).toLowerCase();
      if (SQL_VALUE_FUNCTIONS.has(last)) mismatch(`keyword-like column ${last}`);
    }
    if (cls === 'CAST') {
      const id = isNode(e['cast_type']) ? String(e['cast_type']['id']) : '';
      if (!DUCKDB_CAST_TYPES.has(id)) mismatch(`cast to ${id}`);
    }
    if (cls === 'FUNCTION' || cls === 'WINDOW') {
      if ((e['schema'] ?? '') !== '' || (e['catalog'] ?? '') !== '') mismatch('qualified function');
      const name = String(e['function_name']).toLowerCase();
      if (
        !ALLOWED_FUNCTIONS.has(name) &&
        !(e['is_operator'] === true && DUCKDB_OPERATOR_FUNCTIONS.has(name)) &&
        !DUCKDB_OPERATOR_FUNCTIONS.has(name)
      ) {
        mismatch(`function ${name}`);
      }
    }
  }
}

/** DuckDB's grammar for the guard's first layer: node-sql-parser's PostgreSQL grammar both ways. */
export const DUCKDB_GRAMMAR = Object.freeze({
  name: 'duckdb',
  parserDatabase: 'postgresql',
  sqlifyDatabase: 'postgresql',
  identQuote: '"',
} as const);

/** The DuckDB side of the guard: its parse is json_serialize_sql (`source.engineParse`, read at each call). */
export function duckdbEngineCheck(source: { engineParse(sql: string): Promise<unknown> }): EngineCheck {
  return {
    grammar: DUCKDB_GRAMMAR,
    parse: (sql) => source.engineParse(sql),
    readSandbox: (probe) => sandboxCteEntries(probe),
    check: (tree, _statement, sandbox) => checkEngineTree(tree, sandbox as readonly { key: string; value: string }[]),
  };
}

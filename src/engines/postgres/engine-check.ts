/**
 * The PostgreSQL half of the guard: the exact final text is parsed by
 * PostgreSQL's own parser (libpg-query) and checked on that reading. One
 * SELECT; the leading CTEs equal the sandbox CTEs as built; every other
 * relation is, by strict CTE scoping, a sandbox or candidate CTE (unqualified,
 * case as PostgreSQL folds it); no table functions; functions and operators
 * allow-listed; any node type not listed here is a mismatch.
 */
import { ALLOWED_FUNCTIONS, SQL_VALUE_FUNCTIONS } from '../../guard/allow-list.js';
import { mismatch, verifySandboxPrefix, type EngineCheck } from '../../guard/engine-check.js';
import { POSTGRES_CAST_TYPES } from './functions.js';

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Node types that may appear anywhere in a candidate's tree (besides those handled specially). */
const ALLOWED_NODES = new Set([
  'ResTarget',
  'ColumnRef',
  'A_Const',
  'A_Expr',
  'BoolExpr',
  'FuncCall',
  'TypeCast',
  'TypeName',
  'CaseExpr',
  'CaseWhen',
  'NullTest',
  'BooleanTest',
  'CoalesceExpr',
  'MinMaxExpr',
  'NullIfExpr',
  'SortBy',
  'WindowDef',
  'A_Star',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'List',
  'SubLink',
  'JoinExpr',
  'RangeSubselect',
  'RangeVar',
  'SelectStmt',
  'WithClause',
  'CommonTableExpr',
  'Alias',
  'A_ArrayExpr',
  'GroupingSet',
  'RowExpr',
]);
const ALLOWED_OPERATORS = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '||',
  '~~',
  '!~~',
  '~~*',
  '!~~*',
  'BETWEEN',
  'NOT BETWEEN',
]);

/** The sandbox CTE entries of a parse of the sandbox probe, serialised (positions match: same prefix). */
export function postgresSandboxEntries(tree: unknown): { key: string; value: string }[] {
  return ctes(root(tree)).map((c) => ({ key: c.name, value: JSON.stringify(c.node) }));
}

/** Check PostgreSQL's parse of the final SQL against the expected sandbox CTEs. */
export function checkPostgresTree(tree: unknown, sandbox: readonly { key: string; value: string }[]): void {
  const select = root(tree);
  const names = verifySandboxPrefix(ctes(select), sandbox);
  new Walker(names).select(select, new Set(), sandbox.length);
}

function root(tree: unknown): Node {
  if (!isNode(tree) || !Array.isArray(tree['stmts']) || tree['stmts'].length !== 1)
    mismatch('not exactly one statement');
  const stmt = (tree['stmts'][0] as Node)['stmt'];
  if (!isNode(stmt) || !isNode(stmt['SelectStmt'])) mismatch('not a SELECT');
  return stmt['SelectStmt'];
}

function ctes(select: Node): { name: string; node: Node }[] {
  const w = select['withClause'];
  if (w === undefined) return [];
  if (!isNode(w) || !Array.isArray(w['ctes'])) mismatch('with clause');
  if (w['recursive']) mismatch('recursive CTE');
  return w['ctes'].map((c) => {
    const cte = isNode(c) ? c['CommonTableExpr'] : undefined;
    if (!isNode(cte) || typeof cte['ctename'] !== 'string') mismatch('CTE');
    return { name: cte['ctename'], node: cte };
  });
}

class Walker {
  constructor(private readonly sandboxNames: ReadonlySet<string>) {}

  /** A SelectStmt; `skip` leading CTEs are the verified sandbox (already in `outer` via the caller). */
  select(s: Node, outer: ReadonlySet<string>, skip = 0): void {
    const scope = new Set(outer);
    if (skip > 0) for (const n of this.sandboxNames) scope.add(n);
    ctes(s).forEach((c, i) => {
      if (i < skip) return;
      if (this.sandboxNames.has(c.name) || (scope.has(c.name) && !outer.has(c.name)))
        mismatch(`CTE ${c.name} redefined`);
      const q = c.node['ctequery'];
      if (!isNode(q) || !isNode(q['SelectStmt'])) mismatch('CTE body is not a SELECT');
      this.select(q['SelectStmt'], scope);
      scope.add(c.name);
    });
    for (const [k, v] of Object.entries(s)) {
      if (k === 'withClause') continue;
      if (k === 'intoClause' || k === 'lockingClause') mismatch(k);
      if (k === 'larg' || k === 'rarg') {
        if (!isNode(v)) mismatch('set operation');
        this.select(v, scope);
      } else if (k === 'fromClause') {
        for (const item of v as unknown[]) this.from(item, scope);
      } else this.walk(v, scope);
    }
  }

  from(item: unknown, scope: ReadonlySet<string>): void {
    if (!isNode(item)) mismatch('from item');
    const [type, body] = Object.entries(item)[0] ?? [];
    if (!isNode(body)) mismatch('from item');
    switch (type) {
      case 'RangeVar':
        if (body['schemaname'] !== undefined || body['catalogname'] !== undefined)
          mismatch(`qualified ${String(body['relname'])}`);
        if (!scope.has(String(body['relname']))) mismatch(`relation ${String(body['relname'])} outside the sandbox`);
        return;
      case 'JoinExpr':
        this.from(body['larg'], scope);
        this.from(body['rarg'], scope);
        this.walk(body['quals'], scope);
        return;
      case 'RangeSubselect': {
        if (body['lateral']) mismatch('lateral');
        const sub = body['subquery'];
        if (!isNode(sub) || !isNode(sub['SelectStmt'])) mismatch('subquery');
        this.select(sub['SelectStmt'], scope);
        return;
      }
      default:
        mismatch(`from ${String(type)}`);
    }
  }

  walk(v: unknown, scope: ReadonlySet<string>): void {
    if (Array.isArray(v)) {
      for (const x of v) this.walk(x, scope);
      return;
    }
    if (!isNode(v)) return;
    for (const [type, body] of Object.entries(v)) {
      // Keys starting with a capital letter are node types; the rest are fields of the parent node.
      if (!/^[A-Z]/.test(type)) {
        this.walk(body, scope);
        continue;
      }
      if (!ALLOWED_NODES.has(type)) mismatch(`node ${type}`);
      if (!isNode(body)) continue;
      if (type === 'SelectStmt') {
        this.select(body, scope);
        continue;
      }
      if (type === 'RangeVar' || type === 'JoinExpr' || type === 'RangeSubselect') {
        this.from({ [type]: body }, scope);
        continue;
      }
      if (type === 'FuncCall') {
        const names = svals(body['funcname']);
        if (names.length !== 1 || !ALLOWED_FUNCTIONS.has(names[0]!.toLowerCase()))
          mismatch(`function ${names.join('.')}`);
      }
      if (type === 'A_Expr') {
        const names = svals(body['name']);
        if (names.length !== 1 || !ALLOWED_OPERATORS.has(names[0]!)) mismatch(`operator ${names.join('.')}`);
      }
      if (type === 'ColumnRef' && Array.isArray(body['fields'])) {
        if (body['fields'].length > 2) mismatch('qualified column');
        const last = body['fields'][body['fields'].length - 1] as Node;
        const name = isNode(last) && isNode(last['String']) ? String(last['String']['sval']).toLowerCase() : '';
        if (SQL_VALUE_FUNCTIONS.has(name)) mismatch(`keyword-like column ${name}`);
      }
      if (type === 'TypeName') {
        const names = svals(body['names']);
        const last = names[names.length - 1] ?? '';
        if (names.length > 2 || (names.length === 2 && names[0] !== 'pg_catalog') || !POSTGRES_CAST_TYPES.has(last))
          mismatch(`cast to ${names.join('.')}`);
      }
      this.walk(body, scope);
    }
  }
}

/** The names of a list of String nodes (function, operator and type names). */
function svals(list: unknown): string[] {
  return ((list as Node[] | undefined) ?? []).map((n) => String((n['String'] as Node)['sval']));
}

/** The PostgreSQL side of the guard: its parse is PostgreSQL's own parser (libpg-query, `source.engineParse`). */
export function postgresEngineCheck(source: { engineParse(sql: string): Promise<unknown> }): EngineCheck {
  return {
    grammar: Object.freeze({
      name: 'postgres',
      parserDatabase: 'postgresql',
      sqlifyDatabase: 'postgresql',
      identQuote: '"',
    }),
    parse: (sql) => source.engineParse(sql),
    readSandbox: (probe) => postgresSandboxEntries(probe),
    check: (tree, _statement, sandbox) => checkPostgresTree(tree, sandbox as readonly { key: string; value: string }[]),
  };
}

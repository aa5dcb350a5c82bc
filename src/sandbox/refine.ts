/**
 * Row filters and column masks, compiled into a sandbox CTE's text. The decision says them as
 * structured data (policy/refinements.ts checked every column, operator, value and mask kind); this
 * renders each as SQL over the raw table, with every value a bound parameter (`sp_v<n>`), so no
 * value of a decision is ever written into the text.
 */
import { SplitplaneError } from '../errors.js';
import { kindOf } from '../policy/refinements.js';
import type { Mask, RowFilter } from '../policy/scope.js';
import type { SandboxColumnSpec } from '../schema/tables.js';
import type { DecisionParam, SandboxParam, ScopeParam, ValueType } from '../warehouse/bindings.js';
import type { Dialect, RefineDialect } from '../warehouse/connector.js';

/** Adds a decision value to the text's parameters and gives back its placeholder. */
export type BindValue = (type: ValueType, value: DecisionParam['value']) => string;

/** The engine's way of binding decision values, or a refusal where it has none (fail closed). */
/**
 * The parameters of one statement, in placeholder order: `param` names a scope value (positions in
 * order of first use: positional engines number them, named ones ignore it), `bind` adds a decision
 * value (`sp_v1`, `sp_v2`...). The sandbox builder and the benchmark compiler both write with it.
 */
export function parameterList(dialect: Dialect): {
  readonly bindings: SandboxParam[];
  readonly param: (name: ScopeParam) => string;
  readonly bind: BindValue;
} {
  const bindings: SandboxParam[] = [];
  const param = (name: ScopeParam): string => {
    if (!bindings.includes(name)) bindings.push(name);
    return dialect.scopeParam(name, bindings.indexOf(name) + 1);
  };
  let values = 0;
  const bind: BindValue = (type, value) => {
    const name = `sp_v${++values}`;
    bindings.push(Object.freeze({ name, type, value }));
    return refineDialect(dialect).valueParam(name, bindings.length, type);
  };
  return { bindings, param, bind };
}

export function refineDialect(dialect: Dialect): RefineDialect {
  if (!dialect.refine)
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', {
      detail: `row filters and masks are not supported on ${dialect.name}`,
    });
  return dialect.refine;
}

/** One filter as a predicate over `columnSql` (a quoted raw column of type `spec`). */
export function filterSql(
  f: RowFilter,
  columnSql: string,
  spec: SandboxColumnSpec,
  bind: BindValue,
  r: RefineDialect,
): string {
  const kind = kindOf(spec.type);
  const one = (v: string | number) => bind(kind, v);
  switch (f.op) {
    case 'eq':
      return `${columnSql} = ${one(f.values[0]!)}`;
    case 'ne':
      return `${columnSql} <> ${one(f.values[0]!)}`;
    case 'gte':
      return `${columnSql} >= ${one(f.values[0]!)}`;
    case 'lte':
      return `${columnSql} <= ${one(f.values[0]!)}`;
    case 'between':
      return `${columnSql} BETWEEN ${one(f.values[0]!)} AND ${one(f.values[1]!)}`;
    case 'in':
      return r.inList(columnSql, bind(`${kind}[]`, f.values));
    case 'not_in':
      return `NOT ${r.inList(columnSql, bind(`${kind}[]`, f.values))}`;
  }
}

/** A masked column's select item (`expr AS "name"`) and the type a generator is told. */
export function maskSql(
  m: Mask,
  columnSql: string,
  spec: SandboxColumnSpec,
  bind: BindValue,
  r: RefineDialect,
  textType: string,
): { sql: string; type: string; note: string } {
  switch (m.kind) {
    case 'null':
      return { sql: `CAST(NULL AS ${spec.type})`, type: spec.type, note: 'masked: always null' };
    case 'fixed':
      return { sql: `CAST(${bind('text', m.value)} AS ${textType})`, type: 'VARCHAR', note: 'masked: a fixed text' };
    case 'hash':
      // The key is the scope's own (derived per tenant and business: policy/refinements.ts), bound and
      // typed: DuckDB's plan check cannot serialise an untyped parameter inside concat() (an internal
      // error, so every query over the sandbox failed), as with the fixed text above.
      return {
        sql: r.keyedHash(columnSql, `CAST(${bind('text', m.key)} AS ${textType})`),
        type: 'VARCHAR',
        note: 'masked: a keyed hash (equal values hash alike within the business)',
      };
    case 'partial_email':
      // The first character and the domain; a value without an @ after its first character shows nothing.
      return {
        sql: `CASE WHEN ${columnSql} IS NULL THEN NULL WHEN POSITION('@' IN ${columnSql}) > 1 THEN CONCAT(SUBSTRING(${columnSql}, 1, 1), '***', SUBSTRING(${columnSql}, POSITION('@' IN ${columnSql}))) ELSE '***' END`,
        type: 'VARCHAR',
        note: 'masked: first character and domain only',
      };
    case 'round':
      return {
        sql: r.round(columnSql, bind('number', m.digits)),
        type: 'DOUBLE',
        note: `masked: rounded to ${m.digits} decimal places`,
      };
    case 'bucket':
      return {
        sql: `FLOOR(CAST(${columnSql} AS ${r.doubleType}) / ${bind('number', m.width)}) * ${bind('number', m.width)}`,
        type: 'DOUBLE',
        note: `masked: rounded down to a multiple of ${m.width}`,
      };
  }
}

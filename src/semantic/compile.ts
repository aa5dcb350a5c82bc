/**
 * The deterministic compiler: SemanticQuery -> SQL over the sandbox CTEs, per
 * dialect. It is the only SQL the catalog path produces, and what it writes
 * is still only a candidate for the guard. It refuses (SP_ERR_POLICY_DENIED)
 * when the query needs a table or column the caller's sandbox does not expose,
 * instead of writing SQL that would fail or answer something else.
 *
 * Shape: one fact table `m`, joined to the dimension tables it needs; the
 * time range in WHERE; each measure aggregated (conditionally per period when
 * there is a comparison, so one scan serves both periods); derived measures
 * rendered from their formula and rounded; rows ordered by the ranking
 * measure (ties by the dimensions ascending) or by the dimensions.
 */
import { SplitplaneError } from '../errors.js';
import type { SandboxDescription } from '../sandbox/sandbox.js';
import type { Dialect } from '../warehouse/connector.js';
import {
  dimensionById,
  isTimeless,
  joinPath,
  metricById,
  type Catalog,
  type Dimension,
  type Metric,
} from './catalog.js';
import { renderExpr, type Expr } from './expr.js';
import { checkQuery, WEEKDAYS, type QueryFilter, type SemanticQuery } from './query.js';

/** What each result column is. */
export interface CompiledColumn {
  readonly name: string;
  readonly role:
    'dimension' | 'value' | 'previous' | 'change' | 'change_pct' | 'total' | 'share' | 'running_total' | 'versus';
  /** The dimension or measure id. */
  readonly of: string;
}

/** A compiled query: candidate SQL and the meaning of its columns. */
export interface CompiledQuery {
  readonly sql: string;
  readonly columns: readonly CompiledColumn[];
}

/** Compile a query for one sandbox and dialect. Throws SP_ERR_POLICY_DENIED (or SP_ERR_INTERNAL for a query that was not checked first). */
export function compileQuery(
  query: SemanticQuery,
  catalog: Catalog,
  sandbox: SandboxDescription,
  dialect: Dialect,
): CompiledQuery {
  const problem = checkQuery(query, catalog);
  if (problem)
    throw new SplitplaneError('SP_ERR_INTERNAL', { detail: `compiler given an unchecked query: ${problem.message}` });
  const q = (s: string): string => dialect.quoteIdent(s);
  const measures = query.measures.map((id) => metricById(catalog, id)!);
  const factName = measures[0]!.table;
  const fact = catalog.tables[factName]!;
  // A timeless measure ("number of stores") counts the rows of a table with no date: no period applies.
  const timeless = isTimeless(catalog, measures[0]!);
  const timeCol = fact.time ?? '';

  // Every table and column the query touches must be in this caller's sandbox.
  const exposed = (table: string, column: string, what: string): void => {
    const t = sandbox.tables.find((x) => x.name === table);
    if (!t || !t.columns.some((c) => c.name === column)) {
      throw new SplitplaneError('SP_ERR_POLICY_DENIED', {
        detail: `${what} needs ${table}.${column}, which this sandbox does not expose`,
        // The caller's own policy, in the catalog's words: which part of the question it does not open.
        reason: `Your access does not include ${table}.${column}, which ${what} needs.`,
      });
    }
  };
  if (!timeless) exposed(factName, timeCol, 'the time range');
  const joins = new Map<string, string>();
  const alias = (table: string): string => (table === factName ? fact.alias : catalog.tables[table]!.alias);
  // A dimension's table is joined through the catalog's chain of joins (events -> projects -> teams).
  const join = (table: string, what: string): void => {
    if (table === factName || joins.has(table)) return;
    for (const step of joinPath(catalog, factName, table)!) {
      if (joins.has(step.table)) continue;
      exposed(step.from, step.key, what);
      exposed(step.table, step.key, what);
      const a = alias(step.table);
      joins.set(
        step.table,
        `JOIN ${q(step.table)} AS ${a} ON ${a}.${q(step.key)} = ${alias(step.from)}.${q(step.key)}`,
      );
    }
  };
  const col = (table: string, column: string, what: string): string => {
    exposed(table, column, what);
    join(table, what);
    return `${alias(table)}.${q(column)}`;
  };
  // A timestamp's day is its date: periods, days and weekdays are read from CAST(... AS DATE), so a
  // period that ends on a day includes that whole day (not only its midnight).
  const stamped = catalog.schema.tables[factName]?.columns[timeCol]?.type === 'TIMESTAMP';
  const time = timeless ? '' : stamped ? `CAST(${fact.alias}.${q(timeCol)} AS DATE)` : `${fact.alias}.${q(timeCol)}`;
  const range = (r: { from: string; to: string }): string =>
    `${time} BETWEEN ${dialect.dateLiteral(r.from)} AND ${dialect.dateLiteral(r.to)}`;

  // Measures, conditional on a period when there is a comparison.
  // `raw`: without the final rounding, for computing a change exactly.
  const aggregate = (m: Metric, period: string | undefined, raw = false): string => {
    let sql: string;
    if (m.formula) {
      sql = renderExpr(m.formula, (n) => aggregate(metricById(catalog, n.name)!, period, true));
    } else {
      const e = renderExpr(m.expr!, (n) => col(n.table ?? factName, n.name, `the measure ${m.label}`));
      const arg = period ? `CASE WHEN ${period} THEN ${e} END` : e;
      sql = m.aggregate === 'count_distinct' ? `COUNT(DISTINCT ${arg})` : `${m.aggregate!.toUpperCase()}(${arg})`;
    }
    return m.decimals === undefined || raw ? sql : rounded(sql, m.decimals);
  };

  // Dimensions: the selected expression, what it groups by, and how it sorts.
  const dims = query.dimensions.map((id) => dimension(dimensionById(catalog, id)!, col, time, dialect));
  const condition = (f: QueryFilter): string => {
    const d = dimensionById(catalog, f.dimension)!;
    const byKey = f.keys !== undefined && d.kind === 'attribute' && d.key !== undefined;
    const target =
      d.kind === 'time'
        ? dialect.isoWeekday(time)
        : byKey
          ? col(d.table, d.key!, `the filter on ${d.label}`)
          : col(d.table, d.column, `the filter on ${d.label}`);
    const render = (v: string): string =>
      d.kind === 'date'
        ? dialect.dateLiteral(v)
        : d.kind === 'time'
          ? String(WEEKDAYS.indexOf(v) + 1)
          : dialect.textLiteral(v);
    const values = byKey ? f.keys.map((k) => dialect.idLiteral(k)) : f.values.map(render);
    if (byKey && f.op === 'eq' && values.length > 1) return `${target} IN (${values.join(', ')})`;
    switch (f.op) {
      case 'eq':
        return `${target} = ${values[0]}`;
      case 'in':
        return `${target} IN (${values.join(', ')})`;
      case 'not_in':
        return `${target} NOT IN (${values.join(', ')})`;
      case 'between':
        return `${target} BETWEEN ${values[0]} AND ${values[1]}`;
      default:
        return `${target} ${{ lt: '<', lte: '<=', gt: '>', gte: '>=' }[f.op]} ${values[0]}`;
    }
  };
  const filters = query.filters.map(condition);

  const columns: CompiledColumn[] = query.dimensions.map((id) => ({ name: id, role: 'dimension', of: id }));
  const periods = query.compare ? [range(query.time), range(query.compare.range)] : undefined;
  const where = [...(timeless ? [] : [periods ? `(${periods.join(' OR ')})` : range(query.time)]), ...filters].join(
    ' AND ',
  );
  const whereSql = where ? ` WHERE ${where}` : '';
  // Rendering every measure first registers the joins they need (food cost reads menu_items); a
  // part's or the sides' filters may join more, so the FROM list is read once the SELECT is written.
  for (const m of measures) aggregate(m, undefined);
  const from = (): string => [`${q(factName)} AS ${fact.alias}`, ...joins.values()].join(' ');
  const groupBy = dims.length ? ` GROUP BY ${dims.flatMap((d) => d.group).join(', ')}` : '';
  const select = dims.map((d) => `${d.select} AS ${q(d.id)}`);

  // A ranking within groups ranks a rounded measure by its exact value too: carried as a column of
  // the grouped query, never returned.
  const rankedMeasure = query.order ? measures.find((m) => m.id === query.order!.measure) : undefined;
  const exactRank =
    query.per?.length && !periods && query.order?.by === 'value' && rankedMeasure?.decimals !== undefined
      ? `${rankedMeasure.id}_exact`
      : undefined;
  // A change ranks by its exact value too: two states shown at 6.0% are not a tie broken by name.
  const exactChange = new Map<string, string>();
  let sql: string;
  if (query.versus || query.part) {
    const sides = sideBySide(query, measures, aggregate, condition, q);
    select.push(...sides.select);
    columns.push(...sides.columns);
    const filtered = [where, sides.where].filter(Boolean).join(' AND ');
    sql = `SELECT ${select.join(', ')} FROM ${from()}${filtered ? ` WHERE ${filtered}` : ''}${groupBy}`;
  } else if (!periods) {
    for (const m of measures) {
      select.push(`${aggregate(m, undefined)} AS ${q(m.id)}`);
      columns.push({ name: m.id, role: 'value', of: m.id });
    }
    if (exactRank) select.push(`${aggregate(rankedMeasure!, undefined, true)} AS ${q(exactRank)}`);
    // A share of every row's total, or a running total along the time breakdown: a window over the
    // grouped rows (computed before any LIMIT, so a top 5's shares are of the whole).
    for (const m of query.derive ? measures : []) {
      const agg = aggregate(m, undefined);
      if (query.derive === 'share') {
        select.push(`${rounded(`100 * ${agg}`, 1, `SUM(${agg}) OVER ()`)} AS ${q(`${m.id}_share`)}`);
        columns.push({ name: `${m.id}_share`, role: 'share', of: m.id });
      } else {
        const partition = dims.slice(1).flatMap((d) => d.group);
        const over = `${partition.length ? `PARTITION BY ${partition.join(', ')} ` : ''}ORDER BY ${dims[0]!.group.join(', ')} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`;
        select.push(`SUM(${agg}) OVER (${over}) AS ${q(`${m.id}_running_total`)}`);
        columns.push({ name: `${m.id}_running_total`, role: 'running_total', of: m.id });
      }
    }
    sql = `SELECT ${select.join(', ')} FROM ${from()}${whereSql}${groupBy}`;
  } else {
    for (const m of measures) {
      select.push(
        `${aggregate(m, periods[0])} AS ${q(m.id)}`,
        `${aggregate(m, periods[1])} AS ${q(`${m.id}_previous`)}`,
      );
      // A rounded measure's change is computed from its unrounded values, then rounded.
      if (m.decimals !== undefined) {
        select.push(
          `${aggregate(m, periods[0], true)} AS ${q(`${m.id}_raw`)}`,
          `${aggregate(m, periods[1], true)} AS ${q(`${m.id}_previous_raw`)}`,
        );
      }
    }
    const outer = dims.map((d) => `x.${q(d.id)}`);
    for (const m of measures) {
      const exact = m.decimals === undefined;
      const [cur, prev] = [`x.${q(m.id)}`, `x.${q(`${m.id}_previous`)}`];
      const [rawCur, rawPrev] = exact ? [cur, prev] : [`x.${q(`${m.id}_raw`)}`, `x.${q(`${m.id}_previous_raw`)}`];
      const [change, pct] = difference(m, cur, prev, rawCur, rawPrev);
      exactChange.set(`${m.id}_change`, `${rawCur} - ${rawPrev}`);
      exactChange.set(`${m.id}_change_pct`, `CAST(${rawCur} - ${rawPrev} AS DECIMAL(38, 6)) / NULLIF(${rawPrev}, 0)`);
      outer.push(cur, prev, `${change} AS ${q(`${m.id}_change`)}`, `${pct} AS ${q(`${m.id}_change_pct`)}`);
      columns.push(
        { name: m.id, role: 'value', of: m.id },
        { name: `${m.id}_previous`, role: 'previous', of: m.id },
        { name: `${m.id}_change`, role: 'change', of: m.id },
        { name: `${m.id}_change_pct`, role: 'change_pct', of: m.id },
      );
    }
    // Sort keys that are not columns (the weekday's number) ride along in the inner query.
    dims.forEach((d, i) => {
      if (d.sortKey) select.push(`MIN(${d.sortKey}) AS ${q(`sort_${i}`)}`);
    });
    sql = `SELECT ${outer.join(', ')} FROM (SELECT ${select.join(', ')} FROM ${from()}${whereSql}${groupBy}) AS x`;
  }

  if (query.per?.length && query.order && query.limit !== undefined)
    return { sql: withinGroups(sql, query, columns, exactRank, q), columns };

  // ORDER BY ordinals (every engine here reads them): the ranking column first, then the dimensions.
  const position = (name: string): number => columns.findIndex((c) => c.name === name) + 1;
  const dimOrder = dims.map((d, i) =>
    d.sortKey ? (periods ? `x.${q(`sort_${i}`)} ASC` : `MIN(${d.sortKey}) ASC`) : `${position(d.id)} ASC`,
  );
  const order: string[] = [];
  if (query.order) {
    const suffix = query.order.by === 'value' ? '' : `_${query.order.by}`;
    const dir = query.order.direction === 'asc' ? 'ASC' : 'DESC';
    order.push(`${position(`${query.order.measure}${suffix}`)} ${dir} NULLS LAST`);
    const exact = exactChange.get(`${query.order.measure}${suffix}`);
    if (exact) order.push(`${exact} ${dir} NULLS LAST`);
    // A rounded measure ranks by its exact value: two stores shown at $24.94 are not a tie broken by name.
    const ranked = measures.find((m) => m.id === query.order!.measure);
    if (ranked?.decimals !== undefined && query.order.by === 'value' && !query.part) {
      order.push(`${periods ? `x.${q(`${ranked.id}_raw`)}` : aggregate(ranked, undefined, true)} ${dir} NULLS LAST`);
    }
  }
  order.push(...dimOrder);
  if (order.length) sql += ` ORDER BY ${order.join(', ')}`;
  if (query.limit !== undefined) sql += ` LIMIT ${query.limit}`;
  return { sql, columns };
}

/**
 * The top or bottom N of the first dimension within each group of the others ("the top 3 stores in
 * each state"): the grouped query numbered by a window over its groups, the first N of each kept.
 * Ties are broken by the ranked dimension's value, so the same rows come back every time.
 */
function withinGroups(
  grouped: string,
  query: SemanticQuery,
  columns: readonly CompiledColumn[],
  exactRank: string | undefined,
  q: (s: string) => string,
): string {
  const order = query.order!;
  const suffix = order.by === 'value' ? '' : `_${order.by}`;
  const dir = order.direction === 'asc' ? 'ASC' : 'DESC';
  const rankBy = [
    `g.${q(`${order.measure}${suffix}`)} ${dir} NULLS LAST`,
    ...(exactRank ? [`g.${q(exactRank)} ${dir} NULLS LAST`] : []),
    `g.${q(query.dimensions[0]!)} ASC`,
  ];
  const carried = [...columns.map((c) => `g.${q(c.name)}`), ...(exactRank ? [`g.${q(exactRank)}`] : [])];
  const partition = query.per!.map((d) => `g.${q(d)}`).join(', ');
  const numbered = `SELECT ${carried.join(', ')}, ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${rankBy.join(', ')}) AS ${q('rank_in_group')} FROM (${grouped}) AS g`;
  const groupOrder = query.per!.map((d) => `r.${q(d)} ASC`).join(', ');
  return `SELECT ${columns.map((c) => `r.${q(c.name)}`).join(', ')} FROM (${numbered}) AS r WHERE r.${q('rank_in_group')} <= ${query.limit!} ORDER BY ${groupOrder}, r.${q('rank_in_group')} ASC`;
}

/**
 * A share of one part ("what % of revenue came from Chicago": the part's value, the whole and the
 * share), or two sides set against each other ("Chicago #17 vs Dallas #3": each side's value and the
 * difference): conditional aggregates over one scan, the part's or each side's filters inside them.
 * Returns the SELECT items and columns, and for two sides the filter that reads only their rows.
 */
function sideBySide(
  query: SemanticQuery,
  measures: readonly Metric[],
  aggregate: (m: Metric, period: string | undefined, raw?: boolean) => string,
  condition: (f: QueryFilter) => string,
  q: (s: string) => string,
): { select: string[]; columns: CompiledColumn[]; where?: string } {
  const select: string[] = [];
  const columns: CompiledColumn[] = [];
  const all = (fs: readonly QueryFilter[]): string => fs.map((f) => `(${condition(f)})`).join(' AND ');
  for (const m of measures) {
    if (query.part) {
      const part = aggregate(m, all(query.part));
      select.push(
        `${part} AS ${q(m.id)}`,
        `${aggregate(m, undefined)} AS ${q(`${m.id}_total`)}`,
        `${rounded(`100 * ${part}`, 1, aggregate(m, undefined))} AS ${q(`${m.id}_share`)}`,
      );
      columns.push(
        { name: m.id, role: 'value', of: m.id },
        { name: `${m.id}_total`, role: 'total', of: m.id },
        { name: `${m.id}_share`, role: 'share', of: m.id },
      );
      continue;
    }
    const [a, b] = query.versus!;
    const [left, right] = [aggregate(m, condition(a)), aggregate(m, condition(b))];
    const [rawLeft, rawRight] =
      m.decimals === undefined ? [left, right] : [aggregate(m, condition(a), true), aggregate(m, condition(b), true)];
    const [diff, pct] = difference(m, left, right, rawLeft, rawRight);
    select.push(
      `${left} AS ${q(`${m.id}_a`)}`,
      `${right} AS ${q(`${m.id}_b`)}`,
      `${diff} AS ${q(`${m.id}_difference`)}`,
      `${pct} AS ${q(`${m.id}_difference_pct`)}`,
    );
    columns.push(
      { name: `${m.id}_a`, role: 'versus', of: m.id },
      { name: `${m.id}_b`, role: 'versus', of: m.id },
      { name: `${m.id}_difference`, role: 'change', of: m.id },
      { name: `${m.id}_difference_pct`, role: 'change_pct', of: m.id },
    );
  }
  // Two sides: only the rows of either are read.
  return query.versus
    ? { select, columns, where: `(${all([query.versus[0]])} OR ${all([query.versus[1]])})` }
    : { select, columns };
}

/**
 * `a - b` and its percentage of `b`, as a comparison's change and two sides' difference both show
 * them: a rounded measure's from its unrounded values (`rawA`, `rawB`), then rounded.
 */
function difference(m: Metric, a: string, b: string, rawA: string, rawB: string): [string, string] {
  return [
    m.decimals === undefined ? `${a} - ${b}` : rounded(`${rawA} - ${rawB}`, m.decimals),
    rounded(`100 * (${rawA} - ${rawB})`, 1, rawB),
  ];
}

/** ROUND to `decimals` and fix the type, so every engine returns the same exact decimal text. */
function rounded(sql: string, decimals: number, divisor?: string): string {
  const inner = divisor ? `CAST(${sql} AS DECIMAL(38, 6)) / NULLIF(${divisor}, 0)` : sql;
  return `CAST(ROUND(${inner}, ${decimals}) AS DECIMAL(18, ${decimals}))`;
}

interface DimensionSql {
  readonly id: string;
  readonly select: string;
  readonly group: readonly string[];
  /** An expression to sort by instead of the selected value (weekday: its ISO number). */
  readonly sortKey?: string;
}

function dimension(
  d: Dimension,
  col: (table: string, column: string, what: string) => string,
  time: string,
  dialect: Dialect,
): DimensionSql {
  if (d.kind === 'attribute') {
    const value = col(d.table, d.column, `the breakdown by ${d.label}`);
    // Group by the key too: two stores with the same name stay two rows.
    const key = d.key ? col(d.table, d.key, `the breakdown by ${d.label}`) : undefined;
    return { id: d.id, select: value, group: key ? [key, value] : [value] };
  }
  if (d.kind === 'date') {
    const value = col(d.table, d.column, `the breakdown by ${d.label}`);
    return { id: d.id, select: value, group: [value] };
  }
  if (d.grain === 'day') return { id: d.id, select: time, group: [time] };
  if (d.grain === 'weekday') {
    const n = dialect.isoWeekday(time);
    const name = `CASE ${n} ${WEEKDAYS.map((w, i) => `WHEN ${i + 1} THEN ${dialect.textLiteral(w)}`).join(' ')} END`;
    return { id: d.id, select: name, group: [name], sortKey: n };
  }
  const truncated = `CAST(DATE_TRUNC(${dialect.textLiteral(d.grain)}, ${time}) AS DATE)`;
  return { id: d.id, select: truncated, group: [truncated] };
}

/** For tests and the README: every name an expression uses, rendered as written. */
export function exprText(e: Expr): string {
  return renderExpr(e, (n) => (n.table ? `${n.table}.${n.name}` : n.name));
}

/**
 * Saying what was understood. `interpretationOf` is the readable line shown
 * above every answer ("sales amount · top 3 stores · last week: 2026-11-09 to
 * 2026-11-15 · your 2 locations"), so a user sees at a glance when the system
 * understood something else. `questionFor` writes a SemanticQuery back as a
 * question the parser reads as exactly that query: the re-worded choices a
 * clarification offers.
 */
import {
  dimensionById,
  isTimeless,
  metricById,
  rowDimension,
  unitCount,
  unitDimension,
  type Catalog,
} from './catalog.js';
import type { Expr } from './expr.js';
import type { QueryFilter, SemanticQuery, TimeRange } from './query.js';

/** The interpretation carried by an answer. */
export interface Interpretation {
  readonly query: SemanticQuery | null;
  readonly text: string;
}

/** The slots a follow-up kept from the conversation (src/intent/follow-up.ts), said in the line. */
export interface KeptFromEarlier {
  readonly measures?: true;
  readonly period?: true;
  readonly dimensions?: true;
  readonly filters?: readonly string[];
  readonly ranking?: true;
}

/** One readable line for a query; a follow-up's line ends by naming what it kept from the earlier question. */
export function interpretationOf(
  q: SemanticQuery,
  catalog: Catalog,
  unitTotal: number,
  kept?: KeptFromEarlier,
): Interpretation {
  const parts: string[] = [q.measures.map((m) => metricById(catalog, m)?.label ?? m).join(' and ')];
  const dims = q.dimensions.map((d) => dimensionById(catalog, d));
  if (q.order && dims[0]) {
    const what = q.limit === 1 ? dims[0].label : dims[0].plural;
    const word = q.order.direction === 'desc' ? 'top' : 'bottom';
    const by = q.order.by === 'value' ? '' : ` by ${q.order.by === 'change' ? 'change' : 'change in %'}`;
    parts.push(
      q.limit === undefined
        ? `${dims[0].plural} ranked${by}${q.order.direction === 'asc' ? ' lowest first' : ''}`
        : `${word} ${q.limit} ${what}${by}`,
    );
    if (dims.length > 1)
      parts.push(
        `${q.per?.length ? 'in each' : 'by'} ${dims
          .slice(1)
          .map((d) => d!.label)
          .join(' and ')}`,
      );
  } else if (dims.length) {
    parts.push(`by ${dims.map((d) => d!.label).join(' and ')}`);
  }
  if (q.derive === 'share')
    parts.push(
      q.part ? `share of the total from ${q.part.map((f) => f.values.join(', ')).join(', ')}` : 'share of the total',
    );
  if (q.derive === 'running_total') parts.push('running total');
  if (q.versus) parts.push(`${q.versus[0].values.join(', ')} vs ${q.versus[1].values.join(', ')}`);
  for (const f of q.filters) parts.push(filterText(f, catalog));
  const period = (r: TimeRange): string =>
    r.label === rangeText(r) || r.label.includes(rangeText(r)) ? r.label : `${r.label}: ${rangeText(r)}`;
  const timeless = q.measures.some((id) => isTimeless(catalog, id));
  parts.push(timeless ? 'as of today' : period(q.time));
  if (q.compare) parts.push(`vs ${period(q.compare.range)}`);
  parts.push(`your ${unitCount(catalog, unitTotal)}`);
  if (kept) {
    const said = [
      kept.measures ? `the measure (${q.measures.map((m) => metricById(catalog, m)?.label ?? m).join(' and ')})` : '',
      kept.period ? `the period (${q.time.label})` : '',
      kept.dimensions && q.dimensions.length
        ? `the breakdown (by ${q.dimensions.map((d) => dimensionById(catalog, d)?.label ?? d).join(' and ')})`
        : '',
      ...q.filters.filter((f) => kept.filters?.includes(f.dimension)).map((f) => filterText(f, catalog)),
      kept.ranking ? 'the ranking' : '',
    ].filter(Boolean);
    if (said.length) parts.push(`kept from your earlier question: ${said.join(', ')}`);
  }
  return { query: q, text: parts.join(' · ') };
}

function rangeText(r: { from: string; to: string }): string {
  return r.from === r.to ? r.from : `${r.from} to ${r.to}`;
}

/** A filter in words: "in Chicago", "not Dallas", "stores opened since 2020-01-01". */
export function filterText(f: QueryFilter, catalog: Catalog): string {
  const d = dimensionById(catalog, f.dimension);
  const label = d?.label ?? f.dimension;
  const list = f.values.join(', ');
  if (d?.kind === 'date') {
    const op = {
      gte: 'since',
      gt: 'after',
      lt: 'before',
      lte: 'until',
      eq: 'on',
      between: 'between',
      in: 'on',
      not_in: 'not on',
    }[f.op];
    return `${label} ${op} ${f.op === 'between' ? `${f.values[0]} and ${f.values[1]}` : list}`;
  }
  if (d?.kind === 'time') return `${f.op === 'not_in' ? 'not on' : 'on'} ${list}`;
  return `${f.op === 'not_in' ? `${label} not` : label} ${list}`;
}

/**
 * A question that reads back as this query. Time is written as explicit dates, values as stored,
 * so the re-reading does not depend on today's date or on guessing.
 */
export function questionFor(q: SemanticQuery, catalog: Catalog, opts: { readonly timeWords?: boolean } = {}): string {
  const measures = q.measures.map((m) => metricById(catalog, m)!.label);
  const dims = q.dimensions.map((d) => dimensionById(catalog, d)!);
  // A timeless measure ("number of stores") counts what there is: its question names no period.
  const timeless = q.measures.some((id) => isTimeless(catalog, id));
  // With `timeWords`, the period as it was named ("last week"): the caller checks that it reads back the same.
  const named =
    opts.timeWords && /^[a-z0-9 ,'-]+$/i.test(q.time.label) && !/^\d{4}-/.test(q.time.label) ? q.time.label : undefined;
  const time = timeless
    ? ''
    : (named ?? (q.time.from === q.time.to ? `on ${q.time.from}` : `from ${q.time.from} to ${q.time.to}`));
  const filters = q.filters.map((f) => filterWords(f, catalog)).join(' ');
  let head: string;
  if (q.order && dims[0]) {
    const rank = q.order.direction === 'desc' ? 'top' : 'bottom';
    const by =
      q.order.by === 'value'
        ? ''
        : q.order.by === 'change'
          ? q.order.direction === 'desc'
            ? ' grew'
            : ' dropped'
          : ' changed in percent';
    const what =
      q.limit === undefined
        ? `Rank the ${dims[0].plural}`
        : `What were the ${rank} ${q.limit} ${q.limit === 1 ? dims[0].label : dims[0].plural}`;
    const rest = q.per?.length
      ? ` in each ${dims
          .slice(1)
          .map((d) => d.label)
          .join(' and ')}`
      : dims
          .slice(1)
          .map((d) => ` by ${d.label}`)
          .join('');
    head = `${what}${by} by ${measures.join(' and ')}${rest}`;
  } else if (q.derive === 'share' && q.part) {
    head = `What share of the total ${measures.join(' and ')} came from ${q.part.map((f) => filterWords(f, catalog).replace(/^for /, '')).join(' ')}`;
  } else if (q.derive) {
    head = `What was the ${q.derive === 'share' ? 'share of the total' : 'running total of'} ${measures.join(' and ')}${dims.map((d) => ` by ${d.label}`).join('')}`;
  } else if (q.versus) {
    head = `What was the difference in ${measures.join(' and ')} between ${q.versus.map((f) => filterWords(f, catalog).replace(/^for /, '')).join(' and ')}`;
  } else if (timeless) {
    head = `What is the ${measures.join(' and ')}${dims.map((d) => ` by ${d.label}`).join('')}`;
  } else {
    head = `What was the total ${measures.join(' and ')}${dims.map((d) => ` by ${d.label}`).join('')}`;
  }
  const compare = q.compare
    ? q.compare.kind === 'previous_period'
      ? ' compared with the period before'
      : q.compare.kind === 'previous_year'
        ? ' compared with the same period last year'
        : ` compared with ${q.compare.range.from === q.compare.range.to ? q.compare.range.from : `from ${q.compare.range.from} to ${q.compare.range.to}`}`
    : '';
  return `${[head, filters, time].filter(Boolean).join(' ')}${compare}?`;
}

function filterWords(f: QueryFilter, catalog: Catalog): string {
  const d = dimensionById(catalog, f.dimension)!;
  const values = f.values.join(' and ');
  if (d.kind === 'date') {
    const year = (v: string): string => (v.endsWith('-01-01') || v.endsWith('-12-31') ? v.slice(0, 4) : v);
    const owner = rowDimension(catalog, d.table);
    const verb = `for ${owner?.plural ?? d.table.replaceAll('_', ' ')} ${d.verbs[0] ?? 'dated'}`;
    if (f.op === 'gte') return `${verb} since ${year(f.values[0]!)}`;
    if (f.op === 'lt') return `${verb} before ${year(f.values[0]!)}`;
    if (f.op === 'lte') return `${verb} until ${year(f.values[0]!)}`;
    return `${verb} in ${year(f.values[0]!)}`;
  }
  if (d.kind === 'time')
    return `${f.op === 'not_in' ? 'excluding' : 'on'} ${f.values.map((v) => `${v}s`).join(' and ')}`;
  const named = d.id !== unitDimension(catalog)?.id ? `the ${d.label} ${values}` : values;
  return f.op === 'not_in' ? `excluding ${named}` : `for ${named}`;
}

/** A measure's definition in plain SQL-like words, for prompts and docs: "SUM(net_sales_amount) / SUM(order_count)". */
export function definitionOf(metricId: string, catalog: Catalog): string {
  const m = metricById(catalog, metricId)!;
  const render = (e: Expr, inner: (name: { table?: string; name: string }) => string): string =>
    e.kind === 'name'
      ? inner(e)
      : e.kind === 'number'
        ? e.value
        : `(${render(e.left, inner)} ${e.op} ${render(e.right, inner)})`;
  if (m.formula) {
    const text = render(m.formula, (n) => definitionOf(n.name, catalog));
    return `${text.replace(/^\((.*)\)$/, '$1')}${m.decimals !== undefined ? `, rounded to ${m.decimals} decimals` : ''}`;
  }
  const arg = render(m.expr!, (n) => (n.table ? `${n.table}.${n.name}` : n.name)).replace(/^\((.*)\)$/, '$1');
  return m.aggregate === 'count_distinct' ? `COUNT(DISTINCT ${arg})` : `${m.aggregate!.toUpperCase()}(${arg})`;
}

/**
 * The SemanticQuery: the one contract between understanding a question and
 * writing SQL. The deterministic parser and the model both produce one; the
 * compiler is the only thing that turns one into SQL. Modelled on Cube's query
 * format and MetricFlow's (measures, dimensions with time grains, filters,
 * time range, order and limit), plus a comparison period.
 */
import {
  dimensionById,
  isTimeless,
  metricById,
  reachableTables,
  unitDimension,
  type Catalog,
  type Metric,
} from './catalog.js';
import { domainWords } from './domain-words.js';

/** An inclusive range of calendar dates and the words that name it. */
export interface TimeRange {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** Filter operators. Values of attribute dimensions are stored values, already resolved. */
export type FilterOp = 'eq' | 'in' | 'not_in' | 'lt' | 'lte' | 'gt' | 'gte' | 'between';

/** One filter: a dimension, an operator and its values. */
export interface QueryFilter {
  readonly dimension: string;
  readonly op: FilterOp;
  readonly values: readonly string[];
  /**
   * The values' keys (item or location IDs), set only when a value cannot be written as SQL text
   * (a name with accents: SQL text is ASCII only). The compiler then filters on the key column.
   */
  readonly keys?: readonly string[];
}

/** A comparison period: the same measures over another range, with absolute and percentage change. */
export interface Comparison {
  readonly kind: 'previous_period' | 'previous_year' | 'range';
  readonly range: TimeRange;
}

/** Order of the rows: by a measure's value, or by its change against the comparison period. */
export interface QueryOrder {
  readonly measure: string;
  readonly by: 'value' | 'change' | 'change_pct';
  readonly direction: 'asc' | 'desc';
}

/** What a question asks for, in the catalog's terms. */
export interface SemanticQuery {
  readonly measures: readonly string[];
  readonly dimensions: readonly string[];
  readonly filters: readonly QueryFilter[];
  readonly time: TimeRange;
  readonly compare?: Comparison;
  readonly order?: QueryOrder;
  readonly limit?: number;
  /**
   * A ranking within groups ("the top 3 stores in each state"): these dimensions (not the first, the
   * one ranked) partition the rows, and `limit` applies within each group.
   */
  readonly per?: readonly string[];
  /**
   * A figure derived from each measure: `share`, its percentage of the whole (of every row, or of
   * the query without `part` when a part is named); `running_total`, its sum so far along the time
   * breakdown.
   */
  readonly derive?: 'share' | 'running_total';
  /** The part a share is of ("what % of revenue came from Chicago"): filters applied inside the measure only. */
  readonly part?: readonly QueryFilter[];
  /** Two sides to set against each other ("Chicago #17 vs Dallas #3"): one row, each side's value and the difference. */
  readonly versus?: readonly [QueryFilter, QueryFilter];
}

/** The most rows a ranking may ask for. */
export const MAX_LIMIT = 100;
/** The most dimensions one answer may be broken down by. */
export const MAX_DIMENSIONS = 2;

/** Why a query cannot be answered as it stands: a message for the user, and what to offer instead. */
export interface QueryProblem {
  readonly message: string;
  /** Measure ids that would make it answerable (for example item measures for a menu-item breakdown). */
  readonly suggest?: readonly string[];
}

/**
 * Check a query against the catalog: known measures and dimensions of one fact table, dimensions
 * that table can reach, filters whose values have the right shape, a sane range, order and limit.
 * Returns the first problem, or undefined when the query can be compiled.
 */
export function checkQuery(q: SemanticQuery, catalog: Catalog): QueryProblem | undefined {
  if (q.measures.length === 0) return { message: 'The question names no measure.' };
  const measures: Metric[] = [];
  for (const id of q.measures) {
    const m = metricById(catalog, id);
    if (!m || m.internal) return { message: `"${id}" is not a measure I know.` };
    if (measures.includes(m)) return { message: `The measure ${m.label} is named twice.` };
    measures.push(m);
  }
  const table = measures[0]!.table;
  if (measures.some((m) => m.table !== table)) {
    return {
      message: `I can't combine ${measures.map((m) => m.label).join(' and ')} in one answer; ask for them separately.`,
    };
  }
  const reachable = reachableTables(catalog, table);
  if (q.dimensions.length > MAX_DIMENSIONS)
    return { message: `I can break an answer down by at most ${MAX_DIMENSIONS} things at once.` };
  if (new Set(q.dimensions).size !== q.dimensions.length) return { message: 'The same breakdown is named twice.' };
  const allFilters = [...q.filters, ...(q.part ?? []), ...(q.versus ?? [])];
  for (const id of [...q.dimensions, ...allFilters.map((f) => f.dimension)]) {
    const d = dimensionById(catalog, id);
    if (!d) return { message: `"${id}" is not something I can break down or filter by.` };
    if (d.kind !== 'time' && !reachable.has(d.table)) {
      const suggest = catalog.metrics
        .filter((m) => !m.internal && reachableTables(catalog, m.table).has(d.table))
        .map((m) => m.id);
      return { message: `${cap(measures[0]!.label)} can't be broken down or filtered by ${d.label}.`, suggest };
    }
  }
  for (const f of allFilters) {
    const d = dimensionById(catalog, f.dimension)!;
    const n = f.values.length;
    const arity = f.op === 'between' ? n === 2 : f.op === 'in' || f.op === 'not_in' ? n >= 1 && n <= 50 : n === 1;
    if (!arity) return { message: `A filter on ${d.label} has the wrong number of values.` };
    if (d.kind === 'attribute' && !['eq', 'in', 'not_in'].includes(f.op))
      return { message: `A filter on ${d.label} must name values.` };
    if (d.kind === 'date' && !f.values.every(isIsoDate)) return { message: `A filter on ${d.label} needs dates.` };
    if (
      d.kind === 'time' &&
      !(d.grain === 'weekday' && ['in', 'not_in', 'eq'].includes(f.op) && f.values.every((v) => WEEKDAYS.includes(v)))
    ) {
      return { message: `A filter on ${d.label} must name days of the week.` };
    }
    if (f.values.some((v) => v.length === 0 || v.length > 100))
      return { message: `A filter on ${d.label} has an empty or oversized value.` };
    if (
      f.keys !== undefined &&
      (d.kind !== 'attribute' ||
        d.key === undefined ||
        f.keys.length === 0 ||
        !f.keys.every((k) => /^[1-9]\d{0,17}$/.test(k)))
    ) {
      return { message: `A filter on ${d.label} has keys it cannot use.` };
    }
    if (f.keys === undefined && d.kind === 'attribute' && !f.values.every(isPlainText)) {
      return {
        message: `I can't yet filter on a ${d.label} whose name has letters outside plain ASCII (${f.values.find((v) => !isPlainText(v))}).`,
      };
    }
  }
  if (!isIsoDate(q.time.from) || !isIsoDate(q.time.to) || q.time.from > q.time.to)
    return { message: 'The time range is not a valid range of dates.' };
  if (q.compare) {
    const r = q.compare.range;
    if (!isIsoDate(r.from) || !isIsoDate(r.to) || r.from > r.to)
      return { message: 'The comparison period is not a valid range of dates.' };
    if (
      q.dimensions.some(
        (id) => dimensionById(catalog, id)?.kind === 'time' && dimensionById(catalog, id)?.id !== 'weekday',
      )
    ) {
      return {
        message: `I can compare totals or breakdowns by ${domainWords(catalog).breakdowns} with another period, not day by day.`,
      };
    }
  }
  if (q.order) {
    if (!q.measures.includes(q.order.measure))
      return { message: 'The ranking must be by one of the measures asked for.' };
    if (q.order.by !== 'value' && !q.compare) return { message: 'Ranking by change needs a period to compare with.' };
    if (q.dimensions.length === 0)
      return { message: `A ranking needs something to rank: ${domainWords(catalog).rankables}.` };
  }
  if (q.limit !== undefined) {
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIMIT)
      return { message: `A ranking may list 1 to ${MAX_LIMIT} rows.` };
    if (!q.order) return { message: 'A row limit needs an order.' };
    // A limit over several breakdowns ranks within groups, and says which: never an overall top N
    // labelled "by state".
    if (q.dimensions.length > 1 && !q.per?.length) {
      return {
        message: `Rank within what? For example "the top ${q.limit} ${dimensionById(catalog, q.dimensions[0]!)?.plural ?? 'rows'} in each ${dimensionById(catalog, q.dimensions[1]!)?.label ?? 'group'}".`,
      };
    }
  }
  const derived = derivedProblem(q, catalog, measures);
  if (derived) return derived;
  if (q.per !== undefined) {
    const [ranked, ...rest] = q.dimensions;
    const groups = new Set(rest);
    if (
      q.limit === undefined ||
      !q.order ||
      q.per.length === 0 ||
      !ranked ||
      q.per.some((d) => !groups.has(d)) ||
      q.per.length !== groups.size
    ) {
      return { message: 'A ranking within groups ranks the first breakdown within the others, with a number of rows.' };
    }
  }
  return undefined;
}

/** Words for a measure that adds up (a sum or a count), the only kind a share or a running total is taken of. */
export function isAdditive(m: Metric): boolean {
  return m.formula === undefined && (m.aggregate === 'sum' || m.aggregate === 'count');
}

/** Shares, running totals, two sides set against each other, and timeless measures: what each needs. */
function derivedProblem(q: SemanticQuery, catalog: Catalog, measures: readonly Metric[]): QueryProblem | undefined {
  const timeDims = q.dimensions.filter((id) => dimensionById(catalog, id)?.kind === 'time');
  if (measures.some((m) => isTimeless(catalog, m))) {
    const m = measures[0]!;
    if (q.compare || timeDims.length || q.derive === 'running_total' || q.versus) {
      return {
        message: `${cap(m.label)} counts what there is today; it has no history to compare or break down over time.`,
      };
    }
  }
  if (q.part !== undefined && (q.derive !== 'share' || q.part.length === 0))
    return { message: 'A part is only named for a share.' };
  if (q.derive !== undefined || q.versus !== undefined) {
    if (q.compare)
      return {
        message:
          'I can show a share, a running total or two things side by side for one period, not compared with another yet.',
      };
    if (q.per?.length)
      return { message: 'I can rank within groups, or show shares and running totals, but not both at once yet.' };
  }
  if (q.derive === 'share' || q.derive === 'running_total') {
    const odd = measures.find((m) => !isAdditive(m));
    if (odd)
      return {
        message: `${cap(odd.label)} does not add up across rows, so it has no ${q.derive === 'share' ? 'share of a total' : 'running total'}; ask for a measure that does (for example ${domainWords(
          catalog,
        )
          .headline.map((id) => metricById(catalog, id)?.label)
          .filter(Boolean)
          .slice(0, 2)
          .join(' or ')}).`,
      };
  }
  if (q.derive === 'share' && q.part === undefined && q.dimensions.length === 0) {
    return {
      message: `A share of what? Name a part (for example "what % came from one ${unitDimension(catalog)?.label ?? 'group'}") or a breakdown ("share by ${unitDimension(catalog)?.label ?? 'group'}").`,
    };
  }
  if (q.derive === 'running_total') {
    const first = dimensionById(catalog, q.dimensions[0] ?? '');
    if (first?.kind !== 'time' || first.grain === 'weekday')
      return { message: 'A running total runs over time: break it down by day, week or month.' };
    if (q.order || q.limit !== undefined)
      return { message: 'A running total is read in time order; it cannot also be ranked.' };
  }
  if (q.versus) {
    const [a, b] = q.versus;
    if (a.dimension !== b.dimension || a.op !== 'eq' || b.op !== 'eq')
      return {
        message: `Two things set against each other must be two of one kind (for example two ${unitDimension(catalog)?.plural ?? 'members'}).`,
      };
    if (q.dimensions.length || q.order || q.limit !== undefined)
      return { message: 'Two things set against each other give one row; ask for the breakdown separately.' };
  }
  return undefined;
}

/**
 * A filter value this engine's SQL cannot carry as text and that has no keys to filter by
 * instead (a city with an apostrophe, where the dialect writes no quote in a literal): a problem to tell the user, not an error.
 */
export function unwritableFilter(
  q: SemanticQuery,
  catalog: Catalog,
  writesText: (value: string) => boolean,
): QueryProblem | undefined {
  for (const f of [...q.filters, ...(q.part ?? []), ...(q.versus ?? [])]) {
    const d = dimensionById(catalog, f.dimension);
    if (d?.kind !== 'attribute' || f.keys !== undefined) continue;
    const v = f.values.find((x) => !writesText(x));
    if (v !== undefined)
      return {
        message: `I can't filter on the ${d.label} "${v}" on this warehouse yet: its name has characters its SQL text cannot carry.`,
      };
  }
  return undefined;
}

/** English names of the days of the week, Monday first (ISO day 1..7). */
export const WEEKDAYS: readonly string[] = Object.freeze([
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
]);

/** Text every engine's SQL can carry as a literal: printable ASCII without backslashes. */
export function isPlainText(s: string): boolean {
  return /^[\x20-\x5b\x5d-\x7e]+$/.test(s);
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return d.toISOString().slice(0, 10) === s;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The plain-language answer. Every figure in the sentence is read from the
 * result rows (which are already in scope); nothing is invented. Decimal
 * values arrive as strings and are formatted without going through floats.
 */
import {
  dimensionById,
  isTimeless,
  metricById,
  rowDimension,
  unitCount,
  unitDimension,
  type Catalog,
  type DateDimension,
  type Metric,
} from '../semantic/catalog.js';
import type { QueryFilter, SemanticQuery, TimeRange } from '../semantic/query.js';
import type { Cell, QueryResult } from '../warehouse/connector.js';

/** Format a value as the metric's format says. */
export function formatValue(value: Cell, format: Metric['format']): string {
  if (value === null) return 'no data';
  const text = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return text;
  const negative = text.startsWith('-');
  const [intPart = '0', frac = ''] = text.replace('-', '').split('.');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = negative ? '-' : '';
  if (format === 'currency') return `${sign}$${grouped}.${(frac + '00').slice(0, 2)}`;
  if (format === 'integer') return `${sign}${grouped}${frac && /[1-9]/.test(frac) ? `.${frac}` : ''}`;
  if (format === 'percent') return `${sign}${grouped}${frac ? `.${frac}` : ''}%`;
  return `${sign}${grouped}${frac ? `.${frac}` : ''}`;
}

/** The sentence and the headline figure for a catalog answer. */
export interface CatalogAnswer {
  readonly answer: string;
  /** The one number to show in large type, when the answer is one number; else null. */
  readonly headline: string | null;
}

/** Measures whose "total" reads naturally (sums and counts, not ratios). */
function isTotal(m: Metric): boolean {
  return m.formula === undefined && (m.aggregate === 'sum' || m.aggregate === 'count');
}

/** The answer sentence for a query and its rows. */
export function answerFor(
  query: SemanticQuery,
  result: QueryResult,
  catalog: Catalog,
  unitTotal: number,
): CatalogAnswer {
  const measures = query.measures.map((id) => metricById(catalog, id)!);
  const col = (name: string): number => result.columns.findIndex((c) => c.name === name);
  const where = query.filters.length ? `, ${query.filters.map((f) => filterPhrase(f, catalog)).join(', ')},` : '';
  const scope = `across your ${unitCount(catalog, unitTotal)}${where}`;
  const period = spanText(query.time);
  // "for since January 2026" reads badly: a period named from its start takes no "for".
  const forPeriod = /^since\b/.test(query.time.label) ? period : `for ${period}`;
  const first = measures[0]!;
  const fmt = (m: Metric, v: Cell | undefined): string => formatValue(v ?? null, m.format);
  const dims = query.dimensions.map((id) => dimensionById(catalog, id)!);
  const derived = derivedAnswer(query, result, catalog, { scope, forPeriod, where, col, fmt });
  if (derived) return derived;

  if (dims.length === 0) {
    const row = result.rows[0] ?? [];
    if (measures.every((m) => (row[col(m.id)] ?? null) === null)) {
      return {
        answer: `There is no ${measures.map((m) => m.label).join(' or ')} data ${scope} ${forPeriod}.`,
        headline: null,
      };
    }
    if (query.compare) {
      const parts = measures.map((m) => {
        const [cur, prev, change, pct] = ['', '_previous', '_change', '_change_pct'].map(
          (s): Cell => row[col(`${m.id}${s}`)] ?? null,
        ) as [Cell, Cell, Cell, Cell];
        const delta =
          change === null
            ? 'with nothing to compare'
            : `${changeWords(change, m)}${pct === null ? '' : ` (${percentWords(pct, change)})`} from ${fmt(m, prev)}`;
        return `${m.label} ${fmt(m, cur)}, ${delta}`;
      });
      const cmp = spanText(query.compare.range);
      return {
        answer: `For ${period} ${scope}, compared with ${cmp}: ${parts.join('; ')}.`,
        headline: fmt(first, row[col(first.id)]),
      };
    }
    if (measures.length === 1) {
      const lead = isTotal(first) ? `Your total ${first.label}` : `Your ${first.label}`;
      return {
        answer: `${lead} ${forPeriod} ${scope} was ${fmt(first, row[col(first.id)])}.`,
        headline: fmt(first, row[col(first.id)]),
      };
    }
    return {
      answer: `For ${period} ${scope}: ${measures.map((m) => `${m.label} ${fmt(m, row[col(m.id)])}`).join(', ')}.`,
      headline: null,
    };
  }

  if (result.rows.length === 0)
    return { answer: `There is no ${first.label} data ${scope} ${forPeriod}.`, headline: null };
  const label = (row: readonly Cell[]): string =>
    dims.map((d) => periodName(row[col(d.id)] ?? null, d.kind === 'time' ? d.grain : undefined)).join(' / ');
  const valueOf = (row: readonly Cell[], m: Metric): string => {
    if (query.derive === 'share')
      return `${fmt(m, row[col(m.id)])}, ${formatValue(row[col(`${m.id}_share`)] ?? null, 'percent')}`;
    if (query.derive === 'running_total')
      return `${fmt(m, row[col(m.id)])}, ${fmt(m, row[col(`${m.id}_running_total`)])} so far`;
    if (!query.compare) return fmt(m, row[col(m.id)]);
    const change = row[col(`${m.id}_change`)] ?? null;
    return `${fmt(m, row[col(m.id)])}, ${change === null ? 'nothing to compare' : changeWords(change, m)}`;
  };
  const listed = (rows: readonly (readonly Cell[])[]): string =>
    rows.map((r) => `${label(r)} (${measures.map((m) => valueOf(r, m)).join('; ')})`).join(', ');
  const cmp = query.compare ? `, compared with ${spanText(query.compare.range)},` : '';
  if (query.order) {
    const m = metricById(catalog, query.order.measure)!;
    const d = dims[0]!;
    const word =
      query.order.by === 'value'
        ? `the ${query.order.direction === 'asc' ? 'lowest' : 'highest'} ${m.label}`
        : `the ${query.order.direction === 'asc' ? 'biggest fall' : 'biggest rise'} in ${m.label}${query.order.by === 'change_pct' ? ' in percent' : ''}`;
    if (query.per?.length) {
      // "the top 3 stores in each state": every group's first N, the groups named.
      const n = result.rows.length;
      const groups = query.per.map((id) => dimensionById(catalog, id)?.label ?? id).join(' and ');
      const what = query.limit === 1 ? d.label : `${query.limit} ${d.plural}`;
      return {
        answer: `The ${what} with ${word} in each ${groups} ${forPeriod}${cmp} ${scope.replace(/,$/, '')}: ${listed(result.rows.slice(0, 10))}${n > 10 ? `, and ${n - 10} more` : ''}.`,
        headline: null,
      };
    }
    if (query.limit === 1) {
      const row = result.rows[0]!;
      return {
        answer: `The ${d.label} with ${word} ${forPeriod}${cmp} ${scope} was ${listed([row])}.`,
        headline: fmt(m, row[col(m.id)]),
      };
    }
    const n = result.rows.length;
    const head =
      query.limit === undefined
        ? `Your ${d.plural} ranked by ${m.label}`
        : `The ${n} ${n === 1 ? d.label : d.plural} with ${word}`;
    return {
      answer: `${head} ${forPeriod}${cmp} ${scope.replace(/,$/, '')}: ${listed(result.rows.slice(0, 10))}${n > 10 ? `, and ${n - 10} more` : ''}.`,
      headline: null,
    };
  }
  const n = result.rows.length;
  const by = `${cap(measures.map((m) => m.label).join(' and '))} by ${dims.map((d) => d.label).join(' and ')}`;
  const rows =
    n <= 5
      ? `: ${listed(result.rows)}`
      : `: ${n} rows${result.truncated ? ' (truncated)' : ''}${query.compare ? '' : breakdownSummary(result, first, col(first.id), label)}`;
  // "across your 2 locations, in Chicago,: 7 rows" read badly: the filter's closing comma goes before a colon.
  return { answer: `${by} ${forPeriod}${cmp} ${scope.replace(/,$/, '')}${rows}.`, headline: null };
}

/** What the answer sentence needs from `answerFor`. */
interface Said {
  readonly scope: string;
  readonly forPeriod: string;
  readonly where: string;
  readonly col: (name: string) => number;
  readonly fmt: (m: Metric, v: Cell | undefined) => string;
}

/**
 * The sentences of a timeless count ("You have 12 stores in Texas."), a share of one part ("Chicago
 * made up 0.9% of your sales amount ...") and two sides set against each other; undefined for
 * every other answer.
 */
function derivedAnswer(
  query: SemanticQuery,
  result: QueryResult,
  catalog: Catalog,
  said: Said,
): CatalogAnswer | undefined {
  const m = metricById(catalog, query.measures[0]!)!;
  const row = result.rows[0] ?? [];
  const { col, fmt } = said;
  if (isTimeless(catalog, m) && query.dimensions.length === 0 && query.measures.length === 1) {
    const v = fmt(m, row[col(m.id)] ?? '0');
    const what = m.label.replace(/^number of /, '');
    const where = query.filters.length ? ` ${query.filters.map((f) => filterPhrase(f, catalog)).join(', ')}` : '';
    return { answer: `You have ${v} ${what}${where}, as of today.`, headline: v };
  }
  if (query.part && query.dimensions.length === 0) {
    const part = query.part.map((f) => filterPhrase(f, catalog).replace(/^(?:in|at|for|on) /, '')).join(', ');
    const share = row[col(`${m.id}_share`)] ?? null;
    if (share === null)
      return {
        answer: `There is no ${m.label} data ${said.scope} ${said.forPeriod}, so no share to give.`,
        headline: null,
      };
    const pct = formatValue(share, 'percent');
    return {
      answer: `${cap(part)} made up ${pct} of your ${m.label} ${said.forPeriod} (${fmt(m, row[col(m.id)] ?? '0')} of ${fmt(m, row[col(`${m.id}_total`)])}) ${said.scope.replace(/,$/, '')}.`,
      headline: pct,
    };
  }
  if (query.versus) {
    const [a, b] = query.versus.map((f) => f.values.join(', ')) as [string, string];
    const [va, vb, diff, pct] = ['_a', '_b', '_difference', '_difference_pct'].map(
      (x): Cell => row[col(`${m.id}${x}`)] ?? null,
    ) as [Cell, Cell, Cell, Cell];
    if (diff === null)
      return {
        answer: `${cap(m.label)} ${said.forPeriod}: ${a} ${fmt(m, va)}, ${b} ${fmt(m, vb)}; with one side empty there is no difference to give.`,
        headline: null,
      };
    const text = String(diff);
    const how = /^-?0(\.0+)?$/.test(text)
      ? 'the same as'
      : text.startsWith('-')
        ? `${formatValue(text.slice(1), m.format)} less than`
        : `${formatValue(text, m.format)} more than`;
    const rel =
      pct === null || /^-?0(\.0+)?$/.test(text) ? '' : ` (${String(pct).startsWith('-') ? '' : '+'}${String(pct)}%)`;
    return {
      answer: `${cap(m.label)} ${said.forPeriod}: ${a} ${fmt(m, va)}, ${b} ${fmt(m, vb)}. ${a} was ${how} ${b}${rel}.`,
      headline: fmt(m, diff),
    };
  }
  return undefined;
}

/**
 * A long breakdown in one line: the total of a summable measure (when every row came back), and the
 * highest row ("24 rows, $84,000.00 in total; the highest is Saturday ($16,002.11)"). The total adds
 * the rows' own values in the measure's smallest unit, so it is exact.
 */
function breakdownSummary(result: QueryResult, m: Metric, at: number, label: (row: readonly Cell[]) => string): string {
  const rows = result.rows.filter((r) => r[at] !== null && Number.isFinite(Number(r[at])));
  if (rows.length === 0) return '';
  const top = rows.reduce((best, r) => (Number(r[at]) > Number(best[at]) ? r : best));
  const scale = 10 ** (m.decimals ?? (m.format === 'currency' ? 2 : 0));
  const total =
    isTotal(m) && !result.truncated
      ? `, ${formatValue(rows.reduce((sum, r) => sum + Math.round(Number(r[at]) * scale), 0) / scale, m.format)} in total`
      : '';
  return `${total}; the highest is ${label(top)} (${formatValue(top[at] ?? null, m.format)})`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A breakdown's value as people write it: a month as "Oct 2026", a week as "week of Nov 9, 2026", a quarter as "Q4 2026". */
export function periodName(value: Cell, grain: string | undefined): string {
  const text = String(value);
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m || grain === undefined) return text;
  const month = MONTHS[Number(m[2]) - 1]!;
  if (grain === 'month') return `${month} ${m[1]}`;
  if (grain === 'week') return `week of ${month} ${Number(m[3])}, ${m[1]}`;
  if (grain === 'quarter') return `Q${Math.floor((Number(m[2]) - 1) / 3) + 1} ${m[1]}`;
  if (grain === 'year') return m[1]!;
  return text;
}

/** A filter as the answer sentence says it: "in Chicago", "excluding Dallas", "at Chicago #17". */
export function filterPhrase(f: QueryFilter, catalog: Catalog): string {
  const d = dimensionById(catalog, f.dimension);
  const list = listOf(f.values);
  if (d?.kind === 'date') {
    const y = (v: string): string => (/-01-01$|-12-31$/.test(v) ? v.slice(0, 4) : v);
    const op = {
      gte: 'since',
      gt: 'after',
      lt: 'before',
      lte: 'until',
      between: 'in',
      eq: 'on',
      in: 'on',
      not_in: 'not on',
    }[f.op];
    return `for ${datePhrase(d, catalog)} ${op} ${f.op === 'between' && y(f.values[0]!) === y(f.values[1]!) ? y(f.values[0]!) : f.values.map(y).join(' to ')}`;
  }
  if (d?.kind === 'time') return `${f.op === 'not_in' ? 'excluding' : 'on'} ${listOf(f.values.map((v) => `${v}s`))}`;
  if (f.op === 'not_in') return `excluding ${list}`;
  if (d !== undefined && d.id === unitDimension(catalog)?.id) return `at ${list}`;
  if (d?.kind === 'attribute' && d.table !== catalog.schema.grantUnit.table) return `for ${list}`;
  return `in ${list}`;
}

/** "stores opened": the rows a date dimension belongs to, and its first verb. */
export function datePhrase(d: DateDimension, catalog: Catalog): string {
  const owner = rowDimension(catalog, d.table);
  return `${owner?.plural ?? d.table.replaceAll('_', ' ')} ${d.verbs[0] ?? 'dated'}`;
}

function listOf(values: readonly string[]): string {
  return values.length <= 1 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`;
}

function changeWords(change: Cell, m: Metric): string {
  const text = String(change);
  if (/^-?0(\.0+)?$/.test(text)) return 'unchanged';
  return text.startsWith('-') ? `down ${formatValue(text.slice(1), m.format)}` : `up ${formatValue(text, m.format)}`;
}

/** The change in percent, signed; a change that rounds to 0.0 % but is not zero says so instead of "+0.0%". */
function percentWords(pct: Cell, change: Cell): string {
  const t = String(pct);
  if (/^-?0(\.0+)?$/.test(t)) return /^-?0(\.0+)?$/.test(String(change)) ? '0.0%' : 'less than 0.1%';
  return t.startsWith('-') ? `${t}%` : `+${t}%`;
}

/** A period as the sentence says it: its label and dates, once ("yesterday (2026-11-17)", not "... (2026-11-17) (2026-11-17 to 2026-11-17)"). */
function spanText(r: TimeRange): string {
  return r.from === r.to && r.label.endsWith(`(${r.from})`) ? r.label : `${r.label} (${r.from} to ${r.to})`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * True when every number in a model-written sentence is a value from the rows
 * (as written there, or with thousands separators, a $ sign or rounded to
 * cents), the row count, or part of a date that appears in the rows. A
 * sentence that fails is replaced by the deterministic one.
 */
export function numbersComeFromRows(sentence: string, result: QueryResult): boolean {
  const allowed = new Set<string>([String(result.rows.length)]);
  for (const row of result.rows) {
    for (const cell of row) {
      if (cell === null) continue;
      const text = String(cell);
      for (const part of text.split(/[^0-9.]+/)) if (part) allowed.add(strip(part));
      if (/^-?\d+(\.\d+)?$/.test(text)) {
        allowed.add(strip(text));
        allowed.add(strip(Number(text).toFixed(2)));
        allowed.add(strip(String(Math.round(Number(text)))));
      }
    }
  }
  // A minus sign right after a digit is a date or range separator, not a sign.
  const numbers = sentence.match(/(?<!\d)-?\$?\d[\d,]*(?:\.\d+)?/g) ?? [];
  return numbers.every((n) => allowed.has(strip(n.replace(/[$,]/g, ''))));
}

function strip(n: string): string {
  return n.includes('.') ? n.replace(/\.?0+$/, '') : n;
}

/** The deterministic sentence for a free-form answer. */
export function freeFormSentence(question: string, result: QueryResult): string {
  const n = result.rows.length;
  if (n === 1 && result.columns.length === 1) return `${result.columns[0]!.name}: ${String(result.rows[0]![0])}.`;
  return `Found ${n} row${n === 1 ? '' : 's'}${result.truncated ? ' (truncated)' : ''} for "${question.trim()}".`;
}

/**
 * Layer 2: what is being asked. A deterministic analyzer maps a question to
 * a catalog intent, or refuses before any data is touched: `clarification`
 * when a word names more than one metric, `unsupported` (with the metric
 * list) when no metric is named. It also extracts explicit references to
 * businesses, tenants, locations and admins, so the pipeline can deny a
 * question that points outside the caller's scope and record it.
 */
import { deepFreeze } from '../util/freeze.js';
import type { Catalog, Dimension, Metric } from './catalog.js';
import { defaultRange, parseTimeRange, type TimeRange } from './time-range.js';

/** An entity the question names by ID. */
export interface Reference {
  readonly kind: 'tenant' | 'business' | 'location' | 'admin';
  readonly id: string;
}

/** A filter on a location attribute, e.g. "in Chicago" or "in IL". Values are letters and spaces only. */
export interface Filter {
  readonly dimension: 'city' | 'state';
  readonly value: string;
}

/** A question the catalog can answer. */
export interface MetricIntent {
  readonly kind: 'metric';
  readonly metric: Metric;
  readonly range: TimeRange;
  readonly groupBy?: Dimension;
  readonly filters: readonly Filter[];
  /** Top-N (desc) or bottom-N (asc) over the grouping. */
  readonly rank?: { readonly order: 'desc' | 'asc'; readonly limit: number };
  readonly references: readonly Reference[];
}

/** A metric the user can pick to re-ask. */
export interface Choice {
  readonly metric: string;
  readonly label: string;
  /** The question re-worded with this metric, ready to send. */
  readonly question: string;
}

/** The question named more than one metric. */
export interface Clarification {
  readonly kind: 'clarification';
  readonly message: string;
  readonly choices: readonly Choice[];
  readonly references: readonly Reference[];
}

/** The question named no supported metric (or an impossible combination). */
export interface Unsupported {
  readonly kind: 'unsupported';
  readonly message: string;
  readonly metrics: readonly { readonly id: string; readonly label: string; readonly description: string }[];
  readonly references: readonly Reference[];
}

/** A question outside the catalog that a model classified as answerable; only a model generator takes it. */
export interface FreeFormIntent {
  readonly kind: 'freeform';
  readonly question: string;
  readonly references: readonly Reference[];
}

export type Intent = MetricIntent | FreeFormIntent | Clarification | Unsupported;

/** Normalise: lower case, plain quotes, punctuation to spaces (keeping dates and IDs intact). */
export function normalise(question: string): string {
  return question
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201c\u201d]/g, "'")
    .replace(/[^a-z0-9#\- ]+/g, ' ')
    .replace(/(?<!\d)-|-(?!\d)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const COMPARATIVE =
  /\b(drop|drops|dropped|decline|declined|increase|increased|decrease|decreased|growth|grew|change|changed|compare|compared|comparison|versus|vs|over time|week over week|month over month|year over year|trend|difference|ratio|share|percent|percentage|correlat\w*)\b/;

const REFERENCE_RE = /\b(tenant|business|location|store|restaurant|admin|user)(?:\s+(?:id|number|no))?\s*#?\s*(\d{1,18})\b/g;
const KIND: Record<string, Reference['kind']> = {
  tenant: 'tenant', business: 'business', location: 'location', store: 'location', restaurant: 'location', admin: 'admin', user: 'admin',
};

/**
 * Analyse a question against the catalog; `todayIso` is the clock's date. `previous` is the last
 * metric intent of the same conversation: a follow-up that names no metric ("and the week
 * before?") reuses its metric and grouping.
 */
export function analyzeQuestion(question: string, catalog: Catalog, todayIso: string, previous?: MetricIntent): Intent {
  if (previous) return analyze(question, catalog, todayIso, previous);
  // A pure function of (catalog, day, question): repeated questions reuse the frozen result.
  const perCatalog = analysed.get(catalog) ?? new Map<string, Intent>();
  analysed.set(catalog, perCatalog);
  const key = `${todayIso}\u0000${question}`;
  const hit = perCatalog.get(key);
  if (hit) return hit;
  const intent = deepFreeze(analyze(question, catalog, todayIso, undefined));
  perCatalog.set(key, intent);
  if (perCatalog.size > 10_000) perCatalog.delete(perCatalog.keys().next().value as string);
  return intent;
}

const analysed = new WeakMap<Catalog, Map<string, Intent>>();

function analyze(question: string, catalog: Catalog, todayIso: string, previous: MetricIntent | undefined): Intent {
  const text = normalise(question);
  const references = [...text.matchAll(REFERENCE_RE)].map((m) => ({ kind: KIND[m[1]!]!, id: m[2]!.replace(/^0+(?=\d)/, '') }));
  const unsupported = (message: string): Unsupported => ({
    kind: 'unsupported',
    message,
    metrics: catalog.metrics.map((m) => ({ id: m.id, label: m.label, description: m.description })),
    references,
  });

  const { matched, masked } = findMetrics(text, catalog);
  if (matched.length > 1) {
    return clarification(question, `Your question names several measures. Which one do you want?`, matched, references, undefined);
  }
  // Comparisons, changes and ratios are beyond the catalog's one-aggregate shape: answering
  // "biggest drop in guests" with "most guests" would be a wrong number, so hand them on.
  if (COMPARATIVE.test(text)) {
    return unsupported('That question compares or relates measures, which the metric catalog cannot answer on its own.');
  }
  const followUp = matched.length === 0 && previous ? followUpOf(text, previous, todayIso) : undefined;
  if (followUp) return { ...followUp, references };
  const metric = matched[0];
  if (!metric) {
    for (const a of catalog.ambiguous) {
      if (hasPhrase(masked, a.term)) {
        const choices = a.choices.map((id) => catalog.metrics.find((m) => m.id === id)!);
        return clarification(question, a.question, choices, references, a.term);
      }
    }
    return unsupported('I can answer questions about these metrics. Which one are you interested in?');
  }

  const range = parseTimeRange(text, todayIso) ?? defaultRange(catalog.defaultTimeRange, todayIso);
  if ('invalid' in range) return unsupported(range.invalid);

  const rank = /\b(top|best|highest|bottom|worst|lowest)\s+(\d{1,3})\b/.exec(masked);
  const which = /\b(?:which|what)\s+(?:of\s+my\s+)?(\w+)\s+(?:had|has|did|was|were|sold|made|got)\b/.exec(masked);
  let groupBy = findDimension(masked, catalog);
  if (which && !groupBy) groupBy = dimensionFor(which[1]!, catalog);
  if ((rank || which) && !groupBy) groupBy = catalog.dimensions.find((d) => d.id === 'location');
  if (groupBy?.requires && groupBy.requires !== metric.table) {
    return unsupported(`A breakdown by ${groupBy.label} is available only for item metrics.`);
  }
  const desc = /\b(most|highest|top|best|biggest|largest)\b/.test(masked);
  const asc = /\b(least|lowest|bottom|worst|smallest|fewest)\b/.test(masked);
  const intent: MetricIntent = {
    kind: 'metric',
    metric,
    range,
    ...(groupBy ? { groupBy } : {}),
    filters: findFilters(question),
    ...(rank || which
      ? { rank: { order: asc && !desc ? 'asc' : 'desc', limit: rank ? Math.max(1, Math.min(100, Number(rank[2]))) : 1 } as const }
      : {}),
    references,
  };
  return intent;
}

const NOT_PLACES = new Set([
  ...['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  ...['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'Q1', 'Q2', 'Q3', 'Q4'],
]);

/**
 * Location filters from the question as typed: a capitalised place after "in"/"at" is a city
 * ("in Chicago", "in New York"), two capitals are a state code ("in IL"). Only letters and
 * spaces are kept, so a filter value can never carry SQL.
 */
export function findFilters(question: string): Filter[] {
  const filters: Filter[] = [];
  const state = /\b(?:in|at)\s+(?:the\s+state\s+of\s+)?([A-Z]{2})\b/.exec(question);
  if (state && !NOT_PLACES.has(state[1]!)) filters.push({ dimension: 'state', value: state[1]! });
  const city = /\b(?:in|at)\s+(?:the\s+city\s+of\s+)?([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})\b/.exec(question);
  if (city && !NOT_PLACES.has(city[1]!.split(' ')[0]!)) filters.push({ dimension: 'city', value: city[1]! });
  return filters;
}

/** "and the week before?", "what about last month?", "by city?" after a metric question. */
function followUpOf(text: string, previous: MetricIntent, todayIso: string): Omit<MetricIntent, 'references'> | undefined {
  const before = /\b(?:the\s+)?(day|week|month)\s+before\b|\b(?:the\s+)?previous\s+(day|week|month)\b/.exec(text);
  if (before) {
    const unit = (before[1] ?? before[2]) as 'day' | 'week' | 'month';
    return { ...previous, range: shiftRange(previous.range, unit) };
  }
  const range = parseTimeRange(text, todayIso);
  const looksLikeFollowUp = /^(and|what about|how about|same|now)\b/.test(text) || text.split(' ').length <= 6;
  if (range && !('invalid' in range) && looksLikeFollowUp) return { ...previous, range };
  return undefined;
}

function shiftRange(r: TimeRange, unit: 'day' | 'week' | 'month'): TimeRange {
  const DAY = 86_400_000;
  const from = Date.parse(`${r.from}T00:00:00Z`);
  const to = Date.parse(`${r.to}T00:00:00Z`);
  const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  if (unit === 'month') {
    const f = new Date(from);
    const start = Date.UTC(f.getUTCFullYear(), f.getUTCMonth() - 1, 1);
    const end = Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), 1) - DAY;
    return { from: iso(start), to: iso(end), label: `the month before ${r.label}` };
  }
  const span = unit === 'day' ? DAY : 7 * DAY;
  return { from: iso(from - span), to: iso(to - span), label: `the ${unit} before ${r.label}` };
}

function findMetrics(text: string, catalog: Catalog): { matched: Metric[]; masked: string } {
  const phrases = catalog.metrics
    .flatMap((m) => m.synonyms.map((s) => ({ s, m })))
    .sort((a, b) => b.s.length - a.s.length);
  let masked = ` ${text} `;
  const matched: Metric[] = [];
  for (const { s, m } of phrases) {
    const re = new RegExp(`(?<=\\s)${s.replace(/ /g, '\\s')}(?=\\s)`, 'g');
    if (re.test(masked)) {
      masked = masked.replace(re, (x) => '_'.repeat(x.length));
      if (!matched.includes(m)) matched.push(m);
    }
  }
  return { matched, masked: masked.trim() };
}

function hasPhrase(text: string, phrase: string): boolean {
  return new RegExp(`\\b${phrase}\\b`).test(text);
}

function findDimension(text: string, catalog: Catalog): Dimension | undefined {
  for (const d of catalog.dimensions) {
    for (const s of d.synonyms) {
      const word = s.replace(/ /g, '\\s');
      if (new RegExp(`\\b(?:by|per|for\\s+each|each|across)\\s+(?:${word})s?\\b`).test(text)) return d;
      if (/ly$/.test(s) && new RegExp(`\\b${word}\\b`).test(text)) return d;
    }
  }
  return undefined;
}

function dimensionFor(word: string, catalog: Catalog): Dimension | undefined {
  const singular = word.replace(/s$/, '');
  return catalog.dimensions.find((d) => d.synonyms.includes(singular));
}

function clarification(
  question: string,
  message: string,
  metrics: readonly Metric[],
  references: readonly Reference[],
  term: string | undefined,
): Clarification {
  const choices = metrics.map((m) => ({
    metric: m.id,
    label: m.label,
    question: term ? reword(question, term, m.label) : `${question.replace(/[?.!\s]+$/, '')} (${m.label})?`,
  }));
  return { kind: 'clarification', message, choices, references };
}

function reword(question: string, term: string, label: string): string {
  const re = new RegExp(`\\b${term}\\b`, 'i');
  return re.test(question) ? question.replace(re, label) : `${question} (${label})`;
}

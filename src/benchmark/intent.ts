/**
 * Peer benchmark questions (issue 38): "how do my sales compare with the brand average last month",
 * "how do my stores rank among the stores in Illinois", "am I above the median for orders". Read
 * against the catalog alone, before any data: this file decides only that a question asks to compare
 * the caller with peers, and what with (measures, grouping, month). Whether the caller may, and what
 * is released, is the policy's grant and compile.ts's rules.
 *
 * A question is a benchmark when it names a peer group (peers, other <units> not "my other <units>",
 * the average <unit>, the <business> average, the rest of the <business>, ...) next to a comparing
 * word (compare, vs, rank, above, below, stack up, ...), or says "benchmark" or asks its percentile.
 * The unit and business words come from the catalog (the grant unit's dimension and `wording.peers`
 * and `wording.identity.business`), so nothing here names a domain.
 *
 * What is read:
 *   - measures: those the question names that can be benchmarked (vocabulary.ts); a word with several
 *     meanings ("sales") is asked back unless only one meaning can be benchmarked; none named, or one
 *     that cannot be benchmarked: asked back with those that can;
 *   - grouping: a grouping dimension the question names by its words ("in my state") or by a value
 *     ("in Illinois": that group only); else the whole business;
 *   - the month: one whole calendar month that has ended (none named: the last one); any other period
 *     is asked back with the months that can be compared.
 */
import type { Turn } from '../conversation/store.js';
import type { Choice, Clarification } from '../intent/analyze.js';
import { readQuestion } from '../intent/analyze.js';
import { monthEnd, monthStart } from '../intent/calendar.js';
import { MONTHS } from '../intent/lexicon.js';
import { fold } from '../intent/tokens.js';
import { BUSINESS_GROUPING, type BenchmarkGrant } from '../policy/scope.js';
import { metricById, unitDimension, type AttributeDimension, type Catalog } from '../semantic/catalog.js';
import { isClosedMonth } from './benchmark.js';
import { benchmarkVocabulary } from './vocabulary.js';

/** A benchmark the question asks for. */
export interface BenchmarkAsk {
  readonly kind: 'benchmark';
  readonly measures: readonly string[];
  /** `business`, or a grouping dimension's id. */
  readonly grouping: string;
  /** Groups the question names ("in Texas and Arizona"): only those are compared; none: every group of the caller's. */
  readonly groups: readonly NamedGroup[];
  readonly from: string;
  readonly to: string;
  /** "November 2026". */
  readonly month: string;
  /** No month was named: the last whole month was taken (the answer says so). */
  readonly defaultMonth: boolean;
  /** A word with several meanings read as the only one that can be benchmarked ("sales": the sales amount). */
  readonly readAs?: { readonly term: string; readonly metric: string };
}

/** "November 2026" of a YYYY-MM-DD date (the parser's own month words, capitalised). */
export function monthName(iso: string): string {
  return `${(MONTHS[Number(iso.slice(5, 7)) - 1] ?? '?').replace(/^./, (c) => c.toUpperCase())} ${iso.slice(0, 4)}`;
}

/** The first and last day of the month `back` months before the month of `today`. */
function monthBefore(today: string, back: number): { from: string; to: string } {
  const from = monthStart(today, -back);
  return { from, to: monthEnd(from) };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (words: readonly string[]): string =>
  [...new Set(words.map((w) => fold(w).trim()).filter(Boolean))]
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|');
const plural = (w: string): string => (w.endsWith('s') ? w : `${w}s`);

interface Patterns {
  readonly peer: RegExp;
  /** The peer group named as the whole business ("the brand average", "the rest of the chain"). */
  readonly business: RegExp;
  readonly compare: RegExp;
  readonly own: RegExp;
  readonly always: RegExp;
}

const patternCache = new WeakMap<Catalog, Patterns>();

/** The words and values of the groupings a benchmark may use ("state", "states", "Tennessee", "TN"). */
function groupingWords(catalog: Catalog): string[] {
  const words: string[] = [];
  for (const id of benchmarkVocabulary(catalog).groupings) {
    const d = catalog.dimensions.find((x): x is AttributeDimension => x.id === id && x.kind === 'attribute');
    if (!d) continue;
    words.push(d.label, d.plural, ...d.synonyms, ...(d.known ?? []));
    for (const list of Object.values(d.vocabulary ?? {})) words.push(...list);
  }
  return words;
}

/** The catalog's words for the grant unit and the business, in the patterns that name a peer group. */
function patterns(catalog: Catalog): Patterns {
  const hit = patternCache.get(catalog);
  if (hit) return hit;
  const unit = unitDimension(catalog);
  const unitWords = unit ? [unit.label, unit.plural, ...unit.synonyms] : ['unit'];
  const U = `(?:${alternatives([...unitWords, ...unitWords.map(plural)])})`;
  const B = `(?:${alternatives([...catalog.wording.identity.business, ...catalog.wording.peers])})`;
  // The peer words alone ("the chain", "the network"): not the identity's "business", which also
  // names one's own ("how is the business doing compared with last week").
  const P = catalog.wording.peers.length ? `(?:${alternatives(catalog.wording.peers)})` : '(?!)';
  // The groupings' words and values ("state", "Tennessee"): "the Tennessee average", "the rest of California".
  const grouped = groupingWords(catalog);
  const G = grouped.length ? `(?:${alternatives(grouped)})` : '(?!)';
  const peer = new RegExp(
    [
      `\\b(?:peers?|everyone(?: else)?|everybody(?: else)?|others like (?:me|us))\\b`,
      `(?<!\\b(?:my|our|your) )\\bothers\\b`,
      `(?<!\\b(?:my|our|your) )\\bother (?:[a-z]+ ){0,2}?(?:${U}|${P})\\b`,
      `\\b(?:the|an?) (?:average|median|typical|mean) (?:[a-z]+ )?${U}\\b`,
      `\\b(?:all|every) (?:the |of the )?${U} (?:in|across|of|throughout|on)\\b`,
      `\\b(?:among|amongst) (?:the |all (?:the )?)?(?:[a-z']+ )?${U}\\b`,
      `\\bthe ${U} (?:in|across) (?!my\\b|our\\b)`,
      `\\b${B}(?:'s|s)? ?(?:average|avg|median|mean|norm|as a whole|overall|wide)\\b`,
      `\\b(?:the )?${G} (?:average|avg|median|mean|norm)\\b`,
      `\\b(?:rest|remainder) of (?:the )?(?:${B}|${G})\\b`,
      `\\bthe (?:whole |entire )?${P}\\b`,
      `\\b(?:compared?|comparison|vs|versus|against|relative) (?:with |to |against )?(?:the )?${B}\\b`,
      // "am I above the median", "are we below average" (not "which of my stores are above average").
      `\\b(?:am i|are we|i am|we are|im|were) (?:\\w+ ){0,2}?(?:above|below|under|over) (?:the )?(?:average|median)\\b`,
    ].join('|'),
  );
  const business = new RegExp(
    [
      `\\b${B}(?:'s|s)? ?(?:average|avg|median|mean|norm|as a whole|overall|wide)\\b`,
      `\\b(?:rest|remainder) of (?:the )?${B}\\b`,
      `\\bthe (?:whole |entire )?${P}\\b`,
      `\\b(?:compared?|comparison|vs|versus|against|relative) (?:with |to |against )?(?:the )?${B}\\b`,
    ].join('|'),
  );
  const compare =
    /\b(?:compar\w*|stack(?:s|ed)? up|measure up|fare|rank\w*|stand|vs|versus|against|relative|ahead|behind|above|below|better|worse|beat\w*|outperform\w*|underperform\w*|out-?\w+|lag\w*|trail\w*|land|doing|howm|howd|how (?:do|does|did|am|are) (?:i|we))\b/;
  // Comparisons among the caller's own units: not a benchmark ("my other stores", "each other").
  const own = new RegExp(`\\b(?:my|our) other ${U}\\b|\\beach other\\b|\\bone another\\b`);
  const always =
    /\bbenchmark\w*\b|\b(?:my|our|what|which) percentile\b|\bpercentile (?:rank|am|are|is|do|does|did) (?:i|we|my|our|of)?\b/;
  const made = { peer, business, compare, own, always };
  patternCache.set(catalog, made);
  return made;
}

/** Words a benchmark question may hold besides its measure and month: the comparison's own words. */
const COMPARISON_WORDS = new Set(
  (
    'other others peer peers among amongst am are is i we me us you your my our mine ours above below under over ahead ' +
    'behind median average averages avg mean typical norm percentile percentiles rank ranks ranked ranking benchmark ' +
    'benchmarks benchmarked benchmarking rest remainder everyone everybody else like compare compared compares comparing ' +
    'comparison stack stacks stacked up measure measures fare fares stand stands versus vs against relative better worse ' +
    'beat beating outperform outperforming underperform underperforming doing do does did how the of with to as a an in ' +
    'on for at by all every whole overall wide same there here what which where these those them they their and or both ' +
    // time words the period passes may leave over ("the last full month": the month the answer takes anyway)
    'last full complete completed entire calendar month finished ended ' +
    // spoken forms and verbs of standing ("how'm I doing", "do I lag the chain", "where do I land")
    'howm howd hows im ive id lag lags lagging lagged trail trails trailing beating land lands sit sits place ' +
    'placed position operate operates operating each me'
  ).split(' '),
);

const allowedCache = new WeakMap<Catalog, ReadonlySet<string>>();

/** The comparison's own words, and the catalog's words for units, the business and the groupings and their values. */
function allowedWords(catalog: Catalog): ReadonlySet<string> {
  const hit = allowedCache.get(catalog);
  if (hit) return hit;
  const words = new Set(COMPARISON_WORDS);
  const add = (phrase: string): void => {
    for (const w of fold(phrase).split(/[^a-z0-9]+/)) if (w) words.add(w).add(plural(w)).add(`${w}wide`);
  };
  const unit = unitDimension(catalog);
  for (const p of [
    ...(unit ? [unit.label, unit.plural, ...unit.synonyms] : []),
    ...catalog.wording.peers,
    ...catalog.wording.identity.business,
  ])
    add(p);
  for (const id of benchmarkVocabulary(catalog).groupings) {
    const d = catalog.dimensions.find((x): x is AttributeDimension => x.id === id && x.kind === 'attribute');
    if (!d) continue;
    for (const p of [d.label, d.plural, ...d.synonyms, ...(d.known ?? [])]) add(p);
    for (const [value, list] of Object.entries(d.vocabulary ?? {})) for (const p of [value, ...list]) add(p);
  }
  allowedCache.set(catalog, words);
  return words;
}

/**
 * What the question asks beyond a comparison of whole-month totals of all the caller's units: a
 * filter, days of the week, a breakdown, a ranking of its own units, a share, a moving window, or
 * words nothing placed ("burger", "newest"). A benchmark is never narrowed: the peers' figures are
 * released for the fixed groups only, and a narrower "you" beside them would compare unlike things.
 */
function narrowing(draft: ReturnType<typeof readQuestion>, catalog: Catalog): string[] {
  const groupings = new Set(benchmarkVocabulary(catalog).groupings);
  const unit = unitDimension(catalog)?.id;
  const label = (id: string): string => catalog.dimensions.find((d) => d.id === id)?.label ?? id;
  const allowed = allowedWords(catalog);
  return [
    ...draft.filters.map((f) => `${label(f.dimension)}: ${f.values.join(' and ')}`),
    ...(draft.time.weekdays?.length && !draft.filters.length ? ['days of the week'] : []),
    ...draft.dimensions
      .filter((d) => d.id !== unit && !groupings.has(d.id))
      .map((d) => `a breakdown by ${label(d.id)}`),
    ...(draft.rank && !draft.rank.all ? ['a ranking'] : []),
    ...(draft.derive ? [draft.derive === 'share' ? 'a share' : 'a running total'] : []),
    ...(draft.moving ? [draft.moving] : []),
    ...draft.mentions
      .filter((m) => m.negated || !m.words.every((w) => allowed.has(w) || !/[a-z0-9]/.test(w)))
      .map((m) => (m.negated ? `leaving out "${m.text}"` : `"${m.text}"`)),
  ];
}

/** Whether the question asks to compare the caller with peers. */
export function isBenchmarkQuestion(question: string, catalog: Catalog): boolean {
  if (benchmarkVocabulary(catalog).measures.length === 0) return false;
  const text = fold(question)
    .replace(/[^a-z0-9%'\s-]/g, ' ')
    .replace(/\s+/g, ' ');
  const p = patterns(catalog);
  if (p.own.test(text)) return false;
  return p.always.test(text) || (p.peer.test(text) && p.compare.test(text));
}

/**
 * Whether the question path should hand the question to the benchmark path: a benchmark question
 * that names no ID (one that does is read, and its IDs checked, as any question).
 */
/** "in 2026-09" as "in September 2026": a month written in digits, read as the month (the period passes read the year). */
function monthsInWords(question: string): string {
  return question.replace(/\b(\d{4})-(0[1-9]|1[0-2])\b(?!-\d)/g, (_m, y: string, mm: string) =>
    monthName(`${y}-${mm}-01`),
  );
}

export function benchmarkAsked(question: string, catalog: Catalog, today: string): boolean {
  return isBenchmarkQuestion(question, catalog) && readQuestion(question, catalog, today).references.length === 0;
}

/** A group the question names: its stored value and the words used. */
export interface NamedGroup {
  readonly value: string;
  readonly text: string;
}

/** The grouping dimensions the question names, each by its words or by values ("Texas and Arizona"). */
function groupingOf(
  question: string,
  catalog: Catalog,
  groupings: readonly string[],
): readonly { readonly dimension: string; readonly groups: readonly NamedGroup[] }[] {
  const text = ` ${fold(question)
    .replace(/[^a-z0-9'\s-]/g, ' ')
    .replace(/\s+/g, ' ')} `;
  // A code typed in capitals ("TX") is a code only in a question not all in capitals ("IN" of "... IN MY STATE").
  const codes = /[a-z]/.test(question);
  const found: { dimension: string; groups: NamedGroup[] }[] = [];
  for (const id of groupings) {
    const d = catalog.dimensions.find((x): x is AttributeDimension => x.id === id && x.kind === 'attribute');
    if (!d) continue;
    // Values: words of the dimension's vocabulary, known values, stored codes typed as codes; the
    // longest first, each place in the question read once ("new york state" is not also "new york").
    const candidates: { value: string; text: string; at: number; length: number }[] = [];
    const find = (value: string, words: string, shown: string): void => {
      const w = ` ${fold(words)} `;
      for (let at = text.indexOf(w); at >= 0; at = text.indexOf(w, at + 1))
        candidates.push({ value, text: shown, at, length: w.length });
    };
    for (const [value, words] of Object.entries(d.vocabulary ?? {}))
      for (const w of words)
        find(
          value,
          w,
          w.replace(/\b[a-z]/g, (c) => c.toUpperCase()),
        );
    for (const v of d.known ?? []) find(v, v, v);
    if (codes)
      for (const value of Object.keys(d.vocabulary ?? {}))
        if (/^[A-Z]{2,3}$/.test(value))
          for (const m of question.matchAll(new RegExp(`(?<![A-Za-z])${value}(?![A-Za-z])`, 'g')))
            candidates.push({ value, text: value, at: -1 - m.index, length: value.length });
    const taken: typeof candidates = [];
    for (const c of candidates.sort((a, b) => b.length - a.length))
      if (
        !taken.some(
          (t) => t.at === c.at || (c.at >= 0 && t.at >= 0 && c.at < t.at + t.length - 1 && t.at < c.at + c.length - 1),
        )
      )
        taken.push(c);
    const groups = [
      ...new Map(taken.sort((a, b) => Math.abs(a.at) - Math.abs(b.at)).map((t) => [t.value, t])).values(),
    ].map((t) => ({ value: t.value, text: t.text }));
    const words = [d.label, d.plural, ...d.synonyms].map((w) => fold(w));
    if (
      groups.length ||
      words.some((w) => text.includes(` ${w} `) || text.includes(` ${w}wide `) || text.includes(` ${w}-wide `))
    )
      found.push({ dimension: id, groups });
  }
  return found;
}

/** The words a canonical question names the grouping with. */
function groupWords(catalog: Catalog, grouping: string, groups: readonly NamedGroup[] = []): string {
  if (groups.length) return ` in ${groups.map((g) => g.text).join(' and ')}`;
  if (grouping === BUSINESS_GROUPING) return '';
  const d = catalog.dimensions.find((x) => x.id === grouping);
  return ` in my ${d?.label ?? grouping}`;
}

/**
 * A follow-up to a comparison with peers ("and in September?", "what about orders?", "and by state?",
 * "how about the month before?"): the whole benchmark question it makes, with what it changes, or
 * undefined when it is no such follow-up. The question made is read, granted and run again in full;
 * a follow-up that narrows ("and on weekends?") or names an ID is not one (the question path takes it).
 */
export function benchmarkFollowUp(
  question: string,
  prior: NonNullable<Turn['benchmark']>,
  catalog: Catalog,
  today: string,
): string | undefined {
  const draft = readQuestion(monthsInWords(question), catalog, today);
  if (!draft.followUp || draft.references.length || narrowing(draft, catalog).length) return undefined;
  const label = (id: string): string => metricById(catalog, id)?.label ?? id;
  // The measures: named ones, a word with several meanings as typed (asked back), else the earlier ones.
  const measures = draft.measures.length
    ? draft.measures.map(label).join(' and ')
    : (draft.ambiguous[0]?.raw ?? prior.measures.map(label).join(' and '));
  // The month: one named, the month before the earlier one, or the earlier one.
  const spans = draft.time.spans;
  let month: string;
  if (spans.length === 1 && spans[0] && !draft.time.relative)
    month = isClosedMonth(spans[0].range.from, spans[0].range.to, today)
      ? monthName(spans[0].range.from)
      : spans[0].range.label;
  else if (spans.length === 0 && draft.time.relative?.kind === 'previous_period')
    month = monthName(monthStart(prior.from, -1));
  else if (spans.length === 0 && !draft.time.relative) month = monthName(prior.from);
  else return undefined;
  // The grouping: one named ("by state", "in Texas"), the whole business named, or the earlier one.
  const found = groupingOf(question, catalog, benchmarkVocabulary(catalog).groupings);
  if (found.length > 1) return undefined;
  const [named] = found;
  const business = !named && patterns(catalog).business.test(fold(question).replace(/\s+/g, ' '));
  const grouping = named?.dimension ?? (business ? BUSINESS_GROUPING : prior.grouping);
  const groups = named ? named.groups : business ? [] : prior.groups;
  const units = unitDimension(catalog)?.plural ?? 'peers';
  const peers =
    grouping === BUSINESS_GROUPING && catalog.wording.peers[0]
      ? `the whole ${catalog.wording.peers[0]}`
      : `other ${units}`;
  return `How did my ${measures} compare with ${peers}${groupWords(catalog, grouping, groups)} in ${month}?`;
}

/** A question that reads back as this benchmark (the choices of an ask-back). */
export function benchmarkQuestion(
  catalog: Catalog,
  measure: string,
  grouping: string,
  month: string,
  groups: readonly NamedGroup[] = [],
): string {
  const unit = unitDimension(catalog);
  const units = unit?.plural ?? 'peers';
  const label = metricById(catalog, measure)?.label ?? measure;
  return `How did my ${label} compare with other ${units}${groupWords(catalog, grouping, groups)} in ${month}?`;
}

function clarification(message: string, choices: readonly Choice[]): Clarification {
  return { kind: 'clarification', message, choices, references: [] };
}

/**
 * The benchmark a question asks for, an ask-back when what it asks cannot be read as one, or
 * undefined when the question is not a benchmark.
 */
export function readBenchmark(
  asked: string,
  catalog: Catalog,
  today: string,
  grants?: readonly BenchmarkGrant[],
): BenchmarkAsk | Clarification | undefined {
  if (!isBenchmarkQuestion(asked, catalog)) return undefined;
  const question = monthsInWords(asked);
  const vocabulary = benchmarkVocabulary(catalog);
  const draft = readQuestion(question, catalog, today);
  // A question that names an ID ("store 17", "business 628") is not a comparison of all of one's own
  // units: the question path reads it (and denies an ID outside the caller's scope).
  if (draft.references.length) return undefined;
  // Ask-backs offer what the caller's grants cover; what the question names is read against the
  // whole vocabulary, so a grouping or measure the grants leave out is refused by name, never re-read.
  const granted = (all: readonly string[], pick: (g: BenchmarkGrant) => readonly string[]): readonly string[] =>
    grants ? all.filter((x) => grants.some((g) => pick(g).includes(x))) : all;
  const offered = granted(vocabulary.measures, (g) => g.measures);
  const offeredGroups = granted([BUSINESS_GROUPING, ...vocabulary.groupings], (g) => g.groups);
  const label = (id: string): string => metricById(catalog, id)?.label ?? id;
  const list = (ids: readonly string[]): string => {
    const named = ids.map((id) => `the ${label(id)}`);
    return named.length < 2 ? (named[0] ?? '') : `${named.slice(0, -1).join(', ')} or ${named.at(-1) ?? ''}`;
  };

  // The grouping first: the choices of any ask-back below keep it.
  // A grouping the grants leave out is dropped when another one is named too ("New York": a city and a
  // state; the grants allow states); named alone, it stays, and the grant check refuses it by name.
  const named = groupingOf(question, catalog, vocabulary.groupings);
  const allowedGroupings = named.filter((f) => offeredGroups.includes(f.dimension));
  const found = named.length > 1 && allowedGroupings.length ? allowedGroupings : named;
  const last = monthBefore(today, 1);
  const lastName = monthName(last.from);
  if (found.length > 1) {
    const unit = unitDimension(catalog)?.plural ?? 'peers';
    return clarification(
      `Compare within which group: ${found.map((f) => `your ${catalog.dimensions.find((x) => x.id === f.dimension)?.label ?? f.dimension}`).join(' or ')}? A comparison with other ${unit} is made within one grouping at a time.`,
      found.map((f) => ({
        label: f.groups.map((g) => g.text).join(' and ') || f.dimension,
        question: benchmarkQuestion(
          catalog,
          offered[0] ?? vocabulary.measures[0] ?? '',
          f.dimension,
          lastName,
          f.groups,
        ),
      })),
    );
  }
  const one = found[0];
  // No grouping named: the whole business when the question names it or the grants allow it, else
  // the grants' own grouping ("other stores" for a caller who may compare only per state).
  const namesBusiness = patterns(catalog).business.test(fold(question).replace(/\s+/g, ' '));
  const grouping =
    one?.dimension ??
    (namesBusiness ? BUSINESS_GROUPING : undefined) ??
    (offeredGroups.includes(BUSINESS_GROUPING) ? BUSINESS_GROUPING : (offeredGroups[0] ?? BUSINESS_GROUPING));
  const groups = one?.groups ?? [];

  // Anything that would narrow the comparison is asked back, named (never dropped).
  const narrowed = narrowing(draft, catalog);
  if (narrowed.length) {
    const units = unitDimension(catalog)?.plural ?? 'units';
    const m = draft.measures.find((x) => offered.includes(x)) ?? offered[0] ?? vocabulary.measures[0] ?? '';
    return clarification(
      `A comparison with peers covers whole-month totals of all your ${units}, so it cannot be narrowed by ${narrowed.join(', ')}: peers' figures are released only for fixed groups. Ask for the comparison without it, or ask about your own ${units} alone.`,
      [{ label: 'the comparison', question: benchmarkQuestion(catalog, m, grouping, monthName(last.from), groups) }],
    );
  }

  // The month.
  const spans = draft.time.spans;
  let from = last.from;
  let to = last.to;
  const defaultMonth = spans.length === 0 && draft.time.relative === undefined;
  const span = spans[0]?.range;
  const askMonth = (why: string, measures: readonly string[]): Clarification => {
    const before = monthBefore(today, 2);
    const m = measures[0] ?? offered[0] ?? vocabulary.measures[0] ?? '';
    return clarification(
      `${why} Comparisons with peers are made over one whole calendar month that has ended, so that no two comparisons can be subtracted to reveal a smaller group. Which month do you want?`,
      [last, before].map((p) => ({
        label: monthName(p.from),
        question: benchmarkQuestion(catalog, m, grouping, monthName(p.from), groups),
      })),
    );
  };

  // The measures.
  const chosen = draft.measures.filter((m) => vocabulary.measures.includes(m));
  const refused = draft.measures.filter((m) => !vocabulary.measures.includes(m));
  const monthWords = spans.length === 1 && span ? monthName(span.from) : lastName;
  const whichMeasure = (message: string, choices: readonly string[] = offered): Clarification =>
    clarification(
      message,
      choices.map((id) => ({
        label: label(id),
        metric: id,
        question: benchmarkQuestion(catalog, id, grouping, monthWords, groups),
      })),
    );
  let measures = chosen;
  let readAs: BenchmarkAsk['readAs'];
  if (refused.length)
    return whichMeasure(
      `${list(refused).replace(/^the /, 'The ')} cannot be compared with peers: comparisons cover per-${unitDimension(catalog)?.label ?? 'unit'} totals of ${list(offered)}. Which do you want?`,
    );
  if (!measures.length && draft.implied && vocabulary.measures.includes(draft.implied)) measures = [draft.implied];
  if (!measures.length && draft.ambiguous[0]) {
    const a = draft.ambiguous[0];
    const entry = catalog.ambiguous.find((x) => x.term === a.term);
    const fit = (entry?.choices ?? []).filter((c) => vocabulary.measures.includes(c));
    const [only] = fit;
    if (fit.length === 1 && only) {
      measures = fit;
      readAs = { term: a.raw, metric: only };
    } else if (fit.length > 1) {
      return whichMeasure(`By "${a.raw}", do you mean ${list(fit)}?`, fit);
    }
  }
  if (!measures.length) return whichMeasure(`Which measure do you want to compare with peers: ${list(offered)}?`);

  if (spans.length > 1 || draft.time.relative || draft.time.compare?.unit !== undefined || draft.time.invalid)
    return askMonth('A comparison with peers covers one month.', measures);
  if (span) {
    if (!isClosedMonth(span.from, span.to, today))
      return askMonth(
        `${span.label.replace(/^./, (c) => c.toUpperCase())} is not a whole month that has ended.`,
        measures,
      );
    from = span.from;
    to = span.to;
  }
  return {
    kind: 'benchmark',
    measures,
    grouping,
    groups,
    from,
    to,
    month: monthName(from),
    defaultMonth,
    ...(readAs ? { readAs } : {}),
  };
}

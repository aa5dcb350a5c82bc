/**
 * Layer 2, first pass: read a question against the catalog alone, placing
 * every word. Recognisers run in a fixed order and each claims the words it
 * understood: IDs, store opening dates, time, measures, ambiguous words,
 * rankings, dimensions. Words nobody placed and that are not fillers become
 * mentions: phrases that must turn out to be values of the caller's own data
 * (a city, a store, a menu item) in the second pass, or the question is not
 * answered as if it had been understood.
 *
 * Pure and deterministic: a function of (catalog, today, question).
 */
import { escapeRegExp } from '../util/regexp.js';
import type { Catalog, DateDimension } from '../semantic/catalog.js';
import type { QueryFilter } from '../semantic/query.js';
import { FILLER, FOLLOW_UP_START, LIST_JOINERS, NEGATIVE_CUES, NUMBER, numberOf } from './lexicon.js';
import { readTime, type TimeReading } from './time.js';
import { Tokens, type Token } from './tokens.js';
import { domainWords } from '../semantic/domain-words.js';

/** An entity the question names by ID. */
export interface Reference {
  /** A part of the identity, or the catalog's grant unit by its name (`location`: "store 17", "location 628017" in the demo). */
  readonly kind: 'tenant' | 'business' | 'admin' | (string & {});
  readonly id: string;
}

/** Words no recogniser placed: to be matched against the caller's own values. */
export interface Mention {
  /** As typed. */
  readonly text: string;
  /** Normalised words. */
  readonly words: readonly string[];
  /** Per word: typed as a two-letter code in capitals, in a question not all in capitals ("IN" of "OH and IN"). */
  readonly codes: readonly boolean[];
  /** After "excluding", "other than", ... */
  readonly negated: boolean;
  /** A dimension named next to it ("the city of X", "category X", "store 17"). */
  readonly hint?: string;
  /** A store number or location ID ("store 17", "location 628017"). */
  readonly number?: string;
  /** Token positions, for telling "Austin vs Dallas" from "this week vs last week". */
  readonly from: number;
  readonly to: number;
  /** The word just before it ("in" of "in oh"), read when a lower-case word is also a short code. */
  readonly before?: string;
}

/** A ranking: order, and how many rows when the question says. */
export interface RankWords {
  readonly direction: 'asc' | 'desc';
  readonly limit?: number;
  /** "rank my stores": every row, ordered. */
  readonly all?: boolean;
  /** "grew the most", "biggest drop": by the change against the comparison period. */
  readonly by?: 'change' | 'change_pct';
  /** "the bottom ones", "the best performers": several rows (true); "the worst one": one (false). */
  readonly plural?: boolean;
  /** "rank by item revenue": only the measure to order by is said (no direction, no count). */
  readonly byMeasure?: true;
}

/** What the first pass read. */
export interface Draft {
  readonly measures: readonly string[];
  /** A measure implied by a verb ("grossing"), used only when none is named. */
  readonly implied?: string;
  /** A measure implied only in a question about these dimensions ("how many burgers": items sold), checked once values are matched. */
  readonly impliedIfAbout?: { readonly measure: string; readonly about: readonly string[] };
  readonly ambiguous: readonly { readonly term: string; readonly raw: string }[];
  /** Dimensions named as the subject only ("my stores", "items"): they tell which measures fit. */
  readonly subjects: readonly string[];
  /** `per`: named as the group of a ranking ("in each state", "per category"); `ranked`: the thing a ranking word ranks ("top 3 stores"). */
  readonly dimensions: readonly {
    readonly id: string;
    readonly plural: boolean;
    readonly which: boolean;
    readonly per?: true;
    readonly ranked?: true;
  }[];
  readonly time: TimeReading;
  readonly rank?: RankWords;
  /** Filters the catalog alone can read: store opening dates, days of the week. */
  readonly filters: readonly QueryFilter[];
  readonly mentions: readonly Mention[];
  readonly references: readonly Reference[];
  /** Starts like a follow-up ("and ...", "what about ...", "now ...") or says "instead". */
  readonly followUp: boolean;
  /** "what % of", "share", "mix": a share of the total; "running total", "cumulative": a running total. */
  readonly derive?: 'share' | 'running_total';
  /** "the difference between", "how much more ... than": two things set against each other. */
  readonly versus?: true;
  /** "7-day moving average", "rolling total": a moving window, which is not computed yet (asked back, named). */
  readonly moving?: string;
}

/** Words that introduce an ID: the catalog's words for the parts of an identity, and for the grant unit. */
const referenceKinds = new WeakMap<
  Catalog,
  { readonly kind: Readonly<Record<string, Reference['kind']>>; readonly re: RegExp }
>();
function referenceKind(catalog: Catalog): {
  readonly kind: Readonly<Record<string, Reference['kind']>>;
  readonly re: RegExp;
} {
  let hit = referenceKinds.get(catalog);
  if (!hit) {
    const kind: Record<string, Reference['kind']> = {};
    const { identity } = catalog.wording;
    for (const [part, words] of [
      ['tenant', identity.tenant],
      ['business', identity.business],
      ['admin', identity.admin],
    ] as const)
      for (const w of words) kind[w] ??= part;
    for (const w of domainWords(catalog).unitWords) kind[w] ??= catalog.schema.grantUnit.name;
    hit = {
      kind,
      re: rx(
        `(${Object.keys(kind).map(escapeRegExp).join('|')})s?(?: (?:id|number|no|num|nr|code))?(?: #)? (#?\\d{1,18})`,
      ),
    };
    referenceKinds.set(catalog, hit);
  }
  return hit;
}

const DESC = new Set([
  'top',
  'best',
  'highest',
  'biggest',
  'largest',
  'busiest',
  'strongest',
  'leading',
  'greatest',
  'most',
  'more',
  'max',
  'maximum',
  'peak',
  'higher',
  'bigger',
  'larger',
  'better',
  'busier',
]);
const ASC = new Set([
  'bottom',
  'worst',
  'lowest',
  'smallest',
  'slowest',
  'quietest',
  'weakest',
  'poorest',
  'least',
  'fewest',
  'less',
  'fewer',
  'min',
  'minimum',
  'lower',
  'smaller',
  'worse',
  'quieter',
]);
const GROWTH =
  /^(grew|grow|growth|increase|increased|increases|gain|gains|gained|improved|improvement|rise|rose|up|jump|jumped)$/;
const DECLINE =
  /^(drop|drops|dropped|decline|declined|declines|fell|fall|decrease|decreased|decreases|down|loss|losses|lost|shrank|slump)$/;

/** The state the passes share: the tokens (each pass claims what it recognises) and what has been read so far. */
export interface Reading {
  readonly tokens: Tokens;
  readonly catalog: Catalog;
  readonly today: string;
  readonly references: Reference[];
  readonly mentions: Mention[];
  readonly filters: QueryFilter[];
  time: TimeReading;
  readonly measures: string[];
  readonly ambiguousHits: { term: string; raw: string }[];
  ambiguous: { term: string; raw: string }[];
  implied: string | undefined;
  impliedIfAbout: { measure: string; about: readonly string[] } | undefined;
  rank: { -readonly [K in keyof RankWords]: RankWords[K] } | undefined;
  readonly dimensions: { id: string; plural: boolean; which: boolean; per?: true; ranked?: true }[];
  readonly subjects: string[];
  readonly subjectsAt: { id: string; from: number; to: number; plural: boolean }[];
  readonly hints: { at: number; dimension: string; side: 'before' | 'after' }[];
  derive: 'share' | 'running_total' | undefined;
  versus: boolean;
  moving: string | undefined;
}

/** A fresh reading of a question, before any pass. */
export function startReading(question: string, catalog: Catalog, todayIso: string): Reading {
  return {
    tokens: new Tokens(question, catalog.shorthand),
    catalog,
    today: todayIso,
    references: [],
    mentions: [],
    filters: [],
    time: { spans: [] },
    measures: [],
    ambiguousHits: [],
    ambiguous: [],
    implied: undefined,
    impliedIfAbout: undefined,
    rank: undefined,
    dimensions: [],
    subjects: [],
    subjectsAt: [],
    hints: [],
    derive: undefined,
    versus: false,
    moving: undefined,
  };
}

/**
 * The first pass, as named recognisers run in order over the tokens: each claims the words it
 * recognises, so a later one sees only what is left (an ID is not a value, a measure is not a
 * dimension). The words each knows come from the catalog. Each is tested on its own (parse.test.ts).
 */
export const DRAFT_PASSES = [
  { name: 'references', run: readReferences },
  { name: 'date filters', run: readDateFilters },
  { name: 'period', run: readPeriod },
  { name: 'measures', run: readMeasures },
  { name: 'derived figures', run: readDerived },
  { name: 'ranking', run: readRanking },
  { name: 'dimensions', run: readDimensions },
  { name: 'leftovers', run: readLeftovers },
] as const;

/** First pass over one question: every pass, in order. */
export function draftQuestion(question: string, catalog: Catalog, todayIso: string): Draft {
  const s = startReading(question, catalog, todayIso);
  for (const pass of DRAFT_PASSES) pass.run(s);
  const start = s.tokens.list.map((t) => t.norm).join(' ');
  return {
    measures: s.measures,
    ...(s.implied ? { implied: s.implied } : {}),
    ...(s.impliedIfAbout ? { impliedIfAbout: s.impliedIfAbout } : {}),
    ambiguous: s.ambiguous,
    subjects: s.subjects,
    dimensions: s.dimensions,
    time: s.time,
    ...(s.rank ? { rank: s.rank } : {}),
    filters: s.filters,
    mentions: s.mentions,
    references: s.references,
    followUp: (FOLLOW_UP_START.test(start) || /\binstead\b/.test(start)) && !NEW_QUESTION.test(start),
    ...(s.derive ? { derive: s.derive } : {}),
    ...(s.versus ? { versus: true as const } : {}),
    ...(s.moving ? { moving: s.moving } : {}),
  };
}

/** 1. IDs: "business 544", "store 17", "location id 628017" (the identity's words and the grant unit's, from the catalog). */
function readReferences(s: Reading): void {
  const refs = referenceKind(s.catalog);
  const unitDim = domainWords(s.catalog).unitDimension;
  for (const m of s.tokens.find(refs.re)) {
    const kind = refs.kind[m.groups[0]!]!;
    const id = m.groups[1]!.replace(/^#/, '').replace(/^0+(?=\d)/, '');
    s.references.push({ kind, id });
    s.tokens.claim(m.from, m.to, 'reference');
    if (kind === s.catalog.schema.grantUnit.name) {
      s.mentions.push({
        text: s.tokens.raw(m.from, m.to),
        words: [id],
        codes: [false],
        negated: negatedBefore(s.tokens, m.from),
        ...(unitDim ? { hint: unitDim } : {}),
        number: id,
        from: m.from,
        to: m.to,
      });
    }
  }
}

/** 2. A date dimension's filters: "stores opened since 2020", "opened before 2018" (its verbs, from the catalog). */
function readDateFilters(s: Reading): void {
  for (const d of s.catalog.dimensions) {
    if (d.kind !== 'date' || d.verbs.length === 0) continue;
    const verbs = d.verbs.map(escapeRegExp).join('|');
    const re = new RegExp(
      `(?:that |which |who )?(?:were |was |have |has )?(?:${verbs}) (since|after|before|in|during|from|prior to|on or after|on or before|until) (?:the )?(?:year )?((?:19|20)\\d\\d)(?: (or later|or after|or since|or earlier|or before))?`,
    );
    for (const m of s.tokens.find(re)) {
      // "opened in 2024 or later": from that year on; "in 2019 or earlier": up to its end.
      const open = m.groups[2];
      const word = open === undefined ? m.groups[0]! : /later|after|since/.test(open) ? 'since' : 'until';
      s.filters.push(openedFilter(d, word, Number(m.groups[1])));
      s.tokens.claim(m.from, m.to, 'filter');
    }
  }
}

/** 3. The period, a comparison, weekdays. */
function readPeriod(s: Reading): void {
  s.time = readTime(s.tokens, s.today, s.catalog.namedDays);
  if (s.time.weekdays) {
    s.filters.push({
      dimension: weekdayDimension(s.catalog) ?? 'weekday',
      op: 'in',
      values: s.time.weekdays.map((n) => WEEKDAY_NAMES[n - 1]!),
    });
  }
}

/** 4. Measures and words that name several ("sales", "average sales"), in one pass, longest phrase first at each position ("average sales" is not "average sale" with a plural); implied measures. */
function readMeasures(s: Reading): void {
  const mp = measurePatterns(s.catalog);
  for (const m of s.tokens.find(mp.re)) {
    const hit = mp.idOf(
      s.tokens.list
        .slice(m.from, m.to)
        .map((t) => t.norm)
        .join(' '),
    );
    if (hit?.ambiguous) {
      s.tokens.claim(m.from, m.to, 'ambiguous');
      s.ambiguousHits.push({ term: hit.ambiguous, raw: s.tokens.raw(m.from, m.to) });
      continue;
    }
    s.tokens.claim(m.from, m.to, 'measure');
    if (hit?.measure && !s.measures.includes(hit.measure)) s.measures.push(hit.measure);
  }
  for (const i of s.catalog.implied) {
    if (i.about) {
      for (const m of s.tokens.find(rx(i.words.map(phrasePattern).join('|')))) {
        s.tokens.claim(m.from, m.to, 'measure');
        s.impliedIfAbout ??= { measure: i.measure, about: i.about };
      }
      continue;
    }
    for (const m of s.tokens.find(rx(i.words.map(phrasePattern).join('|')))) {
      // "best seller", "top sellers": the words name the thing ranked as well as the measure.
      if (i.names) {
        const plural = /s$/.test(s.tokens.list[m.to - 1]!.norm);
        if (!s.dimensions.some((d) => d.id === i.names))
          s.dimensions.push({ id: i.names, plural, which: false, ranked: true });
        s.tokens.claim(m.from, m.to, 'dimension');
      } else s.tokens.claim(m.from, m.to, 'measure');
      s.implied ??= i.measure;
    }
  }
  // Explained by a measure named anywhere in the question ("the quantity of fries sold"), or only meant alone.
  s.ambiguous = s.ambiguousHits.filter((h) => {
    const a = s.catalog.ambiguous.find((x) => x.term === h.term)!;
    return !(a.choices.some((c) => s.measures.includes(c)) || (a.whenAlone && s.measures.length > 0));
  });
}

/**
 * 5. Derived figures: a share of the total ("what % of", "share", "category mix", "percent of
 * total"), a running total ("running total", "cumulative", "so far by day"), and two things set
 * against each other ("the difference between", "how much more ... than"). "Percent change" is a
 * comparison's, not a share: left to the ranking pass.
 */
function readDerived(s: Reading): void {
  const share =
    /(?:what |which )?(?:(?:the|a|my|our|its|their) )?(?:(?:percent|percentage) (?:share )?of|(?:share|shares|proportion|fraction|portion|contribution|mix)(?: of)?)(?: (?:the |my |our )?(?:total|whole|overall|all))?(?: (?:sales|revenue)? ?mix)?/;
  for (const m of s.tokens.find(share)) {
    s.derive = 'share';
    s.tokens.claim(m.from, m.to, 'derive');
  }
  // "... came from Florida, as a percentage": the share said at the end.
  for (const m of s.tokens.find(/(?:as|in) (?:a )?(?:percentages?|percent|shares?)(?: of (?:the )?total)?/)) {
    if (s.time.compare || s.time.relative) continue;
    s.derive = 'share';
    s.tokens.claim(m.from, m.to, 'derive');
  }
  if (s.derive === 'share') {
    // "... came from Chicago", "did Chicago account for", "do weekends make up": the part's verbs.
    for (const m of s.tokens.find(
      /(?:came|come|comes|coming|was|were|is) from|account(?:ed|s)? for|(?:make|makes|made) up|contributed|contribute|(?:of|in) (?:the )?total|of all/,
    ))
      s.tokens.claim(m.from, m.to, 'derive');
  }
  for (const m of s.tokens.find(
    /running (?:total|totals|sum|count|tally)|cumulative(?: (?:total|totals|sum|count))?|cumulatively|accumulated|(?:added|adding) up (?:day by day|by day|over time)/,
  )) {
    s.derive = 'running_total';
    s.tokens.claim(m.from, m.to, 'derive');
  }
  // "running total revenue": the measure's words ("total revenue") were read first; "running" before them still says it.
  s.tokens.list.forEach((t, i) => {
    if (t.norm === 'running' && s.tokens.isFree(i) && s.tokens.claimOf(i + 1) === 'measure') {
      s.derive = 'running_total';
      s.tokens.claim(i, i + 1, 'derive');
    }
  });
  for (const m of s.tokens.find(
    /(?:the |a )?(?:difference|diff|gap)(?: between)?|how (?:much|many) (?:more|less|fewer)/,
  )) {
    s.versus = true;
    s.tokens.claim(m.from, m.to, 'derive');
  }
  // "more than", and "how many more guests did A have than B" ("how many" already read as a count):
  // a comparative up to a few words before "than".
  for (const m of s.tokens.find(
    /(?:more|less|fewer|higher|lower|bigger|smaller|greater|larger|better|worse)(?=(?: [^ ]+){0,8} than(?: |$))/,
  )) {
    s.versus = true;
    s.tokens.claim(m.from, m.to, 'derive');
  }
  if (s.versus) for (const m of s.tokens.find(/than/)) s.tokens.claim(m.from, m.to, 'derive');
  // "7-day moving average", "rolling 4 week total": read, so that it is refused by name (not computed yet).
  for (const m of s.tokens.find(
    rx(
      `(?:(?:${NUMBER}) (?:day|days|week|weeks) )?(?:moving|rolling|trailing)(?: (?:${NUMBER}) (?:day|days|week|weeks))? (?:average|averages|avg|mean|total|totals|sum)`,
    ),
  )) {
    s.moving = s.tokens.raw(m.from, m.to);
    s.tokens.claim(m.from, m.to, 'derive');
  }
}

/** 6. Rankings: "top 5", "worst", "rank my", "grew the most". */
function readRanking(s: Reading): void {
  const superlatives = [...DESC, ...ASC].join('|');
  for (const m of s.tokens.find(
    new RegExp(
      `(?:the )?(?:(${NUMBER}) )?(${superlatives})(?: (${NUMBER}))?(?: (?:performing|performers?|selling|ones?))?`,
    ),
  )) {
    const word = m.groups[1]!;
    const n = m.groups[0] ?? m.groups[2];
    const noun = /(ones|performers|one|performer)$/.exec(s.tokens.raw(m.from, m.to).toLowerCase())?.[1];
    const plural = noun === undefined ? undefined : noun.endsWith('s');
    s.rank = {
      direction: ASC.has(word) ? 'asc' : 'desc',
      ...(n ? { limit: numberOf(n)! } : s.rank?.limit ? { limit: s.rank.limit } : {}),
      ...(plural !== undefined ? { plural } : {}),
    };
    s.tokens.claim(m.from, m.to, 'rank');
  }
  // "which 4 of those were highest", "top 3 of them": how many, said before the ranking word.
  for (const m of s.tokens.find(
    new RegExp(`(?:which|what|top|bottom) (${NUMBER}) of (?:those|them|these|the|my|our)`),
  )) {
    const n = numberOf(m.groups[0]!)!;
    const bottom = s.tokens.list[m.from]!.norm === 'bottom';
    s.rank = { ...(s.rank ?? { direction: bottom ? ('asc' as const) : ('desc' as const) }), limit: n };
    s.tokens.claim(m.from, m.to, 'rank');
  }
  for (const m of s.tokens.find(
    /(?:rank|ranked|ranking|rankings|sort|sorted|order|ordered|league table)(?: (?:by|on))?/,
  )) {
    s.rank ??= {
      direction: 'desc',
      all: true,
      ...(/ (?:by|on)$/.test(s.tokens.raw(m.from, m.to)) ? { byMeasure: true as const } : {}),
    };
    s.tokens.claim(m.from, m.to, 'rank');
  }
  for (const m of s.tokens.find(/ascending|lowest first|smallest first|descending|highest first|biggest first/)) {
    if (s.rank) {
      delete s.rank.byMeasure;
      s.rank = {
        ...s.rank,
        direction: /ascending|lowest|smallest/.test(s.tokens.raw(m.from, m.to).toLowerCase()) ? 'asc' : 'desc',
      };
    }
    s.tokens.claim(m.from, m.to, 'rank');
  }
  // "grew the most", "the biggest drop": a ranking by change (only with a comparison period).
  if (s.time.compare || s.time.relative) {
    s.tokens.list.forEach((t, i) => {
      if (!s.tokens.isFree(i)) return;
      const grow = GROWTH.test(t.norm);
      if (!grow && !DECLINE.test(t.norm)) return;
      s.tokens.claim(i, i + 1, 'rank');
      const pct = s.tokens.list.some((x) => x.norm === 'percent' || x.norm === 'percentage');
      const direction = grow
        ? (s.rank?.direction ?? 'desc')
        : s.rank
          ? s.rank.direction === 'desc'
            ? 'asc'
            : 'desc'
          : 'asc';
      if (s.rank) s.rank = { ...s.rank, direction, by: pct ? 'change_pct' : 'change' };
    });
    for (const m of s.tokens.find(/percent|percentage|in percent|in percentage terms/)) {
      if (s.rank?.by) s.tokens.claim(m.from, m.to, 'rank');
    }
    // "rev wow %", "up or down, by what percent": the change in percent a comparison shows already.
    if (s.time.compare && !s.derive)
      for (const m of s.tokens.find(/(?:by )?(?:what |which )?(?:in )?(?:percent|percentage)/)) {
        if (s.tokens.isFree(m.from)) s.tokens.claim(m.from, m.to, 'compare');
      }
    // "% change", "percent change", "the difference": what a comparison shows already (each measure's
    // change and change in percent), so the words are read, not left for a clarification.
    for (const m of s.tokens.find(
      /(?:the )?(?:(?:percent|percentage) )?(?:change|changes|difference|delta|variance)(?: in percent| in percentage terms)?/,
    )) {
      s.tokens.claim(m.from, m.to, 'compare');
    }
  }
}

/** 7. Dimensions: a breakdown ("by store", "per day", "for each city", "daily"), the thing ranked ("top 5 stores", "which city"), a hint next to a value ("the city of X"), or just the subject. */
function readDimensions(s: Reading): void {
  const unitDim = domainWords(s.catalog).unitDimension;
  const addDim = (
    id: string,
    plural: boolean,
    which: boolean,
    flags: { per?: boolean; ranked?: boolean } = {},
  ): void => {
    const marks = { ...(flags.per ? { per: true as const } : {}), ...(flags.ranked ? { ranked: true as const } : {}) };
    const at = s.dimensions.findIndex((d) => d.id === id);
    if (at < 0) s.dimensions.push({ id, plural, which, ...marks });
    else s.dimensions[at] = { ...s.dimensions[at]!, ...marks };
  };
  for (const m of s.tokens.find(
    /daily|weekly|monthly|quarterly|day by day|week by week|month by month|(?:(?:broken|broke|break|breaking|split) (?:it |that |this |them )?(?:down |out |up )?)?(?:each|every|per|by) day(?! of)/,
  )) {
    const w = s.tokens.list[m.from]!.norm;
    const id =
      /^(daily|day|each|every|per|by)/.test(w) && !/week|month/.test(s.tokens.raw(m.from, m.to))
        ? grainDimension(s.catalog, 'day')
        : /^week/.test(w)
          ? grainDimension(s.catalog, 'week')
          : /^month/.test(w)
            ? grainDimension(s.catalog, 'month')
            : grainDimension(s.catalog, 'quarter');
    if (!id) continue;
    addDim(id, false, false);
    s.tokens.claim(m.from, m.to, 'dimension');
  }
  for (const { re, id, plural } of dimensionPatterns(s.catalog)) {
    for (const m of s.tokens.find(re)) {
      const isPlural =
        m.groups[m.groups.length - 1] !== undefined ||
        plural.has(s.tokens.raw(m.from, m.to).toLowerCase().split(' ').at(-1)!);
      const cue = m.groups[0];
      const which = m.groups[1] !== undefined;
      const before = prevToken(s.tokens, m.from);
      const after = m.to < s.tokens.length ? s.tokens.list[m.to]!.norm : '';
      // "that week", "this month": the period already named, not a breakdown by it.
      const pointed =
        m.from > 0 &&
        /^(that|this|same)$/.test(s.tokens.list[m.from - 1]!.norm) &&
        s.catalog.dimensions.find((x) => x.id === id)?.kind === 'time';
      if (pointed && cue === undefined && !which) {
        s.tokens.claim(m.from, m.to, 'filler');
        continue;
      }
      // "the month of 2026-11-02", "the week around Nov 2": a period the calendar rules did not read
      // (they read "the week of <date>") around a date they did. Left unplaced, so the question is
      // asked back naming it; claimed as a subject it was dropped, and the date alone answered.
      // ("the month of October" is October: only a single day after the words is left unplaced.)
      const timeAfter = s.tokens.list[m.to + 1]?.norm === 'the' ? m.to + 2 : m.to + 1;
      const dayAfter = s.time.spans.find((x) => x.from === timeAfter && x.range.from === x.range.to);
      if (
        s.catalog.dimensions.find((x) => x.id === id)?.kind === 'time' &&
        cue === undefined &&
        /^(of|around|ending|containing|including|near|starting|beginning|commencing)$/.test(after) &&
        dayAfter !== undefined
      )
        continue;
      const ranked = before !== undefined && s.tokens.claimOf(before) === 'rank';
      const withTheMost = after === 'with' || after === 'that' || after === 'where';
      if (cue !== undefined || which || ranked || (withTheMost && s.rank)) {
        addDim(id, isPlural, which, {
          per: cue !== undefined && /^(?:per|for each|each|in each|by each|in every|at each)(?: of)?$/.test(cue),
          ranked: ranked || which,
        });
        if (which && m.groups[2])
          s.rank = { ...(s.rank ?? { direction: 'desc' as const }), limit: numberOf(m.groups[2])! };
        s.tokens.claim(m.from, m.to, 'dimension');
        continue;
      }
      // "for each Seattle store", "every Texas city": a grouping word a few names before the
      // dimension still groups by it; the words between stay free, to be matched as values.
      const each = eachBefore(s.tokens, m.from);
      if (each !== undefined) {
        addDim(id, isPlural, false, { per: true });
        s.tokens.claim(m.from, m.to, 'dimension');
        s.tokens.claim(each, each + 1, 'dimension'); // not 'cue': that claim means an exclusion
        continue;
      }
      // Next to a word nobody placed: a hint for the value ("city of Austin", "Drinks category").
      const nextFree = m.to < s.tokens.length && s.tokens.isFree(m.to) && !FILLER.has(s.tokens.list[m.to]!.norm);
      const prevFree = m.from > 0 && s.tokens.isFree(m.from - 1) && !FILLER.has(s.tokens.list[m.from - 1]!.norm);
      const ofFree =
        s.tokens.list[m.to]?.norm === 'of' &&
        s.tokens.isFree(m.to + 1) &&
        !FILLER.has(s.tokens.list[m.to + 1]?.norm ?? ',');
      const namedFree = /^(named|called)$/.test(s.tokens.list[m.to]?.norm ?? '') && s.tokens.isFree(m.to + 1);
      if (id !== unitDim && (nextFree || ofFree || namedFree))
        s.hints.push({ at: m.to, dimension: id, side: 'before' });
      else if (id === unitDim && (namedFree || (nextFree && !isPlural)))
        s.hints.push({ at: m.to, dimension: id, side: 'before' });
      else if (id !== unitDim && prevFree) s.hints.push({ at: m.from - 1, dimension: id, side: 'after' });
      const isHint = s.hints.some((h) => h.at === m.to || h.at === m.from - 1);
      if (!isHint) s.subjectsAt.push({ id, from: m.from, to: m.to, plural: isPlural });
      s.tokens.claim(m.from, m.to, isHint ? 'hint' : 'subject');
    }
  }
  // "by store and weekday", "by city, state and category": a list after a grouping cue groups by
  // every item, not only the first.
  for (let changed = true; changed;) {
    changed = false;
    for (const sub of s.subjectsAt) {
      if (s.tokens.claimOf(sub.from) !== 'subject') continue;
      const joiner = sub.from - 1;
      if (
        joiner < 1 ||
        !s.tokens.isFree(joiner) ||
        !LIST_JOINERS.has(s.tokens.list[joiner]!.norm) ||
        s.tokens.claimOf(joiner - 1) !== 'dimension'
      )
        continue;
      addDim(sub.id, sub.plural, false);
      s.tokens.claim(joiner, sub.to, 'dimension');
      changed = true;
    }
  }
  for (const sub of s.subjectsAt)
    if (s.tokens.claimOf(sub.from) === 'subject' && !s.subjects.includes(sub.id)) s.subjects.push(sub.id);
  // "my two stores", "the two stores", "both of my 5 locations": a count of what the caller has, not a ranking or a value.
  for (const sub of s.subjectsAt) {
    const n = sub.from - 1;
    const owner = s.tokens.list[n - 1]?.norm ?? '';
    if (
      n >= 1 &&
      s.tokens.isFree(n) &&
      numberOf(s.tokens.list[n]!.norm) !== undefined &&
      /^(my|our|the|both|all)$/.test(owner)
    )
      s.tokens.claim(n, n + 1, 'filler');
  }
}

/** 8. Everything left: cue words, fillers, and mentions (the words to match against the caller's own values). */
function readLeftovers(s: Reading): void {
  for (const m of s.tokens.find(rx(NEGATIVE_CUES.source))) s.tokens.claim(m.from, m.to, 'cue');
  for (const m of s.tokens.find(/named|called/)) s.tokens.claim(m.from, m.to, 'cue');
  collectMentions(s.tokens, s.hints, s.mentions);
  for (let i = 0; i < s.tokens.length; i++) if (s.tokens.isFree(i)) s.tokens.claim(i, i + 1, 'filler');
}

/** "different question", "new question": whatever follows is not a follow-up. */
const NEW_QUESTION = /\b(?:different|new|another|separate|unrelated) question\b/;

/** Patterns built from the catalog, compiled once per source text. */
const patterns = new Map<string, RegExp>();
function rx(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source);
    if (patterns.size < 2_000) patterns.set(source, re);
  }
  return re;
}

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function openedFilter(d: DateDimension, word: string, year: number): QueryFilter {
  switch (word) {
    case 'since':
    case 'from':
    case 'on or after':
      return { dimension: d.id, op: 'gte', values: [`${year}-01-01`] };
    case 'after':
      return { dimension: d.id, op: 'gte', values: [`${year + 1}-01-01`] };
    case 'before':
    case 'prior to':
      return { dimension: d.id, op: 'lt', values: [`${year}-01-01`] };
    case 'until':
    case 'on or before':
      return { dimension: d.id, op: 'lte', values: [`${year}-12-31`] };
    default:
      return { dimension: d.id, op: 'between', values: [`${year}-01-01`, `${year}-12-31`] };
  }
}

function weekdayDimension(catalog: Catalog): string | undefined {
  return catalog.dimensions.find((d) => d.kind === 'time' && d.grain === 'weekday')?.id;
}

function grainDimension(catalog: Catalog, grain: string): string | undefined {
  return catalog.dimensions.find((d) => d.kind === 'time' && d.grain === grain)?.id;
}

/**
 * The index of the closest token before `i` that is not a filler word or a measure ("the lowest
 * revenue day": the ranking word stands before the measure), or undefined.
 */
function prevToken(tokens: Tokens, i: number): number | undefined {
  for (let k = i - 1; k >= 0; k--) {
    const c = tokens.claimOf(k);
    if (c === undefined && FILLER.has(tokens.list[k]!.norm) && !/^\d/.test(tokens.list[k]!.norm)) continue;
    if (c === 'measure') continue;
    return k;
  }
  return undefined;
}

/** The position of "each"/"every" one to four free words before `at`, if there is one. */
function eachBefore(tokens: Tokens, at: number): number | undefined {
  for (let k = at - 1; k >= Math.max(0, at - 5); k--) {
    if (!tokens.isFree(k)) return undefined;
    if (/^(each|every)$/.test(tokens.list[k]!.norm)) return k < at - 1 ? k : undefined;
  }
  return undefined;
}

/** True when a negative cue ("excluding") stands right before token i (fillers between allowed). */
function negatedBefore(tokens: Tokens, i: number): boolean {
  for (let k = i - 1; k >= 0; k--) {
    const c = tokens.claimOf(k);
    if (c === 'cue') return true;
    if (c === undefined && new RegExp(`^(?:${NEGATIVE_CUES.source})$`).test(tokens.list[k]!.norm)) return true;
    if ((c === undefined && FILLER.has(tokens.list[k]!.norm)) || c === 'hint' || c === 'subject') continue;
    return false;
  }
  return false;
}

/**
 * Group free words into mentions: runs of words that are not fillers, joined across "and", "or",
 * commas and "of" when more free words follow ("Chicago and Dallas", "House of Pies").
 */
function collectMentions(
  tokens: Tokens,
  hints: readonly { at: number; dimension: string; side: 'before' | 'after' }[],
  out: Mention[],
): void {
  // "revenue in IN", "OH and IN": a filler typed as a code in capitals (in a question not all in capitals) is content.
  const shouting = tokens.list.every((t) => t.raw === t.raw.toUpperCase());
  const coded = (t: Token | undefined): boolean => !shouting && t !== undefined && /^[A-Z]{2}$/.test(t.raw);
  const content = (i: number): boolean =>
    tokens.isFree(i) && (!FILLER.has(tokens.list[i]?.norm ?? '') || coded(tokens.list[i]));
  let i = 0;
  while (i < tokens.length) {
    if (!content(i)) {
      i++;
      continue;
    }
    let end = i + 1;
    for (;;) {
      if (content(end)) {
        end++;
        continue;
      }
      // Interior joiners and small words, when more content follows.
      let k = end;
      while (
        k < tokens.length &&
        tokens.isFree(k) &&
        (LIST_JOINERS.has(tokens.list[k]!.norm) || /^(of|the|de|la|le|du|del|n|at|on)$/.test(tokens.list[k]!.norm))
      )
        k++;
      if (k > end && content(k)) {
        end = k + 1;
        continue;
      }
      break;
    }
    const hint = hints.find(
      (h) =>
        (h.side === 'before' &&
          (h.at === i ||
            ((tokens.list[h.at]?.norm === 'of' || /^(named|called)$/.test(tokens.list[h.at]?.norm ?? '')) &&
              h.at + 1 === i))) ||
        (h.side === 'after' && h.at === end - 1),
    );
    out.push({
      text: tokens.raw(i, end),
      words: tokens.list.slice(i, end).map((t) => t.norm),
      codes: tokens.list.slice(i, end).map(coded),
      negated: negatedBefore(tokens, i),
      ...(hint ? { hint: hint.dimension } : {}),
      from: i,
      to: end,
      ...beforeOf(tokens.list[i - 1]),
    });
    tokens.claim(i, end, 'filter');
    if (hint && tokens.list[hint.at]?.norm === 'of' && tokens.isFree(hint.at))
      tokens.claim(hint.at, hint.at + 1, 'hint');
    i = end;
  }
}

type MeasureHit = { readonly measure?: string; readonly ambiguous?: string };
const measureCache = new WeakMap<Catalog, { re: RegExp; idOf: (phrase: string) => MeasureHit | undefined }>();

/**
 * One pattern for every measure synonym and every word naming several measures (plurals allowed).
 * Alternatives are tried longest first at each position, so "item sales amount" wins over "sales
 * amount", and "average sales" (several measures) over "average sale" (one).
 */
function measurePatterns(catalog: Catalog): { re: RegExp; idOf: (phrase: string) => MeasureHit | undefined } {
  const hit = measureCache.get(catalog);
  if (hit) return hit;
  const byPhrase = new Map<string, MeasureHit>();
  for (const m of catalog.metrics)
    if (!m.internal)
      for (const s of m.synonyms) byPhrase.set(s.replace(/'/g, '').replace('%', 'percent'), { measure: m.id });
  for (const a of catalog.ambiguous)
    byPhrase.set(a.term.replace(/'/g, '').replace('%', 'percent'), { ambiguous: a.term });
  const phrases = [...byPhrase.keys()].sort((a, b) => b.length - a.length);
  const idOf = (phrase: string): MeasureHit | undefined =>
    byPhrase.get(phrase) ?? byPhrase.get(phrase.replace(/es$/, '')) ?? byPhrase.get(phrase.replace(/s$/, ''));
  const out = { re: new RegExp(phrases.map((p) => `${phrasePattern(p)}(?:s|es)?`).join('|')), idOf };
  measureCache.set(catalog, out);
  return out;
}

const dimensionCache = new WeakMap<Catalog, { re: RegExp; id: string; plural: ReadonlySet<string> }[]>();

/**
 * One pattern per dimension word (longest first), with what may stand before it: a grouping cue
 * (group 1), or "which"/"what" with an optional number (groups 2-3); group 4 is a plural ending.
 */
function dimensionPatterns(catalog: Catalog): { re: RegExp; id: string; plural: ReadonlySet<string> }[] {
  const hit = dimensionCache.get(catalog);
  if (hit) return hit;
  const cue =
    '(by|per|for each of|for each|at each of|at each|each of|each|in each of|in each|in every|broken down by|(?:break|breaking|broke|broken) (?:it |that |this |them )?(?:down|out|up) by|breakdown by|split(?: out| up)? by|grouped by|group(?:ed)? by|by each|across(?! all| my| our| the))';
  const list = catalog.dimensions
    .filter((d) => d.kind !== 'date')
    .flatMap((d) => [...d.synonyms, d.plural.toLowerCase(), d.label.toLowerCase()].map((s) => ({ s, d })))
    .sort((a, b) => b.s.length - a.s.length)
    .map(({ s, d }) => ({
      re: new RegExp(
        `(?:${cue} (?:the |my |our |all )?|(which|what)(?: (${NUMBER}))?(?: of(?: my| our| the| all(?: my| our)?)?(?: ${NUMBER})?)? )?${phrasePattern(s)}(s|es)?`,
      ),
      id: d.id,
      plural: new Set([d.plural.toLowerCase().split(' ').at(-1)!]),
    }));
  dimensionCache.set(catalog, list);
  return list;
}

function phrasePattern(s: string): string {
  return s
    .split(' ')
    .map((w) => escapeRegExp(w.replace(/'/g, '').replace('%', 'percent')))
    .join(' ');
}

/** The word just before a mention, when there is one. */
function beforeOf(t: Token | undefined): { before?: string } {
  return t ? { before: t.norm } : {};
}

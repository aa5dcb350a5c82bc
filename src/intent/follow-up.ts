/**
 * Follow-up questions as explicit rules. A turn of a conversation is either a question of its own
 * (it names its own measure and leans on nothing: nothing is inherited) or a follow-up: the
 * conversation's last query with the slots the new words change, each change one row of
 * FOLLOW_UP_RULES. A follow-up that changes nothing a row describes is asked back, never answered
 * with the last query or a default. The same table is in the README ("Conversations") and
 * src/intent/follow-up.test.ts checks it one row at a time.
 */
import { dimensionById, isTimeless, type Catalog } from '../semantic/catalog.js';
import type { QueryFilter, SemanticQuery } from '../semantic/query.js';
import type { RankedMembers } from '../conversation/store.js';
import type { QueryResult } from '../warehouse/connector.js';
import { FILLER } from './lexicon.js';
import type { Draft } from './parse.js';
import { domainWords } from '../semantic/domain-words.js';
import { escapeRegExp } from '../util/regexp.js';

/** What one follow-up changes. */
export type FollowUpKind =
  | 'measure'
  | 'period'
  | 'shift'
  | 'compare'
  | 'derive'
  | 'breakdown'
  | 'replace_filter'
  | 'add_filter'
  | 'exclude'
  | 'combine'
  | 'drop_filter'
  | 'others'
  | 'rank_those'
  | 'narrow';

/** One row of the table: how the change is recognised, what it changes, what it keeps. */
export interface FollowUpRule {
  readonly kind: FollowUpKind | 'switch' | 'none';
  readonly recognised: string;
  readonly changes: string;
  readonly keeps: string;
}

/** The follow-up rules. Order is documentation only: every row that applies to a turn applies. */
export const FOLLOW_UP_RULES: readonly FollowUpRule[] = Object.freeze([
  {
    kind: 'measure',
    recognised: 'names a measure ("guests instead", "now orders", "how many orders was that?")',
    changes: 'the measures; a ranking ranks by the new measure',
    keeps: 'period, comparison, filters, breakdown',
  },
  {
    kind: 'period',
    recognised: 'names a period ("what about Q3?", "and yesterday?")',
    changes: 'the period; a comparison with the period before or the year before moves with it',
    keeps: 'measures, filters, breakdown, ranking',
  },
  {
    kind: 'shift',
    recognised: 'a period relative to the last one ("and the week before?", "same week last year")',
    changes: 'the period, shifted from the last one',
    keeps: 'measures, filters, breakdown, ranking',
  },
  {
    kind: 'compare',
    recognised: 'a comparison word alone ("and yoy?", "wow?", "mom %?")',
    changes: 'a comparison added: the period before (wow, mom, qoq) or the same period a year before (yoy)',
    keeps: 'measures, period, filters, breakdown',
  },
  {
    kind: 'derive',
    recognised: 'a derived figure alone ("as a % of the total", "and cumulatively?")',
    changes: "the figure shown: each row's share of the total, or a running total along the time breakdown",
    keeps: 'measures, period, filters, breakdown',
  },
  {
    kind: 'breakdown',
    recognised:
      'names a breakdown ("by state instead", "break it out by month"), or "separately" after values combined',
    changes: 'the breakdown (replaced); a ranking carries over to the new breakdown',
    keeps: 'measures, period, filters',
  },
  {
    kind: 'replace_filter',
    recognised: 'names values ("just Dallas", "houston?", "what about Texas?")',
    changes: 'the filters on what the values are (a city replaces a city, a store or a state: the same table)',
    keeps: 'measures, period, breakdown, exclusions',
  },
  {
    kind: 'add_filter',
    recognised: 'values with "too", "also", "as well", "plus" ("and Houston too")',
    changes: 'the values added to the filter on the same dimension',
    keeps: 'everything else',
  },
  {
    kind: 'exclude',
    recognised: '"excluding X", "without X", "not X"',
    changes: 'an exclusion added',
    keeps: 'everything else, earlier filters included',
  },
  {
    kind: 'combine',
    recognised: '"both", "together", "combined" ("both cities together")',
    changes:
      'one filter holding the values the conversation named on that dimension (two or more, else asked back); when the last answer already showed exactly those values one per row, one number for them together',
    keeps: 'measures, period, breakdown',
  },
  {
    kind: 'drop_filter',
    recognised: '"all my stores", "every city", "everywhere", "drop the filter"',
    changes: 'the filters on that table removed (every filter when no table is named)',
    keeps: 'measures, period, breakdown',
  },
  {
    kind: 'others',
    recognised: '"the other store", "the others", "the rest", "what\'s left"',
    changes: 'the last filter on that dimension turned into an exclusion of the same values',
    keeps: 'measures, period, breakdown',
  },
  {
    kind: 'rank_those',
    recognised:
      'a ranking with no breakdown named, or of "those"/"them" ("which of those was best?", "top 3 of those")',
    changes: 'the order and how many',
    keeps: 'measures (unless named), period, filters, breakdown',
  },
  {
    kind: 'narrow',
    recognised: '"that store", "that one", "it" after a ranking ("how many guests did that store have?")',
    changes:
      'a filter to the member the ranking answered with (its top one; "those": all of them), the new measure in place of the ranked one; when that member is not known, the same ranking with the new measure beside the ranked one',
    keeps: 'breakdown, period, filters (the ranking only when the member is not known)',
  },
  {
    kind: 'switch',
    recognised: 'names its own measure and leans on nothing ("what was the total sales amount yesterday?")',
    changes: 'everything: a question of its own',
    keeps: 'nothing',
  },
  {
    kind: 'none',
    recognised: 'leans on the last question but changes nothing above ("and?", "what about it?")',
    changes: 'nothing: asked back',
    keeps: '—',
  },
]);

/**
 * A question that leans on an earlier answer: "and ...", "what about ...", "was that", "those stores"
 * (the nouns of the catalog's dimensions: domainWords.memberNouns).
 */
export function leansOnEarlierRe(catalog: Catalog): RegExp {
  return cached(catalog).leans;
}
const compiled = new WeakMap<Catalog, { readonly leans: RegExp; readonly narrows: RegExp }>();
function cached(catalog: Catalog): { readonly leans: RegExp; readonly narrows: RegExp } {
  let hit = compiled.get(catalog);
  if (!hit) {
    const nouns = domainWords(catalog).memberNouns.map(escapeRegExp);
    hit = {
      leans: new RegExp(
        `^(?:and|what about|how about|same|instead|but|what if)\\b|\\b(?:was|were|is|are) (?:that|those|it|them)\\b|\\b(?:that|those) (?:days?|weeks?|months?|periods?|time|${nouns.map((n) => `${n}s?`).join('|')})\\b|\\b(?:same|that) period\\b`,
        'i',
      ),
      // "that store", "that one", "it": the member a ranking of one found.
      narrows: new RegExp(
        `\\b(?:that|the same) (?:one|member|${nouns.join('|')})\\b|\\b(?:that|this) one\\b|\\b(?:did|does|was|is) it\\b|\\bit (?:do|did|have|had|make|made|sell|sold)\\b`,
        'i',
      ),
    };
    compiled.set(catalog, hit);
  }
  return hit;
}

/** Words that lean on the earlier answer unless the question names its own period: "of those", "them", "both", "together". */
const LEANS_UNLESS_DATED = /\b(?:those|these|them|they)\b|\bit\b(?! (?:is|was)\b)|\bboth\b|\b(?:together|combined)\b/i;

/** "too", "also", "as well", "plus": values added, not replacing. */
const ADDS = /\b(?:too|also|as well|plus|add|adding)\b/i;
/** "both cities together": the values named so far, as one. */
const COMBINES = /\b(?:both|together|combined|altogether)\b/i;
/** "and separately?", "one by one": the values of a combined filter, one row each. */
const SEPARATELY = /\b(?:separately|individually|one by one|each separately|split (?:out|up))\b/i;
/** "the other store", "the others", "the rest", "what's left": what the last filter left out. */
const OTHERS = /\b(?:other|others|rest|remaining)\b(?! than)|\bwhat(?:'?s| is) left\b/i;
/** "both my stores", "all of my stores": every one the caller has, not the ones named so far. */
const ALL_OF_MINE = /\b(?:both|all)(?: of)? (?:my|our)\b/i;
/** "all my stores", "every city", "everywhere", "drop the filter": the filter goes. */
const DROPS =
  /\b(?:all|every|any|everywhere|overall|unfiltered)\b|\bboth (?:of )?(?:my|our)\b|\b(?:drop|remove|clear) (?:the |that |all |any )?(?:filters?|conditions?)\b|\b(?:no|without (?:the|any)) filters?\b/i;
/** Words that drop every filter, with nothing named. */
const DROPS_ALL =
  /\b(?:everywhere|overall|unfiltered)\b|\b(?:drop|remove|clear) (?:the |that |all |any )?(?:filters?|conditions?)\b|\b(?:no|without (?:the|any)) filters?\b/i;

/** A breakdown to name as an example: a dimension that groups the grant unit's rows ("city"), else any attribute. */
function breakdownExample(catalog: Catalog): string {
  const attrs = catalog.dimensions.filter((d) => d.kind === 'attribute');
  return (attrs.find((d) => d.members !== undefined) ?? attrs[0])?.label ?? 'month';
}

/** Does the question lean on an earlier answer ("that store", "and guests?", "top 3 of those")? */
export function leansOnEarlier(question: string, catalog: Catalog): boolean {
  const re = cached(catalog);
  return re.leans.test(question.trim()) || LEANS_UNLESS_DATED.test(question) || re.narrows.test(question);
}

/** Is this a follow-up of `previous` rather than a question of its own? */
export function isFollowUp(
  question: string,
  draft: Draft,
  previous: SemanticQuery | undefined,
  catalog: Catalog,
): boolean {
  // Not a type guard: false does not mean there was no earlier question.
  if (!previous) return false;
  const re = cached(catalog);
  if (re.leans.test(question.trim()) || re.narrows.test(question)) return true;
  const t = draft.time;
  if (LEANS_UNLESS_DATED.test(question) && t.spans.length === 0) return true;
  // "how many cities are we in" after a question over a period: a count of what exists is a question
  // of its own, never the earlier breakdown or filters applied to it (unless it says "and ...").
  const counts = draft.measures.length > 0 && draft.measures.every((id) => isTimeless(catalog, id));
  if (counts && !draft.followUp && !previous.measures.some((id) => isTimeless(catalog, id))) return false;
  if (draft.followUp) return true;
  const namesMeasure = draft.measures.length > 0 || draft.implied !== undefined || draft.ambiguous.length > 0;
  // "how many stores do I have?" asks a count of its own: not the previous measure again.
  if (!namesMeasure) return !/^\s*how many\b/i.test(question);
  // "guests?", "top 5 stores by orders": a measure with no period of its own continues the conversation.
  return t.spans.length === 0 && t.relative === undefined && t.compare === undefined;
}

/** A stand-in for an earlier query, to ask whether a question would lean on one. */
const SOME_QUERY: SemanticQuery = Object.freeze({
  measures: [],
  dimensions: [],
  filters: [],
  time: { from: '', to: '', label: '' },
});

/** Would the question follow an earlier one, if there were one? (After an unanswered turn it is asked back.) */
export function wouldFollowUp(question: string, draft: Draft, catalog: Catalog): boolean {
  return isFollowUp(question, draft, SOME_QUERY, catalog);
}

/** What the new question states itself, read by the parser and the value matcher. */
export interface Stated {
  readonly measures: readonly string[];
  readonly dimensions: readonly string[];
  readonly filters: readonly QueryFilter[];
}

/** The slots a follow-up took from the conversation, for the interpretation ("Q3 2026, from your earlier question"). */
export interface Inherited {
  readonly measures?: true;
  readonly period?: true;
  readonly dimensions?: true;
  readonly filters?: readonly string[];
  readonly ranking?: true;
}

/** A follow-up applied: the merged slots (the period is the caller's: timeOf) and which rows applied. */
export interface Merged {
  readonly kinds: readonly FollowUpKind[];
  readonly measures: readonly string[];
  readonly dimensions: readonly string[];
  readonly filters: readonly QueryFilter[];
  /** Keep the last ranking as it was (narrow: "how many guests did that store have?" with no member known). */
  readonly keepRanking: boolean;
  /** Narrowed to the members a ranking answered with: the ranking is done, not carried over. */
  readonly narrowed: boolean;
  readonly inherited: Inherited;
}

/**
 * Apply the follow-up rules to the last query. `history` is the conversation's answered queries,
 * newest last (the last one is `previous`). Returns a message when the turn fits no row, or a
 * row cannot apply (combining one value).
 */
export function applyFollowUp(
  question: string,
  draft: Draft,
  stated: Stated,
  previous: SemanticQuery,
  history: readonly SemanticQuery[],
  catalog: Catalog,
  members?: RankedMembers,
): Merged | { message: string } {
  const kinds: FollowUpKind[] = [];
  const tableOf = (id: string): string => {
    const d = dimensionById(catalog, id);
    return d && d.kind !== 'time' ? d.table : `time:${id}`;
  };
  const t = draft.time;
  if (stated.measures.length) kinds.push('measure');
  if (t.spans.length) kinds.push('period');
  else if (t.relative) kinds.push('shift');
  else if (t.compare?.unit) kinds.push('compare');
  if (stated.dimensions.length && stated.dimensions.join() !== previous.dimensions.join()) kinds.push('breakdown');
  if (draft.rank) kinds.push('rank_those');
  if (draft.derive) kinds.push('derive');

  // Filters: the named ones, each replacing, adding to or excluding from the last ones.
  const positive = stated.filters.filter((f) => f.op !== 'not_in');
  const adds = ADDS.test(question) && positive.length > 0;
  if (positive.length) kinds.push(adds ? 'add_filter' : 'replace_filter');
  if (stated.filters.some((f) => f.op === 'not_in')) kinds.push('exclude');
  let filters: QueryFilter[] = [...stated.filters];
  const merged: QueryFilter[] = [];
  const kept = previous.filters.filter((old) => {
    const same = stated.filters.find((f) => {
      if (tableOf(f.dimension).startsWith('time:') || tableOf(old.dimension).startsWith('time:'))
        return f.dimension === old.dimension;
      // A value replaces the values of its own dimension, and positive filters of the same table ("Austin" after "Texas").
      return (
        f.dimension === old.dimension ||
        (f.op !== 'not_in' && old.op !== 'not_in' && tableOf(f.dimension) === tableOf(old.dimension))
      );
    });
    if (!same) return true;
    if (same.op === 'not_in' && old.op !== 'not_in') return true;
    // "and leave out Dallas too": an exclusion adds to the earlier one ("instead" replaces it).
    if (
      same.op === 'not_in' &&
      old.op === 'not_in' &&
      same.dimension === old.dimension &&
      !/\binstead\b/i.test(question) &&
      same.keys === undefined &&
      old.keys === undefined
    ) {
      merged.push({ dimension: same.dimension, op: 'not_in', values: [...new Set([...old.values, ...same.values])] });
      return false;
    }
    if (
      adds &&
      same.dimension === old.dimension &&
      (same.op === 'eq' || same.op === 'in') &&
      (old.op === 'eq' || old.op === 'in') &&
      same.keys === undefined &&
      old.keys === undefined
    ) {
      merged.push({ dimension: same.dimension, op: 'in', values: [...new Set([...old.values, ...same.values])] });
    }
    return false;
  });
  filters = [
    ...kept,
    ...merged,
    ...filters.filter(
      (f) => !merged.some((m) => m.dimension === f.dimension && (m.op === 'not_in') === (f.op === 'not_in')),
    ),
  ];

  // "both cities together": the values the conversation named on that dimension, as one filter.
  let combinedAway: string | undefined;
  if (COMBINES.test(question) && !ALL_OF_MINE.test(question) && positive.length === 0) {
    const dim = combinedDimension(draft, previous, catalog);
    const complement = complementOf(previous, history, catalog, dim);
    if (complement) {
      // "#123", then "the other store", then "both together": a value and everything but it is everything.
      filters = filters.filter((f) => f.dimension !== complement);
      kinds.push('combine');
    } else if (
      dim &&
      previous.dimensions.includes(dim) &&
      !previous.filters.some((f) => f.dimension === dim && f.op !== 'not_in')
    ) {
      // "for each of my stores", then "both stores combined": one number instead of one per store.
      combinedAway = dim;
      kinds.push('combine');
    } else {
      if (!dim)
        return { message: 'Which values do you want together? Name them, for example "Dallas and Houston together".' };
      const values: string[] = [];
      for (const q of [...history].reverse()) {
        for (const f of q.filters)
          if (f.dimension === dim && (f.op === 'eq' || f.op === 'in') && f.keys === undefined)
            for (const v of f.values) if (!values.includes(v)) values.push(v);
      }
      const label = dimensionById(catalog, dim)!;
      if (values.length < 2)
        return {
          message: `Which ${label.plural} do you want together? So far this conversation named ${values.length ? `only ${values[0]}` : 'none'}.`,
        };
      filters = [
        ...filters.filter((f) => f.dimension !== dim || f.op === 'not_in'),
        { dimension: dim, op: 'in', values },
      ];
      // "revenue by store", "just Austin #3 and Seattle #1", then "both together": the two were already
      // shown one per store, so together is one number (the breakdown goes). After "just Atlanta" it
      // brings the cities named back, and the breakdown stays.
      const shown = previous.filters.find((f) => f.dimension === dim && f.op !== 'not_in');
      if (previous.dimensions.includes(dim) && shown && sameSet(shown.values, values)) combinedAway = dim;
      kinds.push('combine');
    }
  } else if (DROPS.test(question) && positive.length === 0 && !draft.rank?.all) {
    // "all my stores": the filters on what is named go; "drop the filter", "everywhere": every one.
    const named = new Set(draft.subjects.map(tableOf).filter((x) => !x.startsWith('time:')));
    const before = filters.length;
    if (named.size) filters = filters.filter((f) => f.op === 'not_in' || !named.has(tableOf(f.dimension)));
    else if (DROPS_ALL.test(question)) filters = [];
    if (filters.length < before) kinds.push('drop_filter');
  }

  // "the other store", "the rest": everything the last filter on that dimension left out.
  if (OTHERS.test(question) && positive.length === 0 && !kinds.includes('combine') && !kinds.includes('drop_filter')) {
    // "the other stores" after two cities: the stores outside them (a city is a group of stores: the same table).
    const named = new Set([...draft.subjects, ...stated.dimensions].map(tableOf));
    const about = (f: QueryFilter): boolean => named.size === 0 || named.has(tableOf(f.dimension));
    const last = [...filters]
      .reverse()
      .find(
        (f) =>
          (f.op === 'eq' || f.op === 'in') && dimensionById(catalog, f.dimension)?.kind === 'attribute' && about(f),
      );
    // "bottom 3 of what's left" after "leave out Texas": the exclusion already is the rest.
    const excluded = filters.some((f) => f.op === 'not_in' && about(f));
    if (!last && !excluded)
      return { message: 'Other than which? Name what to leave out, for example "excluding Dallas".' };
    if (last)
      filters = [
        ...filters.filter((f) => f !== last),
        { dimension: last.dimension, op: 'not_in', values: last.values, ...(last.keys ? { keys: last.keys } : {}) },
      ];
    kinds.push('others');
  }

  // "that store", "those": the members the last ranking answered with, as a filter.
  let keepRanking = false;
  let narrowed = false;
  if (
    previous.order !== undefined &&
    previous.limit !== undefined &&
    cached(catalog).narrows.test(question) &&
    !draft.rank &&
    stated.dimensions.length === 0 &&
    positive.length === 0
  ) {
    const one = !/\b(?:those|these|them|they)\b/i.test(question);
    if (members && members.values.length && members.dimension === previous.dimensions[0]) {
      const values = one ? members.values.slice(0, 1) : [...members.values];
      filters = [
        ...filters.filter((f) => f.dimension !== members.dimension || f.op === 'not_in'),
        { dimension: members.dimension, op: values.length === 1 ? 'eq' : 'in', values },
      ];
      narrowed = true;
    } else if (t.spans.length === 0 && !t.relative) {
      keepRanking = true; // the same ranking answers "that one" when nothing else changed
    } else {
      return {
        message: `Which ${dimensionById(catalog, previous.dimensions[0] ?? '')?.label ?? 'one'} do you mean? Name it.`,
      };
    }
    kinds.push('narrow');
  }

  // "and separately?": the values of the last multi-value filter, one row each.
  let dimensions = stated.dimensions.length
    ? [...stated.dimensions]
    : previous.dimensions.filter((d) => d !== combinedAway);
  // "what about in each category?" after "the best seller": the same ranking, within each group (the
  // groups are added to what was ranked, never put in its place).
  const ranked = previous.dimensions[0];
  // ("per state" alone stays a new breakdown: "top 2 cities" then "per state" is the top 2 states.)
  if (
    previous.order &&
    previous.limit !== undefined &&
    ranked !== undefined &&
    stated.dimensions.length > 0 &&
    !stated.dimensions.includes(ranked) &&
    !draft.rank &&
    /\b(?:each|every)\b/i.test(question) &&
    stated.dimensions.every((id) => draft.dimensions.some((d) => d.id === id && d.per))
  ) {
    dimensions = [ranked, ...stated.dimensions];
    keepRanking = true;
  }
  if (SEPARATELY.test(question) && stated.dimensions.length === 0) {
    const several = [...filters]
      .reverse()
      .find((f) => f.op === 'in' && f.values.length > 1 && dimensionById(catalog, f.dimension)?.kind === 'attribute');
    if (!several)
      return { message: `Separately by what? Name the breakdown, for example "by ${breakdownExample(catalog)}".` };
    if (!dimensions.includes(several.dimension)) dimensions = [several.dimension, ...dimensions];
    kinds.push('breakdown');
  }

  if (kinds.length === 0) {
    return {
      message:
        'I could not tell what to change from your last question. Name what is different: a measure, a period, a place, or a breakdown.',
    };
  }

  const measures = keepRanking
    ? [...new Set([...previous.measures, ...stated.measures])]
    : stated.measures.length
      ? [...stated.measures]
      : [...previous.measures];
  const inheritedFilters = filters.filter((f) => previous.filters.includes(f)).map((f) => f.dimension);
  const inherited: Inherited = {
    ...(stated.measures.length === 0 ? { measures: true as const } : {}),
    ...(t.spans.length === 0 && !t.relative ? { period: true as const } : {}),
    ...(stated.dimensions.length === 0 && previous.dimensions.length ? { dimensions: true as const } : {}),
    ...(inheritedFilters.length ? { filters: inheritedFilters } : {}),
    ...(keepRanking ? { ranking: true as const } : {}),
  };
  return { kinds, measures, dimensions, filters, keepRanking, narrowed, inherited };
}

/** The dimension "both"/"together" is about: the one named ("both cities"), else the last query's single filter. */
function combinedDimension(draft: Draft, previous: SemanticQuery, catalog: Catalog): string | undefined {
  const named = [...draft.subjects, ...draft.dimensions.map((d) => d.id)].find(
    (id) => dimensionById(catalog, id)?.kind === 'attribute',
  );
  if (named) return named;
  const attr = previous.filters.filter(
    (f) => dimensionById(catalog, f.dimension)?.kind === 'attribute' && f.op !== 'not_in',
  );
  return attr.length === 1 ? attr[0]!.dimension : undefined;
}

/** Words only a follow-up places ("drop the filter"): with an earlier question, not values to look up. */
const FOLLOW_UP_WORDS: ReadonlySet<string> = new Set([
  'drop',
  'remove',
  'clear',
  'filter',
  'filters',
  'condition',
  'conditions',
  'unfiltered',
  'other',
  'others',
  'rest',
  'remaining',
  'left',
  'whats',
  'separately',
  'separate',
  'individually',
  'split',
  'no',
  'combine',
]);

/** Words that open a value a follow-up adds ("add Georgia", "include San Antonio"). */
const ADDING_WORDS: ReadonlySet<string> = new Set(['add', 'adding', 'include', 'plus']);

/**
 * The draft without what only a follow-up places, for a turn that has an earlier question: mentions
 * made only of follow-up words ("drop the filter"), and the word before an added value ("add Georgia").
 */
export function withoutFollowUpWords(draft: Draft): Draft {
  const mentions = draft.mentions.flatMap((m) => {
    if (m.words.every((w) => FOLLOW_UP_WORDS.has(w) || FILLER.has(w))) return [];
    let k = 0;
    while (k < m.words.length - 1 && (ADDING_WORDS.has(m.words[k]!) || FILLER.has(m.words[k]!))) k++;
    if (k === 0 || !m.words.slice(0, k).some((w) => ADDING_WORDS.has(w))) return [m];
    const words = m.words.slice(k);
    return [{ ...m, words, text: m.text.split(/\s+/).slice(-words.length).join(' '), from: m.from + k }];
  });
  const changed = mentions.length !== draft.mentions.length || mentions.some((m, i) => m !== draft.mentions[i]);
  return changed ? { ...draft, mentions } : draft;
}

/** The members a ranked answer named (its first dimension's values, in rank order), for "that store" next. */
export function rankedMembers(query: SemanticQuery, rows: QueryResult, catalog: Catalog): RankedMembers | undefined {
  const dim = query.dimensions[0];
  if (!query.order || query.limit === undefined || !dim || dimensionById(catalog, dim)?.kind !== 'attribute')
    return undefined;
  const values = rows.rows
    .slice(0, Math.min(query.limit, 20))
    .map((r) => r[0])
    .filter((v): v is string => typeof v === 'string');
  return values.length ? { dimension: dim, values } : undefined;
}

/**
 * The dimension whose filter the conversation turned into its complement ("#123", then "the other
 * store"): combining the two is every value, so the filter goes. Undefined when there is none.
 */
function complementOf(
  previous: SemanticQuery,
  history: readonly SemanticQuery[],
  catalog: Catalog,
  dim: string | undefined,
): string | undefined {
  const out = previous.filters.find(
    (f) =>
      f.op === 'not_in' &&
      (dim === undefined || f.dimension === dim) &&
      dimensionById(catalog, f.dimension)?.kind === 'attribute',
  );
  if (!out) return undefined;
  const same = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((v) => b.includes(v));
  const earlier = history
    .slice(0, -1)
    .some((q) =>
      q.filters.some(
        (f) => f.dimension === out.dimension && (f.op === 'eq' || f.op === 'in') && same(f.values, out.values),
      ),
    );
  return earlier ? out.dimension : undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v) => b.includes(v));
}

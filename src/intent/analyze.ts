/**
 * Layer 2: what is being asked, as a SemanticQuery, or an honest refusal.
 *
 *   readQuestion   the first pass (src/intent/parse.ts): every word placed by
 *                  the catalog alone, or kept as a mention; pure, cached
 *   refuseEarly    what can be refused before any data is touched: no measure
 *                  at all (unsupported, with the list), a word naming several
 *                  measures (clarification), an unusable date
 *   understand     mentions matched against the caller's own values, the
 *                  follow-up rules, and the query assembled and checked
 *
 * The parser answers only when it placed every word. A word it could not
 * place means a clarification naming it (or, with a model configured, the
 * model is asked to fill the query); never an answer to the rest.
 */
import { escapeRegExp } from '../util/regexp.js';
import { deepFreeze } from '../util/freeze.js';
import {
  dimensionById,
  isTimeless,
  metricById,
  publicMetrics,
  reachableTables,
  unitDimension,
  type Catalog,
  type Metric,
} from '../semantic/catalog.js';
import { questionFor } from '../semantic/describe.js';
import {
  checkQuery,
  MAX_DIMENSIONS,
  type Comparison,
  type QueryFilter,
  type SemanticQuery,
  type TimeRange,
} from '../semantic/query.js';
import type { ValueIndex } from '../semantic/values.js';
import {
  defaultRange,
  nextPeriod,
  nextWeek,
  previousPeriod,
  previousWeek,
  previousYear,
  addDays,
  mondayOf,
  monthStart,
  quarterStart,
} from './calendar.js';
import { draftQuestion, type Draft, type Reference } from './parse.js';
import { resolveMentions } from './resolve.js';
import { applyFollowUp, isFollowUp, leansOnEarlierRe, withoutFollowUpWords, type Inherited } from './follow-up.js';
import { outsideHistory } from './tense.js';
import { domainWords } from '../semantic/domain-words.js';
import { corrected, corrections } from './typos.js';
import type { RankedMembers } from '../conversation/store.js';
import type { Choices } from '../conversation/choices.js';

export type { Reference } from './parse.js';

/** A question understood as a SemanticQuery. */
export interface QueryIntent {
  readonly kind: 'query';
  readonly query: SemanticQuery;
  readonly references: readonly Reference[];
  /** For a follow-up: the slots taken from the conversation (the interpretation says so). */
  readonly inherited?: Inherited;
  /** Words read with the meaning this person chose before ("sales" -> sales amount): the interpretation says so. */
  readonly remembered?: readonly RememberedChoice[];
}

/** A word read with the measure the person chose for it earlier. */
export interface RememberedChoice {
  readonly term: string;
  readonly metric: string;
}

/** A question no SemanticQuery can express, which a model classified as answerable: model SQL. */
export interface FreeFormIntent {
  readonly kind: 'freeform';
  readonly question: string;
  readonly references: readonly Reference[];
}

/** A choice a clarification offers: a ready re-worded question. */
export interface Choice {
  readonly label: string;
  readonly question: string;
  /** The measure the choice picks, when the question was which measure. */
  readonly metric?: string;
}

/** The system is not sure what was asked, and asks back. */
export interface Clarification {
  readonly kind: 'clarification';
  readonly message: string;
  readonly choices: readonly Choice[];
  readonly references: readonly Reference[];
  /** Words of the question nothing could place (a model, when configured, gets a try first). */
  readonly unplaced?: readonly string[];
}

/** The question names nothing the catalog has. */
export interface Unsupported {
  readonly kind: 'unsupported';
  readonly message: string;
  readonly metrics: readonly { readonly id: string; readonly label: string; readonly description: string }[];
  readonly references: readonly Reference[];
}

export type Intent = QueryIntent | FreeFormIntent | Clarification | Unsupported;

const drafts = new WeakMap<Catalog, Map<string, Draft>>();

/** The first pass, cached per (catalog, day, question): a pure function of those. */
export function readQuestion(question: string, catalog: Catalog, todayIso: string): Draft {
  const perCatalog = drafts.get(catalog) ?? new Map<string, Draft>();
  drafts.set(catalog, perCatalog);
  const key = `${todayIso}\u0000${question}`;
  const hit = perCatalog.get(key);
  if (hit) return hit;
  const draft = deepFreeze(draftQuestion(question, catalog, todayIso));
  perCatalog.set(key, draft);
  if (perCatalog.size > 10_000) perCatalog.delete(perCatalog.keys().next().value as string);
  return draft;
}

/** True when the second pass needs the caller's values (the question has mentions). */
export function needsValues(draft: Draft): boolean {
  return draft.mentions.length > 0;
}

/** The list of measures, for "unsupported" answers. */
export function unsupported(catalog: Catalog, message: string, references: readonly Reference[]): Unsupported {
  return {
    kind: 'unsupported',
    message,
    metrics: publicMetrics(catalog).map((m) => ({ id: m.id, label: m.label, description: m.description })),
    references,
  };
}

const NO_EARLIER = 'That looks like a follow-up, but there is no earlier question in this conversation to follow.';

/**
 * Refusals decidable from the first pass alone, before the policy, the sandbox or any data:
 * an unusable time expression, no measure at all, or a word naming several measures.
 */
export function refuseEarly(
  question: string,
  draft: Draft,
  catalog: Catalog,
  previous: SemanticQuery | undefined,
  todayIso: string,
  choices?: Choices,
): Clarification | Unsupported | undefined {
  const refs = draft.references;
  if (draft.time.invalid) return unsupported(catalog, draft.time.invalid, refs);
  const notHistory = outsideHistory(question, todayIso);
  if (notHistory) return { ...unsupported(catalog, notHistory, refs), metrics: [] };
  if (isFollowUp(question, draft, previous, catalog)) return undefined;
  // "and guests?", "how many orders was that?" with nothing answered before: answering with the
  // default period would be a number for a question nobody asked.
  if (
    previous === undefined &&
    draft.time.spans.length === 0 &&
    !draft.time.compare &&
    leansOnEarlierRe(catalog).test(question.trim())
  ) {
    return unsupported(catalog, NO_EARLIER, refs);
  }
  // "how many burgers": the measure follows once the names are matched (second pass).
  const mayImply =
    draft.impliedIfAbout !== undefined &&
    (draft.mentions.length > 0 ||
      draft.subjects.some((d) => draft.impliedIfAbout!.about.includes(d)) ||
      draft.dimensions.some((d) => draft.impliedIfAbout!.about.includes(d.id)));
  if (draft.measures.length === 0 && draft.implied === undefined && draft.ambiguous.length === 0 && !mayImply) {
    if (previous === undefined && draft.time.relative && draft.mentions.length === 0 && draft.dimensions.length === 0) {
      return unsupported(catalog, NO_EARLIER, refs);
    }
    // "best day last week", "top stores": the shape of a question, without its measure.
    if ((draft.rank || draft.dimensions.length) && draft.mentions.length === 0) {
      const base = question.replace(/[?.!\s]+$/, '');
      return {
        kind: 'clarification',
        message: draft.rank ? 'Best or worst by which measure?' : 'Which measure do you want?',
        // Only measures that can be broken down by what the question names ("top selling items": not guests).
        choices: measuresFitting(
          catalog,
          draft.dimensions.map((d) => d.id),
        ).map((m) => ({
          metric: m.id,
          label: m.label,
          question: `${base} by ${m.label}`,
        })),
        references: refs,
      };
    }
    // "revnue last week": a word one letter from a measure's is asked about, named, never answered silently.
    const typo = didYouMean(
      question,
      draft.mentions.flatMap((m) => m.text.split(/\s+/)),
      catalog,
      refs,
    );
    if (typo) return typo;
    return unsupported(catalog, 'I can answer questions about these measures. Which one are you interested in?', refs);
  }
  if (draft.ambiguous.length > 0 && draft.mentions.length === 0) {
    const meaning = meaningOf(
      question,
      draft,
      catalog,
      [...draft.measures],
      draft.dimensions.map((d) => d.id),
      draft.filters,
      choices,
    );
    if (!meaning.decided && !meaning.remembered)
      return ambiguity(question, draft, catalog, meaning.fits, {
        catalog,
        today: todayIso,
        ...(previous ? { previous } : {}),
      });
  }
  return undefined;
}

/**
 * The meaning this person chose for the question's one word naming several measures, when it is
 * still one of the catalog's meanings and the rest of the question fits it; else undefined (ask).
 */
function rememberedChoice(
  draft: Draft,
  catalog: Catalog,
  fitting: readonly string[],
  choices: Choices | undefined,
): RememberedChoice | undefined {
  if (!choices || draft.ambiguous.length !== 1) return undefined;
  const term = draft.ambiguous[0]!.term;
  const metric = choices[term];
  const entry = catalog.ambiguous.find((x) => x.term === term);
  if (metric === undefined || !entry?.choices.includes(metric) || (fitting.length > 0 && !fitting.includes(metric)))
    return undefined;
  return { term, metric };
}

/** Up to three measures that reach every dimension named: the headline ones first, then the others. */
function measuresFitting(catalog: Catalog, dims: readonly string[]): Metric[] {
  const tables = dims
    .map((id) => dimensionById(catalog, id))
    .filter((d) => d !== undefined && d.kind !== 'time')
    .map((d) => (d as { table: string }).table);
  const fits = (m: Metric): boolean => tables.every((t) => reachableTables(catalog, m.table).has(t));
  const headline = domainWords(catalog)
    .headline.map((id) => metricById(catalog, id))
    .filter((m): m is Metric => m !== undefined);
  return [...new Set([...headline, ...publicMetrics(catalog)])].filter(fits).slice(0, 3);
}

/** "Did you mean ...?" for words a letter or two from the catalog's or the calendar's, or undefined. */
function didYouMean(
  question: string,
  words: readonly string[],
  catalog: Catalog,
  refs: readonly Reference[],
): Clarification | undefined {
  const fixes = corrections(words, catalog);
  if (fixes.length === 0) return undefined;
  return {
    kind: 'clarification',
    message: `I'm not sure what ${fixes.map((f) => `"${f.word}"`).join(', ')} ${fixes.length === 1 ? 'means' : 'mean'} here. Did you mean ${fixes.map((f) => `"${f.suggestion}"`).join(', ')}?`,
    choices: [{ label: fixes.map((f) => f.suggestion).join(', '), question: corrected(question, fixes) }],
    references: refs,
    unplaced: fixes.map((f) => f.word),
  };
}

/** The choices of the question's word naming several measures that the rest of the question fits. */
function fittingChoices(
  draft: Draft,
  catalog: Catalog,
  measures: readonly string[],
  dims: readonly string[],
  filters: readonly QueryFilter[],
  alternates = false,
): string[] {
  const entry = catalog.ambiguous.find((x) => x.term === draft.ambiguous[0]!.term)!;
  const foreign = [...dims, ...filters.map((f) => f.dimension), ...draft.subjects]
    .map((d) => dimensionById(catalog, d))
    .flatMap((d) => (d && d.kind !== 'time' ? [d.table] : []));
  return entry.choices.filter((choice) => {
    // With `alternates`: a measure that means another about these dimensions ("the sales amount" of
    // fries is the item sales amount) fits as that one.
    const away = alternates ? foreign.find((t) => !reachable(catalog, choice).has(t)) : undefined;
    const metricId = (away && metricById(catalog, choice)?.alternates[away]) || choice;
    const probe = {
      measures: [...measures, metricId],
      dimensions: dims,
      filters,
      time: { from: '2000-01-01', to: '2000-01-01', label: '' },
    };
    const reach = reachable(catalog, metricId);
    return checkQuery(probe, catalog) === undefined && draft.subjects.every((s) => dimOk(catalog, s, reach));
  });
}

/**
 * What the question's one word naming several measures means here: `decided` when the rest of the
 * question leaves one meaning, `remembered` when this person chose one that still fits, and `fits`,
 * the meanings a clarification offers (those that can answer the question as asked, alternates
 * counted; all of them when none can).
 */
function meaningOf(
  question: string,
  draft: Draft,
  catalog: Catalog,
  measures: readonly string[],
  dims: readonly string[],
  filters: readonly QueryFilter[],
  choices: Choices | undefined,
): { decided?: string; remembered?: RememberedChoice; fits?: (metricId: string) => boolean } {
  const withAlternates = fittingChoices(draft, catalog, measures, dims, filters, true);
  const fitting = countable(question, withAlternates, catalog);
  const one =
    decided(question, fitting, catalog) && sameOne(fittingChoices(draft, catalog, measures, dims, filters), fitting)
      ? fitting[0]
      : undefined;
  const remembered = rememberedChoice(draft, catalog, withAlternates, choices);
  return {
    ...(one ? { decided: one } : {}),
    ...(remembered ? { remembered } : {}),
    ...(withAlternates.length ? { fits: (id: string) => withAlternates.includes(id) } : {}),
  };
}

/** "How many ... did we sell" counts: the meanings in money are not what it asks (when a count remains). */
function countable(question: string, fitting: string[], catalog: Catalog): string[] {
  if (!/\bhow many\b/i.test(question)) return fitting;
  const counts = fitting.filter((id) => metricById(catalog, id)?.format !== 'currency');
  return counts.length ? counts : fitting;
}

/**
 * One meaning fits as the word stands and the same one counting alternates: only then is it not
 * asked ("sales by category" is asked, though only the amount can be broken down by category).
 */
function sameOne(direct: readonly string[], withAlternates: readonly string[]): boolean {
  return direct.length === 1 && withAlternates.length === 1 && direct[0] === withAlternates[0];
}

/**
 * The rest of the question leaves one choice for a word naming several measures. "How much" asks
 * an amount: a count that fits alone is still asked about ("how much fries did we sell").
 */
function decided(question: string, fitting: readonly string[], catalog: Catalog): boolean {
  if (fitting.length !== 1) return false;
  return !(/\bhow much\b/i.test(question) && metricById(catalog, fitting[0]!)?.format === 'integer');
}

/** A word names several measures: ask, offering each choice (those the rest of the question fits). */
function ambiguity(
  question: string,
  draft: Draft,
  catalog: Catalog,
  fits: ((metricId: string) => boolean) | undefined,
  ctx: UnderstandContext,
): Clarification | undefined {
  const a = draft.ambiguous[0]!;
  const entry = catalog.ambiguous.find((x) => x.term === a.term)!;
  const choices = entry.choices.filter((c) => !fits || fits(c));
  const offered = choices.length ? choices : entry.choices;
  // Only the meanings that can answer the question are offered, and the question names only those.
  const labels = offered.map((id) => `the ${metricById(catalog, id)!.label}`);
  const message =
    offered.length === entry.choices.length
      ? entry.question
      : `By "${a.raw}", do you mean ${labels.length === 1 ? labels[0] : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`}?`;
  return {
    kind: 'clarification',
    message,
    choices: offered.map((id) => {
      const m = metricById(catalog, id)!;
      return {
        metric: id,
        label: m.label,
        question: choiceQuestion(question, draft, ctx, id) ?? reword(question, a.raw, m.label),
      };
    }),
    references: draft.references,
  };
}

/**
 * A choice's question, written from the query the choice makes (not by replacing a word: "what
 * were total sales amount" read badly), in the question's own words for its period when those read
 * back as the same period, else with its dates. Only a question that reads back as exactly the
 * chosen query is offered; undefined otherwise (a follow-up; anything that does not read back).
 */
function choiceQuestion(question: string, draft: Draft, ctx: UnderstandContext, metricId: string): string | undefined {
  if (ctx.previous || draft.ambiguous.length !== 1 || ctx.rewording) return undefined;
  // `rewording`: a choice the rest of the question does not fit is asked about again inside, never re-worded again.
  const chosen = understand(question, draft, {
    ...ctx,
    choices: { [draft.ambiguous[0]!.term]: metricId },
    rewording: true,
  });
  if (chosen.kind !== 'query') return undefined;
  const shape = (q: SemanticQuery): string =>
    JSON.stringify({
      ...q,
      time: [q.time.from, q.time.to],
      compare: q.compare ? [q.compare.kind, q.compare.range.from, q.compare.range.to] : null,
    });
  for (const timeWords of [true, false]) {
    const text = questionFor(chosen.query, ctx.catalog, { timeWords });
    const back = understand(text, readQuestion(text, ctx.catalog, ctx.today), {
      catalog: ctx.catalog,
      today: ctx.today,
      ...(ctx.values ? { values: ctx.values } : {}),
    });
    if (back.kind === 'query' && shape(back.query) === shape(chosen.query)) return text;
  }
  return undefined;
}

/** The question with `term` replaced by `label`, first occurrence, keeping the rest as typed. */
function reword(question: string, term: string, label: string): string {
  const i = question.toLowerCase().indexOf(term.toLowerCase());
  return i < 0
    ? `${question.replace(/[?.!\s]+$/, '')} (${label})?`
    : `${question.slice(0, i)}${label}${question.slice(i + term.length)}`;
}

/** Everything `understand` needs besides the question. */
export interface UnderstandContext {
  readonly catalog: Catalog;
  readonly today: string;
  /** The caller's own values, when the question has mentions. */
  readonly values?: ValueIndex;
  /** The last understood query of this conversation. */
  readonly previous?: SemanticQuery;
  /** The conversation's answered queries, oldest first (the last is `previous`): "both cities together" reads them. */
  readonly history?: readonly SemanticQuery[];
  /** The members the last answer ranked ("that store" means its top one). */
  readonly members?: RankedMembers;
  /** What this person chose words to mean ("sales" -> sales amount), from answering clarifications before. */
  readonly choices?: Choices;
  /** Set while a clarification's choices are being re-worded (no re-wording inside). */
  readonly rewording?: true;
}

/** What the second pass's stages share: the question, its draft, the context, and the query as it is built. */
export interface Understanding {
  readonly question: string;
  readonly draft: Draft;
  readonly ctx: UnderstandContext;
  readonly catalog: Catalog;
  /** The values the question names, matched against the caller's own data. */
  resolution: ReturnType<typeof resolveMentions> | undefined;
  valueFilters: QueryFilter[];
  valueDims: string[];
  /** The last query, when this question follows it. */
  follow: SemanticQuery | undefined;
  baseFilters: QueryFilter[];
  baseDims: string[];
  measures: string[];
  dims: string[];
  filters: QueryFilter[];
  inherited: Inherited | undefined;
  keepRanking: boolean;
  narrowed: boolean;
  time: Exclude<ReturnType<typeof timeOf>, { message: string }> | undefined;
  order: SemanticQuery['order'];
  limit: number | undefined;
  /** A ranking within groups: the dimensions it ranks within. */
  per: string[] | undefined;
  /** A share or a running total; the part a share is of; two sides set against each other. */
  derive: SemanticQuery['derive'];
  part: QueryFilter[] | undefined;
  versus: [QueryFilter, QueryFilter] | undefined;
  remembered: RememberedChoice[];
}

/** A stage's refusal: the answer instead of a query. */
type Refusal = Clarification | Unsupported;

function clarification(
  u: Understanding,
  message: string,
  choices: readonly Choice[] = [],
  unplaced?: readonly string[],
): Clarification {
  return { kind: 'clarification', message, choices, references: u.draft.references, ...(unplaced ? { unplaced } : {}) };
}

/** Mentions: values of the caller's own data, or words nothing could place (a clarification naming them). */
function resolveValues(u: Understanding): Refusal | undefined {
  const { draft, catalog, ctx, question } = u;
  const refs = draft.references;
  u.resolution = draft.mentions.length && ctx.values ? resolveMentions(draft.mentions, catalog, ctx.values) : undefined;
  if (draft.mentions.length && !ctx.values)
    return clarification(
      u,
      'I could not read your data to match the names in the question.',
      [],
      draft.mentions.map((m) => m.text),
    );
  const unplaced = u.resolution?.unplaced ?? [];
  const namesNoMeasure =
    draft.measures.length === 0 &&
    draft.implied === undefined &&
    draft.ambiguous.length === 0 &&
    !isFollowUp(question, draft, ctx.previous, catalog);
  if (
    namesNoMeasure &&
    draft.impliedIfAbout &&
    !impliedAbout(
      draft,
      u.resolution?.filters ?? [],
      draft.dimensions.map((d) => d.id),
    )
  ) {
    // "how many labor hours": no measure, and not about menu items after all.
    return unsupported(catalog, 'I can answer questions about these measures. Which one are you interested in?', refs);
  }
  if (unplaced.length) {
    const typo = didYouMean(
      question,
      unplaced.flatMap((w) => w.split(/\s+/)),
      catalog,
      refs,
    );
    if (typo) return { ...typo, unplaced };
    const names = unplaced.map((w) => `"${w}"`).join(', ');
    const incomplete = ctx.values?.complete === false ? ' (your data has more names than I can match against)' : '';
    return clarification(
      u,
      `I'm not sure what ${names} means here: it is not a measure, a time, or a ${domainWords(catalog).attributes} of yours${incomplete}.`,
      suggestions(draft, catalog, ctx),
      unplaced,
    );
  }
  if (u.resolution?.ambiguous) {
    const { text, options } = u.resolution.ambiguous;
    return clarification(
      u,
      `"${text}" could mean ${options.map((o) => `the ${dimensionById(catalog, o.dimension)!.label} ${o.value}`).join(' or ')}. Which one?`,
      options.map((o) => {
        const label = dimensionById(catalog, o.dimension)!.label;
        // The phrase as a whole word ("la" of "in la", never the "la" of "last").
        const at = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(text)}(?![\\p{L}\\p{N}])`, 'u');
        return { label: `${label} ${o.value}`, question: question.replace(at, `${text} ${label}`) };
      }),
    );
  }
  if (u.resolution?.mixed) {
    return clarification(
      u,
      `"${u.resolution.mixed}" mixes different kinds of places or items; ask about one kind at a time (for example ${domainWords(catalog).oneKindExample}).`,
    );
  }
  u.valueFilters = [...(u.resolution?.filters ?? [])];
  return undefined;
}

/** "Austin vs Dallas": a comparison of two values is a breakdown by what they are. */
function compareValues(u: Understanding): Refusal | undefined {
  const { draft, resolution } = u;
  const compareAt = draft.time.compare?.at;
  if (
    compareAt !== undefined &&
    resolution &&
    draft.time.spans.length <= 1 &&
    !draft.time.relative &&
    !draft.time.compare?.unit
  ) {
    const before = resolution.matched.find((m) => m.mention.to <= compareAt && m.values.length);
    const after = resolution.matched.find((m) => m.mention.from > compareAt && m.values.length);
    if (before && after && before.values[0]!.dimension === after.values[0]!.dimension) {
      const dim = before.values[0]!.dimension;
      u.valueDims = [dim];
      // "Dallas vs Houston vs Austin": every value of that kind the question names, not the first two.
      const named = resolution.matched
        .filter((m) => !m.mention.negated)
        .flatMap((m) => m.values)
        .filter((v) => v.dimension === dim);
      u.valueFilters = [
        ...u.valueFilters.filter((f) => f.dimension !== dim || f.op === 'not_in'),
        { dimension: dim, op: 'in', values: [...new Set(named.map((v) => v.value))] },
      ];
    }
  }
  return undefined;
}

/** Measures, and what a word naming several means given the rest of the question. */
function chooseMeasures(u: Understanding): Refusal | undefined {
  const { draft, catalog, ctx, question } = u;
  u.follow = isFollowUp(question, draft, ctx.previous, catalog) ? ctx.previous : undefined;
  u.baseFilters = [...draft.filters, ...u.valueFilters];
  u.baseDims = [...new Set([...draft.dimensions.map((d) => d.id), ...u.valueDims])];
  u.measures = draft.measures.length ? [...draft.measures] : draft.implied ? [draft.implied] : [];
  if (draft.ambiguous.length) {
    const { decided, remembered, fits } = meaningOf(
      question,
      draft,
      catalog,
      u.measures,
      u.baseDims,
      u.baseFilters,
      ctx.choices,
    );
    if (decided && draft.ambiguous.length === 1) u.measures = [...u.measures, decided];
    else if (remembered) {
      u.measures = [...u.measures, remembered.metric];
      u.remembered.push(remembered);
    } else return ambiguity(question, draft, catalog, fits, ctx)!;
  }
  if (u.measures.length === 0 && impliedAbout(draft, u.baseFilters, u.baseDims))
    u.measures = [draft.impliedIfAbout!.measure];
  if (u.measures.length === 0 && !u.follow)
    return unsupported(
      catalog,
      'I can answer questions about these measures. Which one are you interested in?',
      draft.references,
    );
  u.dims = u.baseDims;
  u.filters = u.baseFilters;
  return undefined;
}

/** A follow-up: the last query with what this question changes, one row of FOLLOW_UP_RULES each. */
function followUp(u: Understanding): Refusal | undefined {
  const { draft, catalog, ctx, question, follow } = u;
  if (follow) {
    const merged = applyFollowUp(
      question,
      draft,
      { measures: u.measures, dimensions: u.baseDims, filters: u.baseFilters },
      follow,
      ctx.history ?? [follow],
      catalog,
      ctx.members,
    );
    if ('message' in merged) return clarification(u, merged.message);
    u.measures = [...merged.measures];
    u.dims = [...merged.dimensions];
    u.filters = [...merged.filters];
    u.inherited = merged.inherited;
    u.keepRanking = merged.keepRanking;
    u.narrowed = merged.narrowed;
  }
  if (draft.rank && u.dims.length === 0) {
    const group = u.filters
      .map((f) => dimensionById(catalog, f.dimension))
      .find((d) => d?.kind === 'attribute' && d.members !== undefined);
    if (group && group.kind === 'attribute') u.dims = [group.members!];
  }
  return undefined;
}

/** A measure of another table, asked about one of its dimensions ("milkshake revenue"), means its alternate. */
function alternateMeasures(u: Understanding): Refusal | undefined {
  const { catalog, draft } = u;
  u.measures = [
    ...new Set(
      u.measures.map((id) => {
        const m = metricById(catalog, id)!;
        const reach = reachable(catalog, id);
        const tables = [...u.dims, ...u.filters.map((f) => f.dimension), ...draft.subjects]
          .map((d) => dimensionById(catalog, d))
          .filter((d) => d !== undefined && d.kind !== 'time')
          .map((d) => (d as { table: string }).table);
        const foreign = tables.find((t) => !reach.has(t));
        return foreign && m.alternates[foreign] ? m.alternates[foreign] : id;
      }),
    ),
  ];
  return undefined;
}

/** Time: the named period, a follow-up's period (or the one before it), or the default. */
function period(u: Understanding): Refusal | undefined {
  const time = timeOf(u.draft, u.ctx, u.follow);
  if ('message' in time) return clarification(u, time.message);
  u.time = time;
  return undefined;
}

/** Ranking: order and how many, a ranking kept from the last query, or how many asked back. */
function ranking(u: Understanding): Refusal | undefined {
  const { draft, catalog, question, follow } = u;
  if (u.keepRanking && follow?.order) {
    // "how many guests did that store have?": the same ranking, the new measure beside the ranked one.
    u.order = follow.order;
    u.limit = follow.limit;
  } else if (draft.rank) {
    if (u.dims.length === 0) {
      return clarification(
        u,
        `What should be ranked: ${domainWords(catalog).rankables}?`,
        rankChoices(question, catalog),
      );
    }
    // The thing ranked: not a group named by "each" or "per" ("the busiest day for each of my stores").
    const perMarked = new Set(draft.dimensions.filter((d) => d.per).map((d) => d.id));
    const rankedId = u.dims.find((d) => !perMarked.has(d)) ?? u.dims[0]!;
    const first = draft.dimensions.find((d) => d.id === rankedId);
    u.order = { measure: u.measures[0]!, by: draft.rank.by ?? 'value', direction: draft.rank.direction };
    if (draft.rank.limit !== undefined) u.limit = draft.rank.limit;
    else if (
      draft.rank.byMeasure &&
      follow?.order &&
      follow.limit !== undefined &&
      u.baseDims.length === 0 &&
      !/\b(?:all|every|them|those|these)\b/i.test(question)
    ) {
      // "bottom 3 items by units", then "now rank by item revenue instead": the same ranking, another measure.
      u.order = { ...u.order, direction: follow.order.direction };
      u.limit = follow.limit;
    } else if (
      !draft.rank.all &&
      follow?.limit !== undefined &&
      u.baseDims.length === 0 &&
      draft.rank.plural !== false &&
      (follow.limit > 1 || draft.rank.plural === undefined)
    ) {
      // "top 3 stores ..." then "what about the bottom ones?" (or "and the worst?"): as many as
      // before, from the other end. "the worst one" is one; "the worst ones" after one asks how many.
      u.limit = follow.limit;
    } else if (!draft.rank.all) {
      if ((first?.plural && !first.which) || draft.rank.plural === true) {
        const label = dimensionById(catalog, rankedId)!.plural;
        return clarification(
          u,
          `How many ${label} do you want?`,
          [3, 5, 10].map((n) => ({ label: `top ${n}`, question: `${question.replace(/[?.!\s]+$/, '')} (top ${n})` })),
        );
      }
      u.limit = 1;
    }
    if (u.order.by !== 'value' && !u.time!.compare)
      return clarification(
        u,
        'Ranking by growth or decline needs a period to compare with, for example "week over week".',
      );
  } else if (follow?.order && u.dims.length > 0 && !u.narrowed) {
    // "top 5 cities ..." then "by state instead": the ranking carries over to the new breakdown.
    u.order = {
      ...follow.order,
      measure: u.measures.includes(follow.order.measure) ? follow.order.measure : u.measures[0]!,
    };
    u.limit = follow.limit;
  }
  if (u.dims.length > MAX_DIMENSIONS) u.dims = u.dims.slice(0, MAX_DIMENSIONS + 1);
  // A limit over several breakdowns ranks within groups ("the top 3 stores in each state", "the best
  // day for each store"): the thing ranked is the one the ranking word names, the groups the others.
  // Never an overall top N labelled "by state"; when the question does not say which, it is asked.
  if (u.limit !== undefined && u.dims.length > 1) {
    const marks = draft.dimensions.filter((d) => u.dims.includes(d.id));
    const perIds = marks.filter((d) => d.per).map((d) => d.id);
    const unmarked = u.dims.filter((d) => !perIds.includes(d));
    // A follow-up that keeps the breakdown keeps its groups too ("by item revenue instead" after "the best seller in each category").
    const keptGroups =
      u.follow?.per?.length && perIds.length === 0 && u.dims.join() === u.follow.dimensions.join()
        ? u.follow.dimensions[0]
        : undefined;
    const ranked =
      marks.find((d) => d.ranked && !d.per)?.id ?? (perIds.length && unmarked.length === 1 ? unmarked[0] : keptGroups);
    if (ranked === undefined) {
      return clarification(
        u,
        `Rank within what? For example "the top ${u.limit} ${dimensionById(catalog, u.dims[0]!)!.plural} in each ${dimensionById(catalog, u.dims[1]!)!.label}".`,
      );
    }
    u.per = u.dims.filter((d) => d !== ranked);
    u.dims = [ranked, ...u.per];
  }
  return undefined;
}

/**
 * Shares, running totals and two things set against each other ("what % of revenue came from
 * Chicago", "running total of sales by day", "how much more did A sell than B"). A timeless measure
 * ("how many stores") with a period named is asked back: it counts what there is, not what was.
 */
function derivedFigures(u: Understanding): Refusal | undefined {
  const { draft, catalog } = u;
  if (draft.moving) {
    return clarification(
      u,
      `I can't compute a ${draft.moving} yet (a moving window). I can give the values by day or a running total; ask for one of those.`,
      [],
      [draft.moving],
    );
  }
  const timeless = u.measures.filter((id) => isTimeless(catalog, id)).map((id) => metricById(catalog, id)!)[0];
  if (timeless && draft.time.spans.length > 0) {
    return clarification(
      u,
      `I can count the ${timeless.label.replace(/^number of /, '')} you have today, not for ${draft.time.spans[0]!.range.label}. Ask "${timeless.label}" without a period.`,
    );
  }
  const grouped = (id: string): boolean => dimensionById(catalog, id)?.kind === 'attribute';
  const same = (a: QueryFilter, b: QueryFilter): boolean =>
    a.dimension === b.dimension && a.op === b.op && a.values.join('\u0000') === b.values.join('\u0000');
  // Named in this question (not kept from an earlier one).
  const named = (f: QueryFilter): boolean =>
    f.op !== 'not_in' && [...u.valueFilters, ...draft.filters].some((v) => same(v, f));
  // A follow-up keeps the derived figure of the question it follows ("just Chicago #17" after a
  // running total is still a running total), unless it names one of its own.
  const kept = !draft.derive && !draft.versus && u.follow ? u.follow : undefined;
  const derive = draft.derive ?? kept?.derive;
  if (kept?.versus && !u.filters.some((f) => f.dimension === kept.versus![0].dimension)) u.versus = [...kept.versus];
  if (draft.versus && !u.time?.compare) {
    const pair = u.filters.find(
      (f) => (f.op === 'in' || f.op === 'eq') && f.values.length === 2 && grouped(f.dimension) && !u.follow,
    );
    if (!pair) {
      return clarification(
        u,
        `The difference between which two? For example "the difference in ${metricById(catalog, u.measures[0]!)?.label ?? 'sales'} between one ${unitDimension(catalog)?.label ?? 'group'} and another".`,
      );
    }
    const side = (v: string): QueryFilter => {
      const keys = pair.keys ? u.ctx.values?.keysOf(pair.dimension, v) : undefined;
      return { dimension: pair.dimension, op: 'eq', values: [v], ...(keys?.length ? { keys } : {}) };
    };
    u.versus = [side(pair.values[0]!), side(pair.values[1]!)];
    u.filters = u.filters.filter((f) => f !== pair);
    u.dims = u.dims.filter((d) => d !== pair.dimension);
    u.order = undefined;
    u.limit = undefined;
  }
  if (derive === 'share') {
    // "revenue by city" then "what % of that was Chicago": a value of the breakdown's own kind is the part.
    const ofBreakdown = u.filters.filter((f) => named(f) && u.dims.includes(f.dimension));
    if (ofBreakdown.length === 1) {
      u.part = ofBreakdown;
      u.filters = u.filters.filter((f) => f !== ofBreakdown[0]);
      u.dims = u.dims.filter((d) => d !== ofBreakdown[0]!.dimension);
    }
    // A follow-up of a share of one part that names no new part keeps the part ("and last month?").
    if (!u.part && kept?.part && u.dims.length === 0 && !u.filters.some(named)) u.part = [...kept.part];
    // "category mix of item revenue": the thing the share is split by, named only as the subject (not
    // when a value is named: "share of orders from Texas stores" is Texas's share).
    if (u.dims.length === 0 && !u.part && !u.filters.some(named)) {
      const subject = draft.subjects.find((d) => grouped(d) && !u.filters.some((f) => f.dimension === d));
      if (subject) u.dims = [subject];
    }
    if (u.dims.length === 0 && !u.part) {
      // "what % of revenue came from Chicago", "share of guests on the weekend": the one named part.
      const parts = u.filters.filter(named);
      if (parts.length !== 1) {
        return clarification(
          u,
          parts.length === 0
            ? `A share of what? Name the part (for example one ${unitDimension(catalog)?.label ?? 'member'}) or a breakdown ("by ${unitDimension(catalog)?.label ?? 'group'}").`
            : `A share of which part? You named ${parts.map((f) => f.values.join(' and ')).join(' and ')}; ask about one part at a time.`,
        );
      }
      u.part = parts;
      u.filters = u.filters.filter((f) => f !== parts[0]);
    }
    u.derive = 'share';
  }
  if (derive === 'running_total') {
    const timeDim = u.dims.find((d) => dimensionById(catalog, d)?.kind === 'time');
    const range = u.time!.range;
    const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
    const grain =
      timeDim ??
      catalog.dimensions.find(
        (d) => d.kind === 'time' && d.grain === (days <= 62 ? 'day' : days <= 190 ? 'week' : 'month'),
      )?.id;
    if (grain) u.dims = [grain, ...u.dims.filter((d) => d !== grain)];
    u.derive = 'running_total';
  }
  return undefined;
}

/**
 * The second pass as named stages, in order: each reads what the draft and the stages before it
 * built, adds to the query, or ends the question with a clarification or an unsupported answer.
 * Then the query is assembled and checked against the catalog.
 */
export const UNDERSTAND_STAGES = [
  { name: 'values', run: resolveValues },
  { name: 'value comparison', run: compareValues },
  { name: 'measures', run: chooseMeasures },
  { name: 'follow-up', run: followUp },
  { name: 'alternate measures', run: alternateMeasures },
  { name: 'period', run: period },
  { name: 'ranking', run: ranking },
  { name: 'derived figures', run: derivedFigures },
] as const;

/** The state before any stage (the draft without its follow-up words when there is an earlier query). */
export function startUnderstanding(question: string, firstDraft: Draft, ctx: UnderstandContext): Understanding {
  return {
    question,
    draft: ctx.previous ? withoutFollowUpWords(firstDraft) : firstDraft,
    ctx,
    catalog: ctx.catalog,
    resolution: undefined,
    valueFilters: [],
    valueDims: [],
    follow: undefined,
    baseFilters: [],
    baseDims: [],
    measures: [],
    dims: [],
    filters: [],
    inherited: undefined,
    keepRanking: false,
    narrowed: false,
    time: undefined,
    order: undefined,
    limit: undefined,
    per: undefined,
    derive: undefined,
    part: undefined,
    versus: undefined,
    remembered: [],
  };
}

/** The second pass: mentions, follow-up rules, assembly and the catalog check. */
export function understand(
  question: string,
  firstDraft: Draft,
  ctx: UnderstandContext,
): QueryIntent | Clarification | Unsupported {
  const u = startUnderstanding(question, firstDraft, ctx);
  const { catalog, draft } = u;
  const early = refuseEarly(question, draft, catalog, ctx.previous, ctx.today, ctx.choices);
  if (early) return early;
  for (const stage of UNDERSTAND_STAGES) {
    const refused = stage.run(u);
    if (refused) return refused;
  }
  const time = u.time!;
  const query: SemanticQuery = {
    measures: u.measures,
    dimensions: u.dims,
    filters: u.filters,
    time: time.range,
    ...(time.compare ? { compare: time.compare } : {}),
    ...(u.order ? { order: u.order } : {}),
    ...(u.limit !== undefined ? { limit: u.limit } : {}),
    ...(u.per ? { per: u.per } : {}),
    ...(u.derive ? { derive: u.derive } : {}),
    ...(u.part ? { part: u.part } : {}),
    ...(u.versus ? { versus: u.versus } : {}),
  };
  const problem = checkQuery(query, catalog);
  if (problem) {
    const choices = (problem.suggest ?? []).slice(0, 4).map((id) => {
      const q2 = { ...query, measures: [id], order: query.order ? { ...query.order, measure: id } : undefined };
      const m = metricById(catalog, id)!;
      return { metric: id, label: m.label, question: questionFor(stripUndefined(q2), catalog) };
    });
    return clarification(u, problem.message, choices);
  }
  return {
    kind: 'query',
    query,
    references: draft.references,
    ...(u.inherited && Object.keys(u.inherited).length ? { inherited: u.inherited } : {}),
    ...(u.remembered.length ? { remembered: u.remembered } : {}),
  };
}

function stripUndefined(
  q: Omit<SemanticQuery, 'order'> & { order?: SemanticQuery['order'] | undefined },
): SemanticQuery {
  const { order, ...rest } = q;
  return order ? { ...rest, order } : rest;
}

/** Tables a measure's fact table reaches. */
function reachable(catalog: Catalog, metricId: string): Set<string> {
  const table = metricById(catalog, metricId)!.table;
  return new Set(reachableTables(catalog, table));
}

function dimOk(catalog: Catalog, dimensionId: string, reach: ReadonlySet<string>): boolean {
  const d = dimensionById(catalog, dimensionId);
  return !d || d.kind === 'time' || reach.has(d.table);
}

/** The period each relative phrase names, from the period it is relative to. */
const SHIFT = {
  previous_period: previousPeriod,
  previous_year: previousYear,
  previous_week: previousWeek,
  next_period: nextPeriod,
  next_week: nextWeek,
} as const;

/** The comparison a relative phrase names for a range ("the same day last week" is a plain range). */
function relativeTo(kind: keyof typeof SHIFT, range: TimeRange): Comparison {
  return { kind: kind === 'previous_period' || kind === 'previous_year' ? kind : 'range', range: SHIFT[kind](range) };
}

/** The period and the comparison, from the first pass and the conversation. */
function timeOf(
  draft: Draft,
  ctx: UnderstandContext,
  follow: SemanticQuery | undefined,
): { range: TimeRange; compare?: Comparison } | { message: string } {
  const t = draft.time;
  const spans = t.spans;
  if (spans.length > 2) return { message: 'The question names more than two periods. Which one do you mean?' };
  const connector = t.compare !== undefined && t.compare.unit === undefined;
  if (spans.length === 2 && !connector && !t.relative) {
    return {
      message: `You named two periods (${spans[0]!.range.label} and ${spans[1]!.range.label}). Do you want one of them, or the two compared ("${spans[0]!.range.label} vs ${spans[1]!.range.label}")?`,
    };
  }
  let range: TimeRange;
  if (spans.length) range = spans[0]!.range;
  else if (follow && t.relative && !connector) {
    // "and the week before?": the period before the one asked last.
    const shifted = SHIFT[t.relative.kind](follow.time);
    range = {
      ...shifted,
      label: /^the \w+ (?:before|after)$/.test(shifted.label) ? `${shifted.label} ${follow.time.label}` : shifted.label,
    };
    // "the week after" a recent week: only the days that have happened, and nothing still to come.
    if (range.from > ctx.today)
      return {
        message: `${range.label} (from ${range.from}) has not happened yet: I can only answer about days that have.`,
      };
    if (range.to > ctx.today) range = { ...range, to: ctx.today, label: `${range.label}, to date` };
  } else if (follow) range = follow.time;
  else if (t.compare?.unit) range = lastComplete(t.compare.unit, ctx.today);
  else range = defaultRange(ctx.catalog.defaultTimeRange, ctx.today);

  let compare: Comparison | undefined;
  if (spans.length === 2) {
    const second = spans[1]!.range;
    const prev = previousPeriod(range);
    if (/^last year/.test(second.label) && !/year/.test(range.label))
      compare = { kind: 'previous_year', range: previousYear(range) };
    else if (isUnitBefore(range, second)) compare = { kind: 'previous_period', range: prev };
    else compare = { kind: 'range', range: second };
  } else if (t.relative && (connector || !follow || spans.length === 1)) {
    compare = relativeTo(t.relative.kind, range);
  } else if (t.compare?.unit) {
    compare = relativeTo(t.compare.yearOverYear ? 'previous_year' : 'previous_period', range);
  } else if (connector && !t.relative && draft.mentions.length === 0) {
    return { message: 'Compared with which period? For example "vs the week before" or "vs the same week last year".' };
  } else if (follow?.compare && !spans.length && !t.relative) {
    compare = follow.compare;
  } else if (follow?.compare && follow.compare.kind !== 'range') {
    compare = relativeTo(follow.compare.kind, range);
  }
  const weekEarlier = t.relative?.kind === 'previous_week' && compare !== undefined;
  if (compare && (compare.kind !== 'range' || weekEarlier) && range.to === ctx.today && range.from < ctx.today) {
    // Today is still trading: a to-date comparison runs over the closed days, like for like.
    range = { ...range, to: addDays(ctx.today, -1) };
    compare = relativeTo(
      weekEarlier ? 'previous_week' : compare.kind === 'previous_year' ? 'previous_year' : 'previous_period',
      range,
    );
  }
  return compare ? { range, compare } : { range };
}

/**
 * "this week vs last week", "this month vs last month": the second period is the unit before the
 * first, so the comparison is like for like (the same days of it), not the whole of it.
 */
function isUnitBefore(first: TimeRange, second: TimeRange): boolean {
  const expect = {
    'this week': 'last week',
    'this month': 'last month',
    'this quarter': 'last quarter',
    'last week': 'the week before last',
  } as Record<string, string>;
  return expect[first.label] === second.label;
}

/** The last complete week, month, quarter or day, for "week over week" without a period. */
function lastComplete(unit: 'week' | 'month' | 'quarter' | 'year' | 'day', todayIso: string): TimeRange {
  if (unit === 'day') return { from: addDays(todayIso, -1), to: addDays(todayIso, -1), label: 'yesterday' };
  if (unit === 'week')
    return { from: addDays(mondayOf(todayIso), -7), to: addDays(mondayOf(todayIso), -1), label: 'last week' };
  if (unit === 'month')
    return { from: monthStart(todayIso, -1), to: addDays(monthStart(todayIso), -1), label: 'last month' };
  if (unit === 'quarter')
    return { from: quarterStart(todayIso, -1), to: addDays(quarterStart(todayIso), -1), label: 'last quarter' };
  return defaultRange('last_7_days', todayIso);
}

function rankChoices(question: string, catalog: Catalog): Choice[] {
  const base = question.replace(/[?.!\s]+$/, '');
  const day = catalog.dimensions.find((d) => d.kind === 'time' && d.grain === 'day')?.id;
  return [domainWords(catalog).unitDimension, day]
    .map((id) => (id === undefined ? undefined : dimensionById(catalog, id)))
    .filter((d) => d !== undefined)
    .map((d) => ({ label: d.plural, question: `${base} by ${d.label}` }));
}

/**
 * Questions the parser can answer, offered when words could not be placed: what was understood
 * without them, or the most common measures over the same period.
 */
function suggestions(draft: Draft, catalog: Catalog, ctx: UnderstandContext): Choice[] {
  const time = draft.time.spans[0]?.range ?? defaultRange(catalog.defaultTimeRange, ctx.today);
  const measures = draft.measures.length ? draft.measures : draft.implied ? [draft.implied] : [];
  if (measures.length) {
    const q: SemanticQuery = { measures: [...new Set(measures)], dimensions: [], filters: draft.filters, time };
    if (checkQuery(q, catalog) === undefined)
      return [{ label: 'without the words I could not place', question: questionFor(q, catalog) }];
  }
  return publicMetrics(catalog)
    .slice(0, 3)
    .map((m) => ({
      metric: m.id,
      label: m.label,
      question: questionFor({ measures: [m.id], dimensions: [], filters: [], time }, catalog),
    }));
}

/** Does a measure implied only about some dimensions ("how many" of menu items) apply to this question? */
function impliedAbout(draft: Draft, filters: readonly QueryFilter[], dims: readonly string[]): boolean {
  const about = draft.impliedIfAbout;
  return (
    about !== undefined &&
    [...filters.map((f) => f.dimension), ...dims, ...draft.subjects].some((d) => about.about.includes(d))
  );
}

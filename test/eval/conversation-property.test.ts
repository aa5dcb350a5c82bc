/**
 * Follow-up conversations as a property (issue 32). fast-check generates conversation scripts: a
 * first question built from slots (measure, period, optional city/state filter with the persona's
 * own values, optional breakdown, optional ranking), then 1-3 follow-ups, each of one kind of
 * FOLLOW_UP_RULES (src/intent/follow-up.ts) that applies to the slots so far, written as English
 * from several templates per kind. Every turn goes through POST /v1/ask with the conversationId of
 * the previous answer, and its answer is judged (src/eval/run.ts `judge`) against gold SQL this file
 * builds itself from its own model of the slots, over the raw tables as the persona sees them
 * (src/eval/gold.ts), never through the compiler or the intent code.
 *
 * A turn is right (rows equal gold), refused (a clarification or unsupported: honest, counted per
 * kind and bounded by MAX_REFUSED_RATE) or WRONG (an answer whose rows differ from gold: never
 * allowed, the property fails and prints the whole conversation). After a refusal the conversation
 * ends: the service builds on the last answered turn and asks back, so later turns say nothing.
 *
 * CONVERSATION_SEED and CONVERSATION_RUNS override the seed and the number of conversations.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Value } from '../../src/eval/compare.js';
import { GoldDatabase } from '../../src/eval/gold.js';
import { judge } from '../../src/eval/run.js';
import {
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  signedHeaders,
  startTestService,
  type TestService,
} from '../support/harness.js';
import { DEMO_REGISTRY } from '../support/demo-catalog.js';
import { text } from '../../src/util/text.js';

const SEED = Number(process.env['CONVERSATION_SEED'] ?? 32_2026);
const RUNS = Number(process.env['CONVERSATION_RUNS'] ?? 500);
/** Refused turns (clarification / unsupported) allowed, as a share of the turns sent. */
const MAX_REFUSED_RATE = 0.05;

// ---------------------------------------------------------------------------------------------
// Slots: the test's own model of a query.

type MeasureId = 'net_sales_amount' | 'order_count' | 'guest_count' | 'average_check' | 'items_sold';
type DimId = 'city' | 'state' | 'location' | 'day' | 'month';
type FilterDim = 'city' | 'state';
type Grain = 'week' | 'month' | 'day' | 'quarter' | 'mtd' | 'range';

interface Period {
  readonly from: string;
  readonly to: string;
  readonly grain: Grain;
}
interface Filter {
  readonly dim: FilterDim;
  readonly op: 'in' | 'not_in';
  readonly values: readonly string[];
}
interface Rank {
  readonly n: number;
  readonly dir: 'desc' | 'asc';
}
interface Slots {
  readonly measure: MeasureId;
  readonly period: Period;
  readonly filters: readonly Filter[];
  readonly dim?: DimId;
  readonly rank?: Rank;
}

const KINDS = [
  'measure',
  'period',
  'shift',
  'breakdown',
  'replace_filter',
  'add_filter',
  'exclude',
  'combine',
  'drop_filter',
  'rank_those',
  'switch',
] as const;
type Kind = (typeof KINDS)[number];

// ---------------------------------------------------------------------------------------------
// Dates (the harness pins today to 2026-11-18, a Wednesday).

const TODAY = '2026-11-18';
const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const parts = (d: string): [number, number, number] => d.split('-').map(Number) as [number, number, number];
const addDays = (d: string, n: number): string => iso(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS);
/** The first day of the month `n` months from d's month. */
const monthFrom = (d: string, n: number): string => {
  const [y, m] = parts(d);
  return iso(Date.UTC(y, m - 1 + n, 1));
};
const monthEnd = (first: string): string => addDays(monthFrom(first, 1), -1);

const NAMED_PERIODS = {
  last_week: {
    period: { from: '2026-11-09', to: '2026-11-15', grain: 'week' },
    bare: ['last week'],
    adverb: ['last week'],
  },
  last_month: {
    period: { from: '2026-10-01', to: '2026-10-31', grain: 'month' },
    bare: ['last month'],
    adverb: ['last month'],
  },
  yesterday: {
    period: { from: '2026-11-17', to: '2026-11-17', grain: 'day' },
    bare: ['yesterday'],
    adverb: ['yesterday'],
  },
  q3: {
    period: { from: '2026-07-01', to: '2026-09-30', grain: 'quarter' },
    bare: ['q3', 'Q3'],
    adverb: ['in q3', 'for Q3'],
  },
  q2: {
    period: { from: '2026-04-01', to: '2026-06-30', grain: 'quarter' },
    bare: ['q2', 'Q2'],
    adverb: ['in Q2', 'for q2'],
  },
  this_month: { period: { from: '2026-11-01', to: TODAY, grain: 'mtd' }, bare: ['this month'], adverb: ['this month'] },
  september: {
    period: { from: '2026-09-01', to: '2026-09-30', grain: 'month' },
    bare: ['september', 'September'],
    adverb: ['in september', 'for September'],
  },
  last_7_days: {
    period: { from: '2026-11-11', to: '2026-11-17', grain: 'range' },
    bare: ['the last 7 days'],
    adverb: ['in the last 7 days', 'over the last 7 days'],
  },
} as const satisfies Record<string, { period: Period; bare: readonly string[]; adverb: readonly string[] }>;
type PeriodName = keyof typeof NAMED_PERIODS;
const PERIOD_NAMES = Object.keys(NAMED_PERIODS) as PeriodName[];

/** Periods relative to the last one, by the grain they apply to. */
const SHIFTS: readonly {
  readonly from: Grain;
  readonly texts: readonly string[];
  readonly apply: (p: Period) => Period;
}[] = [
  {
    from: 'week',
    texts: [
      'and the week before?',
      'the week before?',
      'the previous week?',
      'what about the previous week?',
      'same for the prior week',
    ],
    apply: (p) => ({ from: addDays(p.from, -7), to: addDays(p.to, -7), grain: 'week' }),
  },
  {
    from: 'week',
    texts: ['same week last year', 'and the same week last year?'],
    apply: (p) => ({ from: addDays(p.from, -364), to: addDays(p.to, -364), grain: 'week' }),
  },
  {
    from: 'day',
    texts: ['and the day before?', 'the day before?', 'what about the previous day?'],
    apply: (p) => ({ from: addDays(p.from, -1), to: addDays(p.to, -1), grain: 'day' }),
  },
  {
    from: 'day',
    texts: ['same day last week', 'and the same day last week?'],
    apply: (p) => ({ from: addDays(p.from, -7), to: addDays(p.to, -7), grain: 'day' }),
  },
  {
    from: 'month',
    texts: ['and the month before?', 'the month before?', 'what about the previous month?', 'same for the prior month'],
    apply: (p) => ({ from: monthFrom(p.from, -1), to: monthEnd(monthFrom(p.from, -1)), grain: 'month' }),
  },
  {
    from: 'month',
    texts: ['same month last year'],
    apply: (p) => ({ from: monthFrom(p.from, -12), to: monthEnd(monthFrom(p.from, -12)), grain: 'month' }),
  },
  {
    from: 'quarter',
    texts: ['and the quarter before?', 'the previous quarter?', 'what about the quarter before?'],
    apply: (p) => ({ from: monthFrom(p.from, -3), to: addDays(p.from, -1), grain: 'quarter' }),
  },
  // Month to date: the same days of the month before (README, "How a question is understood", 2).
  {
    from: 'mtd',
    texts: ['and the month before?', 'the previous month?', 'same for the prior month'],
    apply: (p) => ({
      from: monthFrom(p.from, -1),
      to: addDays(monthFrom(p.from, -1), parts(p.to)[2] - 1),
      grain: 'range',
    }),
  },
];

// ---------------------------------------------------------------------------------------------
// Words.

const MEASURE_WORDS: Record<MeasureId, readonly string[]> = {
  net_sales_amount: ['revenue', 'sales amount', 'net sales', 'total revenue'],
  order_count: ['orders', 'number of orders', 'order count', 'transactions', 'sales count'],
  guest_count: ['guests', 'guest count', 'number of guests', 'covers', 'foot traffic'],
  average_check: ['average check', 'avg check', 'average order value', 'aov', 'average ticket'],
  items_sold: ['items sold', 'units sold'],
};
/** "how many ..." nouns, for the measures that are counts. */
const HOW_MANY: Partial<Record<MeasureId, readonly string[]>> = {
  order_count: ['orders', 'transactions'],
  guest_count: ['guests', 'covers'],
  items_sold: ['items sold', 'units sold'],
};
const MEASURES: readonly MeasureId[] = [
  'net_sales_amount',
  'order_count',
  'guest_count',
  'average_check',
  'items_sold',
];
const DIMS: readonly DimId[] = ['city', 'state', 'location', 'day', 'month'];
const DIM_WORDS: Record<DimId, readonly string[]> = {
  city: ['city'],
  state: ['state'],
  location: ['store', 'location'],
  day: ['day'],
  month: ['month'],
};
const DIM_PLURALS: Record<DimId, readonly string[]> = {
  city: ['cities'],
  state: ['states'],
  location: ['stores', 'locations'],
  day: ['days'],
  month: ['months'],
};

const STATE_NAMES: Record<string, string> = {
  AL: 'Alabama',
  AK: 'Alaska',
  AZ: 'Arizona',
  AR: 'Arkansas',
  CA: 'California',
  CO: 'Colorado',
  CT: 'Connecticut',
  DE: 'Delaware',
  FL: 'Florida',
  GA: 'Georgia',
  HI: 'Hawaii',
  ID: 'Idaho',
  IL: 'Illinois',
  IN: 'Indiana',
  IA: 'Iowa',
  KS: 'Kansas',
  KY: 'Kentucky',
  LA: 'Louisiana',
  ME: 'Maine',
  MD: 'Maryland',
  MA: 'Massachusetts',
  MI: 'Michigan',
  MN: 'Minnesota',
  MS: 'Mississippi',
  MO: 'Missouri',
  MT: 'Montana',
  NE: 'Nebraska',
  NV: 'Nevada',
  NH: 'New Hampshire',
  NJ: 'New Jersey',
  NM: 'New Mexico',
  NC: 'North Carolina',
  ND: 'North Dakota',
  OH: 'Ohio',
  OK: 'Oklahoma',
  OR: 'Oregon',
  PA: 'Pennsylvania',
  RI: 'Rhode Island',
  SC: 'South Carolina',
  SD: 'South Dakota',
  TN: 'Tennessee',
  TX: 'Texas',
  UT: 'Utah',
  VT: 'Vermont',
  VA: 'Virginia',
  WV: 'West Virginia',
  WI: 'Wisconsin',
  WY: 'Wyoming',
};
/**
 * Names that are two things and are rightly asked about (README: "New York": a city and a state;
 * "Washington": a well-known city and a state), so they are never generated.
 */
const AMBIGUOUS_CITIES = new Set(['New York', 'Washington']);
const AMBIGUOUS_STATES = new Set(['NY', 'WA', 'DC']);

const T = {
  measure: [
    '{m} instead',
    'now {m}',
    'what about {m}?',
    'and {m}?',
    'how about {m}',
    'show {m} instead',
    'same but {m}',
    'and the {m}?',
  ],
  measureHowMany: ['how many {m} was that?'],
  period: ['what about {p}?', 'and {p}?', 'and for {p}', 'same for {p}', 'how about {p}', '{p} instead', 'now {p}'],
  breakdown: [
    'by {d} instead',
    'break it out by {d}',
    'now by {d}',
    'split by {d}',
    'and by {d}?',
    'per {d}',
    'broken down by {d}',
    'what about by {d}?',
  ],
  replace_filter: [
    'just {x}',
    '{x}?',
    'what about {x}?',
    'only {x}',
    'how about {x}?',
    'and in {x}?',
    '{x} instead',
    '{x} only',
  ],
  add_filter: ['and {x} too', '{x} as well', 'also {x}', 'plus {x}', 'add {x}', 'and {x} also'],
  exclude: [
    'excluding {x}',
    'without {x}',
    'but not {x}',
    'leaving out {x}',
    'other than {x}',
    'exclude {x}',
    'not {x}',
  ],
  combine: [
    'both cities together',
    'both together',
    'both cities combined',
    'the two cities combined',
    'both of them together',
    'combine both cities',
  ],
  /** The filters on the stores' table go ("all my stores", "every city"). */
  drop_location: [
    'all my stores',
    'for all my stores',
    'across all my stores',
    'all my locations',
    'every store',
    'every city',
  ],
  /** Every filter goes. */
  drop_all: [
    'everywhere',
    'drop the filter',
    'remove the filters',
    'overall',
    'without the filter',
    'clear the filters',
    'no filters',
  ],
  rank_desc: [
    'top {n} of those',
    'just the top {n}',
    'show the best {n}',
    'top {n}',
    'which {n} of those were highest?',
    'top {n} of them',
  ],
  rank_asc: ['bottom {n} of those', 'the lowest {n}', 'worst {n} of those', 'bottom {n} of them'],
} as const;

// ---------------------------------------------------------------------------------------------
// Scripts: what fast-check generates (small integers and choices, so it shrinks well), and the
// conversation they materialise into (texts and expected slots), printed whole on a failure.

interface FirstPick {
  readonly measure: MeasureId;
  readonly period: PeriodName;
  readonly filter: { readonly dim: FilterDim; readonly pick: number } | null;
  readonly dim: DimId | null;
  readonly rank: Rank | null;
  readonly tpl: number;
  readonly lower: boolean;
}
interface StepPick {
  readonly kind: Kind;
  readonly a: number;
  readonly b: number;
  readonly tpl: number;
  readonly lower: boolean;
  readonly fresh: FirstPick;
}
interface ScriptPick {
  readonly persona: PersonaName;
  readonly first: FirstPick;
  readonly steps: readonly StepPick[];
}

interface Turn {
  readonly kind: Kind | 'first';
  /** Which template wrote the text ("exclude#4"), for the refusal report. */
  readonly template: string;
  readonly text: string;
  readonly expected: Slots;
}
interface Conversation {
  readonly persona: PersonaName;
  readonly turns: readonly Turn[];
}

const firstArb: fc.Arbitrary<FirstPick> = fc.record({
  measure: fc.constantFrom(...MEASURES),
  period: fc.constantFrom(...PERIOD_NAMES),
  filter: fc.option(fc.record({ dim: fc.constantFrom<FilterDim>('city', 'state'), pick: fc.nat(1_000) }), { freq: 2 }),
  dim: fc.option(fc.constantFrom(...DIMS), { freq: 3 }),
  rank: fc.option(
    fc.record({ n: fc.integer({ min: 2, max: 5 }), dir: fc.constantFrom<'desc' | 'asc'>('desc', 'asc') }),
    { freq: 2 },
  ),
  tpl: fc.nat(1_000),
  lower: fc.boolean(),
});
const stepArb: fc.Arbitrary<StepPick> = fc.record({
  // "combine" needs two cities named first: picked more often, it names a city when it cannot apply yet.
  kind: fc.oneof(
    { arbitrary: fc.constantFrom(...KINDS.filter((k) => k !== 'combine')), weight: 10 },
    { arbitrary: fc.constant<Kind>('combine'), weight: 4 },
  ),
  a: fc.nat(1_000),
  b: fc.nat(1_000),
  tpl: fc.nat(1_000),
  lower: fc.boolean(),
  fresh: firstArb,
});
const scriptArb: fc.Arbitrary<ScriptPick> = fc.record({
  persona: fc.constantFrom<PersonaName>('brand_manager', 'brand_manager', 'brand_manager', 'franchise_owner'),
  first: firstArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 3 }),
});

// ---------------------------------------------------------------------------------------------
// Personas and what the data holds, read from the demo data at start.

const PERSONAS = { brand_manager: { ...BRAND_MANAGER }, franchise_owner: { ...FRANCHISE_OWNER } } as const;
type PersonaName = keyof typeof PERSONAS;

interface World {
  /** Filterable values per persona: cities as stored, states as codes. */
  readonly values: Record<PersonaName, Record<FilterDim, readonly string[]>>;
  readonly cityState: ReadonlyMap<string, string>;
  /** First day of data per measure's fact table. */
  readonly dailyStart: string;
  readonly itemStart: string;
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const fill = (tpl: string, vars: Record<string, string>): string =>
  tpl.replace(/\{(\w)\}/g, (_, k: string) => vars[k] ?? '');
const dataStart = (w: World, m: MeasureId): string => (m === 'items_sold' ? w.itemStart : w.dailyStart);
/** A period the measure has data in (all of it or a part: a part is answered with a note). */
const covered = (w: World, m: MeasureId, p: Period): boolean => p.to >= dataStart(w, m);
const positive = (s: Slots): Filter | undefined => s.filters.find((f) => f.op === 'in');
const exclusions = (s: Slots): Filter[] => s.filters.filter((f) => f.op === 'not_in');

/**
 * The values of the positive filter that its exclusions leave (a city goes with its state). Turns
 * are generated so that every value a turn names stays: "Dallas" after "excluding Texas", or
 * "excluding Dallas" after "Dallas", read as something else than the rules say and are not asked.
 */
function liveValues(w: World, filters: readonly Filter[]): string[] {
  const pos = filters.find((f) => f.op === 'in');
  if (!pos) return [];
  const out = (d: FilterDim): readonly string[] => filters.find((f) => f.op === 'not_in' && f.dim === d)?.values ?? [];
  return pos.values.filter(
    (v) => !out(pos.dim).includes(v) && (pos.dim === 'state' || !out('state').includes(w.cityState.get(v)!)),
  );
}
const withExclusion = (filters: readonly Filter[], dim: FilterDim, value: string): Filter[] => {
  const already = filters.find((f) => f.op === 'not_in' && f.dim === dim);
  return already
    ? filters.map((f) => (f === already ? { ...f, values: [...f.values, value] } : f))
    : [...filters, { dim, op: 'not_in', values: [value] }];
};

function valuePhrase(dim: FilterDim, value: string, lower: boolean): string {
  const text = dim === 'state' ? STATE_NAMES[value]! : value;
  return lower ? text.toLowerCase() : text;
}

/** The first question (or a switch: a complete question of its own). */
function firstTurn(w: World, persona: PersonaName, f: FirstPick, kind: 'first' | 'switch'): Turn {
  let periodName = f.period;
  if (!covered(w, f.measure, NAMED_PERIODS[periodName].period)) periodName = 'last_week';
  const named = NAMED_PERIODS[periodName];
  const filter = f.filter
    ? { dim: f.filter.dim, value: pick(w.values[persona][f.filter.dim], f.filter.pick) }
    : undefined;
  const dim = f.dim ?? undefined;
  const rank = dim && f.rank ? f.rank : undefined;
  const m = pick(MEASURE_WORDS[f.measure], f.tpl);
  const p = pick(named.adverb, f.tpl >> 2);
  const fx = filter ? ` ${pick(['in', 'for'], f.tpl >> 3)} ${valuePhrase(filter.dim, filter.value, f.lower)}` : '';
  let text: string;
  let template: string;
  if (dim && rank) {
    const plural = pick(DIM_PLURALS[dim], f.tpl >> 4);
    const tpls =
      rank.dir === 'desc'
        ? [`top ${rank.n} ${plural} by ${m} ${p}${fx}`, `which ${rank.n} ${plural} had the highest ${m} ${p}${fx}?`]
        : [`bottom ${rank.n} ${plural} by ${m} ${p}${fx}`, `which ${rank.n} ${plural} had the lowest ${m} ${p}${fx}?`];
    const i = (f.tpl >> 5) % tpls.length;
    text = tpls[i]!;
    template = `${kind}:rank-${rank.dir}#${i}`;
  } else {
    const dx = dim ? ` by ${pick(DIM_WORDS[dim], f.tpl >> 4)}` : '';
    const howMany = HOW_MANY[f.measure];
    const tpls = [
      `${m}${fx}${dx} ${p}`,
      `what was the total ${m.replace(/^total /, '')} ${p}${fx}${dx}?`,
      `show me ${m}${dx}${fx} ${p}`,
      ...(howMany ? [`how many ${pick(howMany, f.tpl)} ${p}${fx}${dx}`] : []),
    ];
    const i = (f.tpl >> 5) % tpls.length;
    text = tpls[i]!;
    template = `${kind}:plain#${i}`;
  }
  return {
    kind,
    template,
    text: f.lower ? text.toLowerCase() : text,
    expected: {
      measure: f.measure,
      period: named.period,
      filters: filter ? [{ dim: filter.dim, op: 'in', values: [filter.value] }] : [],
      ...(dim ? { dim } : {}),
      ...(rank ? { rank } : {}),
    },
  };
}

/** One follow-up of `kind` from `s`, or undefined when the kind does not apply to these slots. */
function followUp(
  w: World,
  persona: PersonaName,
  s: Slots,
  namedCities: ReadonlySet<string>,
  kind: Kind,
  st: StepPick,
): Turn | undefined {
  const lower = (t: string): string => (st.lower ? t.toLowerCase() : t);
  const turn = (tplSet: string, tpls: readonly string[], vars: Record<string, string>, expected: Slots): Turn => {
    const i = st.tpl % tpls.length;
    return { kind, template: `${tplSet}#${i}`, text: lower(fill(tpls[i]!, vars)), expected };
  };
  const values = w.values[persona];
  switch (kind) {
    case 'measure': {
      const options = MEASURES.filter((m) => m !== s.measure && covered(w, m, s.period));
      if (!options.length) return undefined;
      const measure = pick(options, st.a);
      const howMany = HOW_MANY[measure];
      // A ranking ranks by the new measure (it is the only measure).
      const expected: Slots = { ...s, measure };
      if (howMany && st.b % 5 === 0)
        return turn('measure-how-many', T.measureHowMany, { m: pick(howMany, st.a) }, expected);
      return turn('measure', T.measure, { m: pick(MEASURE_WORDS[measure], st.b) }, expected);
    }
    case 'period': {
      const options = PERIOD_NAMES.filter((n) => {
        const p = NAMED_PERIODS[n].period;
        return (p.from !== s.period.from || p.to !== s.period.to) && covered(w, s.measure, p);
      });
      const name = pick(options, st.a);
      return turn(
        'period',
        T.period,
        { p: pick(NAMED_PERIODS[name].bare, st.b) },
        { ...s, period: NAMED_PERIODS[name].period },
      );
    }
    case 'shift': {
      const options = SHIFTS.filter((x) => x.from === s.period.grain && covered(w, s.measure, x.apply(s.period)));
      if (!options.length) return undefined;
      const shift = pick(options, st.a);
      return turn(
        `shift-${shift.from}-${SHIFTS.indexOf(shift)}`,
        shift.texts,
        {},
        { ...s, period: shift.apply(s.period) },
      );
    }
    case 'breakdown': {
      const dim = pick(
        DIMS.filter((d) => d !== s.dim),
        st.a,
      );
      // A ranking carries over to the new breakdown.
      return turn('breakdown', T.breakdown, { d: pick(DIM_WORDS[dim], st.b) }, { ...s, dim });
    }
    case 'replace_filter': {
      // A city replaces a city or a state (the same table); exclusions on other dimensions stay.
      const pos = positive(s);
      const dim: FilterDim =
        (pos?.dim === 'city' || st.kind === 'combine') && st.b % 3 !== 0
          ? 'city'
          : pick(['city', 'state'] as const, st.b);
      const filtersWith = (v: string): Filter[] => [
        ...s.filters.filter((f) => f.op === 'not_in' && f.dim !== dim),
        { dim, op: 'in', values: [v] },
      ];
      const options = values[dim].filter(
        (v) =>
          !(pos?.dim === dim && pos.values.length === 1 && pos.values[0] === v) &&
          liveValues(w, filtersWith(v)).length === 1 &&
          !(st.kind === 'combine' && namedCities.has(v)),
      );
      if (!options.length) return undefined;
      const value = pick(options, st.a);
      return turn(
        'replace_filter',
        T.replace_filter,
        { x: valuePhrase(dim, value, st.lower) },
        { ...s, filters: filtersWith(value) },
      );
    }
    case 'add_filter': {
      // Values added to the filter on the same dimension. Not after an exclusion of one of its own
      // values ("Dallas and Houston, excluding Houston": does adding Austin bring Houston back?).
      const pos = positive(s);
      if (!pos) return undefined;
      if (exclusions(s).some((f) => f.dim === pos.dim && f.values.some((v) => pos.values.includes(v))))
        return undefined;
      const filtersWith = (v: string): Filter[] => [
        ...s.filters.filter((f) => f.op === 'not_in' && f.dim !== pos.dim),
        { dim: pos.dim, op: 'in', values: [...pos.values, v] },
      ];
      const options = values[pos.dim].filter(
        (v) => !pos.values.includes(v) && liveValues(w, filtersWith(v)).includes(v),
      );
      if (!options.length) return undefined;
      const value = pick(options, st.a);
      return turn(
        'add_filter',
        T.add_filter,
        { x: valuePhrase(pos.dim, value, st.lower) },
        { ...s, filters: filtersWith(value) },
      );
    }
    case 'exclude': {
      // An exclusion added (merged with an earlier one on the same dimension); everything else kept.
      const pos = positive(s);
      // Mostly a city of the state filtered on, or one of several cities, so the exclusion changes the number.
      let dim: FilterDim = pick(['city', 'state'] as const, st.b);
      let options = values[dim];
      if (pos?.dim === 'state' && st.b % 4 !== 0) {
        dim = 'city';
        options = values.city.filter((c) => pos.values.includes(w.cityState.get(c)!));
      } else if (pos?.dim === 'city' && pos.values.length > 1 && st.b % 4 !== 0) {
        dim = 'city';
        options = pos.values;
      }
      const already = s.filters.find((f) => f.op === 'not_in' && f.dim === dim);
      options = options.filter(
        (v) => !already?.values.includes(v) && (!pos || liveValues(w, withExclusion(s.filters, dim, v)).length > 0),
      );
      if (!options.length) return undefined;
      const value = pick(options, st.a);
      return turn(
        'exclude',
        T.exclude,
        { x: valuePhrase(dim, value, st.lower) },
        { ...s, filters: withExclusion(s.filters, dim, value) },
      );
    }
    case 'combine': {
      // "both cities together": one filter holding the two cities the conversation named.
      const pos = positive(s);
      if (pos?.dim !== 'city' || namedCities.size !== 2 || exclusions(s).some((f) => f.dim === 'city'))
        return undefined;
      const filters = [
        ...s.filters.filter((f) => f !== pos),
        { dim: 'city' as const, op: 'in' as const, values: [...namedCities] },
      ];
      if (liveValues(w, filters).length !== 2) return undefined;
      // The last answer already showed exactly these two cities, one per row: together is one number
      // (the rules table: the breakdown by city goes). Otherwise it brings them back, breakdown kept.
      const shownAlready = s.dim === 'city' && pos.values.length === 2 && pos.values.every((v) => namedCities.has(v));
      const { dim: _dim, rank: _rank, ...unbroken } = s;
      return turn('combine', T.combine, {}, shownAlready ? { ...unbroken, filters } : { ...s, filters });
    }
    case 'drop_filter': {
      if (!s.filters.length) return undefined;
      // "all my stores" removes the filters on the stores' table. With an exclusion standing the
      // rules table and the code may differ (the code keeps exclusions there), so only without one.
      if (positive(s) && !exclusions(s).length && st.b % 2 === 0)
        return turn('drop_location', T.drop_location, {}, { ...s, filters: [] });
      return turn('drop_all', T.drop_all, {}, { ...s, filters: [] });
    }
    case 'rank_those': {
      if (!s.dim) return undefined;
      const rank: Rank = { n: 2 + (st.a % 4), dir: st.b % 3 === 0 ? 'asc' : 'desc' };
      return turn(
        `rank_${rank.dir}`,
        rank.dir === 'desc' ? T.rank_desc : T.rank_asc,
        { n: String(rank.n) },
        { ...s, rank },
      );
    }
    case 'switch':
      return firstTurn(w, persona, st.fresh, 'switch');
  }
}

/**
 * The script as a conversation. A step whose kind does not apply to the slots so far becomes one
 * that does (chosen by its own numbers); a "combine" that cannot apply yet names another city
 * instead, so that a later one can.
 */
function materialise(w: World, script: ScriptPick): Conversation {
  // A script that means to combine filters its first question on a city, if on anything.
  const wantsCombine = script.steps.some((st) => st.kind === 'combine');
  const firstPick =
    wantsCombine && script.first.filter
      ? { ...script.first, filter: { ...script.first.filter, dim: 'city' as const } }
      : script.first;
  const first = firstTurn(w, script.persona, firstPick, 'first');
  const turns: Turn[] = [first];
  const namedCities = new Set<string>();
  const remember = (s: Slots): void => {
    for (const f of s.filters) if (f.dim === 'city' && f.op === 'in') for (const v of f.values) namedCities.add(v);
  };
  remember(first.expected);
  for (const st of script.steps) {
    const s = turns.at(-1)!.expected;
    let next = followUp(w, script.persona, s, namedCities, st.kind, st);
    if (!next && st.kind === 'combine')
      next = followUp(w, script.persona, s, namedCities, 'replace_filter', { ...st, b: 1 });
    if (!next) {
      const applicable = KINDS.map((k) => followUp(w, script.persona, s, namedCities, k, st)).filter(
        (t): t is Turn => t !== undefined,
      );
      next = pick(applicable, st.b);
    }
    turns.push(next);
    remember(next.expected);
  }
  return { persona: script.persona, turns };
}

// ---------------------------------------------------------------------------------------------
// Gold: SQL over the raw tables (the persona's views in GoldDatabase), from the slots alone.

const MEASURE_SQL: Record<MeasureId, string> = {
  net_sales_amount: 'SUM(f.net_sales_amount)',
  order_count: 'SUM(f.order_count)',
  guest_count: 'SUM(f.guest_count)',
  // Unrounded: judge allows half a unit of the answer's last decimal (the service shows 2).
  average_check: 'SUM(f.net_sales_amount) / NULLIF(SUM(f.order_count), 0)',
  items_sold: 'SUM(f.quantity)',
};
const DIM_SQL: Record<DimId, string> = {
  city: 'l.city',
  state: 'l.state',
  location: 'l.name',
  day: 'f.business_date',
  month: "CAST(date_trunc('month', f.business_date) AS DATE)",
};
const quote = (v: string): string => `'${v.replaceAll("'", "''")}'`;

function goldSql(s: Slots): string {
  const fact = s.measure === 'items_sold' ? 'fact_item_sales' : 'fact_daily_sales';
  const joins = s.filters.length > 0 || s.dim === 'city' || s.dim === 'state' || s.dim === 'location';
  const where = [`f.business_date BETWEEN DATE '${s.period.from}' AND DATE '${s.period.to}'`];
  for (const f of s.filters)
    where.push(`l.${f.dim} ${f.op === 'in' ? 'IN' : 'NOT IN'} (${f.values.map(quote).join(', ')})`);
  const value = MEASURE_SQL[s.measure];
  const select = s.dim ? `${DIM_SQL[s.dim]} AS d, ${value} AS v` : `${value} AS v`;
  let sql = `SELECT ${select} FROM ${fact} f${joins ? ' JOIN dim_locations l ON l.location_id = f.location_id' : ''} WHERE ${where.join(' AND ')}`;
  // Two stores with the same name stay two rows.
  if (s.dim) sql += ` GROUP BY ${s.dim === 'location' ? 'l.location_id, l.name' : DIM_SQL[s.dim]}`;
  // A ranking: by the exact value, ties by the breakdown's value.
  if (s.rank) sql += ` ORDER BY v ${s.rank.dir.toUpperCase()} NULLS LAST, d ASC LIMIT ${s.rank.n}`;
  return sql;
}

function describeSlots(s: Slots): string {
  const filters = s.filters.map((f) => `${f.dim} ${f.op === 'in' ? 'in' : 'not in'} [${f.values.join(', ')}]`);
  return [
    s.measure,
    `${s.period.from}..${s.period.to} (${s.period.grain})`,
    ...filters,
    ...(s.dim ? [`by ${s.dim}`] : []),
    ...(s.rank ? [`${s.rank.dir === 'desc' ? 'top' : 'bottom'} ${s.rank.n}`] : []),
  ].join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Running a conversation.

interface Tally {
  conversations: number;
  sent: Record<string, number>;
  right: Record<string, number>;
  refused: Record<string, number>;
  /** Turns never sent because an earlier turn of their conversation was refused. */
  skipped: number;
  refusedByTemplate: Record<string, number>;
  sentByTemplate: Record<string, number>;
  examples: Record<string, string[]>;
}
const newTally = (): Tally => ({
  conversations: 0,
  sent: {},
  right: {},
  refused: {},
  skipped: 0,
  refusedByTemplate: {},
  sentByTemplate: {},
  examples: {},
});
const bump = (r: Record<string, number>, k: string): void => {
  r[k] = (r[k] ?? 0) + 1;
};

let svc: TestService;
let gold: GoldDatabase;
let world: World;

async function post(
  persona: PersonaName,
  question: string,
  conversationId: string | undefined,
): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify({ ...PERSONAS[persona], question, ...(conversationId ? { conversationId } : {}) });
  const res = await svc.app.inject({ method: 'POST', url: '/v1/ask', headers: await signedHeaders(payload), payload });
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
}

function transcript(c: Conversation, seen: readonly string[]): string {
  return [
    `persona ${c.persona}`,
    ...c.turns.map(
      (t, i) =>
        `  ${i + 1}. [${t.kind} ${t.template}] "${t.text}"\n     expected: ${describeSlots(t.expected)}\n     gold: ${goldSql(t.expected)}${seen[i] ? `\n     ${seen[i]}` : ''}`,
    ),
  ].join('\n');
}

async function runConversation(c: Conversation, tally: Tally): Promise<void> {
  tally.conversations++;
  let conversationId: string | undefined;
  const seen: string[] = [];
  for (const [i, t] of c.turns.entries()) {
    bump(tally.sent, t.kind);
    bump(tally.sentByTemplate, t.template);
    // Gold runs while the service answers (its own DuckDB instance).
    const goldRows = gold.run(PERSONAS[c.persona], PERSONAS, goldSql(t.expected));
    goldRows.catch(() => {});
    const res = await post(c.persona, t.text, conversationId);
    const body = res.body;
    const interpretation = (body['interpretation'] as { text?: string } | undefined)?.text;
    const rows = Array.isArray(body['rows']) ? (body['rows'] as Value[][]) : undefined;
    seen.push(
      `got: ${res.statusCode} ${text(body['status'] ?? body['code'])}${interpretation ? ` · ${interpretation}` : ''}${typeof body['answer'] === 'string' && body['status'] !== 'answered' ? ` · "${body['answer']}"` : ''}${rows ? `\n     rows: ${JSON.stringify(rows.slice(0, 6))}${rows.length > 6 ? ` (+${rows.length - 6})` : ''}` : ''}`,
    );
    if (res.statusCode !== 200)
      throw new Error(`turn ${i + 1} failed with HTTP ${res.statusCode}\n${transcript(c, seen)}`);
    if (typeof body['conversationId'] !== 'string')
      throw new Error(`turn ${i + 1}: no conversationId\n${transcript(c, seen)}`);
    if (conversationId !== undefined && body['conversationId'] !== conversationId)
      throw new Error(`turn ${i + 1}: the conversationId changed\n${transcript(c, seen)}`);
    conversationId = body['conversationId'];
    const expected = t.expected;
    const verdict = await judge(
      { question: t.text, expect: 'answer', gold: goldSql(expected), ordered: expected.rank !== undefined },
      res,
      () => goldRows,
    );
    if (verdict.verdict === 'WRONG') {
      const rows = await goldRows;
      seen[i] =
        (seen[i] ?? '') +
        `\n     gold rows: ${JSON.stringify(rows.slice(0, 6))}${rows.length > 6 ? ` (+${rows.length - 6})` : ''}   <-- WRONG`;
      throw new Error(`WRONG at turn ${i + 1} (${verdict.detail ?? ''})\n${transcript(c, seen)}`);
    }
    if (verdict.verdict === 'refused') {
      if (body['status'] !== 'clarification' && body['status'] !== 'unsupported')
        throw new Error(`turn ${i + 1}: neither an answer nor an honest refusal\n${transcript(c, seen)}`);
      bump(tally.refused, t.kind);
      bump(tally.refusedByTemplate, t.template);
      const ex = (tally.examples[t.template] ??= []);
      if (ex.length < 2)
        ex.push(
          `${c.turns
            .slice(0, i + 1)
            .map((x) => `"${x.text}"`)
            .join(' → ')}  ⇒ ${body['status']}: ${text(body['answer'])}`,
        );
      // The service asks back and builds only on answered turns: the rest of the script says nothing.
      tally.skipped += c.turns.length - i - 1;
      return;
    }
    bump(tally.right, t.kind);
  }
}

function report(tally: Tally, ms: number, passed: boolean): string {
  const kinds = ['first', ...KINDS];
  const sent = Object.values(tally.sent).reduce((a, b) => a + b, 0);
  const refused = Object.values(tally.refused).reduce((a, b) => a + b, 0);
  const lines = [
    `conversation property: seed ${SEED}, ${tally.conversations} conversations, ${sent} turns sent in ${(ms / 1000).toFixed(1)} s; ${refused} refused (${((100 * refused) / Math.max(1, sent)).toFixed(2)}%), ${tally.skipped} not sent after a refusal`,
    ...(passed ? [] : ['  (the property failed: these counts include the runs fast-check made while shrinking)']),
    `  kind            sent   right  refused`,
    ...kinds.map(
      (k) =>
        `  ${k.padEnd(15)} ${String(tally.sent[k] ?? 0).padStart(5)}  ${String(tally.right[k] ?? 0).padStart(6)}  ${String(tally.refused[k] ?? 0).padStart(7)}`,
    ),
    `  refused by template (refused/sent), with examples:`,
    ...Object.entries(tally.refusedByTemplate)
      .sort((a, b) => b[1] - a[1])
      .flatMap(([tpl, n]) => [
        `    ${tpl}: ${n}/${tally.sentByTemplate[tpl] ?? 0}`,
        ...(tally.examples[tpl] ?? []).map((e) => `      ${e}`),
      ]),
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  svc = await startTestService();
  gold = await GoldDatabase.open(inject('demoDb'), PERSONAS, DEMO_REGISTRY);
  const values = {} as Record<PersonaName, Record<FilterDim, readonly string[]>>;
  const cityState = new Map<string, string>();
  for (const name of Object.keys(PERSONAS) as PersonaName[]) {
    const rows = await gold.run(
      PERSONAS[name],
      PERSONAS,
      'SELECT DISTINCT city, state FROM dim_locations ORDER BY city, state',
    );
    for (const [city, state] of rows) cityState.set(String(city), String(state));
    values[name] = {
      city: [...new Set(rows.map((r) => String(r[0])))].filter((c) => !AMBIGUOUS_CITIES.has(c)),
      state: [...new Set(rows.map((r) => String(r[1])))].filter(
        (s) => !AMBIGUOUS_STATES.has(s) && STATE_NAMES[s] !== undefined,
      ),
    };
  }
  const start = async (table: string): Promise<string> =>
    String(
      (
        await gold.run(PERSONAS.brand_manager, PERSONAS, `SELECT CAST(MIN(business_date) AS VARCHAR) FROM ${table}`)
      )[0]![0],
    );
  world = { values, cityState, dailyStart: await start('fact_daily_sales'), itemStart: await start('fact_item_sales') };
});

afterAll(async () => {
  gold?.close();
  await svc?.close();
});

describe('follow-up conversations', () => {
  it(
    `${RUNS} generated conversations (seed ${SEED}): every answered turn equals gold, refusals at most ${MAX_REFUSED_RATE * 100}%`,
    { timeout: 600_000 },
    async () => {
      expect(world.values.brand_manager.city.length).toBeGreaterThan(10);
      expect(world.values.franchise_owner.city.length).toBeGreaterThan(0);
      const tally = newTally();
      const t0 = Date.now();
      let passed = false;
      try {
        await fc.assert(
          fc.asyncProperty(scriptArb, async (script) => {
            await runConversation(materialise(world, script), tally);
          }),
          { numRuns: RUNS, seed: SEED },
        );
        passed = true;
      } finally {
        console.log(report(tally, Date.now() - t0, passed));
      }
      const sent = Object.values(tally.sent).reduce((a, b) => a + b, 0);
      const refused = Object.values(tally.refused).reduce((a, b) => a + b, 0);
      expect(tally.conversations).toBeGreaterThanOrEqual(RUNS);
      expect(refused / sent, `refused ${refused} of ${sent} turns`).toBeLessThanOrEqual(MAX_REFUSED_RATE);
      // Not vacuous: every kind was generated and answered.
      for (const k of KINDS) expect(tally.right[k] ?? 0, `answered turns of kind ${k}`).toBeGreaterThan(0);
    },
  );
});

describe('conversation limits', () => {
  it(
    'a conversation at its turn limit ends with 409 SP_ERR_CONVERSATION_FULL, not an answer',
    { timeout: 60_000 },
    async () => {
      const limit = svc.services.deps.conversations.maxTurns;
      expect(limit).toBe(20);
      const followUps = ['guests instead', 'now orders', 'revenue instead', 'and the week before?'];
      let conversationId: string | undefined;
      for (let i = 0; i < limit; i++) {
        const res = await post(
          'brand_manager',
          i === 0 ? 'revenue last week' : followUps[(i - 1) % followUps.length]!,
          conversationId,
        );
        expect(res.statusCode, `turn ${i + 1}`).toBe(200);
        expect(res.body['status'], `turn ${i + 1}`).toBe('answered');
        conversationId = res.body['conversationId'] as string;
      }
      const last = await post('brand_manager', 'guests instead', conversationId);
      expect(last.statusCode).toBe(409);
      expect(last.body['code']).toBe('SP_ERR_CONVERSATION_FULL');
      expect(last.body['rows']).toBeUndefined();
      // A new conversation is fine.
      const fresh = await post('brand_manager', 'guests last week', undefined);
      expect(fresh.body['status']).toBe('answered');
      expect(fresh.body['conversationId']).not.toBe(conversationId);
    },
  );

  it(
    'a conversation idle for more than an hour ends with 410 SP_ERR_CONVERSATION_EXPIRED',
    { timeout: 60_000 },
    async () => {
      let clock = Date.now();
      // The override reaches the store (createServices passes `now` to new ConversationStore) and the signature check.
      const timed = await startTestService({ now: () => clock });
      try {
        const ask = async (
          question: string,
          conversationId?: string,
        ): Promise<{ statusCode: number; body: Record<string, unknown> }> => {
          const payload = JSON.stringify({ ...BRAND_MANAGER, question, ...(conversationId ? { conversationId } : {}) });
          const res = await timed.app.inject({
            method: 'POST',
            url: '/v1/ask',
            headers: await signedHeaders(payload, { date: new Date(clock) }),
            payload,
          });
          return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
        };
        const first = await ask('revenue last week');
        expect(first.body['status']).toBe('answered');
        const id = first.body['conversationId'] as string;
        clock += 59 * 60_000;
        const within = await ask('and the week before?', id);
        expect(within.body['status']).toBe('answered');
        expect(within.body['conversationId']).toBe(id);
        clock += 60 * 60_000 + 1;
        const late = await ask('guests instead', id);
        expect(late.statusCode).toBe(410);
        expect(late.body['code']).toBe('SP_ERR_CONVERSATION_EXPIRED');
        expect(late.body['rows']).toBeUndefined();
      } finally {
        await timed.close();
      }
    },
  );
});

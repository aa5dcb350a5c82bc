/**
 * Time in a question. Periods of the business calendar ("last week", "month
 * to date", "the last 30 days", "Tuesday of last week", "Q3") are read by the
 * rules below; absolute dates and ranges ("October 3rd", "Oct 3 through
 * Oct 9", "11/03") by chrono-node, given the pinned "today" and corrected by
 * the business rule that a date without a year is its most recent past
 * occurrence. Comparison words ("vs", "week over week", "the same week last
 * year") are read here too, because they name periods.
 */
import * as chrono from 'chrono-node';
import type { NamedDay } from '../semantic/catalog.js';
import type { TimeRange } from '../semantic/query.js';
import { escapeRegExp } from '../util/regexp.js';
import {
  addDays,
  addMonths,
  addYears,
  dateOf,
  isoWeekday,
  mondayOf,
  monthEnd,
  monthStart,
  quarterStart,
  range,
} from './calendar.js';
import { MONTHS, NUMBER, numberOf, weekdayNumber, WEEKDAY_WORDS } from './lexicon.js';
import type { Tokens } from './tokens.js';

/** A period named in the question, where it stands. */
export interface TimeSpan {
  readonly from: number;
  readonly to: number;
  readonly range: TimeRange;
}

/** What the question says about time. */
export interface TimeReading {
  /** Absolute periods, in question order. */
  readonly spans: readonly TimeSpan[];
  /** "the week before", "the same week last year": a period relative to another one. */
  readonly relative?: {
    readonly kind: 'previous_period' | 'previous_year' | 'previous_week' | 'next_period' | 'next_week';
    readonly at: number;
  };
  /** A comparison word: "vs", "compared with", "week over week" (with its period unit when it has one). */
  readonly compare?: {
    readonly at: number;
    readonly unit?: 'week' | 'month' | 'quarter' | 'year' | 'day';
    readonly yearOverYear?: boolean;
  };
  /** Days of the week to keep: "on Tuesdays", "weekends". */
  readonly weekdays?: readonly number[];
  /** A time expression that is present but cannot be used. */
  readonly invalid?: string;
}

const WD = `(?:${WEEKDAY_WORDS.join('|')}|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)`;
const WEEK_REF =
  '(?:(?:the )?week before last|last weeks?|this weeks?|previous weeks?|prior weeks?|past weeks?|the previous week|the prior week)';
const LAST = '(?:last|past|previous|prior|trailing)';

const rules = new Map<string, RegExp>();
function compiledRule(source: string): RegExp {
  let re = rules.get(source);
  if (!re) rules.set(source, (re = new RegExp(source)));
  return re;
}

type Period = { readonly from: string; readonly to: string; readonly label: string };

/** The state the time passes share: the tokens, and what has been read so far. */
export interface TimeState {
  readonly tokens: Tokens;
  readonly today: string;
  readonly yesterday: string;
  readonly namedDays: readonly NamedDay[];
  readonly spans: TimeSpan[];
  invalid: string | undefined;
  relative: TimeReading['relative'];
  compare: TimeReading['compare'];
  weekdays: number[] | undefined;
}

/** A period read at tokens [from, to), or the reason it cannot be used. */
function add(s: TimeState, from: number, to: number, r: Period | { invalid: string }): void {
  s.tokens.claim(from, to, 'time');
  if ('invalid' in r) s.invalid ??= r.invalid;
  else s.spans.push({ from, to, range: r });
}

/** Every match of `pattern` on unclaimed tokens, made into a period. */
function rule(
  s: TimeState,
  pattern: string,
  make: (g: (string | undefined)[]) => Period | { invalid: string } | undefined,
): void {
  for (const m of s.tokens.find(compiledRule(pattern))) {
    const r = make(m.groups);
    if (r) add(s, m.from, m.to, r);
  }
}

function weekOf(t: string, ref: string): { monday: string; label: string } {
  if (/before last/.test(ref)) return { monday: addDays(mondayOf(t), -14), label: 'the week before last' };
  if (/^this/.test(ref)) return { monday: mondayOf(t), label: 'this week' };
  return { monday: addDays(mondayOf(t), -7), label: 'last week' };
}

function day(d: string, label: string): Period {
  return { from: d, to: d, label: `${label} (${d})` };
}

/** A day of a named week: "Tuesday of last week". */
function pickDay(t: string, wd: string | undefined, ref: string | undefined): Period | undefined {
  const n = wd ? weekdayNumber(wd.slice(0, 3)) : undefined;
  if (!n || !ref) return undefined;
  const w = weekOf(t, ref);
  const d = addDays(w.monday, n - 1);
  return day(d, `${WEEKDAY_WORDS[n - 1]!.replace(/^./, (c) => c.toUpperCase())} of ${w.label}`);
}

function quarterOf(q: number, year: number): Period {
  const from = `${year}-${String((q - 1) * 3 + 1).padStart(2, '0')}-01`;
  return { from, to: addDays(quarterStart(from, 1), -1), label: `Q${q} ${year}` };
}

/** The year of a period starting `from` this year: this year when it has begun, else last year. */
function pastYear(t: string, from: string, y: number | undefined): number {
  return y !== undefined ? y : from <= t ? Number(t.slice(0, 4)) : Number(t.slice(0, 4)) - 1;
}

const MONTH = `(${MONTHS.join('|')}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)`;

/**
 * The time passes, in order: each claims the tokens it reads, so a later one sees only what is left
 * (a comparison's "last year" is not a period; a named day is not chrono's "friday").
 */
export const TIME_PASSES = [
  { name: 'comparisons', run: readComparisons },
  { name: 'days of named weeks', run: readDaysOfNamedWeeks },
  { name: 'calendar periods', run: readCalendarPeriods },
  { name: 'quarters', run: readQuarters },
  { name: 'day ranges', run: readDayRanges },
  { name: 'named days', run: readNamedDays },
  { name: 'dates', run: readDates },
  { name: 'half-years', run: readHalfYears },
  { name: 'months', run: readMonths },
  { name: 'weekdays', run: readWeekdays },
  { name: 'years', run: readYears },
  { name: 'composition', run: composeSpans },
] as const;

/** The state before any time pass. */
export function startTime(tokens: Tokens, todayIso: string, namedDays: readonly NamedDay[] = []): TimeState {
  return {
    tokens,
    today: todayIso,
    yesterday: addDays(todayIso, -1),
    namedDays,
    spans: [],
    invalid: undefined,
    relative: undefined,
    compare: undefined,
    weekdays: undefined,
  };
}

/** Read every time expression of the question, claiming its tokens: every time pass, in order. */
export function readTime(tokens: Tokens, todayIso: string, namedDays: readonly NamedDay[] = []): TimeReading {
  const s = startTime(tokens, todayIso, namedDays);
  for (const pass of TIME_PASSES) pass.run(s);
  return {
    spans: s.spans,
    ...(s.relative ? { relative: s.relative } : {}),
    ...(s.compare ? { compare: s.compare } : {}),
    ...(s.weekdays ? { weekdays: s.weekdays } : {}),
    ...(s.invalid ? { invalid: s.invalid } : {}),
  };
}

/** Comparison words first ("vs", "week over week", "the same week last year", "the day before"): they contain period words that are not periods of their own. */
function readComparisons(s: TimeState): void {
  const t = s.today;
  // Comparison words first: they contain period words that are not periods of their own.
  // "wow", "yoy" and the like are the catalog's shorthand for these words (catalog `shorthand`).
  for (const m of s.tokens.find(/(week|month|quarter|year|day) (?:over|on) \1|vs ly|vly/)) {
    const text = s.tokens.list
      .slice(m.from, m.to)
      .map((x) => x.norm)
      .join(' ');
    const unit = /^week/.test(text)
      ? 'week'
      : /^month/.test(text)
        ? 'month'
        : /^quarter/.test(text)
          ? 'quarter'
          : /^day/.test(text)
            ? 'day'
            : 'year';
    s.compare = { at: m.from, unit, ...(unit === 'year' ? { yearOverYear: true } : {}) };
    s.tokens.claim(m.from, m.to, 'compare');
  }
  rule(s, '(?:the )?week before last|(?:the )?week prior to last', () => ({
    from: addDays(mondayOf(t), -14),
    to: addDays(mondayOf(t), -8),
    label: 'the week before last',
  }));
  for (const m of s.tokens.find(
    /(?:the )?same (?:week|month|quarter|day|days|period|time|weekend|dates?)(?: as| of| in)? (?:last year|a year ago|the (?:previous|prior) year|the year before|ly)|(?:the )?(?:same time|this time) last year|(?:a|one) year (?:ago|earlier|before)|(?:the )?year before|(?:the )?prior year|ly/,
  )) {
    s.relative = { kind: 'previous_year', at: m.from };
    s.tokens.claim(m.from, m.to, 'compare');
  }
  // "the same day last week": the same weekday a week earlier, whatever the period's length.
  for (const m of s.tokens.find(
    /(?:the )?same (?:day|weekday|days|time)(?: of| as| on)? (?:last week|the (?:previous|prior) week|the week before|a week (?:ago|earlier|before))|(?:this|that) day last week/,
  )) {
    s.relative ??= { kind: 'previous_week', at: m.from };
    s.tokens.claim(m.from, m.to, 'compare');
  }
  for (const m of s.tokens.find(
    new RegExp(
      `(?:the )?(?:day|week|month|quarter|period|one|weekend|${NUMBER} (?:days|weeks|months)) (?:before|prior)(?: that| it)?|(?:the )?(?:previous|prior|preceding) (?:day|week|month|quarter|period|one|${NUMBER}(?: days| weeks| months)?)|(?:the )?period before|(?:the )?same (?:period|days|time|dates|point) (?:last|the previous|the prior|of last|of the previous|in the previous|in last) (?:week|month|quarter)`,
    ),
  )) {
    s.relative ??= { kind: 'previous_period', at: m.from };
    s.tokens.claim(m.from, m.to, 'compare');
  }
  // "the Saturday before", "the thurs before that": the same weekday a week earlier; "... after": a week later.
  const weekday = '(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?|wednesday|saturday|tuesday|thursday';
  for (const m of s.tokens.find(new RegExp(`(?:the )?(?:${weekday}) (before|prior|after)(?: that| it| then)?`))) {
    s.relative ??= { kind: m.groups[0] === 'after' ? 'next_week' : 'previous_week', at: m.from };
    s.tokens.claim(m.from, m.to, 'compare');
  }
  // "the day after", "the week after that", "the following month": the period right after the last one.
  for (const m of s.tokens.find(
    new RegExp(
      `(?:the )?(?:day|week|month|quarter|period|weekend|${NUMBER} (?:days|weeks|months)) after(?: that| it| then)?|(?:the )?following (?:day|week|month|quarter|period)`,
    ),
  )) {
    s.relative ??= { kind: 'next_period', at: m.from };
    s.tokens.claim(m.from, m.to, 'compare');
  }
  for (const m of s.tokens.find(
    /vs|versus|v|compared (?:to|with)|compare(?:d)?(?: to| with)?|comparison(?: to| with)?|against|relative to|stacks? up(?: against| to| with)?/,
  )) {
    s.compare ??= { at: m.from };
    s.tokens.claim(m.from, m.to, 'compare');
  }
}

/** A day of a named week: "Tuesday of last week", "last week's Tuesday". */
function readDaysOfNamedWeeks(s: TimeState): void {
  const t = s.today;
  // A day of a named week: "Tuesday of last week", "last week's Tuesday", "Tuesday last week".
  rule(s, `(?:on )?(?:the )?(${WD}) (?:of |in |from )?(?:the )?(${WEEK_REF})`, (g) => pickDay(t, g[0], g[1]));
  rule(s, `(${WEEK_REF}) (?:on )?(?:the )?(${WD})`, (g) => pickDay(t, g[1], g[0]));
}

/** Periods of the business calendar: "the last 7 days", "yesterday", "last week", "this month", "ytd", "last year". */
function readCalendarPeriods(s: TimeState): void {
  const t = s.today;
  const yesterday = s.yesterday;
  // Periods of the business calendar.
  rule(s, `(?:the )?${LAST} (${NUMBER}) (days?|weeks?|months?|years?)`, (g) => {
    const n = numberOf(g[0]!)!;
    const unit = g[1]!.replace(/s$/, '');
    if (n < 1) return { invalid: 'That time range is empty.' };
    // Days and weeks count days; months and years are calendar months and years back from today
    // ("the last 12 months" on 2026-11-18 is 2025-11-18 to 2026-11-17, not 360 days).
    const from =
      unit === 'day'
        ? addDays(t, -n)
        : unit === 'week'
          ? addDays(t, -7 * n)
          : unit === 'month'
            ? addMonths(t, -n)
            : addYears(t, -n);
    return range(from, yesterday, `the last ${n} ${unit}${n === 1 ? '' : 's'}`);
  });
  rule(s, '(?:the )?day before yesterday', () => day(addDays(t, -2), 'the day before yesterday'));
  rule(s, 'yesterday|yesterdays|last night', () => day(yesterday, 'yesterday'));
  rule(s, '(?:so far )?today(?: so far)?|todays|tonight', () => day(t, 'today'));
  rule(s, `(?:the )?${LAST} weeks?|(?:the )?${LAST} full week|(?:the )?last complete week`, () => ({
    from: addDays(mondayOf(t), -7),
    to: addDays(mondayOf(t), -1),
    label: 'last week',
  }));
  rule(s, '(?:so far )?this weeks?(?: so far)?|(?:the )?current week|week to date|(?:the )?week so far', () => ({
    from: mondayOf(t),
    to: t,
    label: 'this week',
  }));
  rule(s, `(?:the )?${LAST} weekend`, () => ({
    from: addDays(mondayOf(t), -2),
    to: addDays(mondayOf(t), -1),
    label: 'last weekend',
  }));
  rule(s, `(?:the )?${LAST} months?`, () => ({
    from: monthStart(t, -1),
    to: addDays(monthStart(t), -1),
    label: 'last month',
  }));
  rule(s, '(?:so far )?this months?(?: so far)?|(?:the )?current month|month to date|(?:the )?month so far', () => ({
    from: monthStart(t),
    to: t,
    label: 'this month',
  }));
  rule(s, `(?:the )?${LAST} quarters?`, () => ({
    from: quarterStart(t, -1),
    to: addDays(quarterStart(t), -1),
    label: 'last quarter',
  }));
  rule(
    s,
    '(?:so far )?this quarters?(?: so far)?|(?:the )?current quarter|quarter to date|(?:the )?quarter so far',
    () => ({ from: quarterStart(t), to: t, label: 'this quarter' }),
  );
  rule(s, '(?:so far )?this years?(?: so far)?|(?:the )?current year|year to date|(?:the )?year so far', () => ({
    from: `${t.slice(0, 4)}-01-01`,
    to: t,
    label: 'year to date',
  }));
  rule(s, `(?:the )?${LAST} years?`, () => {
    const y = Number(t.slice(0, 4)) - 1;
    return { from: `${y}-01-01`, to: `${y}-12-31`, label: `last year (${y})` };
  });
}

/** Quarters: "Q3", "the third quarter of 2025" (without a year, the most recent that has begun). */
function readQuarters(s: TimeState): void {
  const t = s.today;
  rule(s, 'q([1-4])(?: of)?(?: (20\\d\\d))?', (g) => {
    const q = Number(g[0]);
    const y = g[1]
      ? Number(g[1])
      : pastYear(t, `${t.slice(0, 4)}-${String((q - 1) * 3 + 1).padStart(2, '0')}-01`, undefined);
    return quarterOf(q, y);
  });
  rule(s, '(?:the )?(first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: of (20\\d\\d))?', (g) => {
    const q = { first: 1, second: 2, third: 3, fourth: 4, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4 }[g[0] as 'first'];
    const y = g[1]
      ? Number(g[1])
      : pastYear(t, `${t.slice(0, 4)}-${String((q - 1) * 3 + 1).padStart(2, '0')}-01`, undefined);
    return quarterOf(q, y);
  });
}

/** Day ranges and days of a month: "between the 1st and the 12th of November", "the week of Oct 12", "Saturday the 14th". */
function readDayRanges(s: TimeState): void {
  const t = s.today;
  // "between the 1st and the 12th of November", "from the 5th to the 11th of October".
  rule(
    s,
    `(?:between|from) (?:the )?(\\d{1,2})(?:st|nd|rd|th)? (?:and|to|through|thru|until|till|-) (?:the )?(\\d{1,2})(?:st|nd|rd|th)? (?:of )?${MONTH}(?: (20\\d\\d))?`,
    (g) => {
      const month = monthIndexOf(g[2]!);
      return absoluteRange(Number(g[0]), Number(g[1]), month, g[3] ? Number(g[3]) : undefined, t);
    },
  );
  rule(
    s,
    `(?:between|from) ${MONTH} (\\d{1,2})(?:st|nd|rd|th)? (?:and|to|through|thru|until|till|-) (?:the )?(\\d{1,2})(?:st|nd|rd|th)?(?: (20\\d\\d))?`,
    (g) => {
      const month = monthIndexOf(g[0]!);
      return absoluteRange(Number(g[1]), Number(g[2]), month, g[3] ? Number(g[3]) : undefined, t);
    },
  );
  // "the week of Oct 12": the Monday-to-Sunday week holding that date.
  rule(
    s,
    `(?:the )?week (?:of|starting|beginning|commencing) (?:the )?(?:${MONTH} (\\d{1,2})(?:st|nd|rd|th)?|(\\d{1,2})(?:st|nd|rd|th)? (?:of )?${MONTH})`,
    (g) => {
      const month = monthIndexOf((g[0] ?? g[3])!);
      const d = pastDate(Number(g[1] ?? g[2]), month, undefined, t);
      if (!d) return { invalid: 'That date is not a real calendar date.' };
      const monday = mondayOf(d);
      return { from: monday, to: addDays(monday, 6), label: `the week of ${monday}` };
    },
  );
  // "the week of 2026-11-02", "the week starting 11/2": the same week, the date written in digits
  // (ISO, or month/day as chrono reads it); without this rule chrono read the date alone and the
  // words "the week of" were dropped, answering one day.
  rule(
    s,
    `(?:the )?week (?:of|starting|beginning|commencing) (?:the )?(?:(20\\d\\d)-(\\d\\d)-(\\d\\d)|(\\d{1,2})/(\\d{1,2})(?:/(20\\d\\d))?)`,
    (g) => {
      const d = g[0]
        ? dateOf(Number(g[0]), Number(g[1]) - 1, Number(g[2]))
        : g[5]
          ? dateOf(Number(g[5]), Number(g[3]) - 1, Number(g[4]))
          : pastDate(Number(g[4]), Number(g[3]) - 1, undefined, t);
      if (!d) return { invalid: 'That date is not a real calendar date.' };
      const monday = mondayOf(d);
      return { from: monday, to: addDays(monday, 6), label: `the week of ${monday}` };
    },
  );
  // "Saturday the 14th": the most recent past such date, which must be that weekday.
  rule(s, `(${WD}) (?:the )?(\\d{1,2})(?:st|nd|rd|th)`, (g) => {
    const n = Number(g[1]);
    let d = dateOf(Number(t.slice(0, 4)), Number(t.slice(5, 7)) - 1, n);
    if (!d || d >= t) d = dateOf(Number(monthStart(t, -1).slice(0, 4)), Number(monthStart(t, -1).slice(5, 7)) - 1, n);
    const wd = weekdayNumber(g[0]!.slice(0, 3));
    if (!d || (wd !== undefined && isoWeekday(d) !== wd)) return { invalid: `The ${n}th was not a ${g[0]}.` };
    return day(d, `${g[0]!.replace(/^./, (c) => c.toUpperCase())} the ${n}th`);
  });
}

/** Named days of the catalog's calendar ("black friday"): the most recent one that has happened, or the one of the year named; before chrono, which would read "friday" alone. */
function readNamedDays(s: TimeState): void {
  const t = s.today;
  // Absolute dates and ranges: chrono, on what no rule has read.
  // Named days of the catalog's calendar ("black friday", "thanksgiving"): the most recent one that
  // has happened, or the one of the year named. Before chrono, which would read "friday" alone.
  for (const nd of s.namedDays) {
    const words = nd.words.map((w) => w.split(' ').map(escapeRegExp).join(' ')).join('|');
    for (const m of s.tokens.find(new RegExp(`(?:on |for )?(?:${words})(?: (20\\d\\d))?`))) {
      const year = m.groups[0];
      const past = [...nd.dates].sort().filter((d) => d <= t && (!year || d.startsWith(year)));
      const when = past.at(-1);
      const name = s.tokens.raw(m.from, m.to).replace(/^(?:on|for) /i, '');
      add(
        s,
        m.from,
        m.to,
        when
          ? day(when, name)
          : { invalid: `I do not have a date for ${name}${year ? '' : ' that has already happened'}.` },
      );
    }
  }
}

/** Absolute dates and ranges (chrono), on what no rule has read. */
function readDates(s: TimeState): void {
  const t = s.today;
  readChrono(s.tokens, t, (from, to, r) => add(s, from, to, r));
}

/** Half-years: "H1", "the first half of 2026", "2H 2025". */
function readHalfYears(s: TimeState): void {
  const t = s.today;
  // Half-years: "H1", "the first half of 2026", "2H 2025"; without a year, the most recent one that has begun.
  rule(s, '(?:the )?(?:(first|second|1st|2nd) half|h([12])|([12])h)(?: of)?(?: (20\\d\\d))?', (g) => {
    const h = g[1] ?? g[2] ?? (/^(first|1st)$/.test(g[0] ?? '') ? '1' : '2');
    const thisYear = Number(t.slice(0, 4));
    const year = g[3] ? Number(g[3]) : h === '2' && t < `${thisYear}-07-01` ? thisYear - 1 : thisYear;
    const from = `${year}-${h === '1' ? '01' : '07'}-01`;
    const end = `${year}-${h === '1' ? '06-30' : '12-31'}`;
    if (from > t) return { invalid: `H${h} ${year} has not begun yet.` };
    return { from, to: end < t ? end : t, label: `H${h} ${year}${end < t ? '' : ' to date'}` };
  });
}

/** A month alone ("aug", "last december"): its most recent occurrence that has begun ("may" alone is a verb more often than a month). */
function readMonths(s: TimeState): void {
  const t = s.today;
  // A month alone ("aug", "last december", "this nov"): its most recent occurrence that has begun
  // (the current month runs to today). "may" alone is a verb more often than a month: not read here.
  rule(
    s,
    '(?:(last|this|in|for|during) )?(january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)(?: (20\\d\\d))?',
    (g) => {
      const month0 = monthIndexOf(g[1]!);
      const thisYear = Number(t.slice(0, 4));
      let year = g[2] ? Number(g[2]) : month0 <= Number(t.slice(5, 7)) - 1 ? thisYear : thisYear - 1;
      if (!g[2] && g[0] === 'last' && month0 === Number(t.slice(5, 7)) - 1) year = thisYear - 1;
      const from = `${year}-${String(month0 + 1).padStart(2, '0')}-01`;
      if (from > t) return { invalid: `${MONTHS[month0]} ${year} has not begun yet.` };
      const end = monthEnd(from);
      const name = `${MONTHS[month0]![0]!.toUpperCase()}${MONTHS[month0]!.slice(1)} ${year}`;
      return { from, to: end < t ? end : t, label: end < t ? name : `${name} to date` };
    },
  );
}

/** Days of the week: "on Tuesdays" and "weekends" filter; "Tuesday" and "last Tuesday" name a date. */
function readWeekdays(s: TimeState): void {
  const t = s.today;
  // Days of the week: "on Tuesdays" and "weekends" filter; "Tuesday" and "last Tuesday" name a date.
  // Not "the weekend of Nov 2" (which weekend is that?): left unplaced, it is asked back ("weekends of October" filters).
  for (const m of s.tokens.find(
    /(?:on )?(?:the )?(?:weekends|weekend(?! (?:of|around|ending|near|starting|beginning|containing|including)\b))|(?:on )?(?:saturdays and sundays|sat and sun)/,
  )) {
    s.weekdays = [6, 7];
    s.tokens.claim(m.from, m.to, 'filter');
  }
  for (const m of s.tokens.find(
    /(?:on|during|over|and|just|only|about) (?:the )?weekdays(?! by)|(?:on )?(?:the )?weekday days|monday to friday|mon(?:day)? (?:to |thru |through )?fri(?:day)?/,
  )) {
    s.weekdays = [1, 2, 3, 4, 5];
    s.tokens.claim(m.from, m.to, 'filter');
  }
  for (const m of s.tokens.find(
    new RegExp(`(?:on |every )?(${WD}s|every ${WD})(?:(?: and| or|,) (?:on )?(${WD})s?)*`),
  )) {
    const words = s.tokens.list
      .slice(m.from, m.to)
      .map((x) => x.norm)
      .filter((w) => weekdayNumber(w.slice(0, 3)) !== undefined && /^[a-z]+$/.test(w));
    s.weekdays = [...new Set([...(s.weekdays ?? []), ...words.map((w) => weekdayNumber(w.slice(0, 3))!)])].sort();
    s.tokens.claim(m.from, m.to, 'filter');
  }
  rule(s, `(?:last|this past|the last|on last) (${WD})|(?:on )?(?:this )?(${WD})`, (g) => {
    const n = weekdayNumber((g[0] ?? g[1])!.slice(0, 3))!;
    // The most recent such day before today.
    let d = addDays(t, -1);
    while (isoWeekday(d) !== n) d = addDays(d, -1);
    return day(d, `last ${WEEKDAY_WORDS[n - 1]!.replace(/^./, (c) => c.toUpperCase())}`);
  });
}

/** Bare years: "in 2025", "2025 revenue". */
function readYears(s: TimeState): void {
  // Bare years: "in 2025", "2025 revenue".
  rule(s, '(?:in |for |during |of )?(20\\d\\d)', (g) => {
    const y = Number(g[0]);
    return { from: `${y}-01-01`, to: `${y}-12-31`, label: String(y) };
  });
}

/** What the periods read make together: "since ..." runs to yesterday; two single dates joined by "and"/"to" are one range; a "between"/"from" left before a range. */
function composeSpans(s: TimeState): void {
  const yesterday = s.yesterday;
  // "since October 1st", "since Monday", "since 2024": from the start of that date or year to yesterday (after the bare years, so "since 2024" is not the year 2024 alone).
  for (const [i, sp] of s.spans.entries()) {
    if (sp.from === 0 || s.tokens.claimOf(sp.from - 1) !== undefined || s.tokens.list[sp.from - 1]!.norm !== 'since')
      continue;
    s.tokens.claim(sp.from - 1, sp.from, 'time');
    const r = range(sp.range.from, yesterday, `since ${sp.range.label}`);
    if ('invalid' in r) s.invalid ??= r.invalid;
    else s.spans[i] = { from: sp.from - 1, to: sp.to, range: r };
  }
  // Two single dates joined by "and"/"to": one range ("between Oct 1 and Oct 15").
  s.spans.sort((a, b) => a.from - b.from);
  for (let i = 0; i + 1 < s.spans.length; i++) {
    const a = s.spans[i]!;
    const b = s.spans[i + 1]!;
    const between = s.tokens.list.slice(a.to, b.from).map((x) => x.norm);
    const joined = between.length === 1 && /^(and|to|through|thru|until|till|-)$/.test(between[0]!);
    const lead = a.from > 0 ? s.tokens.list[a.from - 1]!.norm : '';
    if (
      joined &&
      a.range.from === a.range.to &&
      b.range.from === b.range.to &&
      (/^(between|from)$/.test(lead) || between[0] !== 'and')
    ) {
      const r = range(a.range.from, b.range.to, `${a.range.from} to ${b.range.to}`);
      s.tokens.claim(a.to, b.from, 'time');
      if (/^(between|from)$/.test(lead) && s.tokens.claimOf(a.from - 1) === undefined)
        s.tokens.claim(a.from - 1, a.from, 'time');
      if ('invalid' in r) {
        s.invalid ??= r.invalid;
        s.spans.splice(i, 2);
      } else s.spans.splice(i, 2, { from: a.from, to: b.to, range: r });
      i--;
    }
  }
  // "between"/"from" left before a range read as one piece.
  for (const sp of s.spans) {
    if (
      sp.from > 0 &&
      s.tokens.claimOf(sp.from - 1) === undefined &&
      /^(between|from)$/.test(s.tokens.list[sp.from - 1]!.norm)
    )
      s.tokens.claim(sp.from - 1, sp.from, 'time');
  }
}

function monthIndexOf(word: string): number {
  const w = word.toLowerCase();
  const full = MONTHS.findIndex((m) => m === w || m.startsWith(w.slice(0, 3)));
  return full;
}

/** The most recent past occurrence of day/month (this year or last), or that year when given. */
function pastDate(dayOfMonth: number, month0: number, year: number | undefined, todayIso: string): string | undefined {
  if (year !== undefined) return dateOf(year, month0, dayOfMonth);
  const y = Number(todayIso.slice(0, 4));
  const d = dateOf(y, month0, dayOfMonth);
  if (d && d <= todayIso) return d;
  return dateOf(y - 1, month0, dayOfMonth);
}

function absoluteRange(
  a: number,
  b: number,
  month0: number,
  year: number | undefined,
  todayIso: string,
): Period | { invalid: string } {
  const from = pastDate(a, month0, year, todayIso);
  if (!from) return { invalid: 'That date is not a real calendar date.' };
  const to = dateOf(Number(from.slice(0, 4)), month0, b);
  if (!to) return { invalid: 'That date is not a real calendar date.' };
  return range(from, to, `${from} to ${to}`);
}

/**
 * chrono-node over the words no rule read. Kept only when what it read names a month, a numeric
 * date or "N days ago" (chrono's own reading of weekdays and "last week" is not the business
 * calendar's), and never a time of day.
 */
function readChrono(
  tokens: Tokens,
  todayIso: string,
  add: (from: number, to: number, r: Period | { invalid: string }) => void,
): void {
  const text = tokens.unclaimedText();
  if (!/[a-z0-9]/i.test(text)) return;
  const reference = new Date(`${todayIso}T12:00:00Z`);
  const results = chrono.casual.parse(text, { instant: reference, timezone: 'UTC' }, { forwardDate: false });
  for (const r of results) {
    const words = r.text.toLowerCase();
    const named =
      /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\d{1,2}\/\d{1,2}|\d{4}-\d{2}-\d{2}|\bago\b/.test(
        words,
      );
    if (!named || r.start.isCertain('hour')) continue;
    const at = tokens.tokensAt(r.index, r.index + r.text.length);
    if (!at) continue;
    // "may" is a month only when it reads like one ("in May", "May 3").
    const before = at.from > 0 ? tokens.list[at.from - 1]!.norm : '';
    if (words === 'may' && !/^(in|for|during|of|since)$/.test(before)) continue;
    const resolve = (c: chrono.ParsedComponents): string => {
      const y = c.get('year')!;
      const d = dateOf(y, c.get('month')! - 1, c.get('day')!) ?? `${y}-01-01`;
      return d;
    };
    let from = resolve(r.start);
    const monthOnly = !r.start.isCertain('day') && r.start.isCertain('month');
    let to = r.end ? resolve(r.end) : monthOnly ? monthEnd(from) : from;
    // The business rule: a date without a year is its most recent past occurrence.
    if (!r.start.isCertain('year') && from > todayIso) {
      from = addYears(from, -1);
      to = monthOnly && !r.end ? monthEnd(from) : addYears(to, -1);
    }
    if (to < from && r.end && !r.end.isCertain('year')) to = addYears(to, 1);
    const label =
      monthOnly && !r.end
        ? `${MONTHS[Number(from.slice(5, 7)) - 1]!.replace(/^./, (c) => c.toUpperCase())} ${from.slice(0, 4)}`
        : from === to
          ? from
          : `${from} to ${to}`;
    add(at.from, at.to, range(from, to, label));
  }
}

/** Exposed for tests: the start of the quarter holding a day. */
export { quarterStart, monthStart, monthEnd };

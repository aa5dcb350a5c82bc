/**
 * The business calendar: pure functions over ISO dates (no time zones).
 * Weeks run Monday to Sunday; "last week" is the last complete week; "the
 * last N days" end yesterday; a previous period is like for like (the same
 * weekdays a week earlier, the same days of the previous month, the previous
 * whole month for a whole month); the same period last year is 364 days
 * earlier for Monday-aligned ranges (same weekdays) and the same calendar
 * dates otherwise.
 */
import type { TimeRange } from '../semantic/query.js';

const DAY_MS = 86_400_000;

/** The largest span a question may ask for, in days. */
export const MAX_RANGE_DAYS = 3_700;

export function isoToMs(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return iso(isoToMs(day) + n * DAY_MS);
}

/** Days from a to b inclusive. */
export function spanDays(r: { readonly from: string; readonly to: string }): number {
  return Math.round((isoToMs(r.to) - isoToMs(r.from)) / DAY_MS) + 1;
}

/** ISO weekday, Monday 1 .. Sunday 7. */
export function isoWeekday(day: string): number {
  return ((new Date(isoToMs(day)).getUTCDay() + 6) % 7) + 1;
}

export function mondayOf(day: string): string {
  return addDays(day, 1 - isoWeekday(day));
}

/** The first day of the month `offset` months from `day`'s month. */
export function monthStart(day: string, offset = 0): string {
  const d = new Date(isoToMs(day));
  return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
}

export function monthEnd(day: string): string {
  return addDays(monthStart(day, 1), -1);
}

export function quarterStart(day: string, offset = 0): string {
  const d = new Date(isoToMs(day));
  return iso(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3 + offset * 3, 1));
}

/** A date `months` calendar months away; a day past the target month's end becomes its last day. */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y, m - 1 + months + 1, 0)).getUTCDate();
  return iso(Date.UTC(y, m - 1 + months, Math.min(d, last)));
}

/** A date `years` calendar years away; 29 February becomes 28 February. */
export function addYears(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y + years, m, 0)).getUTCDate();
  return iso(Date.UTC(y + years, m - 1, Math.min(d, last)));
}

/** A real calendar date as YYYY-MM-DD from parts, or undefined. */
export function dateOf(year: number, month0: number, day: number): string | undefined {
  const ms = Date.UTC(year, month0, day);
  const s = iso(ms);
  return Number(s.slice(0, 4)) === year && Number(s.slice(5, 7)) === month0 + 1 && Number(s.slice(8, 10)) === day
    ? s
    : undefined;
}

/** Today's date as YYYY-MM-DD from a pinned value or the real clock (UTC). */
export function today(pinned: string | undefined, now: () => number = Date.now): string {
  return pinned ?? iso(now());
}

/** A range with its label; checks order and length. */
export function range(from: string, to: string, label: string): TimeRange | { readonly invalid: string } {
  if (from > to) return { invalid: 'The start date is after the end date.' };
  if (spanDays({ from, to }) > MAX_RANGE_DAYS) return { invalid: 'That time range is too long.' };
  return { from, to, label };
}

function isWholeMonth(r: TimeRange): boolean {
  return r.from === monthStart(r.from) && r.to === monthEnd(r.from);
}

function isWholeQuarter(r: TimeRange): boolean {
  return r.from === quarterStart(r.from) && r.to === addDays(quarterStart(r.from, 1), -1);
}

function isWholeYear(r: TimeRange): boolean {
  return r.from.endsWith('-01-01') && r.to === `${r.from.slice(0, 4)}-12-31`;
}

/**
 * The previous period, like for like: a whole month, quarter or year -> the previous one; a range
 * starting on the 1st within one month (month to date) -> the same days of the previous month;
 * a Monday-aligned range of at most a week (a week, week to date) -> the same days a week earlier;
 * anything else -> the range of the same length right before it.
 */
export function previousPeriod(r: TimeRange): TimeRange {
  const label = `the ${spanDays(r)} days before`;
  if (isWholeMonth(r)) return { from: monthStart(r.from, -1), to: addDays(r.from, -1), label: 'the month before' };
  if (isWholeQuarter(r))
    return { from: quarterStart(r.from, -1), to: addDays(r.from, -1), label: 'the quarter before' };
  if (isWholeYear(r)) return { from: addYears(r.from, -1), to: addYears(r.to, -1), label: 'the year before' };
  const days = spanDays(r);
  // A to-date period one day long (the 1st of a month, a Monday) is still the start of its unit.
  const toDate = ['this week', 'this month', 'this quarter', 'year to date'].includes(r.label);
  if (days === 1 && !toDate) return { from: addDays(r.from, -1), to: addDays(r.from, -1), label: 'the day before' };
  if (r.from.endsWith('-01-01') && r.to.slice(0, 4) === r.from.slice(0, 4)) {
    return { from: addYears(r.from, -1), to: addYears(r.to, -1), label: 'the same days of the year before' };
  }
  if (r.from === quarterStart(r.from) && r.to < quarterStart(r.from, 1)) {
    const from = quarterStart(r.from, -1);
    const last = addDays(r.from, -1);
    const to = addDays(from, days - 1) < last ? addDays(from, days - 1) : last;
    if (r.label === 'this quarter' || r.to > monthEnd(r.from))
      return { from, to, label: 'the same days of the quarter before' };
  }
  if (r.from === monthStart(r.from) && r.to <= monthEnd(r.from)) {
    const from = monthStart(r.from, -1);
    const to = addDays(from, Math.min(days, spanDays({ from, to: monthEnd(from) })) - 1);
    return { from, to, label: 'the same days of the month before' };
  }
  if (isoWeekday(r.from) === 1 && days <= 7)
    return {
      from: addDays(r.from, -7),
      to: addDays(r.to, -7),
      label: days === 7 ? 'the week before' : 'the same days of the week before',
    };
  return { from: addDays(r.from, -days), to: addDays(r.from, -1), label };
}

/**
 * The period right after, like for like (the mirror of previousPeriod): a whole month, quarter or
 * year -> the next one; one day -> the next day; a Monday-aligned week -> the next week; anything
 * else -> the range of the same length right after it. The caller refuses one that has not begun.
 */
export function nextPeriod(r: TimeRange): TimeRange {
  if (isWholeMonth(r))
    return { from: monthStart(r.from, 1), to: monthEnd(monthStart(r.from, 1)), label: 'the month after' };
  if (isWholeQuarter(r))
    return { from: quarterStart(r.from, 1), to: addDays(quarterStart(r.from, 2), -1), label: 'the quarter after' };
  if (isWholeYear(r)) return { from: addYears(r.from, 1), to: addYears(r.to, 1), label: 'the year after' };
  const days = spanDays(r);
  if (days === 1) return { from: addDays(r.from, 1), to: addDays(r.from, 1), label: 'the day after' };
  if (isoWeekday(r.from) === 1 && days === 7)
    return { from: addDays(r.from, 7), to: addDays(r.to, 7), label: 'the week after' };
  return { from: addDays(r.to, 1), to: addDays(r.to, days), label: `the ${days} days after` };
}

/** The same days a week later ("the Saturday after"). */
export function nextWeek(r: TimeRange): TimeRange {
  const from = addDays(r.from, 7);
  return {
    from,
    to: addDays(r.to, 7),
    label: r.from === r.to ? `the same day a week later (${from})` : 'the same days a week later',
  };
}

/** The same days a week earlier: "yesterday vs the same day last week" is Tuesday against Tuesday. */
export function previousWeek(r: TimeRange): TimeRange {
  const from = addDays(r.from, -7);
  return {
    from,
    to: addDays(r.to, -7),
    label: r.from === r.to ? `the same day last week (${from})` : 'the same days a week earlier',
  };
}

/**
 * The same period a year earlier: Monday-aligned ranges move 364 days (the same weekdays); whole
 * months, quarters and years and any other range move one calendar year.
 */
export function previousYear(r: TimeRange): TimeRange {
  if (isoWeekday(r.from) === 1 && !isWholeMonth(r) && !isWholeQuarter(r) && !isWholeYear(r)) {
    return { from: addDays(r.from, -364), to: addDays(r.to, -364), label: 'the same days last year' };
  }
  const to = isWholeMonth(r) ? monthEnd(addYears(r.from, -1)) : addYears(r.to, -1);
  return { from: addYears(r.from, -1), to, label: 'the same period last year' };
}

/** The catalog's default range when a question names none. */
export function defaultRange(
  kind: 'last_7_days' | 'last_week' | 'last_30_days' | 'last_month',
  todayIso: string,
): TimeRange {
  const yesterday = addDays(todayIso, -1);
  switch (kind) {
    case 'last_7_days':
      return { from: addDays(todayIso, -7), to: yesterday, label: 'the last 7 days' };
    case 'last_30_days':
      return { from: addDays(todayIso, -30), to: yesterday, label: 'the last 30 days' };
    case 'last_week':
      return { from: addDays(mondayOf(todayIso), -7), to: addDays(mondayOf(todayIso), -1), label: 'last week' };
    case 'last_month':
      return { from: monthStart(todayIso, -1), to: addDays(monthStart(todayIso), -1), label: 'last month' };
  }
}

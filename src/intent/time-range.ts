/**
 * Time expressions in questions, resolved against "today" (the pinned demo
 * clock or the real one). Weeks run Monday to Sunday; ranges are inclusive
 * calendar dates. Pure functions over ISO date strings: no time zones.
 */

/** An inclusive date range with the words that named it. */
export interface TimeRange {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

const DAY_MS = 86_400_000;
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Parse an ISO date to UTC milliseconds, or undefined if it is not a real date. */
export function isoToMs(iso: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  return new Date(ms).toISOString().slice(0, 10) === iso ? ms : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function addDays(day: string, n: number): string {
  return iso(isoToMs(day)! + n * DAY_MS);
}

function mondayOf(day: string): string {
  const dow = (new Date(isoToMs(day)!).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(day, -dow);
}

function monthStart(day: string, offset = 0): string {
  const d = new Date(isoToMs(day)!);
  return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
}

function quarterStart(day: string, offset = 0): string {
  const d = new Date(isoToMs(day)!);
  return iso(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3 + offset * 3, 1));
}

/** Today's date as YYYY-MM-DD from a pinned value or the real clock (UTC). */
export function today(pinned: string | undefined, now: () => number = Date.now): string {
  return pinned ?? iso(now());
}

/** The largest span a question may ask for, in days. */
export const MAX_RANGE_DAYS = 3_700;

/**
 * Find a time expression in normalised question text. Returns undefined when
 * there is none, or an Error-shaped refusal text when one is present but invalid.
 */
export function parseTimeRange(text: string, todayIso: string): TimeRange | { readonly invalid: string } | undefined {
  const t = todayIso;
  const yesterday = addDays(t, -1);
  const between = /\b(?:from|between)\s+(\d{4}-\d{2}-\d{2})\s+(?:to|and|until|through)\s+(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (between) return explicit(between[1]!, between[2]!);
  const since = /\bsince\s+(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (since) return explicit(since[1]!, yesterday, `since ${since[1]}`);
  const on = /\b(?:on\s+)?(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (on) return explicit(on[1]!, on[1]!, `on ${on[1]}`);
  const lastN = /\b(?:last|past|previous)\s+(\d{1,4})\s+(days?|weeks?|months?)\b/.exec(text);
  if (lastN) {
    const n = Number(lastN[1]);
    const unit = lastN[2]!.replace(/s$/, '');
    const days = unit === 'day' ? n : unit === 'week' ? 7 * n : 30 * n;
    if (n < 1 || days > MAX_RANGE_DAYS) return { invalid: 'That time range is too long.' };
    return { from: addDays(t, -days), to: yesterday, label: `the last ${n} ${unit}${n === 1 ? '' : 's'}` };
  }
  const inMonth = new RegExp(`\\b(?:in\\s+)?(${MONTHS.join('|')})\\s+(\\d{4})\\b`).exec(text);
  if (inMonth) {
    const month = MONTHS.indexOf(inMonth[1]!);
    const from = iso(Date.UTC(+inMonth[2]!, month, 1));
    const to = addDays(iso(Date.UTC(+inMonth[2]!, month + 1, 1)), -1);
    return { from, to, label: `${cap(inMonth[1]!)} ${inMonth[2]}` };
  }
  const table: [RegExp, () => TimeRange][] = [
    [/\byesterday\b/, () => ({ from: yesterday, to: yesterday, label: 'yesterday' })],
    [/\btoday\b/, () => ({ from: t, to: t, label: 'today' })],
    [/\b(?:the\s+)?week\s+before\s+last\b/, () => ({ from: addDays(mondayOf(t), -14), to: addDays(mondayOf(t), -8), label: 'the week before last' })],
    [/\b(?:last|previous|past)\s+week\b/, () => ({ from: addDays(mondayOf(t), -7), to: addDays(mondayOf(t), -1), label: 'last week' })],
    [/\b(?:this\s+week|week\s+to\s+date|wtd)\b/, () => ({ from: mondayOf(t), to: t, label: 'this week' })],
    [/\b(?:last|previous|past)\s+month\b/, () => ({ from: monthStart(t, -1), to: addDays(monthStart(t), -1), label: 'last month' })],
    [/\b(?:this\s+month|month\s+to\s+date|mtd)\b/, () => ({ from: monthStart(t), to: t, label: 'this month' })],
    [/\b(?:last|previous|past)\s+quarter\b/, () => ({ from: quarterStart(t, -1), to: addDays(quarterStart(t), -1), label: 'last quarter' })],
    [/\b(?:this\s+quarter|quarter\s+to\s+date|qtd)\b/, () => ({ from: quarterStart(t), to: t, label: 'this quarter' })],
    [/\b(?:year\s+to\s+date|ytd|this\s+year)\b/, () => ({ from: `${t.slice(0, 4)}-01-01`, to: t, label: 'year to date' })],
    [/\b(?:last|previous|past)\s+year\b/, () => {
      const y = Number(t.slice(0, 4)) - 1;
      return { from: `${y}-01-01`, to: `${y}-12-31`, label: `last year (${y})` };
    }],
  ];
  for (const [re, make] of table) if (re.test(text)) return make();
  return undefined;
}

/** The catalog's default range when a question names none. */
export function defaultRange(kind: 'last_7_days' | 'last_week' | 'last_30_days' | 'last_month', todayIso: string): TimeRange {
  const named: Record<typeof kind, string> = {
    last_7_days: 'last 7 days',
    last_week: 'last week',
    last_30_days: 'last 30 days',
    last_month: 'last month',
  };
  const r = parseTimeRange(named[kind], todayIso);
  if (!r || 'invalid' in r) throw new Error(`cannot resolve default range ${kind}`);
  return r;
}

function explicit(from: string, to: string, label?: string): TimeRange | { invalid: string } {
  const a = isoToMs(from);
  const b = isoToMs(to);
  if (a === undefined || b === undefined) return { invalid: 'That date is not a real calendar date.' };
  if (a > b) return { invalid: 'The start date is after the end date.' };
  if ((b - a) / DAY_MS > MAX_RANGE_DAYS) return { invalid: 'That time range is too long.' };
  return { from, to, label: label ?? `${from} to ${to}` };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

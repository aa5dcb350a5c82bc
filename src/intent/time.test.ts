/** The time reading as named passes: each on its own, after the passes before it. */
import { describe, expect, it } from 'vitest';
import { startTime, TIME_PASSES, type TimeState } from './time.js';
import { Tokens } from './tokens.js';

const TODAY = '2026-11-18'; // a Wednesday
const NAMED = [{ words: ['black friday'], dates: ['2025-11-28', '2026-11-27'] }];

function through(name: (typeof TIME_PASSES)[number]['name'], question: string): TimeState {
  const s = startTime(new Tokens(question), TODAY, NAMED);
  for (const p of TIME_PASSES) {
    p.run(s);
    if (p.name === name) return s;
  }
  throw new Error(`no pass ${name}`);
}
const labels = (s: TimeState): string[] => s.spans.map((x) => x.range.label);

describe('the time passes', () => {
  it('run in this order', () => {
    expect(TIME_PASSES.map((p) => p.name)).toEqual([
      'comparisons',
      'days of named weeks',
      'calendar periods',
      'quarters',
      'day ranges',
      'named days',
      'dates',
      'half-years',
      'months',
      'weekdays',
      'years',
      'composition',
    ]);
  });

  it('comparisons: a comparison word, and a period relative to another, claimed before any period reads them', () => {
    const s = through('comparisons', 'sales last week vs the same week last year');
    expect(s.compare).toMatchObject({ at: 3 });
    expect(s.relative).toMatchObject({ kind: 'previous_year' });
    expect(through('comparisons', 'week over week sales').compare).toMatchObject({ unit: 'week' });
    expect(s.spans).toEqual([]);
  });

  it('days of named weeks: "Tuesday of last week"', () => {
    expect(through('days of named weeks', 'guests on tuesday of last week').spans.map((x) => x.range.from)).toEqual([
      '2026-11-10',
    ]);
  });

  it('calendar periods: the last N days end yesterday; last week is Monday to Sunday', () => {
    const s = through('calendar periods', 'revenue the last 7 days and last week');
    expect(s.spans.map((x) => [x.range.from, x.range.to])).toEqual([
      ['2026-11-11', '2026-11-17'],
      ['2026-11-09', '2026-11-15'],
    ]);
    expect(through('calendar periods', 'sales the last 0 days').invalid).toBe('That time range is empty.');
  });

  it('quarters: without a year, the most recent that has begun', () => {
    expect(labels(through('quarters', 'sales in q4'))).toEqual(['Q4 2026']);
    expect(labels(through('quarters', 'the first quarter of 2025'))).toEqual(['Q1 2025']);
  });

  it('day ranges: the week of a date, a day of the month that must be that weekday', () => {
    expect(through('day ranges', 'the week of nov 4').spans[0]!.range).toMatchObject({
      from: '2026-11-02',
      to: '2026-11-08',
    });
    expect(through('day ranges', 'saturday the 14th').spans[0]!.range.from).toBe('2026-11-14');
    expect(through('day ranges', 'friday the 14th').invalid).toBe('The 14th was not a friday.');
  });

  it('named days: the most recent that has happened, before chrono reads "friday"', () => {
    expect(through('named days', 'sales on black friday').spans[0]!.range.from).toBe('2025-11-28');
  });

  it('half-years, months, weekdays, years', () => {
    expect(labels(through('half-years', 'h1 2026'))).toEqual(['H1 2026']);
    expect(labels(through('months', 'sales in aug'))).toEqual(['August 2026']);
    expect(through('weekdays', 'guests on weekends last month').weekdays).toEqual([6, 7]);
    expect(labels(through('years', 'revenue in 2025'))).toEqual(['2025']);
  });

  it('composition: "since" runs to yesterday; two dates joined by "to" are one range', () => {
    expect(through('composition', 'sales since 2025').spans[0]!.range).toMatchObject({
      from: '2025-01-01',
      to: '2026-11-17',
    });
    expect(through('composition', 'sales from nov 2 to nov 5').spans.map((x) => [x.range.from, x.range.to])).toEqual([
      ['2026-11-02', '2026-11-05'],
    ]);
  });
});

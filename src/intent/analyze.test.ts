/** Layer 2: the deterministic analyzer and the time expressions, on the pinned demo clock. */
import { describe, expect, it } from 'vitest';
import { SplitplaneError } from '../errors.js';
import { analyzeQuestion, type Intent } from './analyze.js';
import { loadCatalog, parseCatalog } from './catalog.js';
import { parseTimeRange } from './time-range.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const TODAY = '2026-11-18'; // a Wednesday

function metric(i: Intent) {
  if (i.kind !== 'metric') throw new Error(`expected a metric intent, got ${i.kind}`);
  return i;
}

describe('time expressions (weeks run Monday to Sunday)', () => {
  it.each([
    ['last week', '2026-11-09', '2026-11-15'],
    ['the week before last', '2026-11-02', '2026-11-08'],
    ['this week', '2026-11-16', '2026-11-18'],
    ['yesterday', '2026-11-17', '2026-11-17'],
    ['last month', '2026-10-01', '2026-10-31'],
    ['last quarter', '2026-07-01', '2026-09-30'],
    ['this quarter', '2026-10-01', '2026-11-18'],
    ['year to date', '2026-01-01', '2026-11-18'],
    ['last year', '2025-01-01', '2025-12-31'],
    ['last 7 days', '2026-11-11', '2026-11-17'],
    ['from 2026-11-01 to 2026-11-07', '2026-11-01', '2026-11-07'],
    ['on 2026-11-03', '2026-11-03', '2026-11-03'],
    ['in october 2026', '2026-10-01', '2026-10-31'],
  ])('%s', (text, from, to) => {
    expect(parseTimeRange(text, TODAY)).toMatchObject({ from, to });
  });

  it('refuses impossible and reversed dates', () => {
    expect(parseTimeRange('on 2026-02-30', TODAY)).toEqual({ invalid: 'That date is not a real calendar date.' });
    expect(parseTimeRange('from 2026-11-07 to 2026-11-01', TODAY)).toEqual({ invalid: 'The start date is after the end date.' });
  });

  it('handles a Monday and a Sunday "today" at week boundaries', () => {
    expect(parseTimeRange('last week', '2026-11-16')).toMatchObject({ from: '2026-11-09', to: '2026-11-15' });
    expect(parseTimeRange('last week', '2026-11-22')).toMatchObject({ from: '2026-11-09', to: '2026-11-15' });
  });
});

describe('analyzeQuestion', () => {
  it('maps the scenario question to the sales amount for last week', () => {
    const i = metric(analyzeQuestion('What was the total sales amount last week?', catalog, TODAY));
    expect(i.metric.id).toBe('net_sales_amount');
    expect(i.range).toEqual({ from: '2026-11-09', to: '2026-11-15', label: 'last week' });
    expect(i.groupBy).toBeUndefined();
  });

  it('asks which metric "total sales" means, with both choices', () => {
    expect(analyzeQuestion('What were total sales last week?', catalog, TODAY)).toEqual({
      kind: 'clarification',
      message: 'By "sales", do you mean the sales amount (in dollars) or the sales count (number of orders)?',
      choices: [
        { metric: 'net_sales_amount', label: 'sales amount', question: 'What were total sales amount last week?' },
        { metric: 'order_count', label: 'sales count', question: 'What were total sales count last week?' },
      ],
      references: [],
    });
  });

  it('every clarification choice, asked again, is answered', () => {
    const c = analyzeQuestion('How were sales yesterday?', catalog, TODAY);
    if (c.kind !== 'clarification') throw new Error('expected clarification');
    for (const choice of c.choices) expect(metric(analyzeQuestion(choice.question, catalog, TODAY)).metric.id).toBe(choice.metric);
  });

  it('lists the supported metrics for an unsupported question', () => {
    const u = analyzeQuestion('Show me everything you have on all the businesses', catalog, TODAY);
    expect(u.kind).toBe('unsupported');
    if (u.kind === 'unsupported') expect(u.metrics.map((m) => m.label)).toContain('sales amount');
  });

  it('extracts references to businesses, tenants, stores and admins', () => {
    const i = analyzeQuestion('sales amount for Business ID 544 and tenant #31, store 628001, admin 7001', catalog, TODAY);
    expect(i.references).toEqual([
      { kind: 'business', id: '544' },
      { kind: 'tenant', id: '31' },
      { kind: 'location', id: '628001' },
      { kind: 'admin', id: '7001' },
    ]);
  });

  it('understands groupings and rankings', () => {
    expect(metric(analyzeQuestion('guest count by city last month', catalog, TODAY)).groupBy?.id).toBe('city');
    expect(metric(analyzeQuestion('daily revenue this week', catalog, TODAY)).groupBy?.id).toBe('day');
    const top = metric(analyzeQuestion('top 5 stores by revenue last week', catalog, TODAY));
    expect(top.groupBy?.id).toBe('location');
    expect(top.rank).toEqual({ order: 'desc', limit: 5 });
    const which = metric(analyzeQuestion('which store had the lowest average check last week', catalog, TODAY));
    expect(which.rank).toEqual({ order: 'asc', limit: 1 });
    expect(metric(analyzeQuestion('items sold by menu item last week', catalog, TODAY)).groupBy?.id).toBe('menu_item');
  });

  it('finds city and state filters only as typed place names', () => {
    expect(metric(analyzeQuestion('What was the sales amount in Chicago last week?', catalog, TODAY)).filters).toEqual([
      { dimension: 'city', value: 'Chicago' },
    ]);
    expect(metric(analyzeQuestion('guest count in New York by day', catalog, TODAY)).filters).toEqual([{ dimension: 'city', value: 'New York' }]);
    expect(metric(analyzeQuestion('orders in TX last month', catalog, TODAY)).filters).toEqual([{ dimension: 'state', value: 'TX' }]);
    expect(metric(analyzeQuestion('revenue in October 2026', catalog, TODAY)).filters).toEqual([]);
    expect(metric(analyzeQuestion("revenue in chicago'; delete from x", catalog, TODAY)).filters).toEqual([]);
  });

  it('hands comparisons and changes on (to a model, if any) instead of answering a different question', () => {
    const u = analyzeQuestion('Which of my stores had the biggest drop in guests week over week?', catalog, TODAY);
    expect(u.kind).toBe('unsupported');
  });

  it('reuses the previous metric for a follow-up, shifting the range', () => {
    const first = metric(analyzeQuestion('What was the total sales amount last week?', catalog, TODAY));
    expect(metric(analyzeQuestion('and the week before?', catalog, TODAY, first)).range).toMatchObject({ from: '2026-11-02', to: '2026-11-08' });
    expect(metric(analyzeQuestion('what about last month?', catalog, TODAY, first))).toMatchObject({ metric: first.metric, range: { from: '2026-10-01' } });
    expect(analyzeQuestion('and the week before?', catalog, TODAY).kind).toBe('unsupported');
  });

  it('refuses a menu-item breakdown of a daily metric', () => {
    expect(analyzeQuestion('revenue by menu item last week', catalog, TODAY).kind).toBe('unsupported');
  });

  it('uses the catalog default range when none is named', () => {
    expect(metric(analyzeQuestion('guest count', catalog, TODAY)).range).toMatchObject({ from: '2026-11-11', to: '2026-11-17' });
  });
});

describe('catalog validation', () => {
  it('fails at start-up on unknown keys and conflicting synonyms', () => {
    expect(() => parseCatalog({ version: 1, defaultTimeRange: 'last_week', metrics: [], extra: 1 })).toThrow(SplitplaneError);
    const m = { label: 'x', description: 'x', table: 'daily_sales', sql: 'SUM(m.x)', unit: 'u', format: 'integer' };
    expect(() =>
      parseCatalog({
        version: 1,
        defaultTimeRange: 'last_week',
        metrics: [{ ...m, id: 'a', synonyms: ['same'] }, { ...m, id: 'b', synonyms: ['same'] }],
      }),
    ).toThrow(/names both a and b/);
  });
});

/**
 * The model fills only what the parser could not place: a query that drops or changes something
 * the parser did read (a period, a value, an exclusion, a weekday, a ranking, a breakdown, a
 * measure) is rejected with a sentence for the repair round, so it never becomes the answer.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../semantic/catalog.js';
import { fixtureValues } from '../../test/support/values-fixture.js';
import { readQuestion } from './analyze.js';
import { toQuery } from './model-fill.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const TODAY = '2026-11-18';
const values = fixtureValues();
const LAST_WEEK = { from: '2026-11-09', to: '2026-11-15' };

function check(question: string, raw: Record<string, unknown>) {
  const draft = readQuestion(question, catalog, TODAY);
  const parsed = { measures: [], dimensions: [], filters: [], ...raw } as unknown as Parameters<typeof toQuery>[0];
  return toQuery(parsed, { catalog, today: TODAY, values, references: [], maxTokens: 600, draft });
}

describe('the model may not drop what the parser read', () => {
  // "lunch crowd" and "hero" are words the parser cannot place; everything else it reads.
  const Q = 'takings from the lunch crowd at our hero stores excluding Chicago #17 last week on weekends';
  const keep = {
    measures: ['net_sales_amount'],
    filters: [
      { dimension: 'location', op: 'not_in', values: ['Chicago #17'] },
      { dimension: 'weekday', op: 'in', values: ['Saturday', 'Sunday'] },
    ],
    time: LAST_WEEK,
  };

  it('a query keeping everything read is accepted', () => {
    expect(check(Q, keep)).toHaveProperty('query');
  });

  it.each([
    ['the exclusion dropped', { ...keep, filters: [keep.filters[1]] }, /excludes the store "Chicago #17"/],
    [
      'the exclusion inverted',
      { ...keep, filters: [{ dimension: 'location', op: 'eq', values: ['Chicago #17'] }, keep.filters[1]] },
      /excludes the store/,
    ],
    ['the weekday filter dropped', { ...keep, filters: [keep.filters[0]] }, /filters weekday in Saturday, Sunday/],
    [
      'the period changed',
      { ...keep, time: { from: '2026-11-11', to: '2026-11-17' } },
      /names last week \(2026-11-09 to 2026-11-15\)/,
    ],
    ['the period left out (the default is not what was asked)', { ...keep, time: null }, /names last week/],
    ['another measure', { ...keep, measures: ['guest_count'] }, /names the measure sales amount/],
  ])('rejects a query with %s', (_name, raw, message) => {
    const r = check(Q, raw);
    expect(r).toHaveProperty('problem');
    expect((r as { problem: string }).problem).toMatch(message);
  });

  it('keeps a ranking, its size, a breakdown and a comparison', () => {
    const q = 'top 3 hero stores by covers last week vs the week before';
    const good = {
      measures: ['guest_count'],
      dimensions: ['location'],
      time: LAST_WEEK,
      compare: 'previous_period',
      order: { measure: 'guest_count', by: 'value', direction: 'desc' },
      limit: 3,
    };
    expect(check(q, good)).toHaveProperty('query');
    expect(check(q, { ...good, limit: 5 })).toMatchObject({ problem: expect.stringMatching(/3 rows/) });
    expect(check(q, { ...good, order: { ...good.order, direction: 'asc' } })).toMatchObject({
      problem: expect.stringMatching(/highest first/),
    });
    expect(check(q, { ...good, compare: null })).toMatchObject({ problem: expect.stringMatching(/comparison/) });
    expect(
      check('covers by city for our hero stores last week', { measures: ['guest_count'], time: LAST_WEEK }),
    ).toMatchObject({ problem: expect.stringMatching(/breakdown by city/) });
  });

  it('a to-date period compared runs over the closed days', () => {
    const q = 'hero covers this week vs last week';
    expect(
      check(q, {
        measures: ['guest_count'],
        time: { from: '2026-11-16', to: '2026-11-17' },
        compare: 'previous_period',
      }),
    ).toHaveProperty('query');
  });

  it('a menu item named with a store measure may use the item alternate', () => {
    expect(
      check('hero revenue of Milkshake last week', {
        measures: ['item_sales_amount'],
        filters: [{ dimension: 'menu_item', op: 'eq', values: ['Milkshake'] }],
        time: LAST_WEEK,
      }),
    ).toHaveProperty('query');
  });
});

/** The deterministic answer sentence for comparisons: the sign of the percentage agrees with the change. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../semantic/catalog.js';
import type { SemanticQuery } from '../semantic/query.js';
import { answerFor } from './answer.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const q: SemanticQuery = {
  measures: ['net_sales_amount'],
  dimensions: [],
  filters: [],
  time: { from: '2026-11-09', to: '2026-11-15', label: 'last week' },
  compare: { kind: 'previous_period', range: { from: '2026-11-02', to: '2026-11-08', label: 'the week before' } },
};
const rows = (cur: string, prev: string, change: string, pct: string) => ({
  columns: [
    'net_sales_amount',
    'net_sales_amount_previous',
    'net_sales_amount_change',
    'net_sales_amount_change_pct',
  ].map((name) => ({ name, type: 'DECIMAL(18,2)' })),
  rows: [[cur, prev, change, pct]],
  truncated: false,
});

describe('comparison wording', () => {
  it.each([
    ['a rise', rows('110.00', '100.00', '10.00', '10.0'), 'up $10.00 (+10.0%) from $100.00'],
    ['a fall', rows('90.00', '100.00', '-10.00', '-10.0'), 'down $10.00 (-10.0%) from $100.00'],
    [
      'a fall that rounds to 0.0 %',
      rows('99995.00', '100000.00', '-5.00', '0.0'),
      'down $5.00 (less than 0.1%) from $100,000.00',
    ],
    [
      'a rise that rounds to 0.0 %',
      rows('100005.00', '100000.00', '5.00', '0.0'),
      'up $5.00 (less than 0.1%) from $100,000.00',
    ],
    ['no change', rows('100.00', '100.00', '0.00', '0.0'), 'unchanged (0.0%) from $100.00'],
  ])('%s', (_name, result, words) => {
    expect(answerFor(q, result, catalog, 2).answer).toContain(words);
  });
});

describe('period wording', () => {
  it('a period named from its start reads "since ...", not "for since ..."', () => {
    const since: SemanticQuery = {
      measures: ['items_sold'],
      dimensions: [],
      filters: [],
      time: { from: '2026-01-01', to: '2026-11-17', label: 'since January 2026' },
    };
    const r = { columns: [{ name: 'items_sold', type: 'BIGINT' }], rows: [['49240']], truncated: false };
    expect(answerFor(since, r, catalog, 2).answer).toBe(
      'Your total items sold since January 2026 (2026-01-01 to 2026-11-17) across your 2 locations was 49,240.',
    );
    expect(answerFor({ ...since, time: { ...since.time, label: 'last week' } }, r, catalog, 2).answer).toContain(
      'for last week (',
    );
  });
});

describe('a single day named with its date', () => {
  it('says the date once, for the period and the comparison', () => {
    const day: SemanticQuery = {
      measures: ['guest_count'],
      dimensions: [],
      filters: [],
      time: { from: '2026-11-17', to: '2026-11-17', label: 'yesterday (2026-11-17)' },
      compare: {
        kind: 'range',
        range: { from: '2026-11-10', to: '2026-11-10', label: 'the same day last week (2026-11-10)' },
      },
    };
    const r = {
      columns: ['guest_count', 'guest_count_previous', 'guest_count_change', 'guest_count_change_pct'].map((name) => ({
        name,
        type: 'BIGINT',
      })),
      rows: [['1192', '834', '358', '42.9']],
      truncated: false,
    };
    expect(answerFor(day, r, catalog, 2).answer).toBe(
      'For yesterday (2026-11-17) across your 2 locations, compared with the same day last week (2026-11-10): guest count 1,192, up 358 (+42.9%) from 834.',
    );
  });
});

describe('a long breakdown in one line (issue 34)', () => {
  const byDay: SemanticQuery = {
    measures: ['net_sales_amount'],
    dimensions: ['day'],
    filters: [],
    time: { from: '2026-11-09', to: '2026-11-15', label: 'last week' },
  };
  const days = ['10.10', '20.20', '30.30', '40.40', '50.55', '0.05', '5.00'];
  const result = (values: readonly string[], truncated = false, column = 'net_sales_amount') => ({
    columns: [
      { name: 'day', type: 'DATE' },
      { name: column, type: 'DECIMAL(18,2)' },
    ],
    rows: values.map((v, i) => [`2026-11-${String(9 + i).padStart(2, '0')}`, v]),
    truncated,
  });
  it('says the total (added exactly, in cents) and the highest row', () => {
    expect(answerFor(byDay, result(days), catalog, 2).answer).toBe(
      'Sales amount by day for last week (2026-11-09 to 2026-11-15) across your 2 locations: 7 rows, $156.60 in total; the highest is 2026-11-13 ($50.55).',
    );
  });
  it('gives no total for rows that were cut, nor for a measure that does not add up', () => {
    expect(answerFor(byDay, result(days, true), catalog, 2).answer).toContain(
      ': 7 rows (truncated); the highest is 2026-11-13 ($50.55).',
    );
    const ratio = answerFor(
      { ...byDay, measures: ['average_check'] },
      result(days, false, 'average_check'),
      catalog,
      2,
    ).answer;
    expect(ratio).toContain(': 7 rows; the highest is 2026-11-13 ($50.55).');
  });
  it('puts no comma before the colon after a filter', () => {
    const filtered: SemanticQuery = { ...byDay, filters: [{ dimension: 'city', op: 'eq', values: ['Chicago'] }] };
    expect(answerFor(filtered, result(days), catalog, 2).answer).toContain(
      'across your 2 locations, in Chicago: 7 rows',
    );
  });
});

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
  columns: ['net_sales_amount', 'net_sales_amount_previous', 'net_sales_amount_change', 'net_sales_amount_change_pct'].map((name) => ({ name, type: 'DECIMAL(18,2)' })),
  rows: [[cur, prev, change, pct]],
  truncated: false,
});

describe('comparison wording', () => {
  it.each([
    ['a rise', rows('110.00', '100.00', '10.00', '10.0'), 'up $10.00 (+10.0%) from $100.00'],
    ['a fall', rows('90.00', '100.00', '-10.00', '-10.0'), 'down $10.00 (-10.0%) from $100.00'],
    ['a fall that rounds to 0.0 %', rows('99995.00', '100000.00', '-5.00', '0.0'), 'down $5.00 (less than 0.1%) from $100,000.00'],
    ['a rise that rounds to 0.0 %', rows('100005.00', '100000.00', '5.00', '0.0'), 'up $5.00 (less than 0.1%) from $100,000.00'],
    ['no change', rows('100.00', '100.00', '0.00', '0.0'), 'unchanged (0.0%) from $100.00'],
  ])('%s', (_name, result, words) => {
    expect(answerFor(q, result, catalog, 2).answer).toContain(words);
  });
});

describe('period wording', () => {
  it('a period named from its start reads "since ...", not "for since ..."', () => {
    const since: SemanticQuery = { measures: ['items_sold'], dimensions: [], filters: [], time: { from: '2026-01-01', to: '2026-11-17', label: 'since January 2026' } };
    const r = { columns: [{ name: 'items_sold', type: 'BIGINT' }], rows: [['49240']], truncated: false };
    expect(answerFor(since, r, catalog, 2).answer).toBe('Your total items sold since January 2026 (2026-01-01 to 2026-11-17) across your 2 locations was 49,240.');
    expect(answerFor({ ...since, time: { ...since.time, label: 'last week' } }, r, catalog, 2).answer).toContain('for last week (');
  });
});

describe('a single day named with its date', () => {
  it('says the date once, for the period and the comparison', () => {
    const day: SemanticQuery = {
      measures: ['guest_count'],
      dimensions: [],
      filters: [],
      time: { from: '2026-11-17', to: '2026-11-17', label: 'yesterday (2026-11-17)' },
      compare: { kind: 'range', range: { from: '2026-11-10', to: '2026-11-10', label: 'the same day last week (2026-11-10)' } },
    };
    const r = {
      columns: ['guest_count', 'guest_count_previous', 'guest_count_change', 'guest_count_change_pct'].map((name) => ({ name, type: 'BIGINT' })),
      rows: [['1192', '834', '358', '42.9']],
      truncated: false,
    };
    expect(answerFor(day, r, catalog, 2).answer).toBe(
      'For yesterday (2026-11-17) across your 2 locations, compared with the same day last week (2026-11-10): guest count 1,192, up 358 (+42.9%) from 834.',
    );
  });
});

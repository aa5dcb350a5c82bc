/** The second pass as named stages: each on its own, after the stages before it. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../semantic/catalog.js';
import type { SemanticQuery } from '../semantic/query.js';
import { fixtureValues } from '../../test/support/values-fixture.js';
import { readQuestion, startUnderstanding, UNDERSTAND_STAGES, type Understanding } from './analyze.js';

const catalog = loadCatalog('catalog');
const values = fixtureValues();
const TODAY = '2026-11-18';

/** The state after the stages up to `name` (undefined refusal), or the refusal of the first stage that ended it. */
function through(
  name: (typeof UNDERSTAND_STAGES)[number]['name'],
  question: string,
  previous?: SemanticQuery,
): { u: Understanding; refused: unknown } {
  const u = startUnderstanding(question, readQuestion(question, catalog, TODAY), {
    catalog,
    today: TODAY,
    values,
    ...(previous ? { previous, history: [previous] } : {}),
  });
  for (const s of UNDERSTAND_STAGES) {
    const refused = s.run(u);
    if (refused || s.name === name) return { u, refused };
  }
  throw new Error(`no stage ${name}`);
}

describe('the understand stages', () => {
  it('run in this order', () => {
    expect(UNDERSTAND_STAGES.map((s) => s.name)).toEqual([
      'values',
      'value comparison',
      'measures',
      'follow-up',
      'alternate measures',
      'period',
      'ranking',
      'derived figures',
    ]);
  });

  it("values: a value of the caller's own data is a filter; a word nothing places is asked back, named", () => {
    expect(through('values', 'revenue in Chicago last week').u.valueFilters).toEqual([
      { dimension: 'city', op: 'eq', values: ['Chicago'] },
    ]);
    expect(through('values', 'revenue for my favourite customers last week').refused).toMatchObject({
      kind: 'clarification',
      unplaced: ['favourite customers'],
    });
  });

  it('value comparison: "Austin vs Dallas" is a breakdown by what they are', () => {
    const { u } = through('value comparison', 'revenue Austin vs Dallas last week');
    expect(u.valueDims).toEqual(['city']);
    expect(u.valueFilters).toEqual([{ dimension: 'city', op: 'in', values: ['Austin', 'Dallas'] }]);
  });

  it('measures: a synonym, a word naming several asked back, no measure at all refused', () => {
    expect(through('measures', 'revenue last week').u.measures).toEqual(['net_sales_amount']);
    expect(through('measures', 'sales last week').refused).toMatchObject({ kind: 'clarification' });
    expect(through('measures', 'my stores in Chicago').refused).toMatchObject({ kind: 'unsupported' });
  });

  it('follow-up: the last query with what this question changes', () => {
    const previous: SemanticQuery = {
      measures: ['guest_count'],
      dimensions: [],
      filters: [],
      time: { from: '2026-11-09', to: '2026-11-15', label: 'last week' },
    };
    const { u } = through('follow-up', 'by city instead', previous);
    expect(u.follow).toBe(previous);
    expect(u.measures).toEqual(['guest_count']);
    expect(u.dims).toEqual(['city']);
  });

  it("alternate measures: a measure asked about another table's dimension means its alternate", () => {
    expect(through('alternate measures', 'sales amount by category last week').u.measures).toEqual([
      'item_sales_amount',
    ]);
  });

  it("period: the named period, or the catalog's default", () => {
    expect(through('period', 'revenue last week').u.time?.range).toMatchObject({
      from: '2026-11-09',
      to: '2026-11-15',
    });
    expect(through('period', 'revenue').u.time?.range.label).toBe('the last 7 days');
  });

  it('ranking: how many, or asked back', () => {
    const { u } = through('ranking', 'top 3 stores by revenue last week');
    expect(u.order).toEqual({ measure: 'net_sales_amount', by: 'value', direction: 'desc' });
    expect(u.limit).toBe(3);
    expect(through('ranking', 'top stores by revenue last week').refused).toMatchObject({
      kind: 'clarification',
      message: 'How many stores do you want?',
    });
  });
});

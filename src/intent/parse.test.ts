/** The first pass as named recognisers: each on its own, over a reading the earlier passes made. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../semantic/catalog.js';
import { DRAFT_PASSES, draftQuestion, startReading, type Reading } from './parse.js';

const demo = loadCatalog('catalog');
const projects = loadCatalog('examples/projects/catalog');
const TODAY = '2026-11-18';

/** A reading of `question` after the passes before `name`, then `name` alone. */
function through(name: (typeof DRAFT_PASSES)[number]['name'], question: string, catalog = demo): Reading {
  const s = startReading(question, catalog, TODAY);
  for (const p of DRAFT_PASSES) {
    p.run(s);
    if (p.name === name) return s;
  }
  throw new Error(`no pass ${name}`);
}
const claims = (s: Reading): string[] => s.tokens.list.map((_, i) => s.tokens.claimOf(i) ?? '-');

describe('the draft passes', () => {
  it('run in this order, and draftQuestion is exactly them', () => {
    expect(DRAFT_PASSES.map((p) => p.name)).toEqual([
      'references',
      'date filters',
      'period',
      'measures',
      'derived figures',
      'ranking',
      'dimensions',
      'leftovers',
    ]);
    const s = startReading('top 3 stores by revenue last week', demo, TODAY);
    for (const p of DRAFT_PASSES) p.run(s);
    const d = draftQuestion('top 3 stores by revenue last week', demo, TODAY);
    expect(d.measures).toEqual(s.measures);
    expect(d.dimensions).toEqual(s.dimensions);
    expect(d.rank).toEqual(s.rank);
  });

  it("references: an ID after the identity's or the grant unit's words, claimed before anything else reads it", () => {
    const s = through('references', 'sales for store 17 and business 544');
    expect(s.references).toEqual([
      { kind: 'location', id: '17' },
      { kind: 'business', id: '544' },
    ]);
    expect(s.mentions).toMatchObject([{ number: '17', hint: 'location' }]);
    expect(claims(s).filter((c) => c === 'reference')).toHaveLength(4);
    // Another catalog, its own words: a workspace is the business, a project the grant unit, a user nothing.
    const p = through('references', 'hours for workspace 3001 project 2001005 user 200107', projects);
    expect(p.references).toEqual([
      { kind: 'business', id: '3001' },
      { kind: 'project', id: '2001005' },
    ]);
  });

  it("date filters: a date dimension's verbs and a year", () => {
    const s = through('date filters', 'sales of stores opened since 2020');
    expect(s.filters).toEqual([{ dimension: 'opened_on', op: 'gte', values: ['2020-01-01'] }]);
  });

  it('period: the period, and weekdays as a filter', () => {
    const s = through('period', 'guests on weekends last month');
    expect(s.time.spans.map((x) => x.range.label)).toEqual(['last month']);
    expect(s.filters).toEqual([{ dimension: 'weekday', op: 'in', values: ['Saturday', 'Sunday'] }]);
  });

  it('measures: a synonym, a word naming several (kept only when nothing explains it), an implied verb', () => {
    expect(through('measures', 'revenue last week').measures).toEqual(['net_sales_amount']);
    expect(through('measures', 'sales last week').ambiguous).toEqual([{ term: 'sales', raw: 'sales' }]);
    expect(through('measures', 'sales amount and sales last week').ambiguous).toEqual([]);
    expect(through('measures', 'the highest grossing stores').implied).toBe('net_sales_amount');
  });

  it('ranking: how many, which way, by change', () => {
    expect(through('ranking', 'top 5 stores by revenue').rank).toEqual({ direction: 'desc', limit: 5 });
    expect(through('ranking', 'rank my stores by revenue, lowest first').rank).toMatchObject({ direction: 'asc' });
    expect(through('ranking', 'rank my stores by revenue').rank).toEqual({ direction: 'desc', all: true });
    expect(through('ranking', 'which city grew revenue the most last week vs the week before').rank).toMatchObject({
      direction: 'desc',
      by: 'change',
    });
  });

  it('dimensions: a breakdown, the thing ranked, a hint beside a value, a subject', () => {
    expect(through('dimensions', 'revenue by city last week').dimensions).toEqual([
      { id: 'city', plural: false, which: false },
    ]);
    expect(through('dimensions', 'top 3 stores by revenue').dimensions).toEqual([
      { id: 'location', plural: true, which: false, ranked: true },
    ]);
    // A ranking within groups: the thing ranked, and the group named by "each" or "per".
    expect(through('dimensions', 'top 3 stores in each state by revenue').dimensions).toEqual([
      { id: 'location', plural: true, which: false, ranked: true },
      { id: 'state', plural: false, which: false, per: true },
    ]);
    expect(through('dimensions', 'revenue in the city of Austin').hints).toEqual([
      { at: 4, dimension: 'city', side: 'before' },
    ]);
    expect(through('dimensions', 'how many guests did my stores have').subjects).toEqual(['location']);
  });

  it('leftovers: words nobody placed become mentions, and every token is claimed', () => {
    const s = through('leftovers', 'revenue for Wrigleyville last week');
    expect(s.mentions.map((m) => m.text)).toEqual(['Wrigleyville']);
    expect(claims(s)).not.toContain('-');
  });
});

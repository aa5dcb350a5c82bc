/** Typos are asked about, named, with the corrected question one click away; never answered silently. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../semantic/catalog.js';
import { fixtureValues } from '../../test/support/values-fixture.js';
import { readQuestion, understand } from './analyze.js';
import { corrections, editDistance } from './typos.js';

const catalog = loadCatalog('catalog');
const values = fixtureValues();
const ask = (q: string) =>
  understand(q, readQuestion(q, catalog, '2026-11-18'), { catalog, today: '2026-11-18', values });

describe('typos', () => {
  it('measures an adjacent swap as one edit', () => {
    expect(editDistance('slaes', 'sales')).toBe(1);
    expect(editDistance('revnue', 'revenue')).toBe(1);
    expect(editDistance('profit', 'product')).toBe(3);
  });

  it('suggests the one close word of the catalog or the calendar, with its first letter kept', () => {
    expect(corrections(['slaes', 'wek', 'stroes'], catalog)).toEqual([
      { word: 'slaes', suggestion: 'sales' },
      { word: 'wek', suggestion: 'week' },
      { word: 'stroes', suggestion: 'stores' },
    ]);
    // Not typos: a word of its own, a plural of a known word, a filler, another first letter, two letters off a short word.
    expect(corrections(['profit', 'businesses', 'the', 'double', 'region'], catalog)).toEqual([]);
  });

  it.each([
    ['revnue last week', 'revenue last week', 'net_sales_amount'],
    ['slaes amount last wek', 'sales amount last week', 'net_sales_amount'],
    ['guest cuont yesterday', 'guest count yesterday', 'guest_count'],
    ['avrage check last month', 'average check last month', 'average_check'],
  ])('"%s" is asked back naming the words; the choice "%s" is then understood', (question, fixedQuestion, measure) => {
    const r = ask(question);
    expect(r).toMatchObject({ kind: 'clarification', choices: [{ question: fixedQuestion }] });
    expect(r.kind === 'clarification' && r.message).toMatch(/Did you mean/);
    expect(ask(fixedQuestion)).toMatchObject({ kind: 'query', query: { measures: [measure] } });
  });

  it("leaves a word that is not a typo to the usual answers (the seed's unsupported question stays unsupported)", () => {
    expect(ask('Show me everything you have on all the businesses').kind).toBe('unsupported');
    expect(ask('profit margin per menu item').kind).toBe('unsupported');
  });
});

describe('typos: the limit holds', () => {
  it('suggests nothing two letters away from a short word ("mode" is not "money")', () => {
    expect(corrections(['mode'], catalog)).toEqual([]);
  });
});

describe('choices that lead somewhere', () => {
  it('"best seller" is the menu item that sold the most units; "best day" offers the headline measures', () => {
    expect(ask('what was our best seller last week')).toMatchObject({
      kind: 'query',
      query: { measures: ['items_sold'], dimensions: ['menu_item'], order: { direction: 'desc' }, limit: 1 },
    });
    expect(ask('top 3 sellers by item revenue last week')).toMatchObject({
      kind: 'query',
      query: { measures: ['item_sales_amount'], dimensions: ['menu_item'], limit: 3 },
    });
    const items = ask('top menu items last week');
    expect(items.kind === 'clarification' && items.choices.map((c) => c.metric)).toEqual([
      'items_sold',
      'item_sales_amount',
      'food_cost',
    ]);
    const day = ask('best day last week');
    expect(day.kind === 'clarification' && day.choices.map((c) => c.metric)).toEqual([
      'net_sales_amount',
      'order_count',
      'guest_count',
    ]);
  });
});

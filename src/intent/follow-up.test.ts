/**
 * The follow-up rules, one row of FOLLOW_UP_RULES at a time: each row has a conversation that
 * exercises it, and the query the last turn must become (the slots it changes, and the ones it
 * keeps). A row without an example fails the suite, so the table and the tests cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureValues } from '../../test/support/values-fixture.js';
import { loadCatalog } from '../semantic/catalog.js';
import type { SemanticQuery } from '../semantic/query.js';
import type { RankedMembers } from '../conversation/store.js';
import { readQuestion, understand, type Intent } from './analyze.js';
import { FOLLOW_UP_RULES, type FollowUpRule } from './follow-up.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const TODAY = '2026-11-18';
const values = fixtureValues();
const LAST_WEEK = { from: '2026-11-09', to: '2026-11-15' };

/** Ask each turn in order, as the pipeline does: the last answered query and the history go along. */
function converse(turns: readonly string[], members?: RankedMembers): Intent {
  const history: SemanticQuery[] = [];
  let last: Intent | undefined;
  for (const [i, q] of turns.entries()) {
    const previous = history.at(-1);
    last = understand(q, readQuestion(q, catalog, TODAY), {
      catalog,
      today: TODAY,
      values,
      ...(previous ? { previous, history: [...history] } : {}),
      ...(members && i === turns.length - 1 ? { members } : {}),
    });
    if (last.kind === 'query') history.push(last.query);
    else if (i < turns.length - 1)
      throw new Error(`turn ${i + 1} "${q}" was not answered: ${last.kind} ${'message' in last ? last.message : ''}`);
  }
  return last!;
}

function lastQuery(turns: readonly string[], members?: RankedMembers): SemanticQuery {
  const i = converse(turns, members);
  if (i.kind !== 'query') throw new Error(`expected a query, got ${i.kind}: ${'message' in i ? i.message : ''}`);
  return i.query;
}

/** One example per row: the conversation and what its last turn must be. */
const EXAMPLES: Record<FollowUpRule['kind'], () => void> = {
  measure: () => {
    const q = lastQuery(['revenue in Chicago last week by store', 'guests instead']);
    expect(q).toMatchObject({
      measures: ['guest_count'],
      dimensions: ['location'],
      filters: [{ dimension: 'city', values: ['Chicago'] }],
      time: LAST_WEEK,
    });
    // A measure alone, with no period of its own, continues the conversation too.
    expect(lastQuery(['revenue last week', 'guests?'])).toMatchObject({ measures: ['guest_count'], time: LAST_WEEK });
  },
  period: () => {
    const q = lastQuery(['guests in Dallas by store last week', 'what about last month?']);
    expect(q).toMatchObject({
      measures: ['guest_count'],
      dimensions: ['location'],
      filters: [{ dimension: 'city', values: ['Dallas'] }],
      time: { from: '2026-10-01', to: '2026-10-31' },
    });
  },
  compare: () => {
    const q = lastQuery(['revenue last week', 'and wow?']);
    expect(q.time).toMatchObject({ from: '2026-11-09', to: '2026-11-15' });
    expect(q.compare).toMatchObject({ kind: 'previous_period', range: { from: '2026-11-02', to: '2026-11-08' } });
    expect(lastQuery(['guests in Chicago last month', 'yoy?'])).toMatchObject({
      filters: [{ values: ['Chicago'] }],
      compare: { kind: 'previous_year' },
    });
  },
  derive: () => {
    expect(lastQuery(['item revenue by category mtd', 'as a % of the total'])).toMatchObject({
      measures: ['item_sales_amount'],
      dimensions: ['category'],
      derive: 'share',
      time: { from: '2026-11-01' },
    });
    expect(lastQuery(['guests by day last week', 'and cumulatively?'])).toMatchObject({
      measures: ['guest_count'],
      dimensions: ['day'],
      derive: 'running_total',
      time: LAST_WEEK,
    });
  },
  shift: () => {
    expect(lastQuery(['revenue last week', 'and the week before?']).time).toMatchObject({
      from: '2026-11-02',
      to: '2026-11-08',
    });
    expect(lastQuery(['revenue on oct 3', 'and the day after?']).time).toMatchObject({
      from: '2026-10-04',
      to: '2026-10-04',
    });
    expect(lastQuery(['guests last saturday', 'the saturday before']).time).toMatchObject({
      from: '2026-11-07',
      to: '2026-11-07',
    });
    // A shift into days still to come is asked back, never answered.
    expect(converse(['revenue today', 'and the day after?']).kind).toBe('clarification');
  },
  breakdown: () => {
    expect(lastQuery(['revenue last week by city', 'by state instead'])).toMatchObject({
      dimensions: ['state'],
      time: LAST_WEEK,
    });
    expect(lastQuery(['orders in Dallas and Austin last week, together', 'and separately?'])).toMatchObject({
      dimensions: ['city'],
      filters: [{ dimension: 'city', op: 'in' }],
    });
  },
  replace_filter: () => {
    expect(lastQuery(['avg check in Dallas last month', 'houston?']).filters).toEqual([
      { dimension: 'city', op: 'eq', values: ['Houston'] },
    ]);
    // A city replaces a state: the same table.
    expect(lastQuery(['revenue in Texas last week', 'just Austin']).filters).toEqual([
      { dimension: 'city', op: 'eq', values: ['Austin'] },
    ]);
  },
  add_filter: () => {
    expect(lastQuery(['revenue in Dallas last week', 'and Austin too']).filters).toEqual([
      { dimension: 'city', op: 'in', values: ['Dallas', 'Austin'] },
    ]);
    expect(lastQuery(['revenue in Dallas last week', 'add Austin']).filters).toEqual([
      { dimension: 'city', op: 'in', values: ['Dallas', 'Austin'] },
    ]);
  },
  exclude: () => {
    expect(lastQuery(['revenue in Texas last week', 'excluding Austin']).filters).toEqual([
      { dimension: 'state', op: 'eq', values: ['TX'] },
      { dimension: 'city', op: 'not_in', values: ['Austin'] },
    ]);
    expect(lastQuery(['revenue last month excluding Chicago', 'and leave out Dallas too']).filters).toEqual([
      { dimension: 'city', op: 'not_in', values: ['Chicago', 'Dallas'] },
    ]);
  },
  combine: () => {
    const q = lastQuery(['avg check in Dallas last month', 'houston?', 'both cities together']);
    expect(q.filters).toEqual([{ dimension: 'city', op: 'in', values: ['Houston', 'Dallas'] }]);
    expect(q.time).toMatchObject({ from: '2026-10-01', to: '2026-10-31' });
    // The next turn keeps the combined filter.
    expect(
      lastQuery(['avg check in Dallas last month', 'houston?', 'both cities together', 'and for q3?']).filters,
    ).toEqual([{ dimension: 'city', op: 'in', values: ['Houston', 'Dallas'] }]);
    // One value named so far: asked back, not answered over everything.
    expect(converse(['avg check in Dallas last month', 'both cities together']).kind).toBe('clarification');
    // A value and its complement together are everything.
    expect(lastQuery(['revenue at Chicago #17 last week', 'the other store?', 'both together']).filters).toEqual([]);
  },
  drop_filter: () => {
    expect(lastQuery(['revenue in Dallas last week', 'all my stores']).filters).toEqual([]);
    expect(lastQuery(['revenue in Dallas last week', 'drop the filter']).filters).toEqual([]);
  },
  others: () => {
    expect(lastQuery(['revenue at Chicago #17 last week', 'what about the other store']).filters).toEqual([
      { dimension: 'location', op: 'not_in', values: ['Chicago #17'] },
    ]);
  },
  rank_those: () => {
    const q = lastQuery(['orders in q3', 'break it out by month', 'which of those was the best month for net sales?']);
    expect(q).toMatchObject({
      measures: ['net_sales_amount'],
      dimensions: ['month'],
      time: { from: '2026-07-01', to: '2026-09-30' },
      order: { direction: 'desc' },
      limit: 1,
    });
    expect(lastQuery(['revenue by city last week', 'top 3 of those'])).toMatchObject({
      dimensions: ['city'],
      limit: 3,
      time: LAST_WEEK,
    });
  },
  narrow: () => {
    const members = { dimension: 'location', values: ['Dallas #5'] };
    const q = lastQuery(
      ['top store by guests last week', 'how much revenue did that store make the week before?'],
      members,
    );
    expect(q).toMatchObject({
      measures: ['net_sales_amount'],
      filters: [{ dimension: 'location', op: 'eq', values: ['Dallas #5'] }],
      time: { from: '2026-11-02', to: '2026-11-08' },
    });
    expect(q.order).toBeUndefined();
    // Without the member (nothing ranked was kept) and another period, it is asked back.
    expect(
      converse(['top store by guests last week', 'how much revenue did that store make the week before?']).kind,
    ).toBe('clarification');
  },
  switch: () => {
    const q = lastQuery(['top store by guest count last week in Dallas', 'What was the total sales amount yesterday?']);
    expect(q).toMatchObject({
      measures: ['net_sales_amount'],
      dimensions: [],
      filters: [],
      time: { from: '2026-11-17', to: '2026-11-17' },
    });
  },
  none: () => {
    const i = converse(['revenue last week', 'and?']);
    expect(i).toMatchObject({
      kind: 'clarification',
      message: expect.stringContaining('could not tell what to change'),
    });
  },
};

describe('FOLLOW_UP_RULES, one row at a time', () => {
  it('every row has an example here, and is in the README table as written in the code', () => {
    expect(FOLLOW_UP_RULES.map((r) => r.kind).filter((k) => !(k in EXAMPLES))).toEqual([]);
    const readme = readFileSync('README.md', 'utf8');
    for (const r of FOLLOW_UP_RULES)
      expect(readme).toContain(`| \`${r.kind}\` | ${r.recognised} | ${r.changes} | ${r.keeps} |`);
  });
  it.each(FOLLOW_UP_RULES.map((r) => [r.kind, r] as const))('%s', (kind) => {
    EXAMPLES[kind]();
  });
});

describe('a ranking followed "in each" group', () => {
  it('ranks the same thing within each group, and keeps the groups when the measure changes', () => {
    expect(lastQuery(['best seller last week', 'what about in each category'])).toMatchObject({
      dimensions: ['menu_item', 'category'],
      per: ['category'],
      limit: 1,
      measures: ['items_sold'],
    });
    expect(
      lastQuery(['best seller last week', 'what about in each category', 'by item revenue instead']),
    ).toMatchObject({ dimensions: ['menu_item', 'category'], per: ['category'], measures: ['item_sales_amount'] });
    // A breakdown named without "each" still replaces the breakdown.
    expect(lastQuery(['top 3 cities by revenue last week', 'by state instead'])).toMatchObject({
      dimensions: ['state'],
      limit: 3,
    });
    expect(lastQuery(['top 2 cities by revenue last week', 'per state'])).toMatchObject({
      dimensions: ['state'],
      limit: 2,
    });
  });
});

describe('what a follow-up says it kept', () => {
  it('names the inherited slots, and only those', () => {
    const i = converse(['orders for the third quarter', 'break it out by month']);
    expect(i).toMatchObject({ kind: 'query', inherited: { measures: true, period: true } });
    expect(i.kind === 'query' && i.inherited?.dimensions).toBeFalsy();
  });
});

describe('questions history cannot answer', () => {
  it.each([
    'what will it be this saturday?',
    'forecast revenue for next month',
    'why did sales drop last week?',
    'how many guests are we going to have tomorrow',
  ])('"%s" is refused with its own message', (q) => {
    const i = converse(['guests last saturday', q]);
    expect(i.kind).toBe('unsupported');
    expect('message' in i && i.message).toMatch(/already happened|not why/);
  });
  it('"will you show me ..." is a request, not the future', () => {
    expect(converse(['will you show me revenue last week']).kind).toBe('query');
  });
});

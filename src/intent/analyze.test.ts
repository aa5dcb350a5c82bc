/** Layer 2: the full-coverage parser, the business calendar and the follow-up rules, on the pinned demo clock. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../semantic/catalog.js';
import type { SemanticQuery } from '../semantic/query.js';
import { fixtureValues } from '../../test/support/values-fixture.js';
import { readQuestion, understand, type Intent } from './analyze.js';
import { previousPeriod, previousYear } from './calendar.js';
import { Tokens } from './tokens.js';
import { readTime } from './time.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const TODAY = '2026-11-18'; // a Wednesday

const values = fixtureValues();

function ask(question: string, previous?: SemanticQuery): Intent {
  return understand(question, readQuestion(question, catalog, TODAY), {
    catalog,
    today: TODAY,
    values,
    ...(previous ? { previous } : {}),
  });
}

function query(question: string, previous?: SemanticQuery): SemanticQuery {
  const i = ask(question, previous);
  if (i.kind !== 'query')
    throw new Error(`expected a query for "${question}", got ${i.kind}: ${'message' in i ? i.message : ''}`);
  return i.query;
}

const LAST_WEEK = { from: '2026-11-09', to: '2026-11-15' };

describe('time on the business calendar', () => {
  const range = (text: string) => {
    const r = readTime(new Tokens(text, catalog.shorthand), TODAY);
    return r.spans.map((s) => ({ from: s.range.from, to: s.range.to }));
  };
  it('shop talk ("wtd", "yoy") is the catalog\'s: without its shorthand it is not read', () => {
    expect(readTime(new Tokens('wtd'), TODAY).spans).toEqual([]);
    expect(readTime(new Tokens('yoy'), TODAY).compare).toBeUndefined();
    expect(readTime(new Tokens('yoy', catalog.shorthand), TODAY).compare).toMatchObject({
      unit: 'year',
      yearOverYear: true,
    });
    expect(readTime(new Tokens('wtd', { wtd: 'week to date' }), TODAY).spans).toHaveLength(1);
  });
  it.each([
    ['last week', '2026-11-09', '2026-11-15'],
    ['the week before last', '2026-11-02', '2026-11-08'],
    ['this week', '2026-11-16', '2026-11-18'],
    ['wtd', '2026-11-16', '2026-11-18'],
    ['yesterday', '2026-11-17', '2026-11-17'],
    ['last month', '2026-10-01', '2026-10-31'],
    ['month to date', '2026-11-01', '2026-11-18'],
    ['last quarter', '2026-07-01', '2026-09-30'],
    ['Q3', '2026-07-01', '2026-09-30'],
    ['this quarter', '2026-10-01', '2026-11-18'],
    ['year to date', '2026-01-01', '2026-11-18'],
    ['last year', '2025-01-01', '2025-12-31'],
    ['in 2025', '2025-01-01', '2025-12-31'],
    ['the last 7 days', '2026-11-11', '2026-11-17'],
    ['past 2 weeks', '2026-11-04', '2026-11-17'],
    ['on October 3rd', '2026-10-03', '2026-10-03'],
    ['December 5th', '2025-12-05', '2025-12-05'],
    ['Tuesday of last week', '2026-11-10', '2026-11-10'],
    ["last week's Friday", '2026-11-13', '2026-11-13'],
    ['last Tuesday', '2026-11-17', '2026-11-17'],
    ['last Wednesday', '2026-11-11', '2026-11-11'],
    ['between the 1st and the 12th of November', '2026-11-01', '2026-11-12'],
    ['Oct 3 through Oct 9', '2026-10-03', '2026-10-09'],
    ['between Oct 1 and Oct 15', '2026-10-01', '2026-10-15'],
    ['the week of Oct 12', '2026-10-12', '2026-10-18'],
    // Written in digits, the week and not the day (found by issue 37's replica test: one day was answered).
    ['the week of 2026-11-02', '2026-11-02', '2026-11-08'],
    ['the week starting 2026-11-04', '2026-11-02', '2026-11-08'],
    ['the week of 11/4', '2026-11-02', '2026-11-08'],
    ['week of 10/14/2026', '2026-10-12', '2026-10-18'],
    ['Saturday the 14th', '2026-11-14', '2026-11-14'],
    ['in October', '2026-10-01', '2026-10-31'],
    ['since January', '2026-01-01', '2026-11-17'],
    ['from 2026-11-01 to 2026-11-07', '2026-11-01', '2026-11-07'],
    ['on 11/03', '2026-11-03', '2026-11-03'],
  ])('%s', (text, from, to) => {
    expect(range(text)).toEqual([{ from, to }]);
  });

  it('previous periods are like for like', () => {
    expect(previousPeriod({ from: '2026-11-09', to: '2026-11-15', label: 'last week' })).toMatchObject({
      from: '2026-11-02',
      to: '2026-11-08',
    });
    expect(previousPeriod({ from: '2026-11-16', to: '2026-11-18', label: 'this week' })).toMatchObject({
      from: '2026-11-09',
      to: '2026-11-11',
    });
    expect(previousPeriod({ from: '2026-10-01', to: '2026-10-31', label: 'last month' })).toMatchObject({
      from: '2026-09-01',
      to: '2026-09-30',
    });
    expect(previousPeriod({ from: '2026-11-01', to: '2026-11-18', label: 'this month' })).toMatchObject({
      from: '2026-10-01',
      to: '2026-10-18',
    });
    expect(previousPeriod({ from: '2026-03-01', to: '2026-03-31', label: 'March' })).toMatchObject({
      from: '2026-02-01',
      to: '2026-02-28',
    });
    expect(previousPeriod({ from: '2026-11-17', to: '2026-11-17', label: 'yesterday' })).toMatchObject({
      from: '2026-11-16',
      to: '2026-11-16',
    });
    // a to-date period one day long is still the start of its unit
    expect(previousPeriod({ from: '2026-11-01', to: '2026-11-01', label: 'this month' })).toMatchObject({
      from: '2026-10-01',
      to: '2026-10-01',
    });
    expect(previousPeriod({ from: '2026-11-16', to: '2026-11-16', label: 'this week' })).toMatchObject({
      from: '2026-11-09',
      to: '2026-11-09',
    });
    expect(previousPeriod({ from: '2028-03-01', to: '2028-03-01', label: 'this month' })).toMatchObject({
      from: '2028-02-01',
      to: '2028-02-01',
    });
    // quarter and year to date: the same days of the previous quarter / year
    expect(previousPeriod({ from: '2026-10-01', to: '2026-11-17', label: 'this quarter' })).toMatchObject({
      from: '2026-07-01',
      to: '2026-08-17',
    });
    expect(previousPeriod({ from: '2026-10-01', to: '2026-10-10', label: 'this quarter' })).toMatchObject({
      from: '2026-07-01',
      to: '2026-07-10',
    });
    expect(previousPeriod({ from: '2026-01-01', to: '2026-11-17', label: 'year to date' })).toMatchObject({
      from: '2025-01-01',
      to: '2025-11-17',
    });
    expect(previousYear({ from: '2026-11-09', to: '2026-11-15', label: 'last week' })).toMatchObject({
      from: '2025-11-10',
      to: '2025-11-16',
    });
    expect(previousYear({ from: '2026-10-01', to: '2026-10-31', label: 'October' })).toMatchObject({
      from: '2025-10-01',
      to: '2025-10-31',
    });
    expect(previousYear({ from: '2024-02-29', to: '2024-02-29', label: 'leap day' })).toMatchObject({
      from: '2023-02-28',
      to: '2023-02-28',
    });
  });

  it('refuses impossible dates', () => {
    expect(ask('sales amount between the 5th and the 1st of November').kind).toBe('unsupported');
  });
});

describe('the seed scenarios', () => {
  it('maps the scenario question to the sales amount for last week', () => {
    expect(query('What was the total sales amount last week?')).toEqual({
      measures: ['net_sales_amount'],
      dimensions: [],
      filters: [],
      time: { ...LAST_WEEK, label: 'last week' },
    });
  });

  it('asks which "sales" was meant, with both choices worded as asked', () => {
    expect(ask('What were total sales last week?')).toEqual({
      kind: 'clarification',
      message: 'By "sales", do you mean the sales amount (in dollars) or the sales count (number of orders)?',
      choices: [
        { metric: 'net_sales_amount', label: 'sales amount', question: 'What was the total sales amount last week?' },
        { metric: 'order_count', label: 'sales count', question: 'What was the total sales count last week?' },
      ],
      references: [],
    });
  });

  it('every clarification choice, asked again, is answered with that measure', () => {
    const c = ask('How were sales yesterday?');
    if (c.kind !== 'clarification') throw new Error('expected a clarification');
    for (const choice of c.choices) expect(query(choice.question).measures).toEqual([choice.metric]);
  });

  it('lists the measures for a question that names none', () => {
    const u = ask('Show me everything you have on all the businesses');
    expect(u.kind).toBe('unsupported');
    if (u.kind === 'unsupported') expect(u.metrics.map((m) => m.id)).not.toContain('business_days');
  });

  it('extracts references to businesses, tenants, stores and admins', () => {
    expect(
      readQuestion('sales amount for Business ID 544 and tenant #31, store 628001, admin 7001', catalog, TODAY)
        .references,
    ).toEqual([
      { kind: 'business', id: '544' },
      { kind: 'tenant', id: '31' },
      { kind: 'location', id: '628001' },
      { kind: 'admin', id: '7001' },
    ]);
  });
});

describe('full coverage: every word placed, or the question is not answered', () => {
  it('names the words it could not place and offers what it can answer', () => {
    const c = ask('total sales amount last week for my favourite customers');
    expect(c).toMatchObject({ kind: 'clarification', unplaced: ['favourite customers'] });
    if (c.kind !== 'clarification') return;
    expect(c.message).toContain('"favourite customers"');
    // The offered re-wording is answerable and is what was understood without those words.
    expect(query(c.choices[0]!.question)).toMatchObject({ measures: ['net_sales_amount'], time: LAST_WEEK });
  });

  it('keeps a non-ASCII name whole instead of cutting it', () => {
    const c = ask('sales amount at Café Crème last week');
    expect(c).toMatchObject({ kind: 'clarification', unplaced: ['Café Crème'] });
  });

  it('matches a non-ASCII value of the caller, accents or not, and filters it by its key (SQL text is ASCII)', () => {
    const f = [{ dimension: 'menu_item', op: 'eq', values: ['Crème Brûlée'], keys: ['62812'] }];
    expect(query('items sold of Crème Brûlée last week').filters).toEqual(f);
    expect(query('items sold of creme brulee last week').filters).toEqual(f);
  });

  it('never answers comparisons or rankings as a plain total', () => {
    expect(query('Which two locations had the highest revenue last quarter?')).toMatchObject({
      dimensions: ['location'],
      order: { direction: 'desc' },
      limit: 2,
    });
    expect(ask('best day last week')).toMatchObject({
      kind: 'clarification',
      message: 'Best or worst by which measure?',
    });
    expect(query('best day last week by guest count')).toMatchObject({
      dimensions: ['day'],
      limit: 1,
      time: LAST_WEEK,
    });
    expect(ask('top stores by guest count last week')).toMatchObject({
      kind: 'clarification',
      message: 'How many stores do you want?',
    });
    // Today is still trading: this week so far is Monday and Tuesday, against Monday and Tuesday.
    const q = query('guest count this week vs last week');
    expect(q.time).toMatchObject({ from: '2026-11-16', to: '2026-11-17' });
    expect(q.compare).toEqual({
      kind: 'previous_period',
      range: { from: '2026-11-09', to: '2026-11-10', label: 'the same days of the week before' },
    });
  });

  it("a follow-up keeps what the new question leaves open (second reader's cases)", () => {
    const texas = query('sales amount in Texas last week');
    expect(query('and excluding Austin?', texas).filters).toEqual(
      expect.arrayContaining([...texas.filters, expect.objectContaining({ dimension: 'city', op: 'not_in' })]),
    );
    const chicago = query('sales amount in Chicago last week');
    expect(query('and Dallas too', chicago).filters).toEqual([
      { dimension: 'city', op: 'in', values: ['Chicago', 'Dallas'] },
    ]);
    expect(query('and Dallas', chicago).filters).toEqual([
      expect.objectContaining({ dimension: 'city', values: ['Dallas'] }),
    ]);
    // Not a follow-up of the sales question: a count of the stores themselves (no period applies).
    expect(ask('how many stores do I have?', query('sales amount last week'))).toMatchObject({
      kind: 'query',
      query: { measures: ['store_count'], dimensions: [], filters: [] },
    });
  });
});

describe('filters and values', () => {
  it('maps a state written out to its stored code', () => {
    expect(query('revenue in Texas last week').filters).toEqual([{ dimension: 'state', op: 'eq', values: ['TX'] }]);
    expect(query('revenue in TX last week').filters).toEqual([{ dimension: 'state', op: 'eq', values: ['TX'] }]);
  });

  it('keeps every city named, and exclusions', () => {
    expect(query('revenue in Chicago and Dallas last week').filters).toEqual([
      { dimension: 'city', op: 'in', values: ['Chicago', 'Dallas'] },
    ]);
    expect(query('revenue last week excluding Chicago').filters).toEqual([
      { dimension: 'city', op: 'not_in', values: ['Chicago'] },
    ]);
    expect(query('revenue last week leaving out Dallas').filters).toEqual([
      { dimension: 'city', op: 'not_in', values: ['Dallas'] },
    ]);
    expect(query('guests everywhere but Austin yesterday').filters).toEqual([
      { dimension: 'city', op: 'not_in', values: ['Austin'] },
    ]);
  });

  it('a known city the caller has no store in is a filter (no data), not an unknown word', () => {
    expect(query('revenue in Phoenix last week').filters).toEqual([
      { dimension: 'city', op: 'eq', values: ['Phoenix'] },
    ]);
  });

  it('names one store by name, number or location ID', () => {
    const one = [{ dimension: 'location', op: 'eq', values: ['Chicago #17'] }];
    expect(query('revenue at Chicago #17 last week').filters).toEqual(one);
    expect(query('store 17 revenue last week').filters).toEqual(one);
    expect(query('revenue for store #17 last week').filters).toEqual(one);
    expect(query('revenue for location 628017 last week').filters).toEqual(one);
  });

  it('reads store opening dates', () => {
    expect(query('revenue last month for stores opened since 2020').filters).toEqual([
      { dimension: 'opened_on', op: 'gte', values: ['2020-01-01'] },
    ]);
    expect(query('guests last week for stores opened before 2018').filters).toEqual([
      { dimension: 'opened_on', op: 'lt', values: ['2018-01-01'] },
    ]);
  });

  it('asks when a name is several things', () => {
    const c = ask('revenue in New York last week');
    expect(c).toMatchObject({ kind: 'clarification' });
    if (c.kind !== 'clarification') return;
    expect(c.choices.map((x) => x.label)).toEqual(['city New York', 'state NY']);
    expect(query(c.choices[0]!.question).filters).toEqual([{ dimension: 'city', op: 'eq', values: ['New York'] }]);
    expect(query(c.choices[1]!.question).filters).toEqual([{ dimension: 'state', op: 'eq', values: ['NY'] }]);
  });

  it('days of the week', () => {
    expect(query('revenue on weekends last month').filters).toEqual([
      { dimension: 'weekday', op: 'in', values: ['Saturday', 'Sunday'] },
    ]);
    expect(query('guest count on Tuesdays in October').filters).toEqual([
      { dimension: 'weekday', op: 'in', values: ['Tuesday'] },
    ]);
  });
});

describe('dimensions and measures', () => {
  it('ranks menu items, not stores, when asked about items', () => {
    expect(query('top 5 menu items by item sales last week')).toMatchObject({
      measures: ['item_sales_amount'],
      dimensions: ['menu_item'],
      limit: 5,
    });
    expect(query('items sold per category last week')).toMatchObject({
      measures: ['items_sold'],
      dimensions: ['category'],
    });
    expect(query('top 2 drinks by units sold last month')).toMatchObject({
      dimensions: ['menu_item'],
      filters: [{ dimension: 'category', op: 'eq', values: ['Drinks'] }],
    });
  });

  it('reads derived measures', () => {
    expect(query('average daily sales last month').measures).toEqual(['average_daily_sales']);
    expect(query('sales per guest last week').measures).toEqual(['sales_per_guest']);
    expect(query('food cost percentage last week').measures).toEqual(['food_cost_pct']);
    expect(query('avg guests per day this week').measures).toEqual(['average_daily_guests']);
  });

  it('revenue of a menu item means item sales; guests by menu item is refused', () => {
    expect(query('milkshake revenue in October')).toMatchObject({
      measures: ['item_sales_amount'],
      filters: [{ dimension: 'menu_item', values: ['Milkshake'] }],
    });
    expect(ask('guest count by menu item last week').kind).toBe('clarification');
  });

  it('picks the one measure a word can mean in context ("how many items did we sell")', () => {
    expect(query('how many items did we sell last week').measures).toEqual(['items_sold']);
    expect(query('quantity of fries sold at Chicago #17 last week').measures).toEqual(['items_sold']);
  });
});

describe('conversations inherit only what the new question leaves open', () => {
  const first = query('top 5 stores by guest count last week');

  it('a follow-up shifts the period and keeps the rest', () => {
    expect(query('and the week before?', first)).toMatchObject({
      measures: ['guest_count'],
      dimensions: ['location'],
      limit: 5,
      time: { from: '2026-11-02', to: '2026-11-08', label: 'the week before last week' },
    });
    expect(query('what about last month?', first)).toMatchObject({
      measures: ['guest_count'],
      time: { from: '2026-10-01', to: '2026-10-31' },
    });
    expect(query('by city instead', first)).toMatchObject({ dimensions: ['city'], limit: 5 });
    expect(query('now average check', first)).toMatchObject({ measures: ['average_check'], dimensions: ['location'] });
  });

  it('a question with its own measure starts afresh', () => {
    expect(query('What was the total sales amount yesterday?', first)).toEqual({
      measures: ['net_sales_amount'],
      dimensions: [],
      filters: [],
      time: { from: '2026-11-17', to: '2026-11-17', label: 'yesterday (2026-11-17)' },
    });
    expect(ask('What were total sales yesterday?', first).kind).toBe('clarification');
  });

  it('a new filter replaces the one on the same table', () => {
    const chicago = query('how many guests in Chicago last week');
    expect(query('and in Dallas?', chicago).filters).toEqual([{ dimension: 'city', op: 'eq', values: ['Dallas'] }]);
  });

  it('a follow-up without an earlier question is refused', () => {
    expect(ask('and the week before?').kind).toBe('unsupported');
  });
});

describe('words that used to be dropped (each answered a different question before)', () => {
  it('a list after a grouping cue groups by every item', () => {
    expect(query('sales amount by store and weekday last week').dimensions).toEqual(['location', 'weekday']);
    expect(query('guests by state, city last month').dimensions).toEqual(['state', 'city']);
    // Without a cue, a second dimension word is still only the subject.
    expect(query('net sales for my stores last week').dimensions).toEqual([]);
  });

  it('symbols: "!=", "≠", "<>" and a leading "-" exclude; other operators are asked about', () => {
    const out = [{ dimension: 'city', op: 'not_in', values: ['Chicago'] }];
    for (const q of [
      'net sales last week != Chicago',
      'net sales last week ≠ Chicago',
      'net sales last week <> Chicago',
      'net sales last week -Chicago',
      'net sales city!=Chicago last week',
    ]) {
      expect(query(q).filters, q).toEqual(out);
    }
    const c = ask('net sales last week > 1000');
    expect(c).toMatchObject({ kind: 'clarification', unplaced: ['> 1000'] });
    // A dash inside a word or between words is not an exclusion.
    expect(query('net sales year-over-year').compare?.kind).toBe('previous_year');
    expect(query('net sales last week - Chicago').filters).toEqual([
      { dimension: 'city', op: 'eq', values: ['Chicago'] },
    ]);
  });

  it('"since 2024" runs to yesterday; "the last N months/years" are calendar months and years', () => {
    expect(query('net sales since 2024').time).toMatchObject({ from: '2024-01-01', to: '2026-11-17' });
    expect(query('revenue in 2024').time).toMatchObject({ from: '2024-01-01', to: '2024-12-31' });
    expect(query('revenue for the last 12 months').time).toMatchObject({ from: '2025-11-18', to: '2026-11-17' });
    expect(query('revenue for the last 3 months').time).toMatchObject({ from: '2026-08-18', to: '2026-11-17' });
    expect(query('revenue for the last 2 years').time).toMatchObject({ from: '2024-11-18', to: '2026-11-17' });
    expect(query('revenue for the last 30 days').time).toMatchObject({ from: '2026-10-19', to: '2026-11-17' });
  });

  it('"average sales" is asked about; "average sale" is the average check', () => {
    const c = ask('average sales amount last week');
    expect(c).toMatchObject({ kind: 'clarification' });
    if (c.kind !== 'clarification') return;
    expect(c.choices.map((x) => x.metric)).toEqual(['average_daily_sales', 'average_check']);
    expect(query(c.choices[0]!.question).measures).toEqual(['average_daily_sales']);
    expect(query(c.choices[1]!.question).measures).toEqual(['average_check']);
    expect(query('average sale last week').measures).toEqual(['average_check']);
    expect(query('average sales per day last week').measures).toEqual(['average_daily_sales']);
  });

  it('"the bottom ones" after a top 3 keeps 3; "the worst one" is one; "the worst ones" after one asks', () => {
    const top3 = query('top 3 stores by net sales last week');
    expect(query('what about the bottom ones?', top3)).toMatchObject({ order: { direction: 'asc' }, limit: 3 });
    expect(query('and the worst?', top3)).toMatchObject({ order: { direction: 'asc' }, limit: 3 });
    expect(query('and the worst one?', top3)).toMatchObject({ order: { direction: 'asc' }, limit: 1 });
    const best = query('best store by revenue last week');
    expect(ask('what about the worst ones?', best)).toMatchObject({
      kind: 'clarification',
      message: 'How many stores do you want?',
    });
  });
});

describe('wrong numbers found by a fresh reader (each was answered as something else)', () => {
  it('"the same day last week" is the same weekday 7 days earlier, not the whole of last week', () => {
    expect(query('guest count yesterday vs the same day last week?').compare).toEqual({
      kind: 'range',
      range: { from: '2026-11-10', to: '2026-11-10', label: 'the same day last week (2026-11-10)' },
    });
    expect(query('net sales this week vs the same days last week').compare?.range).toMatchObject({
      from: '2026-11-09',
      to: '2026-11-10',
    });
  });

  it('"for each Seattle store" and "every Texas city" group by the dimension and keep the value as a filter', () => {
    const q = query('avg daily sales for each chicago store last month?');
    expect(q.dimensions).toEqual(['location']);
    expect(q.filters).toEqual([{ dimension: 'city', op: 'eq', values: ['Chicago'] }]);
    expect(query('guests for every texas city last week')).toMatchObject({
      dimensions: ['city'],
      filters: [{ dimension: 'state', op: 'eq', values: ['TX'] }],
    });
  });

  it('"both stores together" after two stores is the two of them as one (the combine rule); "all my stores" drops the filter', () => {
    const first = query('how many guests did chicago #17 have last week?');
    const prev = query('what about #123?', first);
    expect(prev.filters).toEqual([{ dimension: 'location', op: 'eq', values: ['Chicago #123'] }]);
    const both = understand(
      'ok and both stores together?',
      readQuestion('ok and both stores together?', catalog, TODAY),
      { catalog, today: TODAY, values, previous: prev, history: [first, prev] },
    );
    expect(both).toMatchObject({
      kind: 'query',
      query: { filters: [{ dimension: 'location', op: 'in', values: ['Chicago #123', 'Chicago #17'] }] },
    });
    expect(query('ok and all my stores?', prev).filters).toEqual([]);
    expect(query('both my stores together?', prev).filters).toEqual([]);
  });

  it('a follow-up with nothing answered before is refused, not answered with the default period', () => {
    for (const q of ['how many orders was that?', 'and guests?', 'what about dallas?'])
      expect(ask(q).kind).toBe('unsupported');
    // with an earlier answer, "was that" keeps its period
    expect(query('how many orders was that?', query('guests last week')).time).toMatchObject({
      from: '2026-11-09',
      to: '2026-11-15',
    });
  });
});

describe('wordings a fresh reader used that were asked about', () => {
  it('"the 7 days before that" is the previous period; "who", "money" and "make" are read', () => {
    expect(query('orders in the last 7 days vs the 7 days before that?').compare).toEqual({
      kind: 'previous_period',
      range: { from: '2026-11-04', to: '2026-11-10', label: 'the 7 days before' },
    });
    expect(query('who were the top 5 stores by net sales last week?')).toMatchObject({
      dimensions: ['location'],
      limit: 5,
    });
    expect(query('how much money did we make yesterday')).toMatchObject({
      measures: ['net_sales_amount'],
      time: { from: '2026-11-17', to: '2026-11-17' },
    });
  });
});

describe('remembered choices', () => {
  const values = fixtureValues();
  const withChoices = (question: string, choices: Record<string, string>): Intent =>
    understand(question, readQuestion(question, catalog, '2026-11-18'), {
      catalog,
      today: '2026-11-18',
      values,
      choices,
    });

  it('a word this person gave a meaning is read with it, and the intent says which', () => {
    const r = withChoices('sales last week', { sales: 'net_sales_amount' });
    expect(r).toMatchObject({
      kind: 'query',
      query: { measures: ['net_sales_amount'] },
      remembered: [{ term: 'sales', metric: 'net_sales_amount' }],
    });
    expect(withChoices('sales by store last week', { sales: 'order_count' })).toMatchObject({
      kind: 'query',
      query: { measures: ['order_count'], dimensions: ['location'] },
    });
  });

  it("without a choice, with a value that is not one of the word's meanings, or with one the question cannot use, it asks", () => {
    expect(withChoices('sales last week', {}).kind).toBe('clarification');
    expect(withChoices('sales last week', { sales: 'food_cost' }).kind).toBe('clarification');
    expect(withChoices('sales last week', { sales: 'DROP TABLE' }).kind).toBe('clarification');
    // "sold" chosen as items sold, asked about stores and guests only: items sold fits, so it is used;
    // chosen as items sold, asked per weekday of the store table only: still fits (items have days).
    expect(withChoices('how much did we sell last week', { sell: 'items_sold' })).toMatchObject({
      kind: 'query',
      query: { measures: ['items_sold'] },
    });
  });

  it('another word keeps asking', () => {
    expect(withChoices('volume last week', { sales: 'net_sales_amount' }).kind).toBe('clarification');
  });
});

describe('derived answers', () => {
  const values = fixtureValues();
  const read = (question: string): Intent =>
    understand(question, readQuestion(question, catalog, '2026-11-18'), { catalog, today: '2026-11-18', values });

  it('a share of one named part', () => {
    expect(read('what % of revenue came from Chicago last week')).toMatchObject({
      kind: 'query',
      query: { derive: 'share', part: [{ dimension: 'city', values: ['Chicago'] }], filters: [], dimensions: [] },
    });
    expect(read('share of guests on the weekend last week')).toMatchObject({
      kind: 'query',
      query: { derive: 'share', part: [{ dimension: 'weekday', op: 'in' }] },
    });
  });

  it('a share of every row of a breakdown, the breakdown named as the subject too', () => {
    expect(read('revenue share by city last week')).toMatchObject({
      kind: 'query',
      query: { derive: 'share', dimensions: ['city'] },
    });
    expect(read('category mix of item revenue last week')).toMatchObject({
      kind: 'query',
      query: { derive: 'share', dimensions: ['category'], measures: ['item_sales_amount'] },
    });
  });

  it('a share with two parts, or none, is asked back; a share of a ratio is refused', () => {
    expect(read('what share of revenue came from Chicago and Dallas last week').kind).toBe('query'); // one list: one part
    expect(read('share of revenue last week').kind).toBe('clarification');
    expect(read('share of average check by city last week')).toMatchObject({
      kind: 'clarification',
      message: expect.stringContaining('does not add up'),
    });
  });

  it('a running total runs along time, a grain chosen from the period when none is named', () => {
    expect(read('running total of revenue this month')).toMatchObject({
      kind: 'query',
      query: { derive: 'running_total', dimensions: ['day'] },
    });
    expect(read('cumulative orders by week this quarter')).toMatchObject({
      kind: 'query',
      query: { derive: 'running_total', dimensions: ['week'] },
    });
  });

  it('two members set against each other', () => {
    expect(read('difference in revenue between Chicago and Dallas last week')).toMatchObject({
      kind: 'query',
      query: {
        versus: [
          { dimension: 'city', op: 'eq', values: ['Chicago'] },
          { dimension: 'city', op: 'eq', values: ['Dallas'] },
        ],
        dimensions: [],
        filters: [],
      },
    });
    expect(read('how much more revenue did Dallas do than Chicago last week')).toMatchObject({
      kind: 'query',
      query: { versus: [{ values: ['Dallas'] }, { values: ['Chicago'] }] },
    });
    expect(read('difference in revenue last week').kind).toBe('clarification');
  });

  it('a moving window is refused by name, never answered as something else', () => {
    expect(read('7-day moving average of revenue last month')).toMatchObject({
      kind: 'clarification',
      unplaced: ['7-day moving average'],
    });
    expect(read('running tally of covers this month')).toMatchObject({
      kind: 'query',
      query: { derive: 'running_total', measures: ['guest_count'] },
    });
  });

  it('a count of what exists takes no period', () => {
    expect(read('how many stores do I have')).toMatchObject({ kind: 'query', query: { measures: ['store_count'] } });
    expect(read('how many stores did we have last week')).toMatchObject({
      kind: 'clarification',
      message: expect.stringContaining('today'),
    });
  });
});

describe('shares and meanings found by the blind sets', () => {
  const values = fixtureValues();
  const read = (question: string): Intent =>
    understand(question, readQuestion(question, catalog, '2026-11-18'), { catalog, today: '2026-11-18', values });
  it('"running total revenue" (the measure read first) and "how many dishes on the menu" (a count, not units sold)', () => {
    expect(read('running total revenue last 14 days')).toMatchObject({
      kind: 'query',
      query: { derive: 'running_total', dimensions: ['day'] },
    });
    expect(read('how many dishes are on our menu')).toMatchObject({
      kind: 'query',
      query: { measures: ['menu_item_count'] },
    });
    expect(read('how many items did we sell last week')).toMatchObject({
      kind: 'query',
      query: { measures: ['items_sold'] },
    });
  });
  it('"share of orders from Texas stores" is Texas\'s share, not each Texas store\'s', () => {
    expect(read('share of orders from texas stores in october')).toMatchObject({
      kind: 'query',
      query: { derive: 'share', part: [{ dimension: 'state', values: ['TX'] }], dimensions: [] },
    });
  });
  it('"sales by category" is asked (one meaning fits only through its alternate); "how many fries did we sell" is not', () => {
    expect(read('sales by category yesterday')).toMatchObject({
      kind: 'clarification',
      choices: [{ metric: 'net_sales_amount' }],
    });
    expect(read('what did we sell by category last week')).toMatchObject({
      kind: 'clarification',
      choices: [{ metric: 'net_sales_amount' }, { metric: 'items_sold' }],
    });
    expect(read('how many fries did we sell last week')).toMatchObject({
      kind: 'query',
      query: { measures: ['items_sold'] },
    });
  });
});

describe('everyday words that are also state codes (a fifth blind set)', () => {
  const values = fixtureValues();
  const read = (question: string): Intent =>
    understand(question, readQuestion(question, catalog, '2026-11-18'), { catalog, today: '2026-11-18', values });
  const stateFilter = (question: string): unknown => {
    const i = read(question);
    return i.kind === 'query' ? i.query.filters.find((f) => f.dimension === 'state')?.values : i.kind;
  };
  it('is a filter only in capitals, next to its dimension, or after a word that introduces a place', () => {
    expect(stateFilter('were my guests up or down last week vs the week before? by what percent')).toBeUndefined();
    expect(stateFilter('oh and guests last week')).toBe('clarification');
    expect(stateFilter('revenue last week, id like it by store')).toBe('clarification');
    expect(stateFilter('guests in or last week')).toEqual(['OR']);
    expect(stateFilter('revenue last week in oh')).toEqual(['OH']);
    expect(stateFilter('revenue in IN last week')).toEqual(['IN']);
    expect(stateFilter('revenue for OH and IN last week')).toEqual(['OH', 'IN']);
    // A question all in capitals says nothing by its case: "OR" there is the word, "IN OH" still a place.
    expect(stateFilter('TEXAS OR FLORIDA REVENUE LAST WEEK')).toEqual(['TX', 'FL']);
    expect(stateFilter('REVENUE IN OH LAST WEEK')).toEqual(['OH']);
    // A code that is no everyday word is read as before.
    expect(stateFilter('tx revenue last week')).toEqual(['TX']);
  });
  it('reads "Dallas\'s" as Dallas and "as percentages of the total" as a share (a sixth blind set)', () => {
    expect(read("how much higher was houston's avg check than dallas's yesterday")).toMatchObject({
      kind: 'query',
      query: { versus: [{ values: ['Houston'] }, { values: ['Dallas'] }] },
    });
    expect(read('revenue split by state for ytd as percentages of the total')).toMatchObject({
      kind: 'query',
      query: { dimensions: ['state'], derive: 'share' },
    });
  });
  it('offers a choice that rewrites the word itself, never the same letters inside another word', () => {
    const i = read('revenue last week in la');
    expect(i.kind === 'clarification' && i.choices?.map((c) => c.question)).toEqual([
      'revenue last week in la city',
      'revenue last week in la state',
    ]);
  });
  it('"now rank by X instead" after a bottom 3 keeps the bottom 3; "both together" after two named stores sums them', () => {
    let history: SemanticQuery[] = [];
    const turn = (q: string): SemanticQuery => {
      const i = understand(q, readQuestion(q, catalog, '2026-11-18'), {
        catalog,
        today: '2026-11-18',
        values,
        ...(history.length ? { previous: history.at(-1)!, history: [...history] } : {}),
      });
      if (i.kind !== 'query') throw new Error(`${q}: ${i.kind}`);
      history.push(i.query);
      return i.query;
    };
    turn('top 3 items by units last month');
    turn('and the bottom 3?');
    expect(turn('now rank by item revenue instead')).toMatchObject({
      measures: ['item_sales_amount'],
      order: { direction: 'asc' },
      limit: 3,
    });
    history = [];
    turn('revenue by store last week');
    turn('just Chicago #17 and Chicago #123');
    expect(turn('both together')).toMatchObject({
      dimensions: [],
      filters: [{ dimension: 'location', op: 'in' }],
    });
  });
});

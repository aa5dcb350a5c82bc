/** The semantic layer: catalog validation, the compiler's exact SQL, the query checks, and the round trip query -> question -> query. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SplitplaneError } from '../errors.js';
import { readQuestion, understand } from '../intent/analyze.js';
import { fixtureValues } from '../../test/support/values-fixture.js';
import { duckdbDialect } from '../engines/duckdb/dialect.js';
import { postgresDialect } from '../engines/postgres/dialect.js';
import { isTimeless, loadCatalog, metricById, parseCatalog } from './catalog.js';
import { compileQuery } from './compile.js';
import { interpretationOf, questionFor } from './describe.js';
import { checkQuery, unwritableFilter, type SemanticQuery } from './query.js';
import { buildValueIndex, valueQueries } from './values.js';
import { databricksDialect } from '../engines/databricks/dialect.js';
import { DATABRICKS_GRAMMAR } from '../engines/databricks/engine-check.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const full = {
  tables: Object.entries(catalog.schema.tables).map(([name, t]) => ({
    name,
    description: t.description,
    columns: Object.entries(t.columns).map(([n, c]) => ({ name: n, type: c.type, description: c.description })),
  })),
};
const LAST_WEEK = { from: '2026-11-09', to: '2026-11-15', label: 'last week' };

describe('catalog validation', () => {
  const base = {
    version: 2,
    defaultTimeRange: 'last_week',
    tables: {
      daily_sales: { alias: 'm', time: 'business_date', joins: { locations: 'location_id' } },
      locations: { alias: 'l' },
    },
  };
  const metric = {
    label: 'x',
    description: 'x',
    table: 'daily_sales',
    aggregate: 'sum',
    expr: 'guest_count',
    format: 'integer',
  };
  it.each([
    ['an unknown key', { ...base, metrics: [{ ...metric, id: 'a', synonyms: ['a a'] }], extra: 1 }, /extra/],
    [
      'a word claimed twice',
      {
        ...base,
        metrics: [
          { ...metric, id: 'a', synonyms: ['same'] },
          { ...metric, id: 'b', synonyms: ['same'] },
        ],
      },
      /"same" names both/,
    ],
    [
      'an unknown column',
      { ...base, metrics: [{ ...metric, id: 'a', expr: 'tips', synonyms: ['a a'] }] },
      /no column tips/,
    ],
    [
      'SQL in an expression',
      { ...base, metrics: [{ ...metric, id: 'a', expr: 'guest_count); DROP TABLE x', synonyms: ['a a'] }] },
      /unexpected/,
    ],
    [
      'a formula over an unknown measure',
      {
        ...base,
        metrics: [
          {
            id: 'r',
            label: 'r',
            description: 'r',
            formula: 'a / nope',
            decimals: 2,
            format: 'decimal',
            synonyms: ['r r'],
          },
          { ...metric, id: 'a', synonyms: ['a a'] },
        ],
      },
      /unknown metric nope/,
    ],
    [
      'a formula cycle',
      {
        ...base,
        metrics: [
          {
            id: 'p',
            label: 'p',
            description: 'p',
            formula: 'q / 2',
            decimals: 2,
            format: 'decimal',
            synonyms: ['p p'],
          },
          {
            id: 'q',
            label: 'q',
            description: 'q',
            formula: 'p * 2',
            decimals: 2,
            format: 'decimal',
            synonyms: ['q q'],
          },
        ],
      },
      /cycle/,
    ],
    [
      'a table that is not a sandbox table',
      {
        ...base,
        tables: { ...base.tables, customers: { alias: 'c' } },
        metrics: [{ ...metric, id: 'a', synonyms: ['a a'] }],
      },
      /customers is not a sandbox table/,
    ],
  ])('refuses %s at start-up', (_name, raw, message) => {
    expect(() => parseCatalog(raw, catalog.schema)).toThrow(SplitplaneError);
    expect(() => parseCatalog(raw, catalog.schema)).toThrow(message);
  });

  it('the shipped catalog resolves derived measures to their fact table', () => {
    expect(catalog.metrics.find((m) => m.id === 'food_cost_pct')).toMatchObject({
      table: 'item_sales',
      needs: ['menu_items'],
      decimals: 2,
    });
  });
});

describe('rankings within groups (issue 34)', () => {
  const perState: SemanticQuery = {
    measures: ['net_sales_amount'],
    dimensions: ['location', 'state'],
    filters: [],
    time: LAST_WEEK,
    order: { measure: 'net_sales_amount', by: 'value', direction: 'desc' },
    limit: 3,
    per: ['state'],
  };
  it('compiles to a window over the groups, the first N of each kept, never an overall LIMIT', () => {
    const sql = compileQuery(perState, catalog, full, duckdbDialect).sql;
    expect(sql).toContain(
      'ROW_NUMBER() OVER (PARTITION BY g."state" ORDER BY g."net_sales_amount" DESC NULLS LAST, g."location" ASC) AS "rank_in_group"',
    );
    expect(sql).toMatch(/WHERE r\."rank_in_group" <= 3 ORDER BY r\."state" ASC, r\."rank_in_group" ASC$/);
    expect(sql).not.toMatch(/LIMIT/);
  });
  it('ranks a rounded measure within groups by its exact value', () => {
    const sql = compileQuery(
      { ...perState, measures: ['average_check'], order: { measure: 'average_check', by: 'value', direction: 'asc' } },
      catalog,
      full,
      duckdbDialect,
    ).sql;
    expect(sql).toContain('g."average_check_exact" ASC NULLS LAST');
    expect(sql.startsWith('SELECT r."location", r."state", r."average_check" FROM')).toBe(true);
  });
  it('refuses a limit over two breakdowns that does not say within what, and a malformed group', () => {
    const { per: _per, ...overall } = perState;
    expect(checkQuery(overall, catalog)?.message).toBe(
      'Rank within what? For example "the top 3 stores in each state".',
    );
    expect(checkQuery({ ...perState, per: ['location'] }, catalog)?.message).toMatch(/within groups/);
    const { limit: _limit, ...unlimited } = perState;
    expect(checkQuery(unlimited, catalog)?.message).toMatch(/within groups/);
  });
  it('reads back as the same query', () => {
    expect(interpretationOf(perState, catalog, 200).text).toContain('top 3 stores · in each state');
    const q = questionFor(perState, catalog);
    expect(q).toContain('in each state');
    const back = understand(q, readQuestion(q, catalog, '2026-11-18'), { catalog, today: '2026-11-18' });
    expect(back).toMatchObject({
      kind: 'query',
      query: { dimensions: ['location', 'state'], per: ['state'], limit: 3 },
    });
  });
});

describe('the compiler', () => {
  it('writes the scenario question exactly', () => {
    expect(
      compileQuery(
        { measures: ['net_sales_amount'], dimensions: [], filters: [], time: LAST_WEEK },
        catalog,
        full,
        duckdbDialect,
      ).sql,
    ).toBe(
      `SELECT SUM(m."net_sales_amount") AS "net_sales_amount" FROM "daily_sales" AS m WHERE m."business_date" BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`,
    );
  });

  it('ranks a rounded measure by its exact value, ties broken by the dimension, joins what it needs, filters by value', () => {
    const q: SemanticQuery = {
      measures: ['average_check'],
      dimensions: ['location'],
      filters: [{ dimension: 'city', op: 'not_in', values: ["O'Hare"] }],
      time: LAST_WEEK,
      order: { measure: 'average_check', by: 'value', direction: 'asc' },
      limit: 3,
    };
    expect(compileQuery(q, catalog, full, postgresDialect).sql).toBe(
      `SELECT l."name" AS "location", CAST(ROUND(CAST(SUM(m."net_sales_amount") AS DECIMAL(38, 6)) / NULLIF(SUM(m."order_count"), 0), 2) AS DECIMAL(18, 2)) AS "average_check" ` +
        `FROM "daily_sales" AS m JOIN "locations" AS l ON l."location_id" = m."location_id" ` +
        `WHERE m."business_date" BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' AND l."city" NOT IN ('O''Hare') ` +
        `GROUP BY l."location_id", l."name" ORDER BY 2 ASC NULLS LAST, CAST(SUM(m."net_sales_amount") AS DECIMAL(38, 6)) / NULLIF(SUM(m."order_count"), 0) ASC NULLS LAST, 1 ASC LIMIT 3`,
    );
  });

  it('compares two periods in one scan, change from unrounded values', () => {
    const sql = compileQuery(
      {
        measures: ['guest_count'],
        dimensions: [],
        filters: [],
        time: LAST_WEEK,
        compare: { kind: 'previous_period', range: { from: '2026-11-02', to: '2026-11-08', label: 'the week before' } },
      },
      catalog,
      full,
      duckdbDialect,
    ).sql;
    expect(sql).toContain(
      `SUM(CASE WHEN m."business_date" BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' THEN m."guest_count" END) AS "guest_count"`,
    );
    expect(sql).toContain(
      `(m."business_date" BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' OR m."business_date" BETWEEN DATE '2026-11-02' AND DATE '2026-11-08')`,
    );
    expect(sql).toContain(`x."guest_count" - x."guest_count_previous" AS "guest_count_change"`);
  });

  it('refuses what the sandbox does not expose (a franchise owner has no unit cost)', () => {
    const owner = {
      tables: full.tables.map((t) =>
        t.name === 'menu_items' ? { ...t, columns: t.columns.filter((c) => c.name !== 'unit_cost') } : t,
      ),
    };
    expect(() =>
      compileQuery(
        { measures: ['food_cost'], dimensions: [], filters: [], time: LAST_WEEK },
        catalog,
        owner,
        duckdbDialect,
      ),
    ).toThrow(expect.objectContaining({ code: 'SP_ERR_POLICY_DENIED' }));
  });

  it('filters a name SQL text cannot carry by its key', () => {
    const sql = compileQuery(
      {
        measures: ['items_sold'],
        dimensions: [],
        filters: [{ dimension: 'menu_item', op: 'eq', values: ['Crème Brûlée'], keys: ['62813'] }],
        time: LAST_WEEK,
      },
      catalog,
      full,
      duckdbDialect,
    ).sql;
    expect(sql).toContain(`i."item_id" = 62813`);
    expect(sql).not.toMatch(/[^\p{ASCII}]/u);
    expect(
      checkQuery(
        {
          measures: ['guest_count'],
          dimensions: [],
          filters: [{ dimension: 'city', op: 'eq', values: ['Montréal'] }],
          time: LAST_WEEK,
        },
        catalog,
      )?.message,
    ).toMatch(/plain ASCII/);
  });

  it('refuses a value it cannot write safely instead of writing it', () => {
    expect(() =>
      compileQuery(
        {
          measures: ['guest_count'],
          dimensions: [],
          filters: [{ dimension: 'city', op: 'eq', values: ['a\\b'] }],
          time: LAST_WEEK,
        },
        catalog,
        full,
        duckdbDialect,
      ),
    ).toThrow(/unchecked query/);
  });
});

describe('values an engine cannot write as text', () => {
  // Spark SQL has no escape the candidate text allows, so Databricks writes plain words only.
  const dbx = databricksDialect('demo', 'main');
  const index = (writesText: (v: string) => boolean) =>
    buildValueIndex(
      catalog,
      valueQueries(
        catalog,
        () => true,
        (s) => `"${s}"`,
      ).map((query) => ({
        query,
        rows:
          query.table === 'locations'
            ? {
                columns: ['location_id', 'name', 'city', 'state'].map((name) => ({ name, type: 'VARCHAR' })),
                rows: [
                  ['628021', "Joe's #21", "Coeur d'Alene", 'ID'],
                  ['628017', 'Chicago #17', 'Chicago', 'IL'],
                ],
                truncated: false,
              }
            : {
                columns: ['item_id', 'name', 'category'].map((name) => ({ name, type: 'VARCHAR' })),
                rows: [['62807', 'Fries', 'Sides']],
                truncated: false,
              },
      })),
      writesText,
    );
  const filtersOf = (question: string, values: ReturnType<typeof index>) => {
    const i = understand(question, readQuestion(question, catalog, '2026-11-18'), {
      catalog,
      today: '2026-11-18',
      values,
    });
    if (i.kind !== 'query') throw new Error(`expected a query, got ${i.kind}`);
    return i.query.filters;
  };

  it('filters a store whose name has an apostrophe by its key on Databricks, by its name elsewhere', () => {
    expect(
      filtersOf(
        "guests at Joe's #21 last week",
        index((v) => dbx.writesText(v)),
      ),
    ).toEqual([{ dimension: 'location', op: 'eq', values: ["Joe's #21"], keys: ['628021'] }]);
    expect(
      filtersOf(
        "guests at Joe's #21 last week",
        index((v) => duckdbDialect.writesText(v)),
      ),
    ).toEqual([{ dimension: 'location', op: 'eq', values: ["Joe's #21"] }]);
    const q = {
      measures: ['guest_count'],
      dimensions: [],
      filters: [{ dimension: 'location', op: 'eq' as const, values: ["Joe's #21"], keys: ['628021'] }],
      time: LAST_WEEK,
    };
    const sql = compileQuery(q, catalog, full, dbx).sql;
    expect(sql).toContain('628021');
    expect(sql).not.toContain('Joe');
    expect(sql).not.toMatch(DATABRICKS_GRAMMAR.refusedCandidateText);
    expect(unwritableFilter(q, catalog, (v) => dbx.writesText(v))).toBeUndefined();
  });

  it('names a value with no key the engine cannot write, instead of failing with an internal error', () => {
    const q: SemanticQuery = {
      measures: ['guest_count'],
      dimensions: [],
      filters: [{ dimension: 'city', op: 'eq', values: ["Coeur d'Alene"] }],
      time: LAST_WEEK,
    };
    expect(unwritableFilter(q, catalog, (v) => dbx.writesText(v))?.message).toBe(
      `I can't filter on the city "Coeur d'Alene" on this warehouse yet: its name has characters its SQL text cannot carry.`,
    );
    expect(unwritableFilter(q, catalog, (v) => duckdbDialect.writesText(v))).toBeUndefined();
    expect(compileQuery(q, catalog, full, duckdbDialect).sql).toContain(`'Coeur d''Alene'`);
    expect(() => dbx.textLiteral("Coeur d'Alene")).toThrow();
  });
});

describe('query checks', () => {
  const q: SemanticQuery = { measures: ['guest_count'], dimensions: [], filters: [], time: LAST_WEEK };
  it.each([
    ['an unknown measure', { ...q, measures: ['tips'] }],
    ['an internal measure', { ...q, measures: ['business_days'] }],
    ['two fact tables', { ...q, measures: ['guest_count', 'items_sold'] }],
    ['a daily measure by menu item', { ...q, dimensions: ['menu_item'] }],
    [
      'an oversized limit',
      {
        ...q,
        dimensions: ['location'],
        order: { measure: 'guest_count', by: 'value', direction: 'desc' },
        limit: 1000,
      },
    ],
    ['a reversed range', { ...q, time: { from: '2026-11-15', to: '2026-11-09', label: 'x' } }],
    ['an unknown dimension', { ...q, filters: [{ dimension: 'business', op: 'eq', values: ['544'] }] }],
    [
      'a day-by-day comparison',
      {
        ...q,
        dimensions: ['day'],
        compare: { kind: 'previous_period', range: { from: '2026-11-02', to: '2026-11-08', label: 'x' } },
      },
    ],
  ] as [string, SemanticQuery][])('refuses %s', (_n, bad) => {
    expect(checkQuery(bad, catalog)).toBeDefined();
  });
  it('accepts a sound query', () => expect(checkQuery(q, catalog)).toBeUndefined());
});

describe('saying what was understood', () => {
  it('one readable line', () => {
    const q: SemanticQuery = {
      measures: ['net_sales_amount'],
      dimensions: ['location'],
      filters: [],
      time: LAST_WEEK,
      order: { measure: 'net_sales_amount', by: 'value', direction: 'desc' },
      limit: 3,
    };
    expect(interpretationOf(q, catalog, 2).text).toBe(
      'sales amount · top 3 stores · last week: 2026-11-09 to 2026-11-15 · your 2 locations',
    );
  });
});

// Every query the parser can produce, written back as a question, is read as the same query.
const values = fixtureValues();
const measureIds = catalog.metrics.filter((m) => !m.internal).map((m) => m.id);
const arbitraryQuery = fc
  .record({
    measure: fc.constantFrom(...measureIds),
    dim: fc.constantFrom(undefined, 'location', 'city', 'state', 'day', 'week', 'weekday', 'menu_item', 'category'),
    city: fc.constantFrom(undefined, ['Chicago'], ['Chicago', 'Dallas']),
    excludeState: fc.boolean(),
    item: fc.constantFrom(undefined, 'Fries', 'Milkshake'),
    from: fc.integer({ min: 0, max: 300 }),
    days: fc.integer({ min: 1, max: 60 }),
    rank: fc.constantFrom(undefined, { direction: 'desc' as const, limit: 3 }, { direction: 'asc' as const, limit: 1 }),
    compare: fc.constantFrom(undefined, 'previous_period' as const, 'previous_year' as const),
  })
  .map((r): SemanticQuery => {
    const from = new Date(Date.UTC(2026, 0, 1) + r.from * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.UTC(2026, 0, 1) + (r.from + r.days - 1) * 86_400_000).toISOString().slice(0, 10);
    const filters = [
      ...(r.city
        ? [{ dimension: 'city', op: r.city.length === 1 ? ('eq' as const) : ('in' as const), values: r.city }]
        : []),
      ...(r.excludeState ? [{ dimension: 'state', op: 'not_in' as const, values: ['TX'] }] : []),
      ...(r.item ? [{ dimension: 'menu_item', op: 'eq' as const, values: [r.item] }] : []),
    ];
    const dims = r.dim ? [r.dim] : [];
    const time = { from, to, label: from === to ? from : `${from} to ${to}` };
    return {
      measures: [r.measure],
      dimensions: dims,
      filters,
      time,
      ...(r.compare ? { compare: { kind: r.compare, range: { from: '', to: '', label: '' } } } : {}),
      ...(r.rank && dims.length
        ? { order: { measure: r.measure, by: 'value', direction: r.rank.direction }, limit: r.rank.limit }
        : {}),
    };
  })
  .filter((q) => {
    const { compare: _ignored, ...plain } = q;
    return checkQuery(plain, catalog) === undefined;
  });

describe('round trip', () => {
  test.prop([arbitraryQuery], { numRuns: 1000, seed: 20261202 })('query -> question -> the same query', (q) => {
    const question = questionFor(q, catalog);
    const r = understand(question, readQuestion(question, catalog, '2026-11-18'), {
      catalog,
      today: '2026-11-18',
      values,
    });
    if (checkQuery(q.compare ? { ...q, compare: { kind: q.compare.kind, range: q.time } } : q, catalog)) return; // a comparison the checks refuse (day by day)
    expect(r.kind, `${question} -> ${JSON.stringify(r)}`).toBe('query');
    if (r.kind !== 'query') return;
    const got = r.query;
    // A timeless measure ("number of stores") has no period: its question names none.
    const timeless = isTimeless(catalog, metricById(catalog, q.measures[0]!)!);
    expect(
      { ...got, time: timeless ? 'none' : { from: got.time.from, to: got.time.to }, compare: got.compare?.kind },
      question,
    ).toEqual({
      ...q,
      time: timeless ? 'none' : { from: q.time.from, to: q.time.to },
      compare: q.compare?.kind,
    });
  });
});

/** The data-coverage check: a comparison against days without data is refused, a period that starts before the data is noted. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from './catalog.js';
import { checkCoverage, coverageQueries, dayOf, type Coverage } from './coverage.js';
import { createCoverageLoader } from './value-loader.js';
import type { SemanticQuery } from './query.js';

const catalog = loadCatalog('catalog/metrics.yaml');
// As in the demo data: daily sales from 2025-10-31, item sales only from 2026-07-21.
const coverage: Coverage = new Map([
  ['daily_sales', { first: '2025-10-31', last: '2026-11-17' }],
  ['item_sales', { first: '2026-07-21', last: '2026-11-17' }],
]);
const YTD = { from: '2026-01-01', to: '2026-11-17', label: 'this year to date' };
const LAST_YEAR_SAME_DAYS = { from: '2025-01-01', to: '2025-11-17', label: 'the same days last year' };
const q = (over: Partial<SemanticQuery>): SemanticQuery => ({
  measures: ['net_sales_amount'],
  dimensions: [],
  filters: [],
  time: YTD,
  ...over,
});

describe('checkCoverage', () => {
  it('passes a period the data covers', () => {
    expect(checkCoverage(q({}), catalog, coverage)).toEqual({ kind: 'ok' });
    expect(
      checkCoverage(
        q({ measures: ['items_sold'], time: { from: '2026-11-01', to: '2026-11-17', label: 'this month' } }),
        catalog,
        coverage,
      ),
    ).toEqual({ kind: 'ok' });
  });

  it('refuses a comparison whose earlier period starts before the data, and offers the period alone', () => {
    const v = checkCoverage(q({ compare: { kind: 'previous_year', range: LAST_YEAR_SAME_DAYS } }), catalog, coverage);
    expect(v.kind).toBe('refuse');
    if (v.kind !== 'refuse') return;
    expect(v.message).toContain('starts on 2025-10-31');
    expect(v.message).toContain('only partly covered');
    expect(v.choices).toHaveLength(1);
    expect(v.choices[0]!.label).toBe('this year to date alone');
    expect(v.choices[0]!.question).not.toMatch(/compar|vs|versus/i);
  });

  it('says "not covered" when the earlier period ends before the data starts', () => {
    const v = checkCoverage(
      q({
        measures: ['item_sales_amount'],
        time: { from: '2026-11-01', to: '2026-11-17', label: 'this month' },
        compare: {
          kind: 'previous_year',
          range: { from: '2025-11-01', to: '2025-11-17', label: 'the same days last year' },
        },
      }),
      catalog,
      coverage,
    );
    expect(v.kind).toBe('refuse');
    if (v.kind === 'refuse')
      expect(v.message).toMatch(/Your data for item sales amount starts on 2026-07-21.*not covered/);
  });

  it('judges each measure by its own table: item measures start later than daily sales', () => {
    const since = { from: '2026-01-01', to: '2026-11-17', label: 'since 2026' };
    expect(checkCoverage(q({ time: since }), catalog, coverage)).toEqual({ kind: 'ok' });
    const v = checkCoverage(q({ measures: ['items_sold'], time: since }), catalog, coverage);
    expect(v).toEqual({
      kind: 'note',
      note: 'Your data for items sold starts on 2026-07-21: this covers 2026-07-21 to 2026-11-17, not from 2026-01-01.',
    });
  });

  it('notes a period wholly before the data', () => {
    const v = checkCoverage(
      q({ time: { from: '2024-03-01', to: '2024-03-31', label: 'March 2024' } }),
      catalog,
      coverage,
    );
    expect(v.kind).toBe('note');
    if (v.kind === 'note') expect(v.note).toContain('there is none for 2024-03-01 to 2024-03-31');
  });

  it('keeps a ranking by value in the offered question, drops a ranking by change', () => {
    const base = {
      dimensions: ['location'],
      limit: 3,
      compare: { kind: 'previous_year' as const, range: LAST_YEAR_SAME_DAYS },
    };
    const byValue = checkCoverage(
      q({ ...base, order: { measure: 'net_sales_amount', by: 'value', direction: 'desc' } }),
      catalog,
      coverage,
    );
    const byChange = checkCoverage(
      q({ ...base, order: { measure: 'net_sales_amount', by: 'change', direction: 'desc' } }),
      catalog,
      coverage,
    );
    expect(byValue.kind === 'refuse' && byValue.choices[0]!.question).toMatch(/top 3/i);
    expect(byChange.kind === 'refuse' && byChange.choices[0]!.question).not.toMatch(/top 3|grew|change/i);
  });

  it('leaves a table with no rows, or not read, to the answer', () => {
    const empty: Coverage = new Map([['daily_sales', undefined]]);
    expect(
      checkCoverage(q({ compare: { kind: 'previous_year', range: LAST_YEAR_SAME_DAYS } }), catalog, empty),
    ).toEqual({ kind: 'ok' });
    expect(
      checkCoverage(q({ compare: { kind: 'previous_year', range: LAST_YEAR_SAME_DAYS } }), catalog, new Map()),
    ).toEqual({ kind: 'ok' });
  });
});

describe('coverage queries', () => {
  it('reads MIN and MAX of the date column of every fact table the sandbox exposes', () => {
    const all = coverageQueries(
      catalog,
      () => true,
      (s) => `"${s}"`,
    );
    expect(all.map((x) => x.table).sort()).toEqual(['daily_sales', 'item_sales']);
    expect(all.find((x) => x.table === 'daily_sales')!.sql).toBe(
      'SELECT MIN(m."business_date") AS "first_day", MAX(m."business_date") AS "last_day" FROM "daily_sales" AS m',
    );
    expect(
      coverageQueries(
        catalog,
        (t) => t !== 'item_sales',
        (s) => s,
      ).map((x) => x.table),
    ).toEqual(['daily_sales']);
  });

  it('reads a date cell as a day', () => {
    expect(dayOf('2026-07-21')).toBe('2026-07-21');
    expect(dayOf(new Date(Date.UTC(2026, 6, 21)))).toBe('2026-07-21');
    expect(dayOf(null)).toBeUndefined();
    expect(dayOf('yesterday')).toBeUndefined();
  });
});

describe('the coverage loader', () => {
  const sandbox = {
    tables: [
      { name: 'daily_sales', description: '', columns: [{ name: 'business_date', type: 'DATE', description: '' }] },
    ],
  };
  const scope = () =>
    Object.freeze({
      tenantId: '12',
      businessId: '628',
      adminId: '7042',
      role: 'franchise_owner',
      units: ['628017'],
      tables: {},
    });
  const result = {
    columns: [
      { name: 'first_day', type: 'DATE' },
      { name: 'last_day', type: 'DATE' },
    ],
    rows: [['2025-10-31', '2026-11-17']],
    truncated: false,
  };

  it('reads each table the sandbox exposes once per scope, again after the TTL, and never caches a failure', async () => {
    let clock = 0;
    const sqls: string[] = [];
    let fail = true;
    const run = async (sql: string) => {
      sqls.push(sql);
      if (fail) throw new Error('warehouse down');
      return result;
    };
    const load = createCoverageLoader(
      catalog,
      (s) => s,
      1000,
      () => clock,
    );
    const s = scope();
    await expect(load(s, sandbox, run)).rejects.toThrow('warehouse down');
    fail = false;
    expect(await load(s, sandbox, run)).toEqual(
      new Map([['daily_sales', { first: '2025-10-31', last: '2026-11-17' }]]),
    );
    await load(s, sandbox, run);
    expect(sqls).toHaveLength(2); // item_sales is not in this sandbox; the failed read was retried once
    clock = 1000;
    await load(s, sandbox, run);
    expect(sqls).toHaveLength(3);
    await load(scope(), sandbox, run); // another scope object reads its own
    await load({ ...s }, sandbox, run); // an unfrozen scope is never cached
    await load({ ...s }, sandbox, run);
    expect(sqls).toHaveLength(6);
  });
});

import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../engines/duckdb/dialect.js';
import { postgresDialect } from '../engines/postgres/dialect.js';
import { databricksDialect } from '../engines/databricks/dialect.js';
import { SplitplaneError } from '../errors.js';
import { buildSandbox } from '../sandbox/sandbox.js';
import { refinementsOf } from './refinements.js';
import type { Scope } from './scope.js';
import { DEMO_REGISTRY } from '../../test/support/demo-catalog.js';

const TABLES = {
  daily_sales: ['location_id', 'business_date', 'net_sales_amount'],
  locations: ['location_id', 'name', 'state', 'manager_email'],
  menu_items: ['item_id', 'price'],
};
const TODAY = '2026-11-18';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof SplitplaneError ? e.code : String(e);
  }
};

describe('decision refinements fail closed', () => {
  it.each([
    ['an unknown column', { row_filters: { daily_sales: [{ column: 'tenant_secret', op: 'eq', values: [1] }] } }],
    [
      'a filter on a table the decision does not expose',
      { row_filters: { item_sales: [{ column: 'quantity', op: 'gte', values: [1] }] } },
    ],
    [
      'a text value for a number column',
      { row_filters: { daily_sales: [{ column: 'net_sales_amount', op: 'gte', values: ['100'] }] } },
    ],
    [
      'a number for a date column',
      { row_filters: { daily_sales: [{ column: 'business_date', op: 'gte', values: [20260101] }] } },
    ],
    [
      'a malformed date',
      { row_filters: { daily_sales: [{ column: 'business_date', op: 'gte', values: ['2026-13-45'] }] } },
    ],
    [
      'between with one value',
      { row_filters: { daily_sales: [{ column: 'business_date', op: 'between', values: ['2026-01-01'] }] } },
    ],
    ['eq with two values', { location_filters: [{ column: 'state', op: 'eq', values: ['IL', 'WI'] }] }],
    [
      'a relative window on a text column',
      { location_filters: [{ column: 'state', op: 'within_last_days', values: [30] }] },
    ],
    [
      'a relative window of zero days',
      { row_filters: { daily_sales: [{ column: 'business_date', op: 'within_last_days', values: [0] }] } },
    ],
    ['a mask on a column the decision does not expose', { masks: { locations: { city: { kind: 'null' } } } }],
    ['partial_email on a number', { masks: { menu_items: { price: { kind: 'partial_email' } } } }],
    ['round on text', { masks: { locations: { name: { kind: 'round', digits: 0 } } } }],
    // price is DECIMAL(8,2): rounding to cents or buckets of a cent change nothing.
    ['a rounding that keeps every digit', { masks: { menu_items: { price: { kind: 'round', digits: 2 } } } }],
    ['a bucket no wider than a cent', { masks: { menu_items: { price: { kind: 'bucket', width: 0.01 } } } }],
    ['rounding an integer ID to units', { masks: { menu_items: { item_id: { kind: 'round', digits: 0 } } } }],
    ['round without digits', { masks: { menu_items: { price: { kind: 'round' } } } }],
    ['fixed with a digits field', { masks: { locations: { name: { kind: 'fixed', value: 'x', digits: 1 } } } }],
    ['a keyed hash without a key', { masks: { locations: { name: { kind: 'hash' } } } }],
    // A date Date.parse would roll over (to 2026-03-03), not refuse.
    [
      'a day past the end of its month',
      { row_filters: { daily_sales: [{ column: 'business_date', op: 'lte', values: ['2026-02-31'] }] } },
    ],
    [
      'the 29th of February of a common year',
      {
        row_filters: {
          daily_sales: [{ column: 'business_date', op: 'between', values: ['2025-01-01', '2025-02-29'] }],
        },
      },
    ],
    // IDs bind as doubles: above 2^53 two IDs would compare equal, so such a filter could match a neighbour's rows.
    [
      'an ID above 2^53',
      // eslint-disable-next-line no-loss-of-precision -- the literal is above 2^53 on purpose: the refinement must refuse it
      { row_filters: { daily_sales: [{ column: 'location_id', op: 'in', values: [9007199254740993] }] } },
    ],
    ['a fractional ID', { location_filters: [{ column: 'location_id', op: 'eq', values: [1.5] }] }],
    // Names that exist on every object's prototype are not tables or columns.
    [
      'a filter on the table "constructor"',
      { row_filters: { constructor: [{ column: 'name', op: 'eq', values: ['x'] }] } },
    ],
    ['a filter on the column "constructor"', { location_filters: [{ column: 'constructor', op: 'eq', values: [1] }] }],
    [
      'a filter on the column "__proto__"',
      { row_filters: { daily_sales: [{ column: '__proto__', op: 'eq', values: [1] }] } },
    ],
    ['masks on the table "toString"', { masks: { toString: { name: { kind: 'null' } } } }],
    ['a mask on the column "hasOwnProperty"', { masks: { locations: { hasOwnProperty: { kind: 'null' } } } }],
  ])('refuses %s', (_name, d) => {
    expect(code(() => refinementsOf(d as never, TABLES, TODAY, DEMO_REGISTRY))).toBe('SP_ERR_POLICY_INVALID');
  });

  it('keeps an ID a double holds exactly and a real leap day', () => {
    const r = refinementsOf(
      {
        row_filters: {
          daily_sales: [
            { column: 'location_id', op: 'in', values: [9007199254740991, 3001] },
            { column: 'business_date', op: 'lte', values: ['2024-02-29'] },
          ],
        },
      },
      TABLES,
      TODAY,
      DEMO_REGISTRY,
    );
    expect(r.filters?.['daily_sales']?.map((f) => f.values)).toEqual([[9007199254740991, 3001], ['2024-02-29']]);
  });

  it('resolves a relative window against the service date and keeps the rest as given', () => {
    const r = refinementsOf(
      {
        row_filters: { daily_sales: [{ column: 'business_date', op: 'within_last_days', values: [90] }] },
        location_filters: [{ column: 'state', op: 'in', values: ['IL', 'WI'] }],
        masks: { locations: { manager_email: { kind: 'partial_email' } } },
      },
      TABLES,
      TODAY,
      DEMO_REGISTRY,
    );
    expect(r).toEqual({
      filters: { daily_sales: [{ column: 'business_date', op: 'gte', values: ['2026-08-20'] }] },
      unitFilters: [{ column: 'state', op: 'in', values: ['IL', 'WI'] }],
      masks: { locations: { manager_email: { kind: 'partial_email' } } },
    });
  });
});

describe('keyed-hash masks are keyed per tenant and business (no linkage across tenants)', () => {
  const SECRET = 'k3y-that-must-stay-out-of-the-text';
  const keyOf = (tenantId: string, businessId: string): unknown => {
    const r = refinementsOf(
      { masks: { locations: { manager_email: { kind: 'hash' } } } },
      TABLES,
      TODAY,
      DEMO_REGISTRY,
      { secret: SECRET, tenantId, businessId },
    );
    const m = r.masks?.['locations']?.['manager_email'];
    return m?.kind === 'hash' ? m.key : m;
  };

  it('derives the key from the secret and the IDs: another tenant or business gets another key, one business always the same, never the secret', () => {
    const key = keyOf('12', '628');
    // Pinned: HMAC-SHA256 under the secret of "splitplane/mask-key/v1:12:628". Changing the derivation
    // changes every hash a deployment shows, so it must be a decision, not an accident.
    expect(key).toBe('7239c6fb76f147e0f05caaa13ee437adeb12861e862f84f74f3a4ac54e8089f4');
    expect(keyOf('12', '628')).toBe(key);
    for (const [t, b] of [
      ['31', '544'],
      ['12', '629'],
      ['13', '628'],
      ['1', '2628'],
      ['126', '28'],
    ])
      expect(keyOf(t!, b!), `${t}/${b}`).not.toBe(key);
    expect(String(key)).not.toContain(SECRET);
  });
});

describe('the sandbox compiles filters and masks with every value bound', () => {
  const scope = Object.freeze({
    tenantId: '12',
    businessId: '628',
    adminId: '7101',
    role: 'regional_director',
    units: Object.freeze(['628017', '628028']),
    tables: TABLES,
    filters: { daily_sales: [{ column: 'business_date', op: 'between', values: ['2026-01-01', '2026-06-30'] }] },
    unitFilters: [{ column: 'state', op: 'in', values: ['IL', 'WI'] }],
    masks: {
      locations: { manager_email: { kind: 'hash', key: 'k3y-that-must-stay-out-of-the-text' } },
      menu_items: { price: { kind: 'bucket', width: 5 } },
    },
  } as const satisfies Scope);

  it.each([duckdbDialect, postgresDialect])('on %s: no value of the decision is in the text', (dialect) => {
    const s = buildSandbox(scope, dialect, DEMO_REGISTRY);
    for (const v of ['IL', 'WI', '2026-01-01', '2026-06-30', 'k3y-that-must-stay-out-of-the-text', '628017'])
      expect(s.cteSql).not.toContain(v);
    const values = s.bindings.filter((b) => typeof b !== 'string');
    expect(values.map((b) => (typeof b === 'string' ? b : b.value))).toEqual(
      expect.arrayContaining([['IL', 'WI'], '2026-01-01', '2026-06-30', 'k3y-that-must-stay-out-of-the-text', 5]),
    );
    // The masked columns keep their names; a generator is told they are masked.
    const described = s.tables.find((t) => t.name === 'locations')!.columns.find((c) => c.name === 'manager_email')!;
    expect(described.description).toContain('masked');
  });

  it('refuses filters and masks on an engine that cannot bind them (Databricks), instead of dropping them', () => {
    expect(code(() => buildSandbox(scope, databricksDialect('main', 'demo'), DEMO_REGISTRY))).toBe(
      'SP_ERR_POLICY_INVALID',
    );
  });
});

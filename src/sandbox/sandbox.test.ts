/** Sandbox CTEs, compared as exact strings. */
import { describe, expect, it } from 'vitest';
import type { Scope } from '../policy/scope.js';
import { bindScope } from '../warehouse/bindings.js';
import { databricksDialect } from '../engines/databricks/dialect.js';
import { duckdbDialect } from '../engines/duckdb/dialect.js';
import { postgresDialect } from '../engines/postgres/dialect.js';
import { buildSandbox, describeSandbox } from './sandbox.js';
import { DEMO_REGISTRY } from '../../test/support/demo-catalog.js';

const scope: Scope = {
  tenantId: '12',
  businessId: '628',
  adminId: '7042',
  role: 'franchise_owner',
  units: ['628017', '628123'],
  tables: { daily_sales: ['net_sales_amount', 'location_id', 'business_date'], menu_items: ['name', 'item_id'] },
};
const DIALECTS = [duckdbDialect, postgresDialect, databricksDialect('main', 'analytics')];

describe('buildSandbox', () => {
  it('renders one materialised CTE per table: allowed columns only, rows of the bound tenant, business and locations', () => {
    const sb = buildSandbox(scope, duckdbDialect, DEMO_REGISTRY);
    expect(sb.cteSql).toBe(
      '"daily_sales" AS MATERIALIZED (SELECT "location_id", "business_date", "net_sales_amount" FROM "main"."fact_daily_sales" ' +
        'WHERE "tenant_id" = $sp_tenant AND "business_id" = $sp_business AND list_contains($sp_units, "location_id")),\n' +
        '     "menu_items" AS MATERIALIZED (SELECT "item_id", "name" FROM "main"."dim_menu_items" WHERE "tenant_id" = $sp_tenant AND "business_id" = $sp_business)',
    );
    expect([...sb.names]).toEqual(['daily_sales', 'menu_items']);
    expect(sb.bindings).toEqual(['sp_tenant', 'sp_business', 'sp_units']);
  });

  it('numbers positional parameters in order of first use (PostgreSQL), and names them on Databricks', () => {
    expect(buildSandbox(scope, postgresDialect, DEMO_REGISTRY).cteSql).toContain(
      'WHERE "tenant_id" = $1::bigint AND "business_id" = $2::bigint AND "location_id" = ANY($3::bigint[]))',
    );
    const perBusiness = buildSandbox({ ...scope, tables: { menu_items: ['name'] } }, postgresDialect, DEMO_REGISTRY);
    expect(perBusiness.cteSql).toContain('"tenant_id" = $1::bigint AND "business_id" = $2::bigint)');
    expect(perBusiness.bindings).toEqual(['sp_tenant', 'sp_business']);
    expect(buildSandbox(scope, databricksDialect('main', 'analytics'), DEMO_REGISTRY).cteSql).toContain(
      "WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_units, 'ARRAY<BIGINT>'), location_id))",
    );
  });

  it('writes no ID: the text is the same for every scope of one shape, whatever its size', () => {
    for (const d of DIALECTS) {
      const two = buildSandbox(scope, d, DEMO_REGISTRY);
      const many = buildSandbox(
        {
          ...scope,
          tenantId: '31',
          businessId: '544',
          units: Array.from({ length: 10_000 }, (_, i) => String(10_000_000 + i)),
        },
        d,
        DEMO_REGISTRY,
      );
      expect(many.cteSql).toBe(two.cteSql);
      for (const id of ['628017', '628123', '628', '544', '10000000'])
        expect(two.cteSql + many.cteSql).not.toContain(id);
      expect(many.unitTotal).toBe(10_000);
    }
  });

  it('renders an empty location grant as FALSE, never as "all locations", with nothing to bind for it', () => {
    const sb = buildSandbox({ ...scope, units: [] }, duckdbDialect, DEMO_REGISTRY);
    expect(sb.tables[0]?.definition).toContain('AND "business_id" = $sp_business AND FALSE)');
    expect(sb.bindings).toEqual(['sp_tenant', 'sp_business']);
  });

  it('refuses a scope whose values are not decimal IDs', () => {
    expect(() => buildSandbox({ ...scope, businessId: '628 OR 1=1' }, duckdbDialect, DEMO_REGISTRY)).toThrow(
      /SP_ERR_POLICY_INVALID|scope IDs/,
    );
    expect(() => buildSandbox({ ...scope, units: ['1) OR (1=1'] }, duckdbDialect, DEMO_REGISTRY)).toThrow(
      /SP_ERR_POLICY_INVALID|scope IDs/,
    );
  });

  it('refuses a table the registry does not know', () => {
    expect(() => buildSandbox({ ...scope, tables: { customers: ['email'] } }, duckdbDialect, DEMO_REGISTRY)).toThrow(
      /no sandbox spec/,
    );
  });

  it('describes only CTE names, columns and descriptions: no raw table name, no ID', () => {
    const text = JSON.stringify(describeSandbox(buildSandbox(scope, duckdbDialect, DEMO_REGISTRY)));
    for (const raw of DEMO_REGISTRY.rawTables) expect(text).not.toContain(raw);
    for (const id of ['628017', '628123', '"12"', '628']) expect(text).not.toContain(id);
  });
});

describe('bindScope', () => {
  const verified = { tenantId: '12', businessId: '628', units: ['628017', '628123'] };
  it('takes every value from the verified scope, in the order the text asks for them', () => {
    expect(bindScope(['sp_tenant', 'sp_business', 'sp_units'], verified)).toEqual([
      { name: 'sp_tenant', type: 'bigint', value: '12' },
      { name: 'sp_business', type: 'bigint', value: '628' },
      { name: 'sp_units', type: 'bigint[]', value: ['628017', '628123'] },
    ]);
    expect(bindScope(undefined, undefined)).toEqual([]);
  });
  it('passes a decision value on only when its name, type and value agree', () => {
    expect(bindScope(['sp_tenant', { name: 'sp_v1', type: 'text[]', value: ['IL', 'WI'] }], verified)).toEqual([
      { name: 'sp_tenant', type: 'bigint', value: '12' },
      { name: 'sp_v1', type: 'text[]', value: ['IL', 'WI'] },
    ]);
    for (const bad of [
      { name: 'sp_v1', type: 'date', value: 'yesterday' },
      { name: 'sp_v1', type: 'number', value: '5' },
      { name: 'sp_v1', type: 'text[]', value: [] },
      { name: 'sp_tenant2', type: 'text', value: 'x' },
    ] as const) {
      expect(() => bindScope([bad], verified), JSON.stringify(bad)).toThrow(/decision value/);
    }
  });
  it('refuses bound text without a scope, a name outside the scope, a name twice and a value that is not an ID', () => {
    expect(() => bindScope(['sp_tenant'], undefined)).toThrow(/without a verified scope/);
    expect(() => bindScope(['sp_admin'], verified)).toThrow(/not part of the scope/);
    expect(() => bindScope(['sp_tenant', 'sp_tenant'], verified)).toThrow(/twice/);
    expect(() => bindScope(['sp_units'], { ...verified, units: ['1 OR 1=1'] })).toThrow(/scope IDs/);
  });
});

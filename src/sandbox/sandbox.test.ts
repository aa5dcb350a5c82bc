/** Sandbox CTEs, compared as exact strings. */
import { describe, expect, it } from 'vitest';
import type { Scope } from '../policy/scope.js';
import { duckdbDialect } from '../warehouse/duckdb-dialect.js';
import { buildSandbox, describeSandbox } from './sandbox.js';
import { RAW_TABLE_NAMES } from './tables.js';

const scope: Scope = {
  tenantId: '12',
  businessId: '628',
  adminId: '7042',
  role: 'franchise_owner',
  locations: ['628017', '628123'],
  tables: { daily_sales: ['net_sales_amount', 'location_id', 'business_date'], menu_items: ['name', 'item_id'] },
};

describe('buildSandbox', () => {
  it('renders one materialised CTE per table: allowed columns only, rows of this tenant, business and locations', () => {
    const sb = buildSandbox(scope, duckdbDialect);
    expect(sb.cteSql).toBe(
      '"daily_sales" AS MATERIALIZED (SELECT "location_id", "business_date", "net_sales_amount" FROM "main"."fact_daily_sales" ' +
        'WHERE "tenant_id" = 12 AND "business_id" = 628 AND "location_id" IN (628017, 628123)),\n' +
        '     "menu_items" AS MATERIALIZED (SELECT "item_id", "name" FROM "main"."dim_menu_items" WHERE "tenant_id" = 12 AND "business_id" = 628)',
    );
    expect([...sb.names]).toEqual(['daily_sales', 'menu_items']);
  });

  it('renders an empty location grant as FALSE, never as "all locations"', () => {
    const sb = buildSandbox({ ...scope, locations: [] }, duckdbDialect);
    expect(sb.tables[0]?.definition).toContain('AND "business_id" = 628 AND FALSE)');
  });

  it('refuses values that are not decimal IDs', () => {
    expect(() => buildSandbox({ ...scope, businessId: '628 OR 1=1' }, duckdbDialect)).toThrow(/refusing/);
    expect(() => buildSandbox({ ...scope, locations: ['1) OR (1=1'] }, duckdbDialect)).toThrow(/refusing/);
  });

  it('refuses a table the registry does not know', () => {
    expect(() => buildSandbox({ ...scope, tables: { customers: ['email'] } }, duckdbDialect)).toThrow(/no sandbox spec/);
  });

  it('describes only CTE names, columns and descriptions: no raw table name, no ID', () => {
    const text = JSON.stringify(describeSandbox(buildSandbox(scope, duckdbDialect)));
    for (const raw of RAW_TABLE_NAMES) expect(text).not.toContain(raw);
    for (const id of ['628017', '628123', '"12"', '628']) expect(text).not.toContain(id);
  });
});

/** PostgreSQL's second wall is written from the catalog: every exposed table, its own scope columns, nothing else. */
import { describe, expect, it } from 'vitest';
import { parseTableRegistry } from '../../schema/tables.js';
import { rlsStatements } from './rls.js';
import { DEMO_REGISTRY } from '../../../test/support/demo-catalog.js';

describe('row-level security from the catalog', () => {
  it('gives the reader the exposed tables only, each with a policy on its own scope columns', () => {
    const sql = rlsStatements(DEMO_REGISTRY, 'warehouse');
    const reader = sql
      .filter((s) => /TO splitplane_reader$/.test(s) && s.startsWith('GRANT SELECT'))
      .map((s) => /"warehouse"\."(\w+)"/.exec(s)![1])
      .sort();
    expect(reader).toEqual(['dim_locations', 'dim_menu_items', 'fact_daily_sales', 'fact_item_sales']);
    for (const raw of ['dim_admins', 'admin_location_grants', 'customers', 'dim_tenants'])
      expect(sql.filter((s) => s.includes(`"${raw}"`) && s.includes('splitplane_reader'))).toEqual([]);
    const sales = sql.find((s) => s.startsWith('CREATE POLICY scope_reader ON "warehouse"."fact_daily_sales"'))!;
    expect(sales).toContain(
      `"location_id" = ANY (string_to_array(NULLIF(current_setting('splitplane.units', true), ''), ',')::bigint[])`,
    );
    const menu = sql.find((s) => s.startsWith('CREATE POLICY scope_reader ON "warehouse"."dim_menu_items"'))!;
    expect(menu).toContain(`"business_id" = NULLIF(current_setting('splitplane.business_id', true), '')::bigint`);
    expect(menu).not.toContain('splitplane.units');
    expect(sql.filter((s) => s.includes('FORCE ROW LEVEL SECURITY'))).toHaveLength(4);
  });

  it("names another domain's columns, quoted", () => {
    const registry = parseTableRegistry({
      version: 1,
      grantUnit: { name: 'project', plural: 'projects', table: 'projects', key: 'project_id' },
      directory: {
        admins: {
          table: 'Members',
          id: 'member_id',
          tenant: 'OrgId',
          business: 'workspace_id',
          role: 'role',
          active: 'active',
        },
        businesses: { table: 'workspaces', id: 'workspace_id', tenant: 'OrgId' },
        grants: { table: 'member_projects', admin: 'member_id', unit: 'project_id' },
      },
      tables: {
        projects: {
          raw: 'prj',
          description: 'Projects.',
          scope: { tenant: 'OrgId', business: 'workspace_id', unit: 'project_id' },
          columns: { project_id: { type: 'BIGINT', description: 'Project.' } },
        },
        events: {
          raw: 'evt_log',
          description: 'Events.',
          scope: { tenant: 'OrgId', business: 'workspace_id', unit: 'project_id' },
          columns: { occurred_at: { type: 'TIMESTAMP', description: 'When.' } },
        },
      },
    });
    const sql = rlsStatements(registry, 'wh').join('\n');
    expect(sql).toContain(
      `CREATE POLICY scope_reader ON "wh"."evt_log" FOR SELECT TO splitplane_reader USING ("OrgId" = NULLIF(current_setting('splitplane.tenant_id', true), '')::bigint`,
    );
    expect(sql).toContain('GRANT SELECT ON "wh"."Members" TO splitplane_directory');
    expect(sql).not.toMatch(/"Members"[^\n]*splitplane_reader/);
  });
});

import { describe, expect, it } from 'vitest';
import { buildDirectory, directorySql } from './directory-query.js';
import { standardDialect } from './standard-dialect.js';
import type { Dialect } from './connector.js';
import { DEMO_REGISTRY } from '../../test/support/demo-catalog.js';

const row = (admin: string, location: string | null, over: Record<string, unknown> = {}) => ({
  admin_id: admin,
  tenant_id: '12',
  business_id: '628',
  role: 'franchise_owner',
  active: true,
  unit_id: location,
  ...over,
});

describe('the directory, one set of rules for every engine', () => {
  it('groups grants per admin, unique and in numeric order (not text order)', () => {
    const d = buildDirectory([row('7042', '628010'), row('7042', '628002'), row('7042', '628010'), row('7042', '99')]);
    expect(d.admins.get('7042')?.units).toEqual(['99', '628002', '628010']);
    expect(Object.isFrozen(d.admins.get('7042')?.units)).toBe(true);
  });

  it('keeps an admin without a grant of its own business, with no locations', () => {
    expect(buildDirectory([row('7001', null)]).admins.get('7001')).toMatchObject({ adminId: '7001', units: [] });
  });

  it('reads active from a boolean or the text true, and nothing else', () => {
    const d = buildDirectory([
      row('1', null, { active: 'true' }),
      row('2', null, { active: 'false' }),
      row('3', null, { active: 1 }),
    ]);
    expect([...d.admins.values()].map((a) => a.active)).toEqual([true, false, false]);
  });

  it('refuses an admin listed twice with different attributes (on every engine, not only DuckDB)', () => {
    expect(() => buildDirectory([row('7042', '628002'), row('7042', '628003', { business_id: '629' })])).toThrow(
      /appears twice/,
    );
    expect(() => buildDirectory([row('7042', null), row('7042', null, { role: 'district_manager' })])).toThrow(
      /appears twice/,
    );
  });

  it("is one query, in the engine's own names for tables and the text type", () => {
    const dialect: Dialect = {
      ...standardDialect,
      name: 't',
      displayName: 'T',
      textType: 'STRING',
      rawTable: (n) => `cat.sch.${n}`,
      scopeParam: () => '?',
      inBoundList: () => 'TRUE',
    };
    const sql = directorySql(dialect, DEMO_REGISTRY);
    for (const t of ['dim_admins', 'dim_businesses', 'admin_location_grants', 'dim_locations'])
      expect(sql).toContain(`cat.sch.${t}`);
    expect(sql).toContain('CAST(a.admin_id AS STRING)');
    // A grant counts only for a location of the admin's own business.
    expect(sql).toMatch(/g\.business_id = a\.business_id/);
  });
});

/** The compiled Rego policy through opa-wasm, over the directory read from the demo warehouse. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { SplitplaneError } from '../errors.js';
import type { Directory } from '../identity/directory.js';
import type { Identity } from '../identity/identity.js';
import type { EngineConnector } from '../engines/engine.js';
import { openDuckDb } from '../engines/duckdb/connector.js';
import { ascendingUnique, loadOpaWasmPolicy, type ReloadablePolicyEngine } from './opa-wasm.js';
import { loadDirectory } from '../warehouse/directory-query.js';
import { DEMO_REGISTRY } from '../../test/support/demo-catalog.js';

let connector: EngineConnector;
let directory: Directory;
let policy: ReloadablePolicyEngine;

const who = (tenantId: string, businessId: string, adminId: string): Identity => ({
  tenantId,
  businessId,
  adminId,
  role: '',
  accessKeyId: 'K',
  sessionKey: `${tenantId}/${businessId}/${adminId}`,
});

beforeAll(async () => {
  connector = await openDuckDb({ registry: DEMO_REGISTRY, path: inject('demoDb'), threads: 1, memoryLimit: '512MB' });
  directory = await loadDirectory(connector, DEMO_REGISTRY);
  policy = await loadOpaWasmPolicy('policies/build/policy.wasm', directory, DEMO_REGISTRY);
});
afterAll(async () => {
  await connector.close();
});

describe('scope decisions', () => {
  it('grants the franchise owner exactly the two Chicago stores, without cost or manager columns', async () => {
    const scope = await policy.decide(who('12', '628', '7042'));
    expect(scope).toEqual({
      tenantId: '12',
      businessId: '628',
      adminId: '7042',
      role: 'franchise_owner',
      units: ['628017', '628123'],
      tables: {
        daily_sales: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'],
        item_sales: ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'],
        locations: ['location_id', 'name', 'city', 'state', 'opened_on'],
        menu_items: ['item_id', 'name', 'category', 'price'],
      },
    });
  });

  it('grants the brand manager all 200 stores and the cost columns', async () => {
    const scope = await policy.decide(who('12', '628', '7001'));
    expect(scope.units).toHaveLength(200);
    expect(scope.units.every((l) => l.startsWith('628'))).toBe(true);
    expect(scope.tables['menu_items']).toContain('unit_cost');
  });

  it.each([
    ['a swapped tenant', who('31', '628', '7042')],
    ['another business', who('12', '544', '7042')],
    ['an unknown admin', who('12', '628', '999999')],
    ['an admin of another tenant claiming business 628', who('12', '628', '5401')],
  ])('denies %s', async (_n, identity) => {
    await expect(policy.decide(identity)).rejects.toMatchObject({ code: 'SP_ERR_POLICY_DENIED' });
  });

  it('denies everyone when the directory is empty (deny by default)', async () => {
    const empty = await loadOpaWasmPolicy(
      'policies/build/policy.wasm',
      { admins: new Map(), loadedAt: new Date() },
      DEMO_REGISTRY,
    );
    await expect(empty.decide(who('12', '628', '7042'))).rejects.toBeInstanceOf(SplitplaneError);
  });

  it('refuses the whole decision when the directory holds a malformed location ID (fail closed)', async () => {
    const admins = new Map(directory.admins);
    admins.set('7042', { ...directory.admins.get('7042')!, units: ['628017', '1) OR (1=1'] });
    const bad = await loadOpaWasmPolicy('policies/build/policy.wasm', { admins, loadedAt: new Date() }, DEMO_REGISTRY);
    await expect(bad.decide(who('12', '628', '7042'))).rejects.toMatchObject({ code: 'SP_ERR_POLICY_INVALID' });
    // Only that admin: the others' grants are well-formed.
    expect((await bad.decide(who('12', '628', '7001'))).units).toHaveLength(200);
  });

  it("reads a granted admin's locations from the directory snapshot it was given, and a reload replaces them", async () => {
    const admins = new Map(directory.admins);
    const wide = Array.from({ length: 10_000 }, (_, k) => String(628_001 + k));
    admins.set('7042', { ...directory.admins.get('7042')!, units: wide });
    const reloaded = await loadOpaWasmPolicy(
      'policies/build/policy.wasm',
      { admins, loadedAt: new Date() },
      DEMO_REGISTRY,
    );
    expect((await reloaded.decide(who('12', '628', '7042'))).units).toEqual(wide);
    reloaded.setDirectory(directory);
    expect((await reloaded.decide(who('12', '628', '7042'))).units).toEqual(['628017', '628123']);
  });

  it.each([
    ['a table named after a prototype property', (t: Record<string, string[]>) => ({ ...t, constructor: [] })],
    [
      'a column named after a prototype property',
      (t: Record<string, string[]>) => ({ ...t, locations: [...t['locations']!, 'constructor'] }),
    ],
    [
      'the column __proto__',
      (t: Record<string, string[]>) => ({ ...t, menu_items: [...t['menu_items']!, '__proto__'] }),
    ],
  ])('refuses a decision that names %s, with the policy error code', async (_name, edit) => {
    const p = await loadOpaWasmPolicy('policies/build/policy.wasm', directory, DEMO_REGISTRY);
    const real = p.rawDecision(who('12', '628', '7042')) as { tables: Record<string, string[]> };
    // The policy as a compromised bundle could answer: the real decision with one more name.
    Object.assign(p, { rawDecision: () => ({ ...real, tables: edit(real.tables) }) });
    await expect(p.decide(who('12', '628', '7042'))).rejects.toMatchObject({ code: 'SP_ERR_POLICY_INVALID' });
  });

  it('fails at load time, with a stable code, when the bundle is missing', async () => {
    await expect(loadOpaWasmPolicy('policies/build/missing.wasm', directory, DEMO_REGISTRY)).rejects.toMatchObject({
      code: 'SP_ERR_POLICY_UNAVAILABLE',
    });
  });
});

describe('directory from the warehouse', () => {
  it('holds the scenario admins with their grants', () => {
    expect(directory.admins.get('7042')).toEqual({
      adminId: '7042',
      tenantId: '12',
      businessId: '628',
      role: 'franchise_owner',
      active: true,
      units: ['628017', '628123'],
    });
    expect(directory.admins.get('7001')?.units).toHaveLength(200);
    expect(directory.admins.get('7099')?.units).toEqual([]);
    expect(directory.admins.get('5401')).toMatchObject({ tenantId: '31', businessId: '544' });
  });
});

describe('ascendingUnique', () => {
  it('keeps an ascending list as it is and orders anything else numerically, without repeats', () => {
    expect(ascendingUnique(['9', '10', '628017'])).toEqual(['9', '10', '628017']);
    expect(ascendingUnique(['10', '9', '628017', '9'])).toEqual(['9', '10', '628017']);
    expect(ascendingUnique(['5', '5'])).toEqual(['5']);
    expect(ascendingUnique([])).toEqual([]);
  });
});

/**
 * Policy and sandbox scaling: opa-wasm decision time (uncached: the service
 * caches allow decisions until the directory changes, so this is the first
 * request after each reload) and sandbox build time as the directory grows
 * (1k, 10k, 100k admins) and as one admin's grant grows (10 to 10,000
 * locations), with the size of the sandbox SQL (the scope is bound, so it
 * should not grow). Synthetic directories, no warehouse.
 *
 *   npm run bench:policy -- [--out bench/results/policy-scaling.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Directory, DirectoryAdmin } from '../src/identity/directory.js';
import { loadOpaWasmPolicy } from '../src/policy/opa-wasm.js';
import { buildSandbox } from '../src/sandbox/sandbox.js';
import { duckdbDialect } from '../src/engines/duckdb/dialect.js';
import { DEMO_REGISTRY } from '../test/support/demo-catalog.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'bench/results/policy-scaling.json' } } });

function directory(admins: number, grantOfProbe: number): Directory {
  const map = new Map<string, DirectoryAdmin>();
  for (let i = 0; i < admins; i++) {
    const id = String(100_000 + i);
    const business = String(300 + (i % 350));
    map.set(id, {
      adminId: id,
      tenantId: '12',
      businessId: business,
      role: 'franchise_owner',
      active: true,
      units: [String(Number(business) * 1000 + 1 + (i % 5))],
    });
  }
  const probe = Array.from({ length: grantOfProbe }, (_, k) => String(10_000_000 + k));
  map.set('7042', {
    adminId: '7042',
    tenantId: '12',
    businessId: '628',
    role: 'brand_manager',
    active: true,
    units: probe,
  });
  return { admins: map, loadedAt: new Date() };
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const identity = { tenantId: '12', businessId: '628', adminId: '7042', role: '', accessKeyId: 'K', sessionKey: '' };
const rows: unknown[] = [];
const lines = ['admins    grant   setData ms  decide p50 µs  p99 µs   sandbox p50 µs  CTE SQL bytes'];
for (const admins of [1_000, 10_000, 100_000]) {
  for (const grant of [10, 100, 1_000, 10_000]) {
    const dir = directory(admins, grant);
    const t0 = performance.now();
    const policy = await loadOpaWasmPolicy('policies/build/policy.wasm', dir, DEMO_REGISTRY, { cacheDecisions: false });
    const setDataMs = performance.now() - t0;
    const decide: number[] = [];
    const sandbox: number[] = [];
    let sqlBytes = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const a = performance.now();
      const scope = await policy.decide(identity);
      const b = performance.now();
      const sb = buildSandbox(scope, duckdbDialect, DEMO_REGISTRY);
      const c = performance.now();
      decide.push((b - a) * 1000);
      sandbox.push((c - b) * 1000);
      sqlBytes = sb.cteSql.length;
    }
    const row = {
      admins,
      grant,
      setDataMs,
      decideP50us: percentile(decide, 0.5),
      decideP99us: percentile(decide, 0.99),
      sandboxP50us: percentile(sandbox, 0.5),
      cteSqlBytes: sqlBytes,
    };
    rows.push(row);
    lines.push(
      `${String(admins).padStart(7)} ${String(grant).padStart(7)} ${setDataMs.toFixed(0).padStart(11)} ${row.decideP50us.toFixed(0).padStart(14)} ${row.decideP99us.toFixed(0).padStart(7)} ${row.sandboxP50us.toFixed(0).padStart(16)} ${String(sqlBytes).padStart(14)}`,
    );
  }
}
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify({ node: process.version, rows }, null, 2)}\n`);
console.log(`${lines.join('\n')}\nreport: ${values.out}`);

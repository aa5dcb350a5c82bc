/**
 * Availability under slow queries: another tenant's ordinary query and the
 * readiness ping, alone and while one tenant runs four queries DuckDB cannot
 * interrupt (a LIKE with many wildcards over a 3 MB string), through the
 * supervised engine worker pool. Figures are ratios to the same run's
 * unloaded baseline; the machine is shared and noisy.
 *
 *   npx tsx bench/stall.ts [--n 40] [--timeout 3000] [--out bench/results/stall.json]
 *
 * Not a test: no assertion on time.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDemoWarehouse } from '../src/demo/generate.js';
import { DUCKDB_LOCKDOWN, KILL_GRACE_MS } from '../src/engines/duckdb/connector.js';
import { EnginePool } from '../src/engines/duckdb/pool.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '40' },
    timeout: { type: 'string', default: '3000' },
    out: { type: 'string', default: 'bench/results/stall.json' },
  },
});
const N = Number(values.n);
const TIMEOUT = Number(values.timeout);
const UNSTOPPABLE = `SELECT repeat('a', 3000000) LIKE '%${'_a%'.repeat(12)}b' AS x`;
const ORDINARY = `SELECT location_id, SUM(net_sales_amount) AS s FROM main.fact_daily_sales
  WHERE business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' AND location_id IN (628017, 628123) GROUP BY location_id`;

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]): number => Math.max(...xs);

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const path = join(tmpdir(), 'splitplane-bench-stall.duckdb');
if (!existsSync(path)) await generateDemoWarehouse({ path, seed: 42, scale: 1 });
const pool = new EnginePool({
  path,
  settings: { ...DUCKDB_LOCKDOWN, threads: '1', memory_limit: '512MB' },
  size: 4,
  perTenant: 2,
  warm: 4,
  graceMs: KILL_GRACE_MS,
});
await pool.start();
const other = () => pool.run({ sql: ORDINARY, rowCap: 100, timeoutMs: 10_000, tenant: 'other' });
for (let i = 0; i < 10; i++) await other();

const baseQuery: number[] = [];
const basePing: number[] = [];
for (let i = 0; i < N; i++) {
  baseQuery.push(await timed(other));
  basePing.push(await timed(() => pool.ping()));
}

const started = performance.now();
const hostile = Array.from({ length: 4 }, () =>
  timed(() =>
    pool.run({ sql: UNSTOPPABLE, rowCap: 10, timeoutMs: TIMEOUT, tenant: 'attacker' }).catch(() => undefined),
  ),
);
while (pool.load.busy < 2) await new Promise((r) => setTimeout(r, 5));
const loadQuery: number[] = [];
const loadPing: number[] = [];
// Only samples taken while the slow queries still hold their workers count.
while (performance.now() - started < TIMEOUT - 200) {
  loadQuery.push(await timed(other));
  loadPing.push(await timed(() => pool.ping()));
}
const hostileMs = await Promise.all(hostile);
await new Promise((r) => setTimeout(r, KILL_GRACE_MS + 200));
const report = {
  machine: { note: 'ratios within this run only' },
  queryTimeoutMs: TIMEOUT,
  baseline: { otherTenantP50Ms: p50(baseQuery), pingP50Ms: p50(basePing) },
  underFourUnstoppable: {
    samples: loadQuery.length,
    otherTenantP50Ms: p50(loadQuery),
    otherTenantMaxMs: max(loadQuery),
    pingP50Ms: p50(loadPing),
    pingMaxMs: max(loadPing),
  },
  ratios: {
    otherTenantP50: p50(loadQuery) / p50(baseQuery),
    otherTenantMaxToBaselineP50: max(loadQuery) / p50(baseQuery),
  },
  slowQueriesEndedAfterMs: hostileMs.map((x) => Math.round(x)),
  pool: { ...pool.stats },
};
await pool.close();
console.log(JSON.stringify(report, null, 2));
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);

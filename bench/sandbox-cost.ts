/**
 * What the sandbox costs: the time of a catalog query through the sandbox
 * CTEs (the final SQL, on the locked-down engine) divided by the time of the
 * same candidate on a table that physically holds only that user's rows, for
 * the franchise owner (2 locations) and the brand manager (200), at demo scale
 * and at a larger scale, with the fact table clustered (sorted by tenant,
 * business, location, date) or shuffled.
 *
 *   npm run bench:sandbox -- [--scale 40] [--runs 15] [--out bench/results/sandbox-cost.json]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateDemoWarehouse } from '../src/demo/generate.js';
import { guardCandidate } from '../src/guard/guard.js';
import { loadOpaWasmPolicy } from '../src/policy/opa-wasm.js';
import { buildSandbox } from '../src/sandbox/sandbox.js';
import { openDuckDb } from '../src/warehouse/duckdb-connector.js';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '40' }, runs: { type: 'string', default: '15' }, out: { type: 'string', default: 'bench/results/sandbox-cost.json' } },
});
const RUNS = Number(values.runs);
const CANDIDATE = `SELECT SUM(m.net_sales_amount) AS net_sales_amount FROM daily_sales AS m WHERE m.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;
const PERSONAS = [
  { name: 'franchise owner 7042', tenantId: '12', businessId: '628', adminId: '7042' },
  { name: 'brand manager 7001', tenantId: '12', businessId: '628', adminId: '7001' },
];

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

const rows: Record<string, unknown>[] = [];
const lines = ['scale  layout  fact rows     persona                  sandbox ms  physical ms  ratio'];
for (const scale of [1, Number(values.scale)]) {
  for (const layout of ['sorted', 'random'] as const) {
    const path = join(tmpdir(), `splitplane-cost-${scale}-${layout}-${process.pid}.duckdb`);
    const gen = await generateDemoWarehouse({ path, scale, layout });
    const connector = await openDuckDb({ path, threads: availableParallelism(), memoryLimit: '4GB' });
    const policy = await loadOpaWasmPolicy('policies/build/policy.wasm', await connector.loadDirectory());
    const count = (await connector.execute('SELECT COUNT(*) FROM fact_daily_sales', { timeoutMs: 60_000, rowCap: 1 })).rows[0]![0];
    for (const p of PERSONAS) {
      const scope = await policy.decide({ ...p, role: '', accessKeyId: 'bench', sessionKey: '' });
      const sandbox = buildSandbox(scope, connector.dialect);
      const guarded = await guardCandidate(CANDIDATE, { sandbox, connector });
      const sandboxMs = await median(() => connector.execute(guarded.sql, { timeoutMs: 60_000, rowCap: 10 }));
      // The physical table: only this user's rows, in the same layout as the source.
      const phys = await DuckDBInstance.create(':memory:', { threads: String(availableParallelism()) });
      const conn = await phys.connect();
      await conn.run(`ATTACH '${path}' AS src (READ_ONLY)`);
      await conn.run(
        `CREATE TABLE daily_sales AS SELECT location_id, business_date, net_sales_amount, order_count, guest_count FROM src.main.fact_daily_sales
         WHERE tenant_id = ${p.tenantId} AND business_id = ${p.businessId} AND location_id IN (${scope.locations.join(', ')})`,
      );
      const physicalMs = await median(() => conn.run(CANDIDATE));
      conn.closeSync();
      phys.closeSync();
      const row = { scale, layout, factRows: Number(count), persona: p.name, locations: scope.locations.length, sandboxMs, physicalMs, ratio: sandboxMs / physicalMs, generateSeconds: gen.ms / 1000 };
      rows.push(row);
      lines.push(`${String(scale).padStart(5)}  ${layout.padEnd(6)} ${String(count).padStart(10)}   ${p.name.padEnd(22)} ${sandboxMs.toFixed(2).padStart(10)} ${physicalMs.toFixed(2).padStart(12)} ${row.ratio.toFixed(1).padStart(6)}`);
    }
    await connector.close();
    rmSync(path, { force: true });
  }
}
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify({ node: process.version, runs: RUNS, rows }, null, 2)}\n`);
console.log(`${lines.join('\n')}\nreport: ${values.out}`);

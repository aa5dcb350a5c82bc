/**
 * What the sandbox costs: the time of a catalog query through the sandbox
 * CTEs (the final SQL with the scope bound as parameters) beside two
 * baselines on the same warehouse file, for the franchise owner (2 locations)
 * and the brand manager (200), at demo scale and at a larger scale, with the
 * fact table clustered (sorted by tenant, business, location, date) or
 * shuffled:
 *
 *   - inline: the same query with the scope filter hand-written in its WHERE
 *     clause over the raw table (what a careful engineer would write without
 *     a sandbox), on a bench-local DuckDB instance of the same file;
 *   - physical: the same candidate on a table that holds only the user's rows.
 *
 * The final SQL is timed twice: on that same bench-local instance (engine
 * cost only: the sandbox against inline), and through the service's engine
 * pool (worker process, bound-plan check, IPC: what a request pays).
 *
 *   npm run bench:sandbox -- [--scale 40] [--runs 15] [--keep] [--out bench/results/sandbox-cost.json]
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIGINT, DuckDBInstance, LIST, listValue } from '@duckdb/node-api';
import { DEMO_DATA_VERSION, generateDemoWarehouse } from '../src/demo/generate.js';
import { guardCandidate } from '../src/guard/guard.js';
import { loadOpaWasmPolicy } from '../src/policy/opa-wasm.js';
import { buildSandbox } from '../src/sandbox/sandbox.js';
import { openDuckDb } from '../src/engines/duckdb/connector.js';
import { loadDirectory } from '../src/warehouse/directory-query.js';
import { DEMO_REGISTRY } from '../test/support/demo-catalog.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '40' },
    runs: { type: 'string', default: '15' },
    out: { type: 'string', default: 'bench/results/sandbox-cost.json' },
    // Keep the generated warehouses in the temp directory and reuse them on the next run (they are deterministic).
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const CANDIDATE = `SELECT SUM(m.net_sales_amount) AS net_sales_amount FROM daily_sales AS m WHERE m.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;
const inline = (tenant: string, business: string, locations: readonly string[]): string =>
  `SELECT SUM(m.net_sales_amount) AS net_sales_amount FROM fact_daily_sales AS m WHERE m.tenant_id = ${tenant} AND m.business_id = ${business} ` +
  `AND m.location_id IN (${locations.join(', ')}) AND m.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;
const PERSONAS = [
  { name: 'franchise owner 7042', tenantId: '12', businessId: '628', adminId: '7042' },
  { name: 'brand manager 7001', tenantId: '12', businessId: '628', adminId: '7001' },
];

/**
 * Medians of several timings, taken round-robin (one of each per round, after a warm-up round), so
 * that the page cache, the machine's load and the order of measurement weigh on all of them alike.
 */
async function medians(fns: readonly (() => Promise<unknown>)[]): Promise<number[]> {
  for (const fn of fns) await fn();
  const xs: number[][] = fns.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      xs[k]!.push(performance.now() - t);
    }
  }
  return xs.map((x) => x.sort((a, b) => a - b)[Math.floor(x.length / 2)]!);
}

const rows: Record<string, unknown>[] = [];
const lines = [
  'scale  layout  fact rows     persona                  inline ms  sandbox ms (same engine / service)  physical ms   sandbox/inline  service/inline  sandbox/physical',
];
for (const scale of [1, Number(values.scale)]) {
  for (const layout of ['sorted', 'random'] as const) {
    const path = join(
      tmpdir(),
      `splitplane-cost-${scale}-${layout}-v${DEMO_DATA_VERSION}${values.keep ? '' : `-${process.pid}`}.duckdb`,
    );
    const gen = values.keep && existsSync(path) ? { ms: 0 } : await generateDemoWarehouse({ path, scale, layout });
    const connector = await openDuckDb({
      registry: DEMO_REGISTRY,
      path,
      threads: availableParallelism(),
      memoryLimit: '4GB',
    });
    const policy = await loadOpaWasmPolicy(
      'policies/build/policy.wasm',
      await loadDirectory(connector, DEMO_REGISTRY),
      DEMO_REGISTRY,
    );
    // The bench-local engine: the same file, read-only, as many threads as an engine worker.
    const local = await DuckDBInstance.create(path, {
      access_mode: 'READ_ONLY',
      threads: String(availableParallelism()),
    });
    const lc = await local.connect();
    const count = (await lc.runAndReadAll('SELECT COUNT(*) FROM fact_daily_sales')).getRows()[0]![0];
    for (const p of PERSONAS) {
      const scope = await policy.decide({ ...p, role: '', accessKeyId: 'bench', sessionKey: '' });
      const sandbox = buildSandbox(scope, connector.dialect, DEMO_REGISTRY);
      const guarded = await guardCandidate(CANDIDATE, { sandbox, engine: connector.check });
      const values = {
        sp_tenant: BigInt(scope.tenantId),
        sp_business: BigInt(scope.businessId),
        sp_units: listValue(scope.units.map((l) => BigInt(l))),
      };
      const types = { sp_tenant: BIGINT, sp_business: BIGINT, sp_units: LIST(BIGINT) };
      const inlineSql = inline(scope.tenantId, scope.businessId, scope.units);
      const same =
        JSON.stringify((await lc.runAndReadAll(guarded.sql, values, types)).getRowsJson()) ===
        JSON.stringify((await lc.runAndReadAll(inlineSql)).getRowsJson());
      if (!same) throw new Error(`the sandbox and the inline filter disagree for ${p.name}`);
      // The physical table: only this user's rows, in the same layout as the source.
      const phys = await DuckDBInstance.create(':memory:', { threads: String(availableParallelism()) });
      const conn = await phys.connect();
      await conn.run(`ATTACH '${path}' AS src (READ_ONLY)`);
      await conn.run(
        `CREATE TABLE daily_sales AS SELECT location_id, business_date, net_sales_amount, order_count, guest_count FROM src.main.fact_daily_sales
         WHERE tenant_id = ${p.tenantId} AND business_id = ${p.businessId} AND location_id IN (${scope.units.join(', ')})`,
      );
      const [serviceMs, sandboxMs, inlineMs, physicalMs] = (await medians([
        () => connector.execute(guarded.sql, { timeoutMs: 60_000, rowCap: 10, scope, bindings: sandbox.bindings }),
        () => lc.runAndReadAll(guarded.sql, values, types),
        () => lc.runAndReadAll(inlineSql),
        () => conn.run(CANDIDATE),
      ])) as [number, number, number, number];
      conn.closeSync();
      phys.closeSync();
      const row = {
        scale,
        layout,
        factRows: Number(count),
        persona: p.name,
        locations: scope.units.length,
        inlineMs,
        sandboxMs,
        serviceMs,
        physicalMs,
        sandboxOverInline: sandboxMs / inlineMs,
        serviceOverInline: serviceMs / inlineMs,
        sandboxOverPhysical: sandboxMs / physicalMs,
        generateSeconds: gen.ms / 1000,
      };
      rows.push(row);
      lines.push(
        `${String(scale).padStart(5)}  ${layout.padEnd(6)} ${String(count).padStart(10)}   ${p.name.padEnd(22)} ${inlineMs.toFixed(2).padStart(9)} ${sandboxMs.toFixed(2).padStart(11)} / ${serviceMs.toFixed(2).padEnd(22)} ${physicalMs.toFixed(2).padStart(11)} ` +
          `${row.sandboxOverInline.toFixed(2).padStart(15)} ${row.serviceOverInline.toFixed(2).padStart(15)} ${row.sandboxOverPhysical.toFixed(2).padStart(17)}`,
      );
    }
    lc.closeSync();
    local.closeSync();
    await connector.close();
    if (!values.keep) rmSync(path, { force: true });
  }
}
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify({ node: process.version, runs: RUNS, rows }, null, 2)}\n`);
console.log(`${lines.join('\n')}\nreport: ${values.out}`);

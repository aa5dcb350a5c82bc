/**
 * Throughput over HTTP with autocannon against a running service (DuckDB demo
 * data, deterministic generator), beside two baselines measured in the same
 * run: a bare Fastify route and the same final SQL run directly on DuckDB.
 * Also the service's resident memory at idle and under the 64-connection load.
 *
 *   npm run bench:throughput -- [--seconds 8] [--out bench/results/throughput.json]
 *
 * Every /v1/ask request is signed ahead of time with its own nonce header:
 * the server refuses replays, so a request cannot be reused.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { signRequest } from '../src/client/sign.js';
import { generateDemoWarehouse } from '../src/demo/generate.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    out: { type: 'string', default: 'bench/results/throughput.json' },
  },
});
const SECONDS = Number(values.seconds);
const KEY = { accessKeyId: 'SPDEMOKEY0000000001', secretAccessKey: 'splitplane-demo-secret-do-not-use-in-production' };
const BODY = JSON.stringify({
  tenantId: '12',
  businessId: '628',
  adminId: '7042',
  question: 'What was the total sales amount last week?',
});
const FINAL_SQL = `WITH "daily_sales" AS MATERIALIZED (SELECT "location_id", "business_date", "net_sales_amount", "order_count", "guest_count" FROM "main"."fact_daily_sales" WHERE "tenant_id" = $sp_tenant AND "business_id" = $sp_business AND list_contains($sp_units, "location_id"))
SELECT SUM("m".net_sales_amount) AS "net_sales_amount" FROM "daily_sales" AS "m" WHERE "m".business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;

const dbPath = join(tmpdir(), `splitplane-throughput-${process.pid}.duckdb`);
await generateDemoWarehouse({ path: dbPath });
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/throughput-server.ts', dbPath, FINAL_SQL], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const ports = await new Promise<{ ask: string; base: string }>((resolve) => {
  createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l) as { ask: string; base: string }));
});
const rss = async (): Promise<number> =>
  ((await (await fetch(`http://127.0.0.1:${ports.base}/rss`)).json()) as { rss: number }).rss;

async function presign(n: number): Promise<Record<string, string>[]> {
  const url = `http://127.0.0.1:${ports.ask}/v1/ask`;
  const out: Record<string, string>[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      await signRequest({
        url,
        body: BODY,
        ...KEY,
        extraHeaders: { 'x-splitplane-nonce': `${process.pid}-${Date.now()}-${i}` },
      }),
    );
  return out;
}

async function load(target: 'ask' | 'bare' | 'direct', connections: number, signed: Record<string, string>[]) {
  let i = 0;
  const port = target === 'ask' ? ports.ask : ports.base;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path: target === 'ask' ? '/v1/ask' : `/${target}`,
        setupRequest: (req) =>
          target === 'ask'
            ? { ...req, headers: signed[i++ % signed.length]!, body: BODY }
            : { ...req, headers: { 'content-type': 'application/json' }, body: '{}' },
      },
    ],
  });
  return {
    rps: r.requests.average,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    total: r.requests.total,
  };
}

const report: Record<string, unknown> = {
  machine: { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version },
  seconds: SECONDS,
  idleRssMiB: 0,
  runs: [] as unknown[],
};
// Warm up, then read idle memory.
await load('ask', 1, await presign(2000));
report['idleRssMiB'] = Math.round((await rss()) / 2 ** 20);
const lines: string[] = ['connections  target   req/s     p50 ms  p99 ms  non-2xx'];
for (const connections of [1, 16, 64]) {
  const signed = await presign(Math.min(60_000, 1500 * SECONDS * Math.max(1, connections / 16)));
  let peak = 0;
  const sampler = setInterval(() => void rss().then((v) => (peak = Math.max(peak, v))), 200);
  const ask = await load('ask', connections, signed);
  clearInterval(sampler);
  const bare = await load('bare', connections, signed);
  const direct = await load('direct', connections, signed);
  (report['runs'] as unknown[]).push({
    connections,
    ask,
    bare,
    direct,
    peakRssMiB: Math.round(peak / 2 ** 20),
    askOverBare: ask.rps / bare.rps,
    askOverDirect: ask.rps / direct.rps,
  });
  for (const [name, r] of [
    ['ask', ask],
    ['bare', bare],
    ['direct', direct],
  ] as const) {
    lines.push(
      `${String(connections).padStart(11)}  ${name.padEnd(7)} ${r.rps.toFixed(0).padStart(6)} ${String(r.p50ms).padStart(9)} ${String(r.p99ms).padStart(7)} ${String(r.non2xx).padStart(8)}`,
    );
  }
  lines.push(
    `${''.padStart(11)}  ask/bare req/s = ${(ask.rps / bare.rps).toFixed(3)}, ask/direct req/s = ${(ask.rps / direct.rps).toFixed(3)}, peak RSS ${Math.round(peak / 2 ** 20)} MiB`,
  );
}
child.kill();
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `machine: ${JSON.stringify(report['machine'])}; idle RSS ${String(report['idleRssMiB'])} MiB\n${lines.join('\n')}\nreport: ${values.out}`,
);

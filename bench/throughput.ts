/**
 * Throughput over HTTP with autocannon against running services (DuckDB demo data, deterministic
 * generator), beside two baselines measured in the same run: a bare Fastify route and the same final
 * SQL run directly on DuckDB. Two services run in the server process (bench/throughput-server.ts):
 *
 *   - `ask`: /v1/ask with the answer cache off (`cache: false`): every request pays the warehouse,
 *     as a first-seen question does, even though every request asks the same question (so the
 *     per-text caches short of the answer cache still serve it: the guard's verdicts, the workers'
 *     bound-plan checks and prepared statements);
 *   - `novel`: the same service, every request a question not asked before (another date window):
 *     first seen by every layer;
 *   - `cached`: /v1/ask with the cache on, one question asked again and again (after a warm-up
 *     request that fills the cache): every stage but the warehouse runs.
 *
 * At 1, 16 and 64 connections, each against `direct`: askOverDirect<n>, cachedOverDirect<n> and
 * novelOverDirect<n> in the report (goals at 16 connections: askOverDirect16 >= 0.6,
 * cachedOverDirect16 >= 2). Also the server process's resident memory (both services) at idle and
 * under load, and the mean stage times (audit events' stageMs) of each target at each load.
 *
 * The targets take turns (--rounds, each a slice of --seconds), so a change in the machine's other
 * load falls on all of them alike; CPU time per answer (the server process and its engine workers,
 * from /proc) is reported beside req/s, with the ratios on it (askOverDirectCpu...): steadier on a
 * shared machine.
 *
 *   npm run bench:throughput -- [--seconds 8] [--rounds 2] [--connections 1,16,64]
 *                                [--out bench/results/throughput.json] [--cpu-prof <dir>]
 *
 * SPLITPLANE_BENCH_WORKERS and SPLITPLANE_BENCH_THREADS set the services' engine workers (default 4,
 * all started with the service) and DuckDB threads per worker (default 2); the direct baseline keeps 2.
 *
 * Every /v1/ask request is signed ahead of time with its own nonce header:
 * the server refuses replays, so a request cannot be reused.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
    connections: { type: 'string', default: '1,16,64' },
    /** Each target's seconds at each connection count are split into this many turns, taken in rotation. */
    rounds: { type: 'string', default: '2' },
    /** Write a V8 CPU profile of the server process to this folder. */
    'cpu-prof': { type: 'string' },
  },
});
const CONNECTIONS = values.connections.split(',').map(Number);
const SECONDS = Number(values.seconds);
const ROUNDS = Math.max(1, Number(values.rounds));
const SLICE = Math.max(1, Math.round(SECONDS / ROUNDS));
const KEY = { accessKeyId: 'SPDEMOKEY0000000001', secretAccessKey: 'splitplane-demo-secret-do-not-use-in-production' };
const ASK = { tenantId: '12', businessId: '628', adminId: '7042' };
const BODY = JSON.stringify({ ...ASK, question: 'What was the total sales amount last week?' });
/**
 * The k-th question of `novel`: the same measure over another window of the demo data (2025-10-31 to
 * 2026-11-17), so each is a text the service has not read before (10,500 before one comes again): the
 * guard, the bound-plan check and the engine's prepare all run, as for a question first seen.
 */
let novelCount = 0;
function novelBody(): string {
  const k = novelCount++;
  const day = (n: number): string => new Date(Date.UTC(2025, 9, 31 + n)).toISOString().slice(0, 10);
  const start = k % 350;
  const end = start + (Math.floor(k / 350) % 30);
  return JSON.stringify({ ...ASK, question: `What was the total sales amount between ${day(start)} and ${day(end)}?` });
}
const FINAL_SQL = `WITH "daily_sales" AS MATERIALIZED (SELECT "location_id", "business_date", "net_sales_amount", "order_count", "guest_count" FROM "main"."fact_daily_sales" WHERE "tenant_id" = $sp_tenant AND "business_id" = $sp_business AND list_contains($sp_units, "location_id"))
SELECT SUM("m".net_sales_amount) AS "net_sales_amount" FROM "daily_sales" AS "m" WHERE "m".business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;

type Target = 'ask' | 'novel' | 'cached' | 'bare' | 'direct';
const TARGETS: readonly Target[] = ['ask', 'novel', 'cached', 'bare', 'direct'];
/** The service a target asks: the cache off for `ask` and `novel`, on for `cached`; none for the baselines. */
const serviceOf = (t: Target): 'ask' | 'cached' | undefined =>
  t === 'ask' || t === 'novel' ? 'ask' : t === 'cached' ? 'cached' : undefined;

const dbPath = join(tmpdir(), `splitplane-throughput-${process.pid}.duckdb`);
await generateDemoWarehouse({ path: dbPath });
const profile = values['cpu-prof'] ? [`--cpu-prof`, `--cpu-prof-dir=${values['cpu-prof']}`] : [];
const child = spawn(
  process.execPath,
  [...profile, '--import', 'tsx', 'bench/throughput-server.ts', dbPath, FINAL_SQL],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const ports = await new Promise<Record<'ask' | 'cached' | 'base', string>>((resolve) => {
  createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l) as Record<string, string>));
});
const baseGet = async <T>(path: string): Promise<T> =>
  (await (await fetch(`http://127.0.0.1:${ports.base}${path}`)).json()) as T;
const rss = async (): Promise<number> => (await baseGet<{ rss: number }>('/rss')).rss;

interface Signed {
  readonly headers: Record<string, string>;
  readonly body: string;
}

async function presign(port: string, n: number, body: () => string = () => BODY): Promise<Signed[]> {
  const url = `http://127.0.0.1:${port}/v1/ask`;
  const out: Signed[] = [];
  for (let i = 0; i < n; i++) {
    const b = body();
    out.push({
      headers: await signRequest({
        url,
        body: b,
        ...KEY,
        extraHeaders: { 'x-splitplane-nonce': `${process.pid}-${Date.now()}-${i}` },
      }),
      body: b,
    });
  }
  return out;
}

async function warm(signed: Signed | undefined): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${ports.cached}/v1/ask`, { method: 'POST', ...signed });
  if (!r.ok) throw new Error(`warm-up request: ${r.status} ${await r.text()}`);
}

interface Cpu {
  self: number;
  children: number;
}

interface Load {
  rps: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
  total: number;
  /** CPU time of the server process, and of its engine workers, during the load. */
  cpuMs?: number;
  workerCpuMs?: number;
}

/** A target's slices together: mean req/s and percentiles, summed counts, CPU per answer. */
interface Result {
  rps: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
  total: number;
  cpuMsPerReq: number;
  workerCpuMsPerReq: number;
  slices: Load[];
}

function combine(slices: Load[]): Result {
  const sum = (f: (l: Load) => number): number => slices.reduce((a, l) => a + f(l), 0);
  const total = sum((l) => l.total);
  return {
    rps: sum((l) => l.rps) / slices.length,
    p50ms: sum((l) => l.p50ms) / slices.length,
    p99ms: sum((l) => l.p99ms) / slices.length,
    non2xx: sum((l) => l.non2xx),
    errors: sum((l) => l.errors),
    total,
    cpuMsPerReq: round3(sum((l) => l.cpuMs ?? 0) / Math.max(1, total)),
    workerCpuMsPerReq: round3(sum((l) => l.workerCpuMs ?? 0) / Math.max(1, total)),
    slices,
  };
}

async function load(target: Target, connections: number, signed: Signed[]): Promise<Load> {
  let i = 0;
  const svc = serviceOf(target);
  const r = await autocannon({
    url: `http://127.0.0.1:${svc ? ports[svc] : ports.base}`,
    connections,
    duration: SLICE,
    requests: [
      {
        method: 'POST',
        path: svc ? '/v1/ask' : `/${target}`,
        setupRequest: (req) => {
          if (!svc) return { ...req, headers: { 'content-type': 'application/json' }, body: '{}' };
          const one = signed[i++ % signed.length];
          return { ...req, headers: one?.headers, body: one?.body };
        },
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
  rounds: ROUNDS,
  idleRssMiB: 0,
  runs: [] as unknown[],
};
// Warm up both services (the cached one's first request fills the cache), then read idle memory.
await load('ask', 1, await presign(ports.ask, 2000));
await load('cached', 1, await presign(ports.cached, 2000));
report['idleRssMiB'] = Math.round((await rss()) / 2 ** 20);
const lines: string[] = ['connections  target   req/s     p50 ms  p99 ms  non-2xx  cpu ms/req (server + workers)'];
const stageLines: string[] = [];
for (const connections of CONNECTIONS) {
  const count = Math.min(60_000, 1500 * SLICE * Math.max(1, connections / 16));
  const slices = Object.fromEntries(TARGETS.map((t) => [t, [] as Load[]])) as Record<Target, Load[]>;
  let peak = 0;
  await baseGet('/mark?svc=ask');
  await baseGet('/mark?svc=cached');
  // The targets take turns, ROUNDS times: a change in the machine's other load falls on all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of TARGETS) {
      const svc = serviceOf(target);
      const signed = !svc
        ? []
        : await presign(
            ports[svc],
            target === 'cached' ? count * 3 : count,
            target === 'novel' ? novelBody : undefined,
          );
      // The cache emptied and one request to fill it, so the entry is fresh (TTL 60 s) for the whole slice.
      if (target === 'cached') {
        await baseGet('/clear?svc=cached');
        await warm(signed.pop());
      }
      const sampler = setInterval(() => void rss().then((v) => (peak = Math.max(peak, v))), 200);
      const cpu0 = await baseGet<Cpu>('/cpu');
      const r = await load(target, connections, signed);
      const cpu1 = await baseGet<Cpu>('/cpu');
      clearInterval(sampler);
      slices[target].push({ ...r, cpuMs: cpu1.self - cpu0.self, workerCpuMs: cpu1.children - cpu0.children });
    }
  }
  const results = Object.fromEntries(TARGETS.map((t) => [t, combine(slices[t])])) as Record<Target, Result>;
  const stages: Record<string, unknown> = {};
  for (const target of ['ask', 'novel', 'cached'] as const) {
    const st = await baseGet<{ events: number; meanMs: Record<string, number>; cache: Record<string, number> }>(
      `/stages?svc=${serviceOf(target)}&novel=${target === 'novel' ? 1 : 0}`,
    );
    stages[target] = st;
    stageLines.push(
      `${String(connections).padStart(11)}  ${target.padEnd(7)} ${Object.entries(st.meanMs)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}; ${JSON.stringify(st.cache)}`,
    );
  }
  const { ask, novel, cached, bare, direct } = results;
  const cpuOf = (r: Result): number => r.cpuMsPerReq + r.workerCpuMsPerReq;
  const run = {
    connections,
    ask,
    novel,
    cached,
    bare,
    direct,
    peakRssMiB: Math.round(peak / 2 ** 20),
    askOverBare: round3(ask.rps / bare.rps),
    askOverDirect: round3(ask.rps / direct.rps),
    novelOverDirect: round3(novel.rps / direct.rps),
    cachedOverDirect: round3(cached.rps / direct.rps),
    // The same ratios on CPU time per answer (server and workers): what they would be on a machine of one's own.
    askOverDirectCpu: round3(cpuOf(direct) / cpuOf(ask)),
    novelOverDirectCpu: round3(cpuOf(direct) / cpuOf(novel)),
    cachedOverDirectCpu: round3(cpuOf(direct) / cpuOf(cached)),
    meanStageMs: stages,
  };
  (report['runs'] as unknown[]).push(run);
  report[`askOverDirect${connections}`] = run.askOverDirect;
  report[`cachedOverDirect${connections}`] = run.cachedOverDirect;
  report[`novelOverDirect${connections}`] = run.novelOverDirect;
  for (const target of TARGETS) {
    const r = results[target];
    lines.push(
      `${String(connections).padStart(11)}  ${target.padEnd(7)} ${r.rps.toFixed(0).padStart(6)} ${r.p50ms.toFixed(1).padStart(9)} ${r.p99ms.toFixed(1).padStart(7)} ${String(r.non2xx).padStart(8)}  ${String(r.cpuMsPerReq)} + ${String(r.workerCpuMsPerReq)}`,
    );
  }
  lines.push(
    `${''.padStart(11)}  ask/direct = ${run.askOverDirect.toFixed(3)}, novel/direct = ${run.novelOverDirect.toFixed(3)}, cached/direct = ${run.cachedOverDirect.toFixed(3)}, ask/bare = ${run.askOverBare.toFixed(3)}\n${''.padStart(11)}  on CPU per answer: ask/direct = ${run.askOverDirectCpu.toFixed(3)}, novel/direct = ${run.novelOverDirectCpu.toFixed(3)}, cached/direct = ${run.cachedOverDirectCpu.toFixed(3)}; peak RSS ${run.peakRssMiB} MiB`,
  );
}
child.kill();
await new Promise((resolve) => child.once('exit', resolve));
rmSync(dbPath, { force: true });
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
const ratios = CONNECTIONS.map(
  (c) =>
    `askOverDirect${c} ${String(report[`askOverDirect${c}`])}, cachedOverDirect${c} ${String(report[`cachedOverDirect${c}`])}, novelOverDirect${c} ${String(report[`novelOverDirect${c}`])}`,
).join('\n');
console.log(
  `machine: ${JSON.stringify(report['machine'])}; idle RSS ${String(report['idleRssMiB'])} MiB (both services)\n${lines.join('\n')}\n\nmean stage ms (audit events):\n${stageLines.join('\n')}\n\n${ratios}\n(goals at 16 connections: askOverDirect16 >= 0.6, cachedOverDirect16 >= 2)\nreport: ${values.out}`,
);

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Child process for bench/throughput.ts: two splitplane services over the same warehouse file, one
 * with the answer cache off (every question pays the warehouse: the first-seen cost) and one with
 * it on (a repeated question is answered from the cache), each on its own port; and, on a third
 * port, the baselines measured in the same run: a bare Fastify route (the HTTP stack's ceiling) and
 * the same final SQL run directly on DuckDB without the proxy. Prints
 * {"ask":port,"cached":port,"base":port} when ready.
 *
 * The base port also serves /rss (this process's resident memory), /cpu (CPU time of this process
 * and of its children, the engine workers) and, for each service (svc=ask or svc=cached), /clear
 * (empty its answer cache), /mark (remember where its audit file ends) and /stages (the mean stageMs,
 * latencyMs and cache outcomes of the audit events written since the mark; novel=1: of the
 * date-window questions only).
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIGINT, DuckDBInstance, LIST, listValue } from '@duckdb/node-api';
import Fastify from 'fastify';
import { parseConfig } from '../src/config/config.js';
import { buildApp } from '../src/server/app.js';
import { createServices } from '../src/server/services.js';

const [dbPath, finalSql] = process.argv.slice(2) as [string, string];
const dir = mkdtempSync(join(tmpdir(), 'splitplane-bench-srv-'));
// The services' engine workers and DuckDB threads per worker (the direct baseline keeps 2 threads).
const workers = Number(process.env['SPLITPLANE_BENCH_WORKERS'] ?? 4);
const threads = Number(process.env['SPLITPLANE_BENCH_THREADS'] ?? 2);

async function service(
  name: 'ask' | 'cached',
  cache: boolean,
): Promise<{ port: string; audit: string; clear: () => void }> {
  const audit = join(dir, `audit-${name}.jsonl`);
  const config = parseConfig({
    signing: { credentialsFile: 'config/demo-credentials.json' },
    mode: 'demo',
    clock: { today: '2026-11-18' },
    // One tenant sends every request here: lift its share of the engine workers as the limits are lifted below.
    warehouse: {
      // Every worker started with the service: the loads measure the steady state, not worker start-ups.
      duckdb: { path: dbPath, threads, workers, workersPerTenant: workers, workersWarm: workers },
      queryTimeoutMs: 10_000,
    },
    audit: { file: audit },
    // Measure the pipeline, not the limiter: one admin sends every request here.
    rateLimit: {
      perAdmin: { max: 1_000_000_000, windowMs: 60_000 },
      perTenant: { max: 1_000_000_000, windowMs: 60_000 },
    },
    cache,
  });
  const svc = await createServices(config);
  const app = buildApp(svc);
  const port = new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port;
  return { port, audit, clear: () => svc.answerCache?.clear() };
}
const services = { ask: await service('ask', false), cached: await service('cached', true) };

const instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY', threads: '2' });
const base = Fastify();
base.post('/bare', async () => ({ status: 'answered', rows: [['84000.00']] }));
base.post('/direct', async () => {
  const conn = await instance.connect();
  try {
    // The service's final SQL with the franchise owner's scope bound, as the engine worker binds it.
    const r = await conn.runAndReadAll(
      finalSql,
      { sp_tenant: 12n, sp_business: 628n, sp_units: listValue([628017n, 628123n]) },
      { sp_tenant: BIGINT, sp_business: BIGINT, sp_units: LIST(BIGINT) },
    );
    return { rows: r.getRowsJson() };
  } finally {
    conn.closeSync();
  }
});
base.get('/rss', async () => ({ rss: process.memoryUsage().rss }));
// CPU time (ms) of this process and of its children (the engine workers) so far, read from /proc.
base.get('/cpu', async () => {
  const ticks = 100; // USER_HZ
  let children = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the command's closing parenthesis: state ppid ... utime(14) stime(15).
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(f[1]) === process.pid) children += ((Number(f[11]) + Number(f[12])) * 1000) / ticks;
    } catch {
      // gone
    }
  }
  const self = process.cpuUsage();
  return { self: (self.user + self.system) / 1000, children };
});

const marks: Record<string, number> = {};
const svcOf = (q: unknown): 'ask' | 'cached' => ((q as { svc?: string }).svc === 'cached' ? 'cached' : 'ask');
base.get('/mark', async (req) => {
  const svc = svcOf(req.query);
  marks[svc] = statSync(services[svc].audit).size;
  return { svc, from: marks[svc] };
});
// Empty the cached service's answer cache: the next request fills it afresh (a full TTL ahead).
base.get('/clear', async (req) => {
  services[svcOf(req.query)].clear();
  return { cleared: true };
});
base.get('/stages', async (req) => {
  const svc = svcOf(req.query);
  // novel=1: only the events of the questions asked once each (bench/throughput.ts asks them with a date window).
  const novel = (req.query as { novel?: string }).novel === '1';
  const file = services[svc].audit;
  const from = marks[svc] ?? 0;
  const size = statSync(file).size;
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const sums: Record<string, number> = {};
  const cache: Record<string, number> = {};
  let n = 0;
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as {
      stageMs?: Record<string, number>;
      latencyMs?: number;
      cache?: string;
      question?: string;
    };
    if (!e.stageMs || (e.question?.includes(' between ') ?? false) !== novel) continue;
    n++;
    for (const [k, v] of Object.entries({ ...e.stageMs, latency: e.latencyMs ?? 0 })) sums[k] = (sums[k] ?? 0) + v;
    cache[e.cache ?? 'none'] = (cache[e.cache ?? 'none'] ?? 0) + 1;
  }
  const meanMs = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round((v / n) * 1000) / 1000]));
  return { svc, events: n, meanMs, cache };
});
const baseAddr = await base.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(
  `${JSON.stringify({ ask: services.ask.port, cached: services.cached.port, base: new URL(baseAddr).port })}\n`,
);
// Exit cleanly when the bench is done (so a --cpu-prof profile is written), leaving no audit files behind.
process.on('SIGTERM', () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});

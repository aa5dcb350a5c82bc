/**
 * Child process for bench/throughput.ts: the splitplane service on one port
 * and, on a second port, the baselines measured in the same run: a bare
 * Fastify route (the HTTP stack's ceiling) and the same final SQL run directly
 * on DuckDB without the proxy. Prints {"ask":port,"base":port} when ready.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIGINT, DuckDBInstance, LIST, listValue } from '@duckdb/node-api';
import Fastify from 'fastify';
import { parseConfig } from '../src/config/config.js';
import { buildApp } from '../src/server/app.js';
import { createServices } from '../src/server/services.js';

const [dbPath, finalSql] = process.argv.slice(2) as [string, string];
const dir = mkdtempSync(join(tmpdir(), 'splitplane-bench-srv-'));
const config = parseConfig({
  signing: { credentialsFile: 'config/demo-credentials.json' },
  mode: 'demo',
  clock: { today: '2026-11-18' },
  // One tenant sends every request here: lift its share of the engine workers as the limits are lifted below.
  warehouse: { duckdb: { path: dbPath, threads: 2, workers: 4, workersPerTenant: 4 }, queryTimeoutMs: 10_000 },
  audit: { file: join(dir, 'audit.jsonl') },
  // Measure the pipeline, not the limiter: one admin sends every request here.
  rateLimit: {
    perAdmin: { max: 1_000_000_000, windowMs: 60_000 },
    perTenant: { max: 1_000_000_000, windowMs: 60_000 },
  },
});
const services = await createServices(config);
const app = buildApp(services);
const askAddr = await app.listen({ host: '127.0.0.1', port: 0 });

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
const baseAddr = await base.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ ask: new URL(askAddr).port, base: new URL(baseAddr).port })}\n`);

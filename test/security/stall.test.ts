/**
 * A query that overruns must not hold what other tenants need. Queries run in
 * supervised engine worker processes (src/engines/duckdb/pool.ts): at the
 * deadline the caller gets SP_ERR_EXECUTION_TIMEOUT, a worker that will not
 * stop is killed and replaced, one tenant holds at most its share of the
 * workers, and the readiness ping and the guard's engine parse never wait
 * behind a user's query.
 *
 * No timed assertions: each test proves an order of events (another tenant's
 * answer and /readyz arrive while the slow queries still hold the engine),
 * and bench/stall.ts prints the latencies as ratios.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Generator } from '../../src/generate/generator.js';
import { DUCKDB_LOCKDOWN, KILL_GRACE_MS } from '../../src/engines/duckdb/connector.js';
import { EnginePool } from '../../src/engines/duckdb/pool.js';
import { ask, FRANCHISE_OWNER, OTHER_TENANT_ADMIN, startTestService, type TestService } from '../support/harness.js';

/**
 * One function call DuckDB cannot interrupt: a LIKE with many wildcards over a 3 MB string. Run in
 * this process it ran past two minutes after interrupt() (seen while writing this test).
 */
const UNSTOPPABLE = `SELECT repeat('a', 3000000) LIKE '%${'_a%'.repeat(12)}b' AS x`;
const ORDINARY = 'SELECT COUNT(*) AS n FROM main.fact_daily_sales';
const scopeOf = (tenantId: string) => ({ tenantId, businessId: '1', units: [] });

/** Resolves with the order in which the named promises settled. */
function settleOrder(entries: Record<string, Promise<unknown>>): Promise<string[]> {
  const order: string[] = [];
  return Promise.all(
    Object.entries(entries).map(([name, p]) =>
      p.then(
        () => order.push(name),
        () => order.push(name),
      ),
    ),
  ).then(() => order);
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('the engine worker pool (every layer before it bypassed: SQL the engine cannot stop)', () => {
  // The pool alone, without the bound-plan check (which would refuse repeat() before it ran).
  let pool: EnginePool;
  const conn = {
    get pool() {
      return pool;
    },
    execute: (sql: string, o: { timeoutMs: number; rowCap: number; scope?: { tenantId: string } }) =>
      pool.run({ sql, timeoutMs: o.timeoutMs, rowCap: o.rowCap, tenant: o.scope?.tenantId ?? '' }),
    ping: () => pool.ping(),
  };
  // (Linux: the test reads thread priorities from /proc; the pool falls back to the process elsewhere.)

  beforeAll(async () => {
    pool = new EnginePool({
      path: inject('demoDb'),
      settings: { ...DUCKDB_LOCKDOWN, threads: '1', memory_limit: '256MB' },
      size: 3,
      perTenant: 2,
      warm: 3,
      graceMs: KILL_GRACE_MS,
    });
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('four unstoppable queries at once: each ends with SP_ERR_EXECUTION_TIMEOUT, its worker is killed, another tenant and the ping are answered meanwhile', async () => {
    const killedBefore = conn.pool.stats.killed;
    const hostile = [0, 1, 2, 3].map(() =>
      conn.execute(UNSTOPPABLE, { timeoutMs: 1500, rowCap: 10, scope: scopeOf('66') }),
    );
    const codes = Promise.all(
      hostile.map((p) =>
        p.then(
          () => 'ANSWERED',
          (e: unknown) => (e as { code?: string }).code,
        ),
      ),
    );
    // The two the tenant's share allows are running; the other two wait for that tenant's own workers.
    await waitFor(() => conn.pool.load.busy === 2);
    expect(conn.pool.load.queued).toBe(2);
    const other = conn.execute(ORDINARY, { timeoutMs: 5000, rowCap: 10, scope: scopeOf('77') });
    const ping = conn.ping();
    const firstHostile = Promise.race(hostile.map((p) => p.catch(() => undefined)));
    const order = await settleOrder({ other, ping, firstHostile });
    expect(order.indexOf('firstHostile')).toBeGreaterThan(order.indexOf('other'));
    expect(order.indexOf('firstHostile')).toBeGreaterThan(order.indexOf('ping'));
    expect(Number((await other).rows[0]![0])).toBeGreaterThan(0);
    expect(await codes).toEqual(Array(4).fill('SP_ERR_EXECUTION_TIMEOUT'));
    // The two that ran would not stop on interrupt: killed. The two that waited never reached a worker.
    await waitFor(() => conn.pool.stats.killed >= killedBefore + 2);
    expect(conn.pool.stats.killed).toBe(killedBefore + 2);
  });

  it('killed workers are replaced: the pool is back to its warm size and answers', async () => {
    await waitFor(() => conn.pool.load.ready === 3 && conn.pool.load.busy === 0);
    await conn.ping();
    const res = await conn.execute(ORDINARY, { timeoutMs: 5000, rowCap: 10, scope: scopeOf('66') });
    expect(Number(res.rows[0]![0])).toBeGreaterThan(0);
  });

  it('a query that waits for a worker past its deadline ends with SP_ERR_EXECUTION_TIMEOUT and never runs', async () => {
    await waitFor(() => conn.pool.load.ready === 3 && conn.pool.load.busy === 0);
    const spawned = conn.pool.stats.spawned;
    const running = [0, 1].map(() =>
      conn
        .execute(UNSTOPPABLE, { timeoutMs: 1200, rowCap: 10, scope: scopeOf('88') })
        .catch((e: unknown) => (e as { code?: string }).code),
    );
    await waitFor(() => conn.pool.load.busy === 2);
    const waiting = conn
      .execute(ORDINARY, { timeoutMs: 200, rowCap: 10, scope: scopeOf('88') })
      .catch((e: unknown) => (e as { code?: string }).code);
    expect(await waiting).toBe('SP_ERR_EXECUTION_TIMEOUT');
    expect(await Promise.all(running)).toEqual(['SP_ERR_EXECUTION_TIMEOUT', 'SP_ERR_EXECUTION_TIMEOUT']);
    await waitFor(() => conn.pool.stats.spawned >= spawned + 2);
  });

  it('a query that runs long yields the CPU: every thread of its worker at the lowest priority while slow, back to normal after', async () => {
    const niceOf = (pid: number) => readdirSync(`/proc/${pid}/task`).map((tid) => getPriority(Number(tid)));
    // About half a second of one core: past the 200 ms mark wherever it runs. Once demoted it can take
    // much longer on a machine that is busy with other work, which is the point.
    const long = conn.execute('SELECT sum(i) AS s FROM range(400000000) t(i)', {
      timeoutMs: 50_000,
      rowCap: 10,
      scope: scopeOf('99'),
    });
    await waitFor(() => conn.pool.workers().some((w) => w.busy && w.demoted));
    const slow = conn.pool.workers().find((w) => w.busy && w.demoted)!;
    expect(new Set(niceOf(slow.pid))).toEqual(new Set([19]));
    expect(Number((await long).rows[0]![0])).toBeGreaterThan(0);
    expect(new Set(niceOf(slow.pid))).toEqual(new Set([0]));
    expect(conn.pool.workers().find((w) => w.pid === slow.pid)?.demoted).toBe(false);
  }, 60_000);

  it('an engine error is SP_ERR_EXECUTION_FAILED with the engine text kept out of the message', async () => {
    const err = (await conn
      .execute("SELECT CAST('secret-row-value' AS INTEGER)", { timeoutMs: 5000, rowCap: 10 })
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('SP_ERR_EXECUTION_FAILED');
    expect(err.message).not.toContain('secret-row-value');
    expect((err.cause as Error).message).toContain('secret-row-value');
  });

  it('the row cap still holds in the worker', async () => {
    const res = await conn.execute('SELECT * FROM range(50)', { timeoutMs: 5000, rowCap: 7 });
    expect(res.rows).toHaveLength(7);
    expect(res.truncated).toBe(true);
  });
});

describe('an engine worker that cannot start', () => {
  it("fails start() with SP_ERR_WAREHOUSE_UNAVAILABLE and the engine's reason, fails what waits, and does not restart in a loop", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitplane-badfile-'));
    const path = join(dir, 'not-a-database.duckdb');
    writeFileSync(path, 'this is not a DuckDB file');
    const pool = new EnginePool({
      path,
      settings: { ...DUCKDB_LOCKDOWN, threads: '1' },
      size: 2,
      perTenant: 1,
      warm: 1,
      graceMs: KILL_GRACE_MS,
    });
    try {
      const err = (await pool.start().catch((e: unknown) => e)) as { code?: string; message?: string };
      expect(err.code).toBe('SP_ERR_WAREHOUSE_UNAVAILABLE');
      expect(err.message).toMatch(/engine worker failed to start: .+/);
      await waitFor(() => pool.load.workers === 0);
      await expect(pool.run({ sql: 'SELECT 1', rowCap: 1, timeoutMs: 60_000, tenant: 't' })).rejects.toMatchObject({
        code: 'SP_ERR_WAREHOUSE_UNAVAILABLE',
      });
      await waitFor(() => pool.load.workers === 0);
      // One start for start(), one for the query: no restarts of their own.
      await new Promise((r) => setTimeout(r, 300));
      expect(pool.stats.spawned).toBe(2);
    } finally {
      await pool.close();
    }
  });
});

describe('through the service: four slow candidates from one tenant', () => {
  let svc: TestService;
  let hostileSql = '';
  const HOSTILE_QUESTION = 'What was the total sales amount last week?';
  const generator: Generator = {
    name: 'hostile-for-one-question',
    async generate(input, signal) {
      if (input.question === HOSTILE_QUESTION) return { sql: hostileSql, generator: 'hostile-model' };
      const { catalogGenerator } = await import('../../src/generate/catalog-generator.js');
      return catalogGenerator(svc.services.deps.catalog).generate(input, signal);
    },
  };

  beforeAll(async () => {
    svc = await startTestService(
      { generator },
      {
        warehouse: {
          duckdb: { path: inject('demoDb'), threads: 1, workers: 3, workersPerTenant: 2, workersWarm: 3 },
          queryTimeoutMs: 2500,
        },
      },
      // Each readiness check may take 2 s here, not the default 1 s: the claim is the order (ready
      // before the first slow query ends, at 2.5 s). /readyz answered 503 in two clean-clone CI runs
      // on a 2-core machine loaded by the suite's other files (not seen in 16 runs alone or under
      // load; the assertion below now prints which check). A check that waited behind the slow
      // queries would still fail: it would end after them, or time out (503).
      { readinessTimeoutMs: 2000 },
    );
  });
  afterAll(async () => {
    await svc.close();
  });

  it('another tenant is answered and /readyz is ready while they hold their share; each ends with a 504', async () => {
    // Passes the guard (a join of the caller's own rows, a few hundred each) and runs far past the deadline.
    hostileSql = 'SELECT COUNT(*) AS n FROM daily_sales a, daily_sales b, daily_sales c, daily_sales d';
    const pool = (svc.services.connector as unknown as { pool: EnginePool }).pool;
    const hostile = [0, 1, 2, 3].map(() => ask(svc.app, FRANCHISE_OWNER, HOSTILE_QUESTION));
    await waitFor(() => pool.load.busy === 2);
    const other = ask(svc.app, OTHER_TENANT_ADMIN, 'How many guests did we have last week?');
    const ready = svc.app.inject({ method: 'GET', url: '/readyz' });
    const firstHostile = Promise.race(hostile);
    const order = await settleOrder({ other, ready, firstHostile });
    expect(order.indexOf('firstHostile')).toBeGreaterThan(order.indexOf('other'));
    expect(order.indexOf('firstHostile')).toBeGreaterThan(order.indexOf('ready'));
    expect((await other).statusCode).toBe(200);
    const readiness = await ready;
    // The whole body on failure: which check was not ready, and why.
    expect({ status: readiness.statusCode, body: readiness.json() }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { warehouse: 'ok', audit: 'ok', policy: 'ok' } },
    });
    const results = await Promise.all(hostile);
    expect(results.map((r) => [r.statusCode, r.body['code']])).toEqual(
      Array(4).fill([504, 'SP_ERR_EXECUTION_TIMEOUT']),
    );
  });
});

/**
 * The service is latched to the DuckDB file it opened. Once another warehouse is renamed or copied
 * over that file, or the file is deleted, every question fails 503 SP_ERR_WAREHOUSE_UNAVAILABLE, and
 * still does after the engine workers are replaced: a new worker refuses to open any file but the
 * one the service opened, so no answer ever comes from one file under the admins and grants (the
 * directory) read from another. The remedy is a restart.
 */
import { copyFileSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { generateDemoWarehouse } from '../../src/demo/generate.js';
import { KILL_GRACE_MS, workerSettings } from '../../src/engines/duckdb/connector.js';
import { EnginePool, fileIdentity } from '../../src/engines/duckdb/pool.js';
import { SplitplaneError } from '../../src/errors.js';
import { ask, BRAND_MANAGER, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

const QUESTION = 'What was the total sales amount last week?';
const UNAVAILABLE = { statusCode: 503, body: { code: 'SP_ERR_WAREHOUSE_UNAVAILABLE' } };

const dirs: string[] = [];
/** Another warehouse: another seed and fewer days, so another file with other rows. */
let other: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-other-'));
  dirs.push(dir);
  other = (await generateDemoWarehouse({ path: join(dir, 'other.duckdb'), seed: 7, days: 60 })).path;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A service over a private copy of the demo warehouse (the test replaces it), with one warm worker unless told. */
async function serve(workersWarm = 1): Promise<{ svc: TestService; path: string; dir: string; pool: EnginePool }> {
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-file-'));
  dirs.push(dir);
  const path = join(dir, 'demo.duckdb');
  copyFileSync(inject('demoDb'), path);
  const svc = await startTestService(
    {},
    { warehouse: { duckdb: { path, workersWarm }, queryTimeoutMs: 3000, rowCap: 1000 } },
  );
  const pool = (svc.services.connector as unknown as { pool: EnginePool }).pool;
  return { svc, path, dir, pool };
}

/** Polls until `done` holds; false if it still does not after `ms`. */
async function until(done: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/**
 * SIGKILL every engine worker, then wait until each is gone and the warm replacement has either
 * started or failed to (no worker still starting).
 */
async function killWorkers(pool: EnginePool): Promise<void> {
  const pids = pool.workers().map((w) => w.pid);
  expect(pids.length).toBeGreaterThan(0);
  const spawned = pool.stats.spawned;
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const settled = await until(() => {
    const alive = pool.workers().map((w) => w.pid);
    return (
      !pids.some((p) => alive.includes(p)) && pool.stats.spawned > spawned && pool.load.workers === pool.load.ready
    );
  });
  expect(settled).toBe(true);
}

/** The pool alone (no connector check in front): a worker started now must refuse the new file. */
async function poolRefuses(pool: EnginePool): Promise<void> {
  const err = await pool.run({ sql: 'SELECT 42', rowCap: 1, timeoutMs: 5000, tenant: '12' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SplitplaneError);
  expect(err).toMatchObject({ code: 'SP_ERR_WAREHOUSE_UNAVAILABLE' });
}

/** Replacing the warehouse must not make the pool respawn workers on its own, over and over. */
async function noRespawnLoop(pool: EnginePool): Promise<void> {
  const spawned = pool.stats.spawned;
  await sleep(300);
  expect(pool.stats.spawned).toBe(spawned);
  expect(pool.load.workers).toBe(0);
}

describe('the warehouse file replaced or deleted under the running service', () => {
  it('another warehouse renamed over it: 503, and still 503 once the engine workers are replaced', async () => {
    const { svc, path, dir, pool } = await serve();
    try {
      expect((await ask(svc.app, FRANCHISE_OWNER, QUESTION)).body['headline']).toBe('$84,000.00');
      // The answer is in the answer cache now: a hit checks the file too, so the next ask is no answer.
      const cached = await ask(svc.app, FRANCHISE_OWNER, QUESTION);
      expect(svc.auditEvents().find((e) => e.requestId === cached.body['requestId'])?.cache).toBe('hit');
      const next = join(dir, 'next.duckdb');
      copyFileSync(other, next);
      renameSync(next, path);
      expect(await ask(svc.app, FRANCHISE_OWNER, QUESTION)).toMatchObject(UNAVAILABLE);

      await killWorkers(pool);
      // The warm replacement found another file at the path and refused to start.
      expect(pool.load).toMatchObject({ workers: 0, ready: 0 });
      expect(await ask(svc.app, FRANCHISE_OWNER, QUESTION)).toMatchObject(UNAVAILABLE);
      expect(await ask(svc.app, BRAND_MANAGER, QUESTION)).toMatchObject(UNAVAILABLE);
      await poolRefuses(pool);
      await noRespawnLoop(pool);
      // The service itself still answers (it did not crash), and says it is not ready.
      expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      // A directory reload (SIGHUP) would read admins and grants from the new file: refused too.
      await expect(svc.services.reloadDirectory()).rejects.toMatchObject({ code: 'SP_ERR_WAREHOUSE_UNAVAILABLE' });
    } finally {
      await svc.close();
    }
  });

  it('another warehouse copied over it (same inode): 503, and still 503 once the engine workers are replaced', async () => {
    const { svc, path, pool } = await serve();
    try {
      expect((await ask(svc.app, FRANCHISE_OWNER, QUESTION)).body['headline']).toBe('$84,000.00');
      const inode = statSync(path).ino;
      copyFileSync(other, path);
      expect(statSync(path).ino).toBe(inode); // a device:inode check alone would not see it
      expect(await ask(svc.app, FRANCHISE_OWNER, QUESTION)).toMatchObject(UNAVAILABLE);
      expect(await ask(svc.app, BRAND_MANAGER, QUESTION)).toMatchObject(UNAVAILABLE);

      await killWorkers(pool);
      expect(pool.load).toMatchObject({ workers: 0, ready: 0 });
      expect(await ask(svc.app, FRANCHISE_OWNER, QUESTION)).toMatchObject(UNAVAILABLE);
      await poolRefuses(pool);
    } finally {
      await svc.close();
    }
  });

  it('the file deleted: 503, and still 503 once the engine workers are replaced', async () => {
    const { svc, path, pool } = await serve();
    try {
      expect((await ask(svc.app, FRANCHISE_OWNER, QUESTION)).body['headline']).toBe('$84,000.00');
      rmSync(path);
      expect(await ask(svc.app, FRANCHISE_OWNER, QUESTION)).toMatchObject(UNAVAILABLE);

      await killWorkers(pool);
      expect(await ask(svc.app, BRAND_MANAGER, QUESTION)).toMatchObject(UNAVAILABLE);
      await poolRefuses(pool);
    } finally {
      await svc.close();
    }
  });

  it('under load: every answer is the right one from the opened file or a 503, and every one asked after the replacement is a 503', async () => {
    // Two warm workers: the most one tenant may hold (half of 4), so the askers do not wait for starts.
    const { svc, path, dir, pool } = await serve(2);
    try {
      const baseline = {
        owner: (await ask(svc.app, FRANCHISE_OWNER, QUESTION)).body['answer'],
        manager: (await ask(svc.app, BRAND_MANAGER, QUESTION)).body['answer'],
      };
      expect(baseline.owner).toContain('$84,000.00');
      expect(baseline.manager).toEqual(expect.any(String));
      const next = join(dir, 'next.duckdb');
      copyFileSync(other, next);

      const results: { sentAt: number; who: 'owner' | 'manager'; statusCode: number; body: Record<string, unknown> }[] =
        [];
      const start = performance.now();
      let replacedAt = Infinity;
      const asker = async (who: 'owner' | 'manager'): Promise<void> => {
        while (performance.now() - start < 1500) {
          const sentAt = performance.now();
          const r = await ask(svc.app, who === 'owner' ? FRANCHISE_OWNER : BRAND_MANAGER, QUESTION);
          results.push({ sentAt, who, ...r });
        }
      };
      const replace = async (): Promise<void> => {
        await sleep(750);
        renameSync(next, path);
        replacedAt = performance.now();
        // And the engine workers replaced while the askers go on.
        await sleep(250);
        for (const w of pool.workers()) process.kill(w.pid, 'SIGKILL');
      };
      await Promise.all([asker('owner'), asker('owner'), asker('manager'), asker('manager'), replace()]);

      const before = results.filter((r) => r.sentAt < replacedAt);
      const after = results.filter((r) => r.sentAt > replacedAt);
      expect(before.filter((r) => r.statusCode === 200).length).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThan(0);
      for (const r of results) {
        if (r.statusCode === 200)
          expect({ sentAt: r.sentAt, answer: r.body['answer'] }).toEqual({ sentAt: r.sentAt, answer: baseline[r.who] });
        else expect(r).toMatchObject(UNAVAILABLE);
      }
      for (const r of after) expect(r).toMatchObject(UNAVAILABLE);
      expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await svc.close();
    }
  });
});

describe('an engine worker', () => {
  const demo = (): string => inject('demoDb');
  const options = (identity: string | undefined, warm: number) => ({
    path: demo(),
    identity,
    settings: workerSettings({ threads: 1, memoryLimit: '256MB' }),
    size: 1,
    perTenant: 1,
    warm,
    graceMs: KILL_GRACE_MS,
  });

  it('refuses to start on a file other than the one it was sent the identity of', async () => {
    const pool = new EnginePool(options('0:0:0:0', 1));
    try {
      const err = await pool.start().then(
        () => undefined,
        (e: unknown) => e as SplitplaneError,
      );
      expect(err).toMatchObject({ code: 'SP_ERR_WAREHOUSE_UNAVAILABLE' });
      expect(err?.detail).toMatch(/is not the file the service opened/);
    } finally {
      await pool.close();
    }
  });

  it('on demand: the waiting query fails 503 at once, and the next demand tries one start, no more', async () => {
    const pool = new EnginePool(options('0:0:0:0', 0));
    try {
      const started = performance.now();
      await expect(pool.run({ sql: 'SELECT 42', rowCap: 1, timeoutMs: 20_000, tenant: '' })).rejects.toMatchObject({
        code: 'SP_ERR_WAREHOUSE_UNAVAILABLE',
      });
      expect(performance.now() - started).toBeLessThan(10_000); // not the 20 s deadline
      await sleep(300);
      expect(pool.stats.spawned).toBe(1);
      await expect(pool.run({ sql: 'SELECT 42', rowCap: 1, timeoutMs: 20_000, tenant: '' })).rejects.toMatchObject({
        code: 'SP_ERR_WAREHOUSE_UNAVAILABLE',
      });
      expect(pool.stats.spawned).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('starts and answers on the file it was sent the identity of', async () => {
    const pool = new EnginePool(options(fileIdentity(demo()), 1));
    try {
      await pool.start();
      expect((await pool.run({ sql: 'SELECT 42', rowCap: 1, timeoutMs: 5000, tenant: '' })).rows).toEqual([[42]]);
    } finally {
      await pool.close();
    }
  });
});

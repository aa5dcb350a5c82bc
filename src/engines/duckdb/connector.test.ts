/**
 * Defence in depth at the engine: the guard and the bound-plan check are
 * bypassed on purpose (an engine worker pool with the connector's settings
 * and no plan policy) and the locked-down DuckDB alone must refuse to read files, attach,
 * install or load extensions, change settings or write; a runaway query is
 * interrupted; the row cap holds; engine text never reaches the error message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ERRORS, SplitplaneError } from '../../errors.js';
import type { WarehouseConnector } from '../../warehouse/connector.js';
import { KILL_GRACE_MS, openDuckDb, workerSettings } from './connector.js';
import { EnginePool } from './pool.js';
import { DEMO_REGISTRY } from '../../../test/support/demo-catalog.js';

let db: WarehouseConnector;
let engine: EnginePool;
const secretDir = mkdtempSync(join(tmpdir(), 'splitplane-secret-'));
const secretFile = join(secretDir, 'secret.csv');
writeFileSync(secretFile, 'token\nTOP-SECRET-VALUE\n');

beforeAll(async () => {
  db = await openDuckDb({ registry: DEMO_REGISTRY, path: inject('demoDb'), threads: 1, memoryLimit: '512MB' });
  engine = new EnginePool({
    path: inject('demoDb'),
    settings: workerSettings({ threads: 1, memoryLimit: '512MB' }),
    size: 1,
    perTenant: 1,
    warm: 1,
    graceMs: KILL_GRACE_MS,
  });
  await engine.start();
});
afterAll(async () => {
  await db.close();
  await engine.close();
});

/** The engine alone: no plan check in front of it. */
const run = (sql: string, timeoutMs = 3000) => engine.run({ sql, timeoutMs, rowCap: 100, tenant: '' });

describe('locked-down DuckDB (guard bypassed)', () => {
  it.each([
    ['read a file with a table function', `SELECT * FROM read_csv('${secretFile}')`],
    ['read a file by path', `SELECT * FROM '${secretFile}'`],
    ['glob the file system', `SELECT * FROM glob('${secretDir}/*')`],
    ['attach another database', `ATTACH '${join(secretDir, 'x.duckdb')}' AS x`],
    ['install an extension', 'INSTALL httpfs'],
    ['load an extension', 'LOAD httpfs'],
    ['turn external access back on', 'SET enable_external_access = true'],
    ['unlock the configuration', 'SET lock_configuration = false'],
    ['change a setting', "SET memory_limit = '100GB'"],
    ['write to the warehouse', 'CREATE TABLE stolen AS SELECT 1'],
    ['delete from the warehouse', 'DELETE FROM customers'],
    ['copy data out', `COPY customers TO '${join(secretDir, 'out.csv')}'`],
  ])('refuses to %s', async (_n, sql) => {
    await expect(run(sql)).rejects.toMatchObject({ code: 'SP_ERR_EXECUTION_FAILED' });
  });

  // Autoinstall/autoload only matter when a query names a function of an extension that is not
  // loaded, and with no network nothing could be installed here anyway: read the settings themselves.
  it.each([
    ['access_mode', 'read_only'],
    ['enable_external_access', 'false'],
    ['autoinstall_known_extensions', 'false'],
    ['autoload_known_extensions', 'false'],
    ['allow_community_extensions', 'false'],
    ['allow_unsigned_extensions', 'false'],
    ['lock_configuration', 'true'],
  ])('runs with %s = %s', async (name, value) => {
    const r = await run(`SELECT CAST(current_setting('${name}') AS VARCHAR) AS v`);
    expect(String(r.rows[0]?.[0]).toLowerCase()).toBe(value);
  });

  it('never puts engine text (which can quote row values) in the error message', async () => {
    const err = await run('SELECT CAST(name AS INTEGER) FROM dim_locations WHERE location_id = 544001').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SplitplaneError);
    const e = err as SplitplaneError;
    expect(e.toBody()).toEqual({
      statusCode: 502,
      code: 'SP_ERR_EXECUTION_FAILED',
      error: 'Bad Gateway',
      message: ERRORS.SP_ERR_EXECUTION_FAILED.message,
    });
    expect(JSON.stringify(e.toBody())).not.toMatch(/#|Conversion|INT32/);
    expect((e.cause as Error).message).toMatch(/Conversion Error/); // kept for the logs only
  });

  it('interrupts a query that runs past its timeout and keeps serving', async () => {
    const started = performance.now();
    await expect(run('SELECT COUNT(*) FROM fact_daily_sales a, fact_daily_sales b', 200)).rejects.toMatchObject({
      code: 'SP_ERR_EXECUTION_TIMEOUT',
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((await run('SELECT 42')).rows).toEqual([[42]]);
  });

  it('stops an aborted query', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(
      engine.run({
        sql: 'SELECT COUNT(*) FROM fact_daily_sales a, fact_daily_sales b',
        timeoutMs: 30_000,
        rowCap: 10,
        tenant: '',
        signal: ac.signal,
      }),
    ).rejects.toMatchObject({
      code: 'SP_ERR_EXECUTION_TIMEOUT',
    });
  });

  it('returns at most the row cap and says it truncated', async () => {
    const r = await run('SELECT location_id FROM dim_locations');
    expect(r.rows).toHaveLength(100);
    expect(r.truncated).toBe(true);
  });
});

describe('functions the warehouse file defines', () => {
  const make = async (name: string, sql: string): Promise<string> => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const path = join(secretDir, `${name}.duckdb`);
    const inst = await DuckDBInstance.create(path);
    const c = await inst.connect();
    await c.run(sql);
    c.closeSync();
    inst.closeSync();
    return path;
  };

  it('refuses to start on a macro named like an allowed function (DuckDB would run it instead of the built-in)', async () => {
    const path = await make('shadow', "CREATE MACRO lower(x) AS 'not the built-in'");
    const err = await openDuckDb({ registry: DEMO_REGISTRY, path, threads: 1, memoryLimit: '256MB' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SplitplaneError);
    expect((err as SplitplaneError).code).toBe('SP_ERR_CONFIG');
    expect((err as Error).message).toContain('shadow.main.lower, named like functions the guard allows');
  });

  it('starts with a macro the guard never allows a candidate to call', async () => {
    const path = await make('harmless', 'CREATE MACRO splitplane_test_add_one(x) AS x + 1');
    const conn = await openDuckDb({ registry: DEMO_REGISTRY, path, threads: 1, memoryLimit: '256MB' });
    await conn.close();
  });
});

describe("the engine's own bound on expression depth", () => {
  it('is set (200) and refuses a deeper expression even with the guard bypassed', async () => {
    expect((await run("SELECT current_setting('max_expression_depth') AS d")).rows).toEqual([['200']]);
    const deep = `SELECT ${'abs('.repeat(250)}1${')'.repeat(250)} AS x`;
    await expect(run(deep)).rejects.toMatchObject({ code: 'SP_ERR_EXECUTION_FAILED' });
    expect((await run(`SELECT ${'abs('.repeat(100)}1${')'.repeat(100)} AS x`)).rows).toEqual([[1]]);
  });
});

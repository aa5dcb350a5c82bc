/**
 * The first layer runs off the event loop under a time budget: an overrun is
 * SP_ERR_GUARD_TOO_COMPLEX, the worker is replaced, and the loop kept turning.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ParsePool } from './parse-pool.js';

const grammar = {
  name: 'duckdb',
  parserDatabase: 'postgresql',
  sqlifyDatabase: 'postgresql',
  identQuote: '"',
} as const;
const sandbox = { cteSql: '"daily_sales" AS MATERIALIZED (SELECT 1 AS location_id)', names: ['daily_sales'] };
// Legal and long: about 7 KB, many milliseconds of parsing, far more than a 1 ms budget.
const LONG = `SELECT ${Array.from({ length: 110 }, (_, i) => `SUM(location_id) AS s${i}`).join(', ')} FROM daily_sales WHERE ${Array.from({ length: 40 }, (_, i) => `location_id <> ${i}`).join(' AND ')}`;

describe('ParsePool', () => {
  const generous = new ParsePool(1, 30_000);
  const tight = new ParsePool(1, 1);
  afterAll(async () => {
    await generous.close();
    await tight.close();
  });

  it('assembles in the worker exactly as the guard specifies', async () => {
    const out = await generous.run('SELECT COUNT(*) AS n FROM daily_sales', grammar, sandbox);
    expect(out.sql.startsWith(`WITH ${sandbox.cteSql}`)).toBe(true);
    expect(out.candidate).toBe('SELECT COUNT(*) AS "n" FROM "daily_sales"');
  });

  it('a rejection keeps its stable code and detail across the thread', async () => {
    const err = (await generous.run('SELECT * FROM secret_table', grammar, sandbox).catch((e: unknown) => e)) as {
      code: string;
      message: string;
    };
    expect(err.code).toBe('SP_ERR_GUARD_UNKNOWN_RELATION');
    await expect(generous.run('DELETE FROM daily_sales', grammar, sandbox)).rejects.toMatchObject({
      code: 'SP_ERR_GUARD_NOT_SELECT',
    });
  });

  it('over budget: SP_ERR_GUARD_TOO_COMPLEX, the event loop turned meanwhile, the next call is served by a new worker', async () => {
    expect(LONG.length).toBeLessThan(8_000);
    await expect(generous.run(LONG, grammar, sandbox)).resolves.toBeTruthy(); // legal: only the budget refuses it below
    await tight.run('SELECT 1 AS x FROM daily_sales', grammar, sandbox).catch(() => undefined); // start the worker
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const err = (await tight.run(LONG, grammar, sandbox).catch((e: unknown) => e)) as { code: string };
    clearInterval(ticker);
    expect(err.code).toBe('SP_ERR_GUARD_TOO_COMPLEX');
    expect(tight.overruns).toBeGreaterThanOrEqual(1);
    expect(turns).toBeGreaterThan(0);
    const again = new ParsePool(1, 30_000);
    try {
      await expect(again.run('SELECT 1 AS x FROM daily_sales', grammar, sandbox)).resolves.toBeTruthy();
    } finally {
      await again.close();
    }
  });
});

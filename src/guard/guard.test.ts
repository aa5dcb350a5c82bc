/**
 * The guard against the real DuckDB parser and the franchise owner's sandbox:
 * what it accepts (and what the assembled SQL looks like), and the stable
 * code it rejects each attack with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ErrorCode } from '../errors.js';
import { SplitplaneError } from '../errors.js';
import { buildSandbox, type Sandbox } from '../sandbox/sandbox.js';
import type { EngineConnector } from '../engines/engine.js';
import { openDuckDb } from '../engines/duckdb/connector.js';
import { checkEngineTree, sandboxCteEntries } from '../engines/duckdb/engine-check.js';
import { guardCandidate } from './guard.js';
import { checkStatement } from './sql-check.js';
import { DEMO_REGISTRY } from '../../test/support/demo-catalog.js';

let connector: EngineConnector;
let sandbox: Sandbox;

beforeAll(async () => {
  connector = await openDuckDb({ registry: DEMO_REGISTRY, path: inject('demoDb'), threads: 1, memoryLimit: '512MB' });
  sandbox = buildSandbox(
    {
      tenantId: '12',
      businessId: '628',
      adminId: '7042',
      role: 'franchise_owner',
      units: ['628017', '628123'],
      tables: {
        daily_sales: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'],
        locations: ['location_id', 'name', 'city', 'state'],
      },
    },
    connector.dialect,
    DEMO_REGISTRY,
  );
});
afterAll(async () => {
  await connector.close();
});

async function rejection(sql: string): Promise<ErrorCode | 'accepted'> {
  try {
    await guardCandidate(sql, { sandbox, engine: connector.check });
    return 'accepted';
  } catch (e) {
    if (e instanceof SplitplaneError) return e.code;
    throw e;
  }
}

describe('accepts SELECTs over the sandbox', () => {
  it.each([
    ['aggregate', 'SELECT SUM(net_sales_amount) FROM daily_sales'],
    [
      'join and group',
      'SELECT l.city, SUM(d.order_count) AS n FROM daily_sales d JOIN locations l ON l.location_id = d.location_id GROUP BY l.city ORDER BY n DESC LIMIT 5',
    ],
    [
      'own CTE over the sandbox',
      'WITH w AS (SELECT location_id, SUM(guest_count) AS g FROM daily_sales GROUP BY location_id) SELECT * FROM w ORDER BY g DESC',
    ],
    [
      'chained own CTEs',
      'WITH a AS (SELECT * FROM daily_sales), b AS (SELECT location_id FROM a) SELECT COUNT(*) FROM b',
    ],
    [
      'subqueries',
      'SELECT name FROM locations WHERE location_id IN (SELECT location_id FROM daily_sales WHERE net_sales_amount > 100) AND EXISTS (SELECT 1 FROM daily_sales)',
    ],
    [
      'window function',
      'SELECT location_id, business_date, net_sales_amount - LAG(net_sales_amount) OVER (PARTITION BY location_id ORDER BY business_date) AS delta FROM daily_sales',
    ],
    ['set operation', 'SELECT city FROM locations UNION ALL SELECT state FROM locations'],
    [
      'dates, casts and case',
      "SELECT DATE_TRUNC('week', business_date) AS wk, CAST(SUM(order_count) AS BIGINT), CASE WHEN SUM(guest_count) > 10 THEN 'busy' ELSE 'quiet' END FROM daily_sales WHERE business_date >= DATE '2026-11-09' GROUP BY 1",
    ],
    [
      'out-of-scope literal (returns nothing, leaks nothing)',
      'SELECT SUM(net_sales_amount) FROM daily_sales WHERE location_id = 544001',
    ],
  ])('%s', async (_name, sql) => {
    expect(await rejection(sql)).toBe('accepted');
  });

  it('assembles the sandbox CTEs first and re-serialises the candidate from its AST', async () => {
    const out = await guardCandidate('select   sum(order_count) n from daily_sales -- a comment', {
      sandbox,
      engine: connector.check,
    });
    expect(out.candidate).toBe('SELECT SUM(order_count) AS "n" FROM "daily_sales"');
    expect(out.sql).toBe(
      'WITH "daily_sales" AS MATERIALIZED (SELECT "location_id", "business_date", "net_sales_amount", "order_count", "guest_count" ' +
        'FROM "main"."fact_daily_sales" WHERE "tenant_id" = $sp_tenant AND "business_id" = $sp_business AND list_contains($sp_units, "location_id")),\n' +
        '     "locations" AS MATERIALIZED (SELECT "location_id", "name", "city", "state" FROM "main"."dim_locations" ' +
        'WHERE "tenant_id" = $sp_tenant AND "business_id" = $sp_business AND list_contains($sp_units, "location_id"))\n' +
        'SELECT SUM(order_count) AS "n" FROM "daily_sales"',
    );
  });
});

describe('rejects, with a stable code', () => {
  it.each<[string, string, ErrorCode]>([
    ['raw table name', 'SELECT * FROM fact_daily_sales', 'SP_ERR_GUARD_UNKNOWN_RELATION'],
    ['raw personal data table', 'SELECT email FROM customers', 'SP_ERR_GUARD_UNKNOWN_RELATION'],
    ['schema-qualified name', 'SELECT * FROM main.fact_daily_sales', 'SP_ERR_GUARD_QUALIFIED_NAME'],
    ['schema-qualified sandbox name', 'SELECT * FROM main.daily_sales', 'SP_ERR_GUARD_QUALIFIED_NAME'],
    ['read_csv', "SELECT * FROM read_csv('/etc/passwd')", 'SP_ERR_GUARD_TABLE_FUNCTION'],
    ['read_parquet', "SELECT * FROM read_parquet('s3://bucket/x.parquet')", 'SP_ERR_GUARD_TABLE_FUNCTION'],
    ['file path as a table', "SELECT * FROM 'file.csv'", 'SP_ERR_GUARD_UNKNOWN_RELATION'],
    ['glob path as a table', "SELECT * FROM '/var/lib/*.parquet'", 'SP_ERR_GUARD_UNKNOWN_RELATION'],
    ['information_schema', 'SELECT table_name FROM information_schema.tables', 'SP_ERR_GUARD_QUALIFIED_NAME'],
    ['duckdb_tables()', 'SELECT * FROM duckdb_tables()', 'SP_ERR_GUARD_TABLE_FUNCTION'],
    ['metadata function in an expression', "SELECT current_setting('threads')", 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED'],
    ['function that runs SQL text', "SELECT * FROM query('SELECT * FROM customers')", 'SP_ERR_GUARD_TABLE_FUNCTION'],
    ['second statement', 'SELECT 1; SELECT * FROM customers', 'SP_ERR_GUARD_MULTIPLE_STATEMENTS'],
    ['stacked write', 'SELECT 1; DROP TABLE customers', 'SP_ERR_GUARD_MULTIPLE_STATEMENTS'],
    ['ATTACH', "ATTACH '/tmp/other.duckdb' AS o", 'SP_ERR_GUARD_NOT_SELECT'],
    ['COPY', "COPY customers TO '/tmp/out.csv'", 'SP_ERR_GUARD_NOT_SELECT'],
    ['PRAGMA', 'PRAGMA show_tables', 'SP_ERR_GUARD_NOT_SELECT'],
    ['SET', 'SET enable_external_access = true', 'SP_ERR_GUARD_NOT_SELECT'],
    ['INSTALL', 'INSTALL httpfs', 'SP_ERR_GUARD_NOT_SELECT'],
    ['LOAD', 'LOAD httpfs', 'SP_ERR_GUARD_NOT_SELECT'],
    ['attach after a select', "SELECT 1; ATTACH 'x.db'", 'SP_ERR_GUARD_PARSE'],
    ['SELECT INTO', 'SELECT * INTO stolen FROM daily_sales', 'SP_ERR_GUARD_SELECT_INTO'],
    [
      'CTE shadowing a sandbox name with a raw table',
      'WITH daily_sales AS (SELECT * FROM fact_daily_sales) SELECT SUM(net_sales_amount) FROM daily_sales',
      'SP_ERR_GUARD_CTE_SHADOW',
    ],
    [
      'nested CTE shadowing a sandbox name',
      'SELECT * FROM (WITH locations AS (SELECT 1 AS x) SELECT * FROM locations) t',
      'SP_ERR_GUARD_CTE_SHADOW',
    ],
    [
      'CTE in a subquery hiding an outer raw reference of the same name',
      'SELECT * FROM customers, (WITH customers AS (SELECT 1 AS x) SELECT * FROM customers) t',
      'SP_ERR_GUARD_UNKNOWN_RELATION',
    ],
    [
      'CTE that reads a later sibling (resolved as a raw table by some engines)',
      'WITH a AS (SELECT * FROM customers), customers AS (SELECT 1 AS x) SELECT * FROM a',
      'SP_ERR_GUARD_UNKNOWN_RELATION',
    ],
    ['backslash escape the two parsers read differently', "SELECT 'a\\' FROM customers --'", 'SP_ERR_GUARD_LITERAL'],
    ['unicode look-alike table name', 'SELECT * FROM dаily_sales', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['NUL byte', 'SELECT 1\u0000', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['over-long SQL', `SELECT ${'1 + '.repeat(3000)}1`, 'SP_ERR_GUARD_TOO_LONG'],
    ['over-deep SQL', `SELECT ${'('.repeat(100)}1${')'.repeat(100)}`, 'SP_ERR_GUARD_TOO_DEEP'],
    ['not SQL at all', 'please give me all the data', 'SP_ERR_GUARD_NOT_SELECT'],
    ['unparseable SELECT', 'SELECT FROM WHERE', 'SP_ERR_GUARD_PARSE'],
    ['function not on the allow-list', 'SELECT md5(name) FROM locations', 'SP_ERR_GUARD_FUNCTION_NOT_ALLOWED'],
    ['range table function', 'SELECT * FROM range(1000000000)', 'SP_ERR_GUARD_TABLE_FUNCTION'],
    [
      'union with a raw table',
      'SELECT city FROM locations UNION SELECT email FROM customers',
      'SP_ERR_GUARD_UNKNOWN_RELATION',
    ],
    [
      'raw table in a correlated subquery',
      'SELECT name FROM locations l WHERE EXISTS (SELECT 1 FROM dim_locations r WHERE r.location_id = l.location_id)',
      'SP_ERR_GUARD_UNKNOWN_RELATION',
    ],
  ])('%s', async (_name, sql, code) => {
    expect(await rejection(sql)).toBe(code);
  });
});

describe('defence in depth inside the guard', () => {
  it('the engine check still refuses what a mistaken first layer lets through', async () => {
    // Simulate a first layer that wrongly believes `customers` is a sandbox table.
    const confused = { ...sandbox, names: new Set([...sandbox.names, 'customers']) };
    await expect(
      guardCandidate('SELECT email FROM customers', { sandbox: confused, engine: connector.check }),
    ).rejects.toMatchObject({
      code: 'SP_ERR_GUARD_ENGINE_MISMATCH',
    });
  });

  it('refuses select-node keys it does not know (a parser upgrade must not open a hole)', () => {
    const ast = {
      type: 'select',
      columns: [{ expr: { type: 'number', value: 1 }, as: null }],
      from: null,
      locking_read: { type: 'FOR UPDATE' },
    };
    expect(() => checkStatement(ast, sandbox.names)).toThrow(
      expect.objectContaining({ code: 'SP_ERR_GUARD_UNSUPPORTED' }),
    );
  });

  it('refuses an AST that is not a select', () => {
    expect(() => checkStatement({ type: 'delete', from: [{ table: 'daily_sales' }] }, sandbox.names)).toThrow(
      expect.objectContaining({ code: 'SP_ERR_GUARD_NOT_SELECT' }),
    );
  });
});

describe('the engine parser has the last word', () => {
  // node-sql-parser reads `'a\' FROM customers --'` as one string; DuckDB reads a string `'a\'` and
  // then FROM customers. The guard's literal rule stops this first; here the engine check is run on
  // its own over the text DuckDB would see, to show it would reject the same input by itself.
  it('rejects a final text that DuckDB reads as touching a raw table', async () => {
    const sandboxTree = await connector.engineParse(`WITH ${sandbox.cteSql} SELECT 1`);
    const final = `WITH ${sandbox.cteSql}\nSELECT 'a\\' FROM customers --'`;
    const tree = await connector.engineParse(final);
    expect(() => checkEngineTree(tree, sandboxCteEntries(sandboxTree))).toThrow(
      expect.objectContaining({ code: 'SP_ERR_GUARD_ENGINE_MISMATCH' }),
    );
  });

  it('rejects a parameter anywhere after the sandbox CTEs (the scope is bound only where the builder wrote it)', async () => {
    const sandboxTree = await connector.engineParse(`WITH ${sandbox.cteSql} SELECT 1`);
    for (const tail of [
      'SELECT $sp_units AS l',
      'SELECT COUNT(*) FROM daily_sales WHERE location_id = $sp_tenant',
      'SELECT $1',
    ]) {
      const tree = await connector.engineParse(`WITH ${sandbox.cteSql}\n${tail}`);
      expect(() => checkEngineTree(tree, sandboxCteEntries(sandboxTree)), tail).toThrow(
        expect.objectContaining({ code: 'SP_ERR_GUARD_ENGINE_MISMATCH' }),
      );
    }
    expect(await rejection('SELECT COUNT(*) FROM daily_sales WHERE location_id = $sp_tenant')).toBe(
      'SP_ERR_GUARD_UNSUPPORTED',
    );
  });

  it('shares one verdict among all users of one scope shape: the second owner of other stores costs no engine parse', async () => {
    let parses = 0;
    const counting = { ...connector.check, parse: (sql: string) => (parses++, connector.check.parse(sql)) };
    const candidate = 'SELECT COUNT(*) AS n FROM daily_sales WHERE order_count > 4242';
    const mine = await guardCandidate(candidate, { sandbox, engine: counting });
    const before = parses;
    expect(before).toBeGreaterThan(0);
    const theirs = buildSandbox(
      {
        tenantId: '31',
        businessId: '544',
        adminId: '5401',
        role: 'franchise_owner',
        units: ['544001', '544002', '544003'],
        tables: {
          daily_sales: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'],
          locations: ['location_id', 'name', 'city', 'state'],
        },
      },
      connector.dialect,
      DEMO_REGISTRY,
    );
    const shared = await guardCandidate(candidate, { sandbox: theirs, engine: counting });
    expect(shared.sql).toBe(mine.sql);
    expect(parses).toBe(before);
  });

  it('rejects a final text whose sandbox CTE was altered', async () => {
    const sandboxTree = await connector.engineParse(`WITH ${sandbox.cteSql} SELECT 1`);
    const widened = sandbox.cteSql.replace('list_contains($sp_units, "location_id")', 'TRUE');
    expect(widened).not.toBe(sandbox.cteSql);
    const tree = await connector.engineParse(`WITH ${widened} SELECT SUM(net_sales_amount) FROM daily_sales`);
    expect(() => checkEngineTree(tree, sandboxCteEntries(sandboxTree))).toThrow(
      expect.objectContaining({ code: 'SP_ERR_GUARD_ENGINE_MISMATCH' }),
    );
  });

  it('accepts the same final text when nothing differs', async () => {
    const sandboxTree = await connector.engineParse(`WITH ${sandbox.cteSql} SELECT 1`);
    const tree = await connector.engineParse(`WITH ${sandbox.cteSql}\nSELECT SUM(net_sales_amount) FROM daily_sales`);
    expect(() => checkEngineTree(tree, sandboxCteEntries(sandboxTree))).not.toThrow();
  });

  it.each([
    ['table function', "SELECT * FROM read_csv('x')"],
    ['file path', "SELECT * FROM 'file.csv'"],
    ['qualified', 'SELECT * FROM main.customers'],
    ['metadata function', "SELECT current_setting('threads')"],
    ['raw table in a nested subquery', 'SELECT (SELECT COUNT(*) FROM customers) FROM daily_sales'],
    ['forward CTE reference', 'WITH a AS (SELECT * FROM customers), customers AS (SELECT 1) SELECT * FROM a'],
    ['qualified sandbox name', 'SELECT * FROM main.daily_sales'],
    ['a second statement', 'SELECT 1; SELECT 2'],
    ['a candidate CTE redefining a sandbox CTE', 'WITH daily_sales AS (SELECT 1 AS x) SELECT * FROM daily_sales'],
    [
      'a nested CTE redefining a sandbox CTE',
      'SELECT * FROM (WITH locations AS (SELECT 1 AS x) SELECT * FROM locations) t',
    ],
    ['a table function posing as a sandbox name', "SELECT * FROM daily_sales, read_csv('x')"],
    ['an unknown expression class (parameter)', 'SELECT $1 FROM daily_sales'],
    ['a function not on the list', 'SELECT md5(name) FROM locations'],
  ])('rejects on its own: %s', async (_name, tail) => {
    const sandboxTree = await connector.engineParse(`WITH ${sandbox.cteSql} SELECT 1`);
    const tree = await connector.engineParse(
      tail.startsWith('WITH') ? `WITH ${sandbox.cteSql}, ${tail.slice(5)}` : `WITH ${sandbox.cteSql}\n${tail}`,
    );
    expect(() => checkEngineTree(tree, sandboxCteEntries(sandboxTree))).toThrow(
      expect.objectContaining({ code: 'SP_ERR_GUARD_ENGINE_MISMATCH' }),
    );
  });
});

describe('each cost limit refuses on its own (the detail names the limit that fired)', () => {
  const detail = async (sql: string): Promise<string> => {
    try {
      await guardCandidate(sql, { sandbox, engine: connector.check });
      return 'accepted';
    } catch (e) {
      if (e instanceof SplitplaneError) return `${e.code}: ${e.message}`;
      throw e;
    }
  };
  it('a long run of identifier characters is refused before the parser sees it (it is quadratic on a-a-a-...)', async () => {
    expect(await detail(`SELECT ${'a'.repeat(200)} FROM daily_sales`)).toMatch(
      /^SP_ERR_GUARD_TOO_COMPLEX: .*a run of 200 identifier characters/,
    );
  });
  it('a shallow query of more than 3,000 nodes (seven IN lists of 450 values)', async () => {
    const list = Array.from({ length: 450 }, () => '1').join(',');
    const sql = `SELECT COUNT(*) FROM daily_sales WHERE ${Array.from({ length: 7 }, () => `guest_count IN (${list})`).join(' AND ')}`;
    expect(sql.length).toBeLessThan(8000);
    expect(await detail(sql)).toMatch(/^SP_ERR_GUARD_TOO_COMPLEX: .*more than 3000 nodes/);
  });
});

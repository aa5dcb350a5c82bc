/**
 * Databricks through the unmodified @databricks/sql client against a local
 * fake of the SQL warehouse's Thrift service (HTTPS with a certificate made
 * here, answered from DuckDB). The fake records every statement, so the tests
 * assert the exact SQL Databricks would have run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { SplitplaneError, type ErrorCode } from '../../src/errors.js';
import type { Generator } from '../../src/generate/generator.js';
import { createServices } from '../../src/server/services.js';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks.js';
import {
  ask,
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  startTestService,
  testConfig,
  type TestService,
} from '../support/harness.js';
import { text as asText } from '../../src/util/text.js';

const dir = mkdtempSync(join(tmpdir(), 'splitplane-dbx-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { stdio: 'ignore' },
);
const TOKEN = 'dapi-splitplane-test-token';
writeFileSync(join(dir, 'token'), TOKEN);

let fake: FakeDatabricks;
let svc: TestService;
let candidate = '';
const hostileOrCatalog: Generator = {
  name: 'test-generator',
  async generate(input, signal) {
    if (candidate) return { sql: candidate, generator: 'hostile-model' };
    const { catalogGenerator } = await import('../../src/generate/catalog-generator.js');
    return catalogGenerator(svc.services.deps.catalog).generate(input, signal);
  },
};

beforeAll(async () => {
  fake = await startFakeDatabricks({
    duckdbPath: inject('demoDb'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    token: TOKEN,
  });
  // The fake answers from DuckDB, whose catalog is named after the file: catalog `demo`, schema `main`.
  svc = await startTestService(
    { generator: hostileOrCatalog },
    {
      warehouse: {
        engine: 'databricks',
        databricks: {
          host: fake.host,
          port: fake.port,
          path: fake.path,
          tokenFile: join(dir, 'token'),
          catalog: basename(inject('demoDb'), '.duckdb'),
          schema: 'main',
          customCaCertFile: join(dir, 'cert.pem'),
        },
      },
    },
  );
});
afterAll(async () => {
  await svc?.close();
  await fake?.close();
});

describe('the scenario through @databricks/sql', () => {
  it('$84,000.00 and $9,200,000.00, with every ID bound as a parameter whatever the size of the grant', async () => {
    fake.statements.length = 0;
    const a = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
    const b = await ask(svc.app, BRAND_MANAGER, 'What was the total sales amount last week?');
    expect(a.body['answer']).toBe(
      'Your total sales amount for last week (2026-11-09 to 2026-11-15) across your 2 locations was $84,000.00.',
    );
    expect(b.body['answer']).toBe(
      'Your total sales amount for last week (2026-11-09 to 2026-11-15) across your 200 locations was $9,200,000.00.',
    );
    // The answer's statement (the coverage read, MIN/MAX of the dates, goes through the same path first).
    const first = fake.statements.find((x) => x.sql.includes('SELECT SUM('));
    const catalog = basename(inject('demoDb'), '.duckdb');
    expect(first!.sql).toBe(
      `WITH daily_sales AS (SELECT location_id, business_date, net_sales_amount, order_count, guest_count FROM \`${catalog}\`.\`main\`.\`fact_daily_sales\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_units, 'ARRAY<BIGINT>'), location_id)),\n` +
        `     item_sales AS (SELECT location_id, business_date, item_id, quantity, net_amount FROM \`${catalog}\`.\`main\`.\`fact_item_sales\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_units, 'ARRAY<BIGINT>'), location_id)),\n` +
        `     locations AS (SELECT location_id, name, city, state, opened_on FROM \`${catalog}\`.\`main\`.\`dim_locations\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_units, 'ARRAY<BIGINT>'), location_id)),\n` +
        `     menu_items AS (SELECT item_id, name, category, price FROM \`${catalog}\`.\`main\`.\`dim_menu_items\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business)\n` +
        "SELECT SUM(`m`.net_sales_amount) AS `net_sales_amount` FROM `daily_sales` AS `m` WHERE `m`.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'",
    );
    expect(first!.parameters).toEqual([
      { name: 'sp_tenant', value: '12', type: 'BIGINT' },
      { name: 'sp_business', value: '628', type: 'BIGINT' },
      { name: 'sp_units', value: '[628017,628123]', type: 'STRING' },
    ]);
    // The brand manager's 200 locations are one bound value too (the role shows more columns, so its text differs by those).
    const second = fake.statements.filter((x) => x.sql.includes('SELECT SUM(')).at(-1)!;
    expect(second.sql.length).toBeLessThan(first!.sql.length + 100);
    expect(second.parameters.at(-1)).toMatchObject({ name: 'sp_units', type: 'STRING' });
    expect(JSON.parse(second.parameters.at(-1)!.value!)).toHaveLength(200);
    // No ID is spliced into any statement's text, and every raw table sits inside a sandbox CTE.
    for (const s of fake.statements.filter((x) => x.sql.startsWith('WITH'))) {
      expect(s.sql).not.toMatch(/\b(12|628|628017|628123)\b(?!-)/);
      const afterSandbox = s.sql.slice(s.sql.lastIndexOf('\n'));
      expect(afterSandbox).not.toMatch(/`main`|fact_|dim_/);
    }
  });

  it('clarification and business 544 behave as on DuckDB', async () => {
    expect((await ask(svc.app, FRANCHISE_OWNER, 'What were total sales last week?')).body['status']).toBe(
      'clarification',
    );
    expect((await ask(svc.app, FRANCHISE_OWNER, 'total sales amount last quarter for business 544')).body['code']).toBe(
      'SP_ERR_OUT_OF_SCOPE_REFERENCE',
    );
  });
});

describe('the stricter guard on Databricks (no local Databricks parser)', () => {
  it.each<[string, string, ErrorCode]>([
    ['backticked name', 'SELECT * FROM `daily_sales`', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['three-part name', 'SELECT * FROM demo.main.fact_daily_sales', 'SP_ERR_GUARD_BAD_CHARACTER'],
    [
      'three-part sandbox-looking name',
      'SELECT * FROM hive_metastore.default.daily_sales',
      'SP_ERR_GUARD_BAD_CHARACTER',
    ],
    ['read_files()', "SELECT * FROM read_files('/Volumes/x/y/z.csv')", 'SP_ERR_GUARD_TABLE_FUNCTION'],
    ['parquet.`/path`', 'SELECT * FROM parquet.`/mnt/data/x.parquet`', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['SHOW', 'SHOW TABLES', 'SP_ERR_GUARD_NOT_SELECT'],
    ['DESCRIBE', 'DESCRIBE TABLE customers', 'SP_ERR_GUARD_NOT_SELECT'],
    ['information_schema', 'SELECT * FROM information_schema.tables', 'SP_ERR_GUARD_QUALIFIED_NAME'],
    ['system.* tables', 'SELECT * FROM system.access.audit', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['double-quoted identifier (a string in Databricks)', 'SELECT "name" FROM locations', 'SP_ERR_GUARD_BAD_CHARACTER'],
    [
      'parameter marker',
      "SELECT * FROM daily_sales WHERE array_contains(from_json(:sp_units, 'ARRAY<BIGINT>'), location_id)",
      'SP_ERR_GUARD_BAD_CHARACTER',
    ],
    ['variable substitution', 'SELECT * FROM daily_sales WHERE location_id = ${loc}', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['backslash', "SELECT 'a\\' AS x", 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['raw table', 'SELECT * FROM fact_daily_sales', 'SP_ERR_GUARD_UNKNOWN_RELATION'],
  ])('refuses %s', async (_n, sql, code) => {
    candidate = sql;
    try {
      const res = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
      expect(res.body['code']).toBe(code);
    } finally {
      candidate = '';
    }
  });

  it('answers allowed candidates, re-serialised with backticks, and the second (Hive grammar) reading passes', async () => {
    candidate =
      'SELECT l.city, SUM(d.guest_count) AS guests FROM daily_sales d JOIN locations l ON l.location_id = d.location_id GROUP BY l.city';
    try {
      const res = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
      expect(res.statusCode).toBe(200);
      expect((res.body['rows'] as string[][]).map((r) => r[0])).toEqual(['Chicago']);
      expect(fake.statements.at(-1)!.sql).toMatch(
        /\nSELECT `l`\.city, SUM\(`d`\.guest_count\) AS `guests` FROM `daily_sales` AS `d` INNER JOIN `locations` AS `l`/,
      );
    } finally {
      candidate = '';
    }
  });
});

/**
 * Start-up against a warehouse that cannot serve: the error the CLI prints (`code: detail`) names the
 * cause, host unreachable, token refused or warehouse not running, and never the token.
 */
describe('a start-up failure names its cause', () => {
  const WRONG = 'dapi-splitplane-wrong-token-0123456789';
  writeFileSync(join(dir, 'wrong-token'), WRONG);
  const warehouse = (databricks: Record<string, unknown>) => ({
    warehouse: {
      engine: 'databricks',
      databricks: {
        host: fake.host,
        port: fake.port,
        path: fake.path,
        tokenFile: join(dir, 'token'),
        catalog: basename(inject('demoDb'), '.duckdb'),
        schema: 'main',
        customCaCertFile: join(dir, 'cert.pem'),
        ...databricks,
      },
    },
  });
  /** The start-up error, checked to be SP_ERR_WAREHOUSE_UNAVAILABLE with no token anywhere in its text or its causes' messages. */
  async function startUpError(extra: Record<string, unknown>): Promise<SplitplaneError> {
    const err = await createServices(testConfig(extra)).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SplitplaneError);
    const e = err as SplitplaneError;
    expect(e.code).toBe('SP_ERR_WAREHOUSE_UNAVAILABLE');
    for (let c: unknown = e; c !== undefined && c !== null; c = (c as { cause?: unknown }).cause) {
      const text = `${asText((c as { message?: unknown }).message)} ${asText((c as { stack?: unknown }).stack)}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(WRONG);
    }
    return e;
  }

  it('host unreachable: nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const e = await startUpError(warehouse({ port: closed }));
    expect(e.detail).toBe(
      `cannot load the directory: cannot open a Databricks session: host unreachable: 127.0.0.1:${closed} refused the connection (ECONNREFUSED); check warehouse.databricks.host and port, and the network path to it`,
    );
  });

  it('token refused: a token the workspace does not know is HTTP 403', async () => {
    const e = await startUpError(warehouse({ tokenFile: join(dir, 'wrong-token') }));
    expect(e.detail).toMatch(
      /^cannot load the directory: cannot open a Databricks session: token refused: 127\.0\.0\.1:\d+ answered HTTP 403 Forbidden; check the token from tokenFile \S+wrong-token \(expired, revoked/,
    );
  });

  it('token refused: a revoked or expired token is HTTP 401, and the message names the variable it came from', async () => {
    process.env['SPLITPLANE_TEST_DATABRICKS_TOKEN'] = TOKEN;
    fake.refuseTokens = 401;
    try {
      const { tokenFile: _file, ...rest } = warehouse({}).warehouse.databricks;
      const e = await startUpError({
        warehouse: { engine: 'databricks', databricks: { ...rest, tokenEnv: 'SPLITPLANE_TEST_DATABRICKS_TOKEN' } },
      });
      expect(e.detail).toMatch(
        /token refused: 127\.0\.0\.1:\d+ answered HTTP 401 Unauthorized; check the token from SPLITPLANE_TEST_DATABRICKS_TOKEN \(/,
      );
    } finally {
      fake.refuseTokens = undefined;
      delete process.env['SPLITPLANE_TEST_DATABRICKS_TOKEN'];
    }
  });

  it('warehouse not running: a stopped warehouse answers 503 TEMPORARILY_UNAVAILABLE', async () => {
    fake.warehouse = 'STOPPED';
    try {
      const e = await startUpError(warehouse({}));
      expect(e.detail).toMatch(
        /^cannot load the directory: cannot open a Databricks session: warehouse not running: 127\.0\.0\.1:\d+ answered HTTP 503 TEMPORARILY_UNAVAILABLE; the SQL warehouse \/sql\/1\.0\/warehouses\/splitplane-fake is stopped or still starting/,
      );
    } finally {
      fake.warehouse = 'RUNNING';
    }
  });

  it('a running service whose warehouse stops answers 503 SP_ERR_WAREHOUSE_UNAVAILABLE, not a failed query, and recovers when it runs again', async () => {
    // Asked before the stop: within its TTL the answer cache still serves it (no warehouse round trip).
    await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
    fake.warehouse = 'STOPPED';
    try {
      const cached = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
      expect(cached.statusCode).toBe(200);
      expect(svc.auditEvents().find((e) => e.requestId === cached.body['requestId'])?.cache).toBe('hit');
      // A read the cache does not hold goes to the warehouse: 503.
      const res = await ask(svc.app, FRANCHISE_OWNER, 'How many orders did we have the week before last?');
      expect(res.statusCode).toBe(503);
      expect(res.body['code']).toBe('SP_ERR_WAREHOUSE_UNAVAILABLE');
      expect(JSON.stringify(res.body)).not.toMatch(/TEMPORARILY_UNAVAILABLE|splitplane-fake|127\.0\.0\.1/);
    } finally {
      fake.warehouse = 'RUNNING';
    }
    expect(
      (await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?')).body['answer'],
    ).toContain('$84,000.00');
  });
});

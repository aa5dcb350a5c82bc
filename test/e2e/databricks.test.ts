/**
 * Databricks through the unmodified @databricks/sql client against a local
 * fake of the SQL warehouse's Thrift service (HTTPS with a certificate made
 * here, answered from DuckDB). The fake records every statement, so the tests
 * assert the exact SQL Databricks would have run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import type { Generator } from '../../src/generate/generator.js';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks.js';
import { ask, BRAND_MANAGER, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'splitplane-dbx-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
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
  fake = await startFakeDatabricks({ duckdbPath: inject('demoDb'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8'), token: TOKEN });
  // The fake answers from DuckDB, whose catalog is named after the file: catalog `demo`, schema `main`.
  svc = await startTestService({ generator: hostileOrCatalog }, {
    warehouse: {
      engine: 'databricks',
      databricks: { host: fake.host, port: fake.port, path: fake.path, tokenFile: join(dir, 'token'), catalog: basename(inject('demoDb'), '.duckdb'), schema: 'main', customCaCertFile: join(dir, 'cert.pem') },
    },
  });
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
    expect(a.body['answer']).toBe('Your total sales amount for last week (2026-11-09 to 2026-11-15) across your 2 locations was $84,000.00.');
    expect(b.body['answer']).toBe('Your total sales amount for last week (2026-11-09 to 2026-11-15) across your 200 locations was $9,200,000.00.');
    // The answer's statement (the coverage read, MIN/MAX of the dates, goes through the same path first).
    const first = fake.statements.find((x) => x.sql.includes('SELECT SUM('));
    const catalog = basename(inject('demoDb'), '.duckdb');
    expect(first!.sql).toBe(
      `WITH daily_sales AS (SELECT location_id, business_date, net_sales_amount, order_count, guest_count FROM \`${catalog}\`.\`main\`.\`fact_daily_sales\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_locations, 'ARRAY<BIGINT>'), location_id)),\n` +
        `     item_sales AS (SELECT location_id, business_date, item_id, quantity, net_amount FROM \`${catalog}\`.\`main\`.\`fact_item_sales\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_locations, 'ARRAY<BIGINT>'), location_id)),\n` +
        `     locations AS (SELECT location_id, name, city, state, opened_on FROM \`${catalog}\`.\`main\`.\`dim_locations\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business AND array_contains(from_json(:sp_locations, 'ARRAY<BIGINT>'), location_id)),\n` +
        `     menu_items AS (SELECT item_id, name, category, price FROM \`${catalog}\`.\`main\`.\`dim_menu_items\` WHERE tenant_id = :sp_tenant AND business_id = :sp_business)\n` +
        "SELECT SUM(`m`.net_sales_amount) AS `net_sales_amount` FROM `daily_sales` AS `m` WHERE `m`.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'",
    );
    expect(first!.parameters).toEqual([
      { name: 'sp_tenant', value: '12', type: 'BIGINT' },
      { name: 'sp_business', value: '628', type: 'BIGINT' },
      { name: 'sp_locations', value: '[628017,628123]', type: 'STRING' },
    ]);
    // The brand manager's 200 locations are one bound value too (the role shows more columns, so its text differs by those).
    const second = fake.statements.filter((x) => x.sql.includes('SELECT SUM(')).at(-1)!;
    expect(second.sql.length).toBeLessThan(first!.sql.length + 100);
    expect(second.parameters.at(-1)).toMatchObject({ name: 'sp_locations', type: 'STRING' });
    expect(JSON.parse(second.parameters.at(-1)!.value!)).toHaveLength(200);
    // No ID is spliced into any statement's text, and every raw table sits inside a sandbox CTE.
    for (const s of fake.statements.filter((x) => x.sql.startsWith('WITH'))) {
      expect(s.sql).not.toMatch(/\b(12|628|628017|628123)\b(?!-)/);
      const afterSandbox = s.sql.slice(s.sql.lastIndexOf('\n'));
      expect(afterSandbox).not.toMatch(/`main`|fact_|dim_/);
    }
  });

  it('clarification and business 544 behave as on DuckDB', async () => {
    expect((await ask(svc.app, FRANCHISE_OWNER, 'What were total sales last week?')).body['status']).toBe('clarification');
    expect((await ask(svc.app, FRANCHISE_OWNER, 'total sales amount last quarter for business 544')).body['code']).toBe('SP_ERR_OUT_OF_SCOPE_REFERENCE');
  });
});

describe('the stricter guard on Databricks (no local Databricks parser)', () => {
  it.each<[string, string, ErrorCode]>([
    ['backticked name', 'SELECT * FROM `daily_sales`', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['three-part name', 'SELECT * FROM demo.main.fact_daily_sales', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['three-part sandbox-looking name', 'SELECT * FROM hive_metastore.default.daily_sales', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['read_files()', "SELECT * FROM read_files('/Volumes/x/y/z.csv')", 'SP_ERR_GUARD_TABLE_FUNCTION'],
    ['parquet.`/path`', 'SELECT * FROM parquet.`/mnt/data/x.parquet`', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['SHOW', 'SHOW TABLES', 'SP_ERR_GUARD_NOT_SELECT'],
    ['DESCRIBE', 'DESCRIBE TABLE customers', 'SP_ERR_GUARD_NOT_SELECT'],
    ['information_schema', 'SELECT * FROM information_schema.tables', 'SP_ERR_GUARD_QUALIFIED_NAME'],
    ['system.* tables', 'SELECT * FROM system.access.audit', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['double-quoted identifier (a string in Databricks)', 'SELECT "name" FROM locations', 'SP_ERR_GUARD_BAD_CHARACTER'],
    ['parameter marker', 'SELECT * FROM daily_sales WHERE array_contains(from_json(:sp_locations, \'ARRAY<BIGINT>\'), location_id)', 'SP_ERR_GUARD_BAD_CHARACTER'],
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
    candidate = 'SELECT l.city, SUM(d.guest_count) AS guests FROM daily_sales d JOIN locations l ON l.location_id = d.location_id GROUP BY l.city';
    try {
      const res = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
      expect(res.statusCode).toBe(200);
      expect((res.body['rows'] as string[][]).map((r) => r[0])).toEqual(['Chicago']);
      expect(fake.statements.at(-1)!.sql).toMatch(/\nSELECT `l`\.city, SUM\(`d`\.guest_count\) AS `guests` FROM `daily_sales` AS `d` INNER JOIN `locations` AS `l`/);
    } finally {
      candidate = '';
    }
  });
});

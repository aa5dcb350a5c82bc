/** Pieces of the model path that need no model: SQL extraction, the answer check, the router (conversations: src/conversation/store.test.ts). */
import { openLlm } from './providers.js';
import { describe, expect, it } from 'vitest';
import { numbersComeFromRows } from '../answer/answer.js';
import { routeSchema } from '../generate/schema-router.js';
import { buildSandbox, describeSandbox } from '../sandbox/sandbox.js';
import { duckdbDialect } from '../engines/duckdb/dialect.js';
import { extractSql } from './extract-sql.js';
import { DEMO_REGISTRY } from '../../test/support/demo-catalog.js';

describe('extractSql', () => {
  it.each([
    ['a fenced sql block', 'Sure.\n```sql\nSELECT 1;\n```\nDone.', 'SELECT 1'],
    ['an unlabelled fence', '```\nSELECT 2\n```', 'SELECT 2'],
    ['JSON', '{"sql": "SELECT 3"}', 'SELECT 3'],
    ['a bare SELECT', '  select 4 ', 'select 4'],
    ['a bare WITH', 'WITH a AS (SELECT 1) SELECT * FROM a', 'WITH a AS (SELECT 1) SELECT * FROM a'],
  ])('reads %s', (_n, text, sql) => {
    expect(extractSql(text)).toBe(sql);
  });

  it('refuses prose without SQL', () => {
    expect(() => extractSql('I would rather not.')).toThrow(
      expect.objectContaining({ code: 'SP_ERR_LLM_BAD_RESPONSE' }),
    );
  });
});

describe('numbersComeFromRows', () => {
  const result = {
    columns: [
      { name: 'd', type: 'DATE' },
      { name: 's', type: 'DECIMAL' },
    ],
    rows: [['2026-11-09', '84000.00']],
    truncated: false,
  };
  it.each([
    ['On 2026-11-09 you sold $84,000.00.', true],
    ['You sold 84000 dollars on one day.', true],
    ['You sold $84,500.00.', false],
    ['You sold $84,000.00 across 3 stores.', false],
  ])('%s -> %s', (sentence, ok) => {
    expect(numbersComeFromRows(sentence, result)).toBe(ok);
  });
});

describe('routeSchema', () => {
  const all = describeSandbox(
    buildSandbox(
      {
        tenantId: '12',
        businessId: '628',
        adminId: '7001',
        role: 'brand_manager',
        units: ['628001'],
        tables: {
          daily_sales: ['location_id', 'business_date', 'guest_count'],
          item_sales: ['location_id', 'item_id', 'quantity'],
          locations: ['location_id', 'name'],
          menu_items: ['item_id', 'name'],
        },
      },
      duckdbDialect,
      DEMO_REGISTRY,
    ),
  );
  const names = (q: string): string[] => routeSchema(all, q, DEMO_REGISTRY).tables.map((t) => t.name);
  it('keeps the tables a question is about, with their join partners', () => {
    expect(names('Which of my stores had the biggest drop in guests week over week?')).toEqual([
      'daily_sales',
      'locations',
    ]);
    expect(names('Which menu items sold the most units?')).toEqual(['item_sales', 'locations', 'menu_items']);
  });
  it('keeps everything when nothing matches', () => {
    expect(names('hello?')).toHaveLength(4);
  });
});

describe('the provider registry', () => {
  const llm = (provider: 'none' | 'bedrock' | 'openai', openaiBase = 'https://api.example.com/v1') => ({
    provider,
    maxRetries: 1,
    bedrock: { modelId: 'm', region: 'us-east-1' },
    openai: { baseUrl: openaiBase, model: 'gpt', apiKeyEnv: 'SP_TEST_KEY' },
  });
  it('opens the configured provider lazily, none for none, and refuses a remote OpenAI server without its key', async () => {
    expect(await openLlm(llm('none'), {})).toBeUndefined();
    expect((await openLlm(llm('bedrock'), {}))?.name).toMatch(/bedrock/i);
    expect((await openLlm(llm('openai'), { SP_TEST_KEY: 'k' }))?.name).toMatch(/openai/i);
    await expect(openLlm(llm('openai'), {})).rejects.toMatchObject({ code: 'SP_ERR_CONFIG' });
    // A local server may do without a key.
    expect(await openLlm(llm('openai', 'http://127.0.0.1:9/v1'), {})).toBeDefined();
  });
});

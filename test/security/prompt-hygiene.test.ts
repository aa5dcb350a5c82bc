/**
 * Prompt hygiene per domain (the restaurant demo and the Tracklane example): free-form questions of
 * several personas (one of another tenant) go to the model (a local Bedrock double driven by the real
 * SDK), and no prompt may hold a raw table name (the registry's rawTables), a raw scope or directory
 * column, an ID of the directory (any admin's, business's or granted unit's, the asker's own too),
 * the policy, or a credential. test/e2e/model.test.ts checks the restaurant's prompts in more
 * situations; this file runs the same check over any catalog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bedrockClient } from '../../src/llm/bedrock.js';
import { loadDirectory } from '../../src/warehouse/directory-query.js';
import { analystScript, startFakeBedrock, type FakeServer } from '../support/fake-llm.js';
import { DOMAINS, type Domain } from '../support/domains.js';
import { signedHeaders, startTestService, type TestService } from '../support/harness.js';

/** Questions the parser cannot place (the model is asked, says free-form, writes SQL). */
const QUESTIONS = [
  'Which three of mine had the biggest swing between the two halves of the fortnight?',
  'What was the busiest day compared to other days?',
];

describe.each(DOMAINS.map((d) => [d.name, d] as const))('%s: prompts', (_name, domain: Domain) => {
  let fake: FakeServer;
  let svc: TestService;
  // The model's SQL: a text value (its result goes into the summary prompt, where a count could
  // equal an ID by chance).
  const unit = domain.registry.grantUnit.table;
  const text = Object.entries(domain.registry.tables[unit]!.columns).find(([, c]) => c.type === 'VARCHAR')![0];
  beforeAll(async () => {
    fake = await startFakeBedrock(analystScript(() => `SELECT MIN(${text}) AS s FROM ${unit}`));
    const llm = bedrockClient({
      modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
      region: 'us-east-1',
      endpoint: fake.url,
      maxAttempts: 2,
      credentials: { accessKeyId: 'AKIDTESTBEDROCK0001', secretAccessKey: 'test-bedrock-secret' },
    });
    svc = await startTestService(
      { llm },
      {
        ...domain.serviceConfig(),
        warehouse: { duckdb: { path: domain.warehouse() }, queryTimeoutMs: 3000, rowCap: 1000 },
      },
    );
  });
  afterAll(async () => {
    await svc?.close();
    await fake?.close();
  });

  it('never holds raw table names, raw scope columns, directory IDs, the policy or credentials', async () => {
    const askers = [
      domain.personas[0]!,
      domain.personas[1]!,
      domain.personas.find((p) => p.tenantId !== domain.personas[0]!.tenantId)!,
    ];
    for (const p of askers) {
      for (const question of QUESTIONS) {
        const payload = JSON.stringify({
          tenantId: p.tenantId,
          businessId: p.businessId,
          adminId: p.adminId,
          question,
        });
        const res = await svc.app.inject({
          method: 'POST',
          url: '/v1/ask',
          headers: await signedHeaders(payload, { key: domain.signingKey }),
          payload,
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
      }
    }
    const reg = domain.registry;
    const dir = await loadDirectory(svc.services.connector, reg);
    const ids = new Set<string>();
    for (const a of dir.admins.values()) {
      ids.add(a.adminId);
      ids.add(a.businessId);
      for (const u of a.units) ids.add(u);
    }
    const rawColumns = new Set<string>([
      reg.directory.admins.id,
      reg.directory.admins.tenant,
      reg.directory.admins.business,
      reg.directory.admins.role,
      reg.directory.grants.admin,
    ]);
    for (const t of Object.values(reg.tables)) {
      rawColumns.add(t.scope.tenant);
      rawColumns.add(t.scope.business);
    }
    // A raw column that is also a logical column (the unit's key) may be named.
    const logical = new Set(Object.values(reg.tables).flatMap((t) => Object.keys(t.columns)));
    const forbidden = [...rawColumns].filter((c) => !logical.has(c));
    expect(forbidden.length).toBeGreaterThan(1);
    expect(fake.requests.length).toBeGreaterThanOrEqual(askers.length * QUESTIONS.length);
    for (const r of fake.requests) {
      const text = `${r.system}\n${r.messages.map((m) => m.text).join('\n')}`;
      for (const raw of reg.rawTables) expect(text).not.toMatch(new RegExp(`\\b${raw}\\b`));
      for (const c of forbidden) expect(text, c).not.toMatch(new RegExp(`\\b${c}\\b`));
      expect(text).not.toMatch(/\bmain\.|role_tables|package splitplane/);
      expect(text).not.toContain(domain.signingKey.secretAccessKey);
      expect(text).not.toContain('test-bedrock-secret');
      for (const n of text.match(/\b\d{3,}\b/g) ?? []) expect(ids.has(n), `ID ${n} in a prompt`).toBe(false);
    }
  });
});

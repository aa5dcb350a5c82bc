/**
 * A masked column never appears unmasked: operations analyst 7102 sees the store managers' e-mails
 * masked (`m***@example.com`). A model (the OpenAI-compatible test double, through the real client)
 * writes SQL that reads them, casts them into an engine error, and is rated up so the question comes
 * back as an example; the raw addresses must be absent from the rows, the error, every prompt the
 * model received, the audit file, the feedback file and the service's log.
 *
 * Keyed-hash masks are keyed per tenant and business: no demo role has one, so a decision of the
 * compiled policy gets one added (menu_items.category) before the service checks it, and the same
 * value is asked for as two tenants' brand managers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SplitplaneError } from '../../src/errors.js';
import type { Generator } from '../../src/generate/generator.js';
import type { Identity } from '../../src/identity/identity.js';
import { openAiCompatibleClient } from '../../src/llm/openai-compatible.js';
import { buildSandbox } from '../../src/sandbox/sandbox.js';
import { policyOptions } from '../../src/server/services.js';
import {
  ask,
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  OTHER_TENANT_ADMIN,
  signedHeaders,
  startTestService,
  testConfig,
  type TestService,
} from '../support/harness.js';
import { analystScript, startFakeOpenAi, type FakeServer } from '../support/fake-llm.js';
import { DEMO_REGISTRY } from '../support/demo-catalog.js';

const ANALYST = { tenantId: '12', businessId: '628', adminId: '7102' } as const;
const EMAILS_SQL = 'SELECT name, manager_email FROM locations ORDER BY name';
const CAST_SQL = 'SELECT SUM(CAST(manager_email AS INTEGER)) AS n FROM locations';
const EMAILS_Q = 'Which store managers can I email, with their addresses?';
const CAST_Q = 'Add up the manager addresses as numbers';
/** A raw demo address: `manager.<location>@example.com` (letters or digits right before the @). */
const RAW = /manager\.\d+@example\.com|[A-Za-z0-9]@example\.com/;

let fake: FakeServer;
let svc: TestService;
const logs: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi(
    analystScript((q) =>
      /email/i.test(q) ? EMAILS_SQL : /manager addresses as numbers/i.test(q) ? CAST_SQL : undefined,
    ),
  );
  svc = await startTestService({
    llm: openAiCompatibleClient({
      baseUrl: fake.url,
      model: 'local-model',
      apiKey: 'sk-test',
      maxRetries: 0,
      maxBackoffMs: 10,
    }),
    log: (m, f) => logs.push(JSON.stringify([m, f])),
  });
});
afterAll(async () => {
  await svc?.close();
  await fake?.close();
});

describe('masked columns', () => {
  it('answers with masked values only, and the same questions twice (the second with the first as a rated example)', async () => {
    const first = await ask(svc.app, ANALYST, EMAILS_Q);
    expect(first.statusCode).toBe(200);
    const rows = first.body['rows'] as string[][];
    expect(rows).toHaveLength(200);
    for (const [, email] of rows) expect(email).toBe('m***@example.com');
    const payload = JSON.stringify({ ...ANALYST, requestId: first.body['requestId'], rating: 'up' });
    const rated = await svc.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      headers: await signedHeaders(payload, { path: '/v1/feedback' }),
      payload,
    });
    expect(rated.statusCode).toBe(200);
    const again = await ask(svc.app, ANALYST, EMAILS_Q);
    expect(again.statusCode).toBe(200);
    expect(JSON.stringify(again.body)).not.toMatch(RAW);
  });

  it('refuses a query that turns the masked value into an engine error with the generic code', async () => {
    const r = await ask(svc.app, ANALYST, CAST_Q);
    expect(r.body['code']).toBe('SP_ERR_EXECUTION_FAILED');
    expect(JSON.stringify(r.body)).not.toMatch(RAW);
  });

  it('never had a raw address in a prompt, the audit file, the feedback file or the log', () => {
    expect(fake.requests.length).toBeGreaterThan(2);
    // The rated answer came back as an example in a later prompt (so feedback examples were exercised).
    expect(fake.requests.some((r) => r.raw.includes('rated helpful'))).toBe(true);
    for (const req of fake.requests) expect(req.raw).not.toMatch(RAW);
    expect(readFileSync(svc.config.audit.file, 'utf8')).not.toMatch(RAW);
    expect(readFileSync(svc.config.feedback.file, 'utf8')).not.toMatch(RAW);
    expect(logs.join('\n')).not.toMatch(RAW);
    // And it was there to leak: the analyst's sandbox reads the real column, masked on the way out.
    expect(logs.join('\n') + readFileSync(svc.config.audit.file, 'utf8')).toContain('manager_email');
  });
});

/** A keyed-hash mask on menu_items.category, added to every decision that exposes the column (before the service checks it). */
function hashCategories(svc: TestService): void {
  const policy = svc.services.policy;
  const raw = policy.rawDecision.bind(policy);
  policy.rawDecision = (identity) => {
    const d = raw(identity) as { allow?: boolean; tables?: Record<string, string[]>; masks?: Record<string, unknown> };
    if (!d?.allow || !d.tables?.['menu_items']?.includes('category')) return d;
    return {
      ...d,
      masks: {
        ...d.masks,
        menu_items: { ...(d.masks?.['menu_items'] as object | undefined), category: { kind: 'hash' } },
      },
    };
  };
}

describe('keyed-hash masks: one key per tenant and business, derived from SPLITPLANE_MASK_KEY', () => {
  const SECRET = 'mask-secret-0f3c9e1a-that-must-never-be-seen';
  const BROWNIE_SQL = "SELECT name, category FROM menu_items WHERE name = 'Brownie'";
  const CAST_SQL = 'SELECT SUM(CAST(category AS INTEGER)) AS n FROM menu_items';
  const QUESTION = 'What was the total sales amount last week?';
  let hashed: TestService;
  let candidate = BROWNIE_SQL;
  const bodies: string[] = [];
  const hashLogs: string[] = [];
  const generator: Generator = {
    name: 'fixed-sql',
    generate: async () => ({ sql: candidate, generator: 'fixed-sql' }),
  };
  const asIdentity = (who: { tenantId: string; businessId: string; adminId: string }): Identity => ({
    ...who,
    role: '',
    accessKeyId: '',
    sessionKey: '',
  });

  beforeAll(async () => {
    const before = process.env['SPLITPLANE_MASK_KEY'];
    process.env['SPLITPLANE_MASK_KEY'] = SECRET;
    try {
      hashed = await startTestService({
        generator,
        log: (m, f) =>
          hashLogs.push(
            JSON.stringify([m, f], (_k, v: unknown) =>
              v instanceof Error ? { message: v.message, cause: String(v.cause) } : v,
            ),
          ),
      });
    } finally {
      if (before === undefined) delete process.env['SPLITPLANE_MASK_KEY'];
      else process.env['SPLITPLANE_MASK_KEY'] = before;
    }
    hashCategories(hashed);
  });
  afterAll(async () => {
    await hashed?.close();
  });

  async function brownieCategory(who: { tenantId: string; businessId: string; adminId: string }): Promise<string> {
    candidate = BROWNIE_SQL;
    const r = await ask(hashed.app, who, QUESTION);
    bodies.push(JSON.stringify(r.body));
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    const rows = r.body['rows'] as string[][];
    expect(rows).toHaveLength(1);
    return rows[0]![1]!;
  }

  it("hashes the same value (a Brownie's category, Desserts, in both tenants) differently for another tenant's persona, alike for two admins of one business and on every ask", async () => {
    const owner = await brownieCategory(FRANCHISE_OWNER); // 12/628
    const manager = await brownieCategory(BRAND_MANAGER); // 12/628
    const otherTenant = await brownieCategory(OTHER_TENANT_ADMIN); // 31/544
    expect(owner).toMatch(/^[0-9a-f]{64}$/);
    expect(manager).toBe(owner);
    expect(await brownieCategory(FRANCHISE_OWNER)).toBe(owner);
    expect(otherTenant).toMatch(/^[0-9a-f]{64}$/);
    expect(otherTenant).not.toBe(owner);
    // Both are SHA-256 of their scope's key followed by the same value: only the key differs.
    const keyOf = async (who: { tenantId: string; businessId: string; adminId: string }): Promise<string> => {
      const mask = (await hashed.services.policy.decide(asIdentity(who))).masks?.['menu_items']?.['category'];
      return mask?.kind === 'hash' ? mask.key : '';
    };
    const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');
    expect(owner).toBe(sha256(`${await keyOf(FRANCHISE_OWNER)}Desserts`));
    expect(otherTenant).toBe(sha256(`${await keyOf(OTHER_TENANT_ADMIN)}Desserts`));
  });

  it('binds a key derived per business, never the secret, and neither is in the SQL text, a response, an error, the audit or the log', async () => {
    const keys = new Set<string>();
    for (const who of [FRANCHISE_OWNER, BRAND_MANAGER, OTHER_TENANT_ADMIN]) {
      const scope = await hashed.services.policy.decide(asIdentity(who));
      const mask = scope.masks?.['menu_items']?.['category'];
      expect(mask?.kind).toBe('hash');
      const key = mask?.kind === 'hash' ? mask.key : '';
      expect(key).not.toBe(SECRET);
      keys.add(key);
      const sandbox = buildSandbox(scope, hashed.services.connector.dialect, DEMO_REGISTRY);
      const bound = sandbox.bindings.flatMap((b) => (typeof b === 'string' ? [] : [JSON.stringify(b.value)]));
      expect(bound).toContain(JSON.stringify(key));
      expect(bound.join('\n')).not.toContain(SECRET);
      expect(sandbox.cteSql).not.toContain(key);
      expect(sandbox.cteSql).not.toContain(SECRET);
    }
    expect(keys.size).toBe(2); // one per business: 12/628 and 31/544
    // An engine error over the masked column: the generic code, nothing of the key anywhere.
    candidate = CAST_SQL;
    const failed = await ask(hashed.app, FRANCHISE_OWNER, QUESTION);
    bodies.push(JSON.stringify(failed.body));
    expect(failed.body['code']).toBe('SP_ERR_EXECUTION_FAILED');
    expect(hashLogs.join('\n')).toMatch(/SP_ERR_EXECUTION_FAILED|Conversion|convert/i);
    const seen = [bodies.join('\n'), readFileSync(hashed.config.audit.file, 'utf8'), hashLogs.join('\n')].join('\n');
    expect(seen).toContain('menu_items');
    for (const secret of [SECRET, ...keys]) expect(seen).not.toContain(secret);
  });

  it('refuses a key too long to bind at start-up (SP_ERR_CONFIG, the key not echoed), not at the first query; 200 characters start', async () => {
    const longKey = `${'k'.repeat(190)}-TOO-LONG-KEY-7d1e`; // 208 characters
    const before = process.env['SPLITPLANE_MASK_KEY'];
    process.env['SPLITPLANE_MASK_KEY'] = longKey;
    try {
      const outcome = await startTestService({ generator }).then(
        async (svc) => {
          await svc.close();
          return 'started';
        },
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(SplitplaneError);
      const e = outcome as SplitplaneError;
      expect(e.code).toBe('SP_ERR_CONFIG');
      expect(e.message).toContain('SPLITPLANE_MASK_KEY');
      expect(e.message).toContain('200');
      expect(
        JSON.stringify({ message: e.message, detail: e.detail, cause: String(e.cause), stack: e.stack }),
      ).not.toMatch(/TOO-LONG-KEY|k{20}/);
      process.env['SPLITPLANE_MASK_KEY'] = 'k'.repeat(200);
      expect(policyOptions(testConfig()).maskKey).toBe('k'.repeat(200));
    } finally {
      if (before === undefined) delete process.env['SPLITPLANE_MASK_KEY'];
      else process.env['SPLITPLANE_MASK_KEY'] = before;
    }
  });
});

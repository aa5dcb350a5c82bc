/**
 * Feedback: only the identity that asked may rate; ratings are stored and
 * audited; well-rated pairs reach the model only for the admin who asked,
 * scrubbed, within the retention window.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFeedbackStore } from '../../src/feedback/feedback.js';
import { bedrockClient } from '../../src/llm/bedrock.js';
import type { Scope } from '../../src/policy/scope.js';
import { analystScript, isFillPrompt, startFakeBedrock, type FakeServer } from '../support/fake-llm.js';
import {
  ask,
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  OTHER_TENANT_ADMIN,
  signedHeaders,
  startTestService,
  type TestService,
} from '../support/harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'sp-feedback-'));
let svc: TestService;
let fake: FakeServer;
// Words the parser cannot place, so the model is asked (and says free-form SQL is needed).
const DROP = 'Which stores had the biggest swing in guests between lunch and dinner?';

beforeAll(async () => {
  fake = await startFakeBedrock(
    analystScript((q) => (/biggest swing/.test(q) ? 'SELECT COUNT(*) AS n FROM daily_sales' : undefined)),
  );
  svc = await startTestService({
    llm: bedrockClient({
      modelId: 'm',
      region: 'us-east-1',
      endpoint: fake.url,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST00000000003', secretAccessKey: 's' },
    }),
  });
});
afterAll(async () => {
  await svc.close();
  await fake.close();
});

async function rate(
  who: { tenantId: string; businessId: string; adminId: string },
  requestId: string,
  rating: 'up' | 'down',
  comment?: string,
) {
  const payload = JSON.stringify({ ...who, requestId, rating, ...(comment ? { comment } : {}) });
  const res = await svc.app.inject({
    method: 'POST',
    url: '/v1/feedback',
    headers: await signedHeaders(payload, { path: '/v1/feedback' }),
    payload,
  });
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
}

describe('POST /v1/feedback', () => {
  it('records a rating from the identity that asked, and audits it', async () => {
    const answer = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
    const res = await rate(FRANCHISE_OWNER, String(answer.body['requestId']), 'up', 'spot on');
    expect(res).toEqual({ statusCode: 200, body: { requestId: expect.any(String), status: 'recorded' } });
    const stored = readFileSync(svc.config.feedback.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(stored.at(-1)).toMatchObject({
      requestId: answer.body['requestId'],
      sessionKey: '12/628/7042',
      rating: 'up',
      comment: 'spot on',
    });
    expect(svc.auditEvents().find((e) => e.requestId === res.body['requestId'])).toMatchObject({
      layers: { identity: 'ok', feedback: 'ok' },
      statusCode: 200,
    });
  });

  it('refuses a rating from any other identity', async () => {
    const answer = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
    const res = await rate(BRAND_MANAGER, String(answer.body['requestId']), 'down');
    expect(res.statusCode).toBe(403);
    expect(res.body['code']).toBe('SP_ERR_FEEDBACK_FORBIDDEN');
  });

  it('refuses unknown requests, bad ratings and unsigned calls', async () => {
    expect((await rate(FRANCHISE_OWNER, '00000000-0000-4000-8000-000000000000', 'up')).body['code']).toBe(
      'SP_ERR_FEEDBACK_UNKNOWN_REQUEST',
    );
    const payload = JSON.stringify({
      ...FRANCHISE_OWNER,
      requestId: '00000000-0000-4000-8000-000000000000',
      rating: 'meh',
    });
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      headers: await signedHeaders(payload, { path: '/v1/feedback' }),
      payload,
    });
    expect(bad.json().code).toBe('SP_ERR_BAD_REQUEST');
    const unsigned = await svc.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(unsigned.json().code).toBe('SP_ERR_AUTH_MISSING');
  });
});

describe('well-rated examples reach only the model of the admin who asked, scrubbed', () => {
  const EXAMPLE_QUESTION = 'What was the sales amount in Chicago last week?';
  const promptsFor = async (who: { tenantId: string; businessId: string; adminId: string }) => {
    fake.requests.length = 0;
    await ask(svc.app, who, DROP);
    return fake.requests
      .filter((r) => !isFillPrompt(r) && !r.system.startsWith('Answer the'))
      .map((r) => r.system)
      .join('\n');
  };

  it('an example rated by the franchise owner is offered back to them only: not to their brand manager, whose scope covers it, nor to another tenant', async () => {
    const answer = await ask(svc.app, FRANCHISE_OWNER, EXAMPLE_QUESTION);
    expect((await rate(FRANCHISE_OWNER, String(answer.body['requestId']), 'up')).statusCode).toBe(200);
    expect(await promptsFor(FRANCHISE_OWNER)).toContain(EXAMPLE_QUESTION);
    expect(await promptsFor(BRAND_MANAGER)).not.toContain(EXAMPLE_QUESTION);
    expect(await promptsFor(OTHER_TENANT_ADMIN)).not.toContain(EXAMPLE_QUESTION);
  });

  it('an example rated by the brand manager is not offered to the franchise owner (2 stores do not cover 200)', async () => {
    const q = 'What was the guest count by state last week?';
    const answer = await ask(svc.app, BRAND_MANAGER, q);
    expect((await rate(BRAND_MANAGER, String(answer.body['requestId']), 'up')).statusCode).toBe(200);
    expect(await promptsFor(BRAND_MANAGER)).toContain(q);
    expect(await promptsFor(FRANCHISE_OWNER)).not.toContain(q);
  });
});

describe('the example store', () => {
  const scope = { tenantId: '12', businessId: '628', adminId: '7042', units: ['1', '2'] } as unknown as Scope;
  const rated = async (store: FileFeedbackStore, requestId: string, question: string, sql = 'SELECT 1') => {
    await store.remember(requestId, '12/628/7042', scope, question, sql);
    await store.rate('12/628/7042', { tenantId: '12', businessId: '628', adminId: '7042', requestId, rating: 'up' });
  };

  it('scrubs e-mail addresses and long numbers from the question, e-mail addresses from the SQL', async () => {
    const store = new FileFeedbackStore(join(tmp, 'scrub.jsonl'));
    await rated(
      store,
      randomUUID(),
      'sales for store 104233 managed by ann.lee+ops@example.com',
      "SELECT 1 WHERE 'ann@example.com' <> '' AND 123456 > 0",
    );
    const [e] = await store.examplesFor('12/628/7042', scope);
    expect(e?.question).toBe('sales for store [number] managed by [email]');
    expect(e?.sql).toBe("SELECT 1 WHERE '[email]' <> '' AND 123456 > 0");
  });

  it('forgets an example after the retention window, and offers none once the grant no longer covers it', async () => {
    let now = Date.UTC(2026, 10, 1);
    const store = new FileFeedbackStore(join(tmp, 'retention.jsonl'), 100, 100, 30, () => now);
    await rated(store, randomUUID(), 'sales last week');
    expect(await store.examplesFor('12/628/7042', scope)).toHaveLength(1);
    expect(await store.examplesFor('12/628/7042', { ...scope, units: ['1'] })).toHaveLength(0);
    now += 31 * 86_400_000;
    expect(await store.examplesFor('12/628/7042', scope)).toHaveLength(0);
  });
});

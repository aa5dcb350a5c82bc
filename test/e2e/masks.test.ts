/**
 * A masked column never appears unmasked: operations analyst 7102 sees the store managers' e-mails
 * masked (`m***@example.com`). A model (the OpenAI-compatible test double, through the real client)
 * writes SQL that reads them, casts them into an engine error, and is rated up so the question comes
 * back as an example; the raw addresses must be absent from the rows, the error, every prompt the
 * model received, the audit file, the feedback file and the service's log.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiCompatibleClient } from '../../src/llm/openai-compatible.js';
import { ask, signedHeaders, startTestService, type TestService } from '../support/harness.js';
import { analystScript, startFakeOpenAi, type FakeServer } from '../support/fake-llm.js';

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
  fake = await startFakeOpenAi(analystScript((q) => (/email/i.test(q) ? EMAILS_SQL : /manager addresses as numbers/i.test(q) ? CAST_SQL : undefined)));
  svc = await startTestService(
    { llm: openAiCompatibleClient({ baseUrl: fake.url, model: 'local-model', apiKey: 'sk-test', maxRetries: 0, maxBackoffMs: 10 }), log: (m, f) => logs.push(JSON.stringify([m, f])) },
  );
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
    const rated = await svc.app.inject({ method: 'POST', url: '/v1/feedback', headers: await signedHeaders(payload, { path: '/v1/feedback' }), payload });
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

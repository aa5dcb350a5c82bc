/** The demo page and its server-side signing endpoint exist only in demo mode. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/harness.js';

describe('demo mode off (the default)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.close();
  });

  it.each([
    ['GET', '/'],
    ['GET', '/app.js'],
    ['GET', '/demo/personas'],
    ['POST', '/demo/ask'],
  ] as const)('%s %s does not exist', async (method, url) => {
    const res = await svc.app.inject(
      method === 'POST'
        ? {
            method,
            url,
            headers: { 'content-type': 'application/json' },
            payload: '{"persona":"franchise-owner","question":"x"}',
          }
        : { method, url },
    );
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('SP_ERR_NOT_FOUND');
  });
});

describe('demo mode on', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { demo: { enabled: true } });
  });
  afterAll(async () => {
    await svc.close();
  });

  it('serves the page with a strict content security policy', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('<label for="question">Your question</label>');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('signs on the server and goes through the full verification path', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/demo/ask',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ persona: 'franchise-owner', question: 'What was the total sales amount last week?' }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().rows).toEqual([['84000.00']]);
    const event = svc.auditEvents().find((e) => e.requestId === res.json().requestId);
    expect(event?.identity).toEqual({
      tenantId: '12',
      businessId: '628',
      adminId: '7042',
      accessKeyId: 'SPDEMOKEY0000000001',
      frontDoor: 'sigv4',
      verified: true,
    });
  });

  it('accepts only the listed personas, never arbitrary IDs', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/demo/ask',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ persona: 'franchise-owner', question: 'q', tenantId: '31' }),
    });
    expect(res.statusCode).toBe(400);
  });
});

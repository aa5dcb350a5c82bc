/**
 * Graceful shutdown (drainAndClose, as the CLI runs it on SIGTERM): requests already running when
 * close begins finish and are audited; requests that arrive after it get the documented error body
 * (SP_ERR_SHUTTING_DOWN with Retry-After), never Fastify's plain 503, and /readyz answers 503.
 * test/e2e/shutdown-signal.test.ts does the same with a real signal to a real process.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { catalogGenerator } from '../../src/generate/catalog-generator.js';
import type { Generator } from '../../src/generate/generator.js';
import { loadCatalog } from '../../src/semantic/catalog.js';
import { drainAndClose } from '../../src/server/app.js';
import { ask, FRANCHISE_OWNER, signedHeaders, startTestService } from '../support/harness.js';

describe('shutdown', () => {
  it('finishes and audits in-flight requests, and answers late ones with the documented body', async () => {
    const inner = catalogGenerator(loadCatalog('catalog/metrics.yaml'));
    let generating = 0;
    const slow: Generator = {
      name: 'catalog',
      async generate(input, signal) {
        generating++;
        await new Promise((r) => setTimeout(r, 500));
        return inner.generate(input, signal);
      },
    };
    const svc = await startTestService({ generator: slow });
    await svc.app.listen({ host: '127.0.0.1', port: 0 });
    const host = `127.0.0.1:${(svc.app.server.address() as AddressInfo).port}`;
    const url = `http://${host}/v1/ask`;
    const inFlight = ['last week', 'last month', 'yesterday'].map(async (when) => {
      const body = JSON.stringify({ ...FRANCHISE_OWNER, question: `What was the total sales amount ${when}?` });
      const res = await fetch(url, { method: 'POST', headers: await signedHeaders(body, { host }), body });
      return { status: res.status, body: (await res.json()) as { requestId: string; status?: string } };
    });
    for (let i = 0; generating < 3 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
    expect(generating).toBe(3);
    const closing = drainAndClose(svc.app, { graceMs: 300 });
    const late = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
    const readyz = await svc.app.inject({ method: 'GET', url: '/readyz' });
    const answered = await Promise.all(inFlight);
    expect(await closing).toBe('closed');

    expect([readyz.statusCode, readyz.json()]).toEqual([503, { status: 'shutting down', checks: {} }]);

    expect(answered.map((a) => [a.status, a.body.status])).toEqual([
      [200, 'answered'],
      [200, 'answered'],
      [200, 'answered'],
    ]);
    const audited = new Set(svc.auditEvents().map((e) => e.requestId));
    for (const a of answered) expect(audited.has(a.body.requestId)).toBe(true);
    expect(late.statusCode).toBe(503);
    expect(late.body).toEqual({
      statusCode: 503,
      code: 'SP_ERR_SHUTTING_DOWN',
      error: 'Service Unavailable',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(audited.has(late.body['requestId'] as string)).toBe(false);
    await svc.close();
  });
});

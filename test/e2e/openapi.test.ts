/** The OpenAPI document client teams generate clients from: valid OpenAPI 3, and true to the routes. */
import { readdirSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

type Operation = { operationId?: string; summary?: string };
type Doc = { paths: Record<string, Record<string, Operation>> };

const API_PATHS = ['/healthz', '/mcp', '/metrics', '/readyz', '/v1/ask', '/v1/feedback'];

let svc: TestService;
/** The same service with the demo page on: its page, assets and /demo/* routes are not the API. */
let demo: TestService;
beforeAll(async () => {
  svc = await startTestService();
  demo = await startTestService({}, { demo: { enabled: true }, server: { host: '127.0.0.1' } });
});
afterAll(async () => {
  await svc?.close();
  await demo?.close();
});

async function document(s: TestService): Promise<Doc> {
  const res = await s.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  return res.json<Doc>();
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3 document naming every route with its body, answers and ways to authenticate', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; responses: Record<string, unknown>; security?: unknown }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/mcp',
      '/metrics',
      '/readyz',
      '/v1/ask',
      '/v1/feedback',
    ]);
    const askOp = doc.paths['/v1/ask']!['post']!;
    expect(JSON.stringify(askOp.requestBody)).toContain('"question"');
    expect(Object.keys(askOp.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '422', '503']));
    expect(askOp.security).toEqual([{ sigv4: [] }, { oidc: [] }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['oidc', 'sigv4']);
  });

  it('documents without validating or reshaping: the signed routes still read their own raw bytes and answer in full', async () => {
    const res = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
    expect(res.statusCode).toBe(200);
    expect(res.body['answer']).toContain('$84,000.00');
    // A field the schema does not list (interpretation.query: a response serialiser would drop it) is still sent.
    expect((res.body['interpretation'] as Record<string, unknown>)['query']).toMatchObject({
      measures: ['net_sales_amount'],
    });
    // And the body is not validated by Fastify first: an unsigned request is refused by layer 1, as before.
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/v1/ask',
      headers: { 'content-type': 'application/json' },
      payload: '{"tenantId":628}',
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'SP_ERR_AUTH_MISSING' });
  });
});

describe('/openapi.json: every operation named, nothing but the API', () => {
  it('gives every operation a unique operationId and a non-empty summary', async () => {
    for (const s of [svc, demo]) {
      const ops = Object.entries((await document(s)).paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, ...op })),
      );
      expect(ops.map((o) => o.at).sort()).toEqual([
        'GET /healthz',
        'GET /metrics',
        'GET /readyz',
        'POST /mcp',
        'POST /v1/ask',
        'POST /v1/feedback',
      ]);
      for (const op of ops) {
        expect(op.operationId, op.at).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
        expect(op.summary?.trim(), op.at).toBeTruthy();
      }
      expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    }
    expect(
      Object.fromEntries(
        Object.entries((await document(svc)).paths).flatMap(([path, methods]) =>
          Object.entries(methods).map(([m, op]) => [`${m} ${path}`, op.operationId]),
        ),
      ),
    ).toEqual({
      'post /v1/ask': 'ask',
      'post /v1/feedback': 'sendFeedback',
      'get /healthz': 'getHealth',
      'get /readyz': 'getReadiness',
      'get /metrics': 'getMetrics',
      'post /mcp': 'mcp',
    });
  });

  it('leaves out the demo page, its static files and /demo/*, and /openapi.json itself, though they are served', async () => {
    const doc = await document(demo);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(Object.keys(doc.paths).sort()).toEqual(API_PATHS);
    const statics = readdirSync('src/web/static').map((f) => `/${f}`);
    for (const path of Object.keys(doc.paths)) {
      expect(path).not.toMatch(/^\/(demo|assets)\b|^\/favicon|^\/openapi\.json$|^\/$/);
      expect(statics).not.toContain(path);
    }
    // They are there all the same: the document hides them, the service serves them.
    for (const url of ['/', '/app.js', '/assets/chart.umd.js', '/demo/personas'])
      expect((await demo.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    expect(
      (
        await demo.app.inject({
          method: 'POST',
          url: '/demo/ask',
          headers: { 'content-type': 'application/json' },
          payload: '{}',
        })
      ).statusCode,
    ).toBe(400);
  });
});

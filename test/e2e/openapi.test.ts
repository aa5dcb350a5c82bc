/** The OpenAPI document client teams generate clients from: valid OpenAPI 3, and true to the routes. */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3 document naming every route with its body, answers and ways to authenticate', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown>; security?: unknown }>>; components: { securitySchemes: Record<string, unknown> } };
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/mcp', '/metrics', '/readyz', '/v1/ask', '/v1/feedback']);
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
    expect((res.body['interpretation'] as Record<string, unknown>)['query']).toMatchObject({ measures: ['net_sales_amount'] });
    // And the body is not validated by Fastify first: an unsigned request is refused by layer 1, as before.
    const bad = await svc.app.inject({ method: 'POST', url: '/v1/ask', headers: { 'content-type': 'application/json' }, payload: '{"tenantId":628}' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'SP_ERR_AUTH_MISSING' });
  });
});

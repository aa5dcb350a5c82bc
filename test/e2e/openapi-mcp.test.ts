/**
 * The MCP part of the OpenAPI document: POST /mcp and, when the OIDC front door is on, its
 * protected-resource metadata, each with an operationId and a summary, in a valid document; the 405
 * answers to GET and DELETE /mcp are not operations.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/harness.js';
import { AUDIENCE, ISSUER, startIssuer, type LocalIssuer } from '../support/issuer.js';

type Operation = {
  operationId?: string;
  summary?: string;
  security?: unknown;
  requestBody?: unknown;
  responses: Record<string, unknown>;
};
type Doc = { paths: Record<string, Record<string, Operation>> };

let issuer: LocalIssuer;
let withOidc: TestService;
let plain: TestService;
beforeAll(async () => {
  issuer = await startIssuer();
  withOidc = await startTestService(
    {},
    {
      oidc: { enabled: true, issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] },
      server: { port: 0 },
    },
  );
  await withOidc.app.listen({ host: '127.0.0.1', port: 0 });
  plain = await startTestService();
});
afterAll(async () => {
  await withOidc?.close();
  await plain?.close();
  issuer?.close();
});

async function document(s: TestService): Promise<Doc> {
  const res = await s.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  const doc = res.json<Doc>();
  await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  return doc;
}

describe('/openapi.json: the MCP routes', () => {
  it('names POST /mcp and the protected-resource metadata with an operationId and a summary, in a valid document', async () => {
    const doc = await document(withOidc);
    const mcp = doc.paths['/mcp']!;
    expect(Object.keys(mcp)).toEqual(['post']);
    expect(mcp['post']).toMatchObject({
      operationId: 'mcp',
      summary: expect.stringContaining('Model Context Protocol'),
      security: [{ sigv4: [] }, { oidc: [] }],
    });
    expect(Object.keys(mcp['post']!.responses)).toEqual(
      expect.arrayContaining(['200', '202', '400', '401', '403', '406', '413', '429', '503']),
    );
    expect(JSON.stringify(mcp['post']!.requestBody)).toContain('"jsonrpc"');
    const meta = doc.paths['/.well-known/oauth-protected-resource']!;
    expect(Object.keys(meta)).toEqual(['get']);
    expect(meta['get']).toMatchObject({
      operationId: 'getProtectedResourceMetadata',
      summary: expect.stringContaining('RFC 9728'),
    });
    expect(JSON.stringify(meta['get']!.responses['200'])).toContain('authorization_servers');
    const ids = Object.values(doc.paths).flatMap((p) =>
      Object.values(p)
        .map((o) => o.operationId)
        .filter((x) => x !== undefined),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('leaves the metadata out when the OIDC front door is off (it answers 404 there)', async () => {
    const doc = await document(plain);
    expect(doc.paths['/mcp']?.['post']?.operationId).toBe('mcp');
    expect(doc.paths['/.well-known/oauth-protected-resource']).toBeUndefined();
    expect((await plain.app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource' })).statusCode).toBe(
      404,
    );
  });

  it("documents without validating: the metadata is answered in full, and a batch still meets the route's own refusal", async () => {
    const meta = await withOidc.app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource' });
    expect(meta.json()).toEqual({
      resource: expect.stringMatching(/\/mcp$/),
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      resource_name: 'splitplane',
    });
    const batch = await withOidc.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${await issuer.token({ tenantId: '12', businessId: '628', adminId: '7042' })}`,
      },
      payload: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }]),
    });
    expect(batch.statusCode).toBe(400);
    expect(batch.json()).toMatchObject({ code: 'SP_ERR_BAD_REQUEST' });
  });
});

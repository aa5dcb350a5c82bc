/**
 * The MCP server, through the SDK's own Client and StreamableHTTPClientTransport against the
 * listening service, with tokens from a local issuer: agents act as the signed-in person.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRAND_MANAGER, FRANCHISE_OWNER, OTHER_TENANT_ADMIN, startTestService, type TestService } from '../support/harness.js';
import { AUDIENCE, ISSUER, startIssuer, type LocalIssuer, type Who } from '../support/issuer.js';

let issuer: LocalIssuer;
let svc: TestService;
let base: string;

const token = (w: Who, exp: string | number = '5m') => issuer.token(w, { exp });

async function connect(bearer: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
  return client;
}

const text = (r: unknown): string => ((r as { content: { text: string }[] }).content[0]?.text ?? '');

beforeAll(async () => {
  issuer = await startIssuer();
  svc = await startTestService({}, { oidc: { enabled: true, issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] } });
  base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await svc?.close();
  issuer?.close();
});

describe('MCP server', () => {
  it('lists its tools and answers each person with their own number through the same layers', async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      expect((await owner.listTools()).tools.map((t) => t.name).sort()).toEqual(['ask', 'describe_data', 'list_metrics']);
      const r = await owner.callTool({ name: 'ask', arguments: { question: 'What was the total sales amount last week?' } });
      expect(text(r)).toContain('$84,000.00');
      const answer = JSON.parse(text(r)) as { requestId: string };
      expect(svc.auditEvents().find((e) => e.requestId === answer.requestId)).toMatchObject({ path: '/mcp', identity: { ...FRANCHISE_OWNER, frontDoor: 'oidc', verified: true }, layers: { identity: 'ok', execute: 'ok' } });
    } finally {
      await owner.close();
    }
    const chain = await connect(await token(BRAND_MANAGER));
    try {
      expect(text(await chain.callTool({ name: 'ask', arguments: { question: 'What was the total sales amount last week?' } }))).toContain('$9,200,000.00');
    } finally {
      await chain.close();
    }
  });

  it('keeps another tenant\'s agent to its own business', async () => {
    const other = await connect(await token(OTHER_TENANT_ADMIN));
    try {
      const r = JSON.parse(text(await other.callTool({ name: 'ask', arguments: { question: 'What was the total sales amount last week for business 628?' } }))) as { code?: string };
      expect(r.code).toBe('SP_ERR_OUT_OF_SCOPE_REFERENCE');
      const own = JSON.parse(text(await other.callTool({ name: 'ask', arguments: { question: 'What was the total sales amount last week?' } }))) as { scope: { businessId: string } };
      expect(own.scope.businessId).toBe('544');
    } finally {
      await other.close();
    }
  });

  it('lists the metrics, audited with the tool name', async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      const listed = JSON.parse(text(await owner.callTool({ name: 'list_metrics', arguments: {} }))) as { metrics: { id: string }[] };
      expect(listed.metrics.map((m) => m.id)).toContain('net_sales_amount');
      expect(svc.auditEvents().some((e) => e.tool === 'list_metrics' && e.identity.adminId === '7042' && e.identity.frontDoor === 'oidc')).toBe(true);
    } finally {
      await owner.close();
    }
  });

  it('describes the person\'s own sandbox: names, types and descriptions, never raw names or IDs', async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      const r = text(await owner.callTool({ name: 'describe_data', arguments: {} }));
      const d = JSON.parse(r) as { tables: { name: string; columns: { name: string; type: string }[] }[] };
      expect(d.tables.map((t) => t.name).sort()).toEqual(['daily_sales', 'item_sales', 'locations', 'menu_items']);
      expect(r).not.toMatch(/fact_|dim_|admin_location_grants|628017|628123|tenant_id|business_id/);
      const e = svc.auditEvents().find((x) => x.tool === 'describe_data');
      expect(e).toMatchObject({ path: '/mcp', identity: { adminId: '7042', frontDoor: 'oidc' }, layers: { identity: 'ok', policy: 'ok', sandbox: 'ok' } });
    } finally {
      await owner.close();
    }
  });

  it('publishes its protected-resource metadata, and a refused call points at it', async () => {
    const meta = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as { resource: string; authorization_servers: string[] };
    expect(meta).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [ISSUER] });
    const none = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.headers.get('www-authenticate')).toBe(`Bearer realm="splitplane", resource_metadata="${base}/.well-known/oauth-protected-resource"`);
  });

  it('refuses a call without a token, and an expired token, before any tool runs', async () => {
    const none = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    await expect(connect(await token(FRANCHISE_OWNER, Math.floor(Date.now() / 1000) - 300))).rejects.toThrow();
  });
});

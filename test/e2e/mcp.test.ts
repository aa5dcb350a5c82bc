/**
 * The MCP server, through the SDK's own Client and StreamableHTTPClientTransport against the
 * listening service, with tokens from a local issuer and SigV4 signatures (the SDK's transport with
 * our signing fetch): agents act as the signed-in person.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sigv4McpFetch } from '../../src/client/mcp-fetch.js';
import { signRequest } from '../../src/client/sign.js';
import {
  BRAND_MANAGER,
  DEMO_KEY,
  FRANCHISE_OWNER,
  OTHER_TENANT_ADMIN,
  startTestService,
  TENANT12_KEY,
  type TestService,
} from '../support/harness.js';
import { AUDIENCE, hostileTokens, ISSUER, startIssuer, type LocalIssuer, type Who } from '../support/issuer.js';

// Started while the file is collected: the hostile-token cases are made from it.
const issuer: LocalIssuer = await startIssuer();
const HOSTILE_TOKENS = await hostileTokens(issuer, FRANCHISE_OWNER);
let svc: TestService;
let base: string;
const QUESTION = 'What was the total sales amount last week?';
const OIDC = { enabled: true, issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] };

const token = (w: Who, exp: string | number = '5m') => issuer.token(w, { exp });

async function connect(bearer: string, at = base): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${at}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
    }),
  );
  return client;
}

/** A back end's agent: every request SigV4-signed with the person's IDs in signed headers. */
async function connectSigned(key: { accessKeyId: string; secretAccessKey: string }, ids: Who): Promise<Client> {
  const client = new Client({ name: 'backend-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { fetch: sigv4McpFetch({ ...key, ids }) }),
  );
  return client;
}

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

/** One raw POST /mcp; `sign` may change the headers after signing. */
async function post(
  headers: Record<string, string>,
  body = LIST,
): Promise<{ status: number; code: string | undefined; requestId: string | undefined; www: string | null }> {
  const res = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, 'content-type': 'application/json', ...headers },
    body,
  });
  const json = (await res.json().catch(() => ({}))) as { code?: string; requestId?: string };
  return { status: res.status, code: json.code, requestId: json.requestId, www: res.headers.get('www-authenticate') };
}

const sign = (extraHeaders: Record<string, string>, key = DEMO_KEY, body = LIST) =>
  signRequest({
    url: `${base}/mcp`,
    body,
    ...key,
    extraHeaders: { 'x-splitplane-nonce': crypto.randomUUID(), ...extraHeaders },
  });
const idHeaders = (w: Who) => ({
  'x-splitplane-tenant-id': w.tenantId,
  'x-splitplane-business-id': w.businessId,
  'x-splitplane-admin-id': w.adminId,
});

const text = (r: unknown): string => (r as { content: { text: string }[] }).content[0]?.text ?? '';

beforeAll(async () => {
  // Demo mode on port 0: the origin written into answers is the address actually listened on.
  svc = await startTestService({}, { oidc: OIDC, server: { port: 0 } });
  base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await svc?.close();
  issuer.close();
});

describe('MCP server', () => {
  it('lists its tools and answers each person with their own number through the same layers', async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      expect((await owner.listTools()).tools.map((t) => t.name).sort()).toEqual([
        'ask',
        'describe_data',
        'list_metrics',
      ]);
      const r = await owner.callTool({
        name: 'ask',
        arguments: { question: 'What was the total sales amount last week?' },
      });
      expect(text(r)).toContain('$84,000.00');
      const answer = JSON.parse(text(r)) as { requestId: string };
      expect(svc.auditEvents().find((e) => e.requestId === answer.requestId)).toMatchObject({
        path: '/mcp',
        identity: { ...FRANCHISE_OWNER, frontDoor: 'oidc', verified: true },
        layers: { identity: 'ok', execute: 'ok' },
      });
    } finally {
      await owner.close();
    }
    const chain = await connect(await token(BRAND_MANAGER));
    try {
      expect(
        text(
          await chain.callTool({ name: 'ask', arguments: { question: 'What was the total sales amount last week?' } }),
        ),
      ).toContain('$9,200,000.00');
    } finally {
      await chain.close();
    }
  });

  it("keeps another tenant's agent to its own business", async () => {
    const other = await connect(await token(OTHER_TENANT_ADMIN));
    try {
      const r = JSON.parse(
        text(
          await other.callTool({
            name: 'ask',
            arguments: { question: 'What was the total sales amount last week for business 628?' },
          }),
        ),
      ) as { code?: string };
      expect(r.code).toBe('SP_ERR_OUT_OF_SCOPE_REFERENCE');
      const own = JSON.parse(
        text(
          await other.callTool({ name: 'ask', arguments: { question: 'What was the total sales amount last week?' } }),
        ),
      ) as { scope: { businessId: string } };
      expect(own.scope.businessId).toBe('544');
    } finally {
      await other.close();
    }
  });

  it('lists the metrics, audited with the tool name', async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      const listed = JSON.parse(text(await owner.callTool({ name: 'list_metrics', arguments: {} }))) as {
        metrics: { id: string }[];
      };
      expect(listed.metrics.map((m) => m.id)).toContain('net_sales_amount');
      expect(
        svc
          .auditEvents()
          .some((e) => e.tool === 'list_metrics' && e.identity.adminId === '7042' && e.identity.frontDoor === 'oidc'),
      ).toBe(true);
    } finally {
      await owner.close();
    }
  });

  it("describes the person's own sandbox: names, types and descriptions, never raw names or IDs", async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      const r = text(await owner.callTool({ name: 'describe_data', arguments: {} }));
      const d = JSON.parse(r) as { tables: { name: string; columns: { name: string; type: string }[] }[] };
      expect(d.tables.map((t) => t.name).sort()).toEqual(['daily_sales', 'item_sales', 'locations', 'menu_items']);
      expect(r).not.toMatch(/fact_|dim_|admin_location_grants|628017|628123|tenant_id|business_id/);
      const e = svc.auditEvents().find((x) => x.tool === 'describe_data');
      expect(e).toMatchObject({
        path: '/mcp',
        identity: { adminId: '7042', frontDoor: 'oidc' },
        layers: { identity: 'ok', policy: 'ok', sandbox: 'ok' },
      });
    } finally {
      await owner.close();
    }
  });

  it('publishes its protected-resource metadata, and a refused call points at it', async () => {
    const meta = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    expect(meta).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [ISSUER] });
    const none = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.headers.get('www-authenticate')).toBe(
      `Bearer realm="splitplane", resource_metadata="${base}/.well-known/oauth-protected-resource"`,
    );
  });

  it('refuses a call without a token, and an expired token, before any tool runs', async () => {
    const none = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    await expect(connect(await token(FRANCHISE_OWNER, Math.floor(Date.now() / 1000) - 300))).rejects.toThrow();
  });

  it.each(HOSTILE_TOKENS)(
    'refuses a token %s at the door, audited, before any tool runs',
    async (_name, make, code) => {
      const res = await post({ authorization: `Bearer ${await make()}` });
      expect(res).toMatchObject({ status: 401, code });
      expect(res.www).toContain('resource_metadata=');
      const event = svc.auditEvents().find((e) => e.requestId === res.requestId);
      expect(event).toMatchObject({ path: '/mcp', layers: { identity: code }, identity: { verified: false } });
      expect(event?.layers).toEqual({ identity: code });
    },
  );

  it('does not serve run_query unless configured: not listed, and calling it runs nothing', async () => {
    const owner = await connect(await token(FRANCHISE_OWNER));
    try {
      expect((await owner.listTools()).tools.map((t) => t.name)).not.toContain('run_query');
      const before = svc.auditEvents().length;
      const r = await owner
        .callTool({ name: 'run_query', arguments: { sql: 'SELECT SUM(net_sales_amount) FROM daily_sales' } })
        .catch((e: unknown) => ({ isError: true, content: [{ text: String(e) }] }));
      expect(r.isError).toBe(true);
      expect(text(r)).not.toMatch(/\d{2,},\d{3}/);
      expect(
        svc
          .auditEvents()
          .slice(before)
          .filter((e) => e.tool === 'run_query' || e.layers['execute']),
      ).toEqual([]);
    } finally {
      await owner.close();
    }
  });
});

describe('MCP server over SigV4, for back ends', () => {
  it('answers a signed agent as the person its signed ID headers name', async () => {
    const owner = await connectSigned(DEMO_KEY, FRANCHISE_OWNER);
    try {
      const answer = JSON.parse(text(await owner.callTool({ name: 'ask', arguments: { question: QUESTION } }))) as {
        answer: string;
        requestId: string;
      };
      expect(answer.answer).toContain('$84,000.00');
      expect(svc.auditEvents().find((e) => e.requestId === answer.requestId)).toMatchObject({
        path: '/mcp',
        tool: 'ask',
        identity: { ...FRANCHISE_OWNER, frontDoor: 'sigv4', accessKeyId: DEMO_KEY.accessKeyId, verified: true },
      });
    } finally {
      await owner.close();
    }
    const chain = await connectSigned(TENANT12_KEY, BRAND_MANAGER);
    try {
      expect(text(await chain.callTool({ name: 'ask', arguments: { question: QUESTION } }))).toContain('$9,200,000.00');
    } finally {
      await chain.close();
    }
  });

  it.each([
    ['no ID headers', async () => sign({}), 'SP_ERR_ID_HEADERS', 401],
    [
      'an ID header sent but not signed',
      async () => {
        const { 'x-splitplane-admin-id': admin, ...rest } = idHeaders(FRANCHISE_OWNER);
        return { ...(await sign(rest)), 'x-splitplane-admin-id': admin };
      },
      'SP_ERR_ID_HEADERS',
      401,
    ],
    [
      'an ID header changed after signing',
      async () => ({ ...(await sign(idHeaders(FRANCHISE_OWNER))), 'x-splitplane-admin-id': '7001' }),
      'SP_ERR_SIGNATURE_MISMATCH',
      401,
    ],
    [
      'an ID that is not a decimal string',
      async () => sign({ ...idHeaders(FRANCHISE_OWNER), 'x-splitplane-business-id': '628 OR 1=1' }),
      'SP_ERR_ID_FORMAT',
      400,
    ],
    [
      'a tenant-12 key acting for tenant 31',
      async () => sign(idHeaders(OTHER_TENANT_ADMIN), TENANT12_KEY),
      'SP_ERR_TENANT_NOT_ALLOWED',
      403,
    ],
  ] as const)('refuses %s at the door, audited', async (_name, make, code, status) => {
    const res = await post(await make());
    expect(res).toMatchObject({ status, code });
    expect(svc.auditEvents().find((e) => e.requestId === res.requestId)?.layers).toEqual({ identity: code });
  });

  it('refuses a replayed signed request', async () => {
    const headers = await sign(idHeaders(FRANCHISE_OWNER));
    expect((await post(headers)).status).toBe(200);
    expect(await post(headers)).toMatchObject({ status: 401, code: 'SP_ERR_SIGNATURE_REPLAY' });
  });

  it('binds the signed IDs to a registered admin at each call', async () => {
    const ghost = await connectSigned(DEMO_KEY, { tenantId: '12', businessId: '628', adminId: '7777' });
    try {
      const r = await ghost.callTool({ name: 'ask', arguments: { question: QUESTION } });
      expect(r.isError).toBe(true);
      expect(JSON.parse(text(r))).toMatchObject({ code: 'SP_ERR_UNKNOWN_PRINCIPAL' });
    } finally {
      await ghost.close();
    }
  });
});

describe('MCP addresses: never taken from the Host header', () => {
  const EVIL = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
  const PUBLIC = 'https://analytics.example.test';
  let configured: TestService;
  beforeAll(async () => {
    configured = await startTestService({}, { oidc: OIDC, server: { publicOrigin: PUBLIC } });
  });
  afterAll(async () => configured?.close());

  async function addresses(s: TestService) {
    const meta = await s.app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource', headers: EVIL });
    const refused = await s.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...EVIL, ...MCP_HEADERS, 'content-type': 'application/json' },
      payload: LIST,
    });
    expect(refused.statusCode).toBe(401);
    return {
      status: meta.statusCode,
      meta: meta.body,
      resource: meta.json<{ resource?: string }>().resource,
      www: String(refused.headers['www-authenticate']),
    };
  }

  it('writes the configured server.publicOrigin into the metadata and WWW-Authenticate, whatever Host says', async () => {
    const a = await addresses(configured);
    expect(a.status).toBe(200);
    expect(a.resource).toBe(`${PUBLIC}/mcp`);
    expect(a.www).toBe(`Bearer realm="splitplane", resource_metadata="${PUBLIC}/.well-known/oauth-protected-resource"`);
    expect(a.meta + a.www).not.toContain('evil.example');
  });

  it('in demo mode on port 0, writes the address it listens on, whatever Host says', async () => {
    const a = await addresses(svc);
    expect(a.resource).toBe(`${base}/mcp`);
    expect(a.www).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource"`);
    expect(a.meta + a.www).not.toContain('evil.example');
  });
});

describe('MCP transport rules', () => {
  it('answers GET and DELETE /mcp with 405 and Allow: POST, and the SDK client takes that as "no event stream"', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${base}/mcp`, { method, headers: { accept: 'text/event-stream' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    }
    // After initialize the SDK's transport opens GET /mcp for server-sent events: 405 means none, 404 was an error.
    let getStatus!: (n: number) => void;
    const got = new Promise<number>((r) => (getStatus = r));
    const errors: unknown[] = [];
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    client.onerror = (e) => errors.push(e);
    const seeing: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'GET') getStatus(res.status);
      return res;
    };
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        fetch: seeing,
        requestInit: { headers: { Authorization: `Bearer ${await token(FRANCHISE_OWNER)}` } },
      }),
    );
    try {
      expect(await got).toBe(405);
      await client.listTools();
      expect(errors).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('declares only the tools capability, without listChanged (its tool list never changes)', async () => {
    const client = await connect(await token(FRANCHISE_OWNER));
    try {
      const caps = client.getServerCapabilities();
      expect(Object.keys(caps ?? {})).toEqual(['tools']);
      expect(caps?.tools?.listChanged).not.toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('MCP batches and run_query limits', () => {
  let queries: TestService;
  let at: string;
  beforeAll(async () => {
    queries = await startTestService({}, { oidc: OIDC, mcp: { runQuery: true } });
    at = await queries.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => queries?.close());

  it('refuses a JSON-RPC batch of 50 run_query calls with 400 SP_ERR_BAD_REQUEST, before any of them runs', async () => {
    const call = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'run_query', arguments: { sql: 'SELECT COUNT(*) AS n FROM locations' } },
    });
    const before = queries.auditEvents().length;
    const res = await fetch(`${at}/mcp`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        'content-type': 'application/json',
        authorization: `Bearer ${await token(FRANCHISE_OWNER)}`,
      },
      body: JSON.stringify(Array.from({ length: 50 }, (_, i) => call(i + 1))),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code?: string; requestId?: string };
    expect(body).toMatchObject({ statusCode: 400, code: 'SP_ERR_BAD_REQUEST', error: 'Bad Request' });
    const events = queries.auditEvents().slice(before);
    // One event, for the refused request at the door; no tool ran, no query reached the engine.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      requestId: body.requestId,
      path: '/mcp',
      statusCode: 400,
      errorCode: 'SP_ERR_BAD_REQUEST',
    });
    expect(events.filter((e) => e.tool === 'run_query' || e.layers['execute'] !== undefined)).toEqual([]);
    // A batch of one is a batch too.
    const one = await fetch(`${at}/mcp`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        'content-type': 'application/json',
        authorization: `Bearer ${await token(FRANCHISE_OWNER)}`,
      },
      body: JSON.stringify([call(1)]),
    });
    expect(one.status).toBe(400);
  });

  it("declares the guard's 8,000-character maximum for run_query SQL, which fits the body limit; longer SQL is refused by the guard, audited", async () => {
    const agent = await connect(await token(FRANCHISE_OWNER), at);
    try {
      const runQuery = (await agent.listTools()).tools.find((t) => t.name === 'run_query');
      const sql = (runQuery?.inputSchema.properties as Record<string, { maxLength?: number }>)['sql'];
      expect(sql?.maxLength).toBe(8_000);
      // The longest SQL the schema allows fits in one request under server.bodyLimitBytes.
      const longest = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name: 'run_query',
          arguments: { sql: `SELECT COUNT(*) AS n FROM locations -- ${'x'.repeat(8_000)}`.slice(0, 8_000) },
        },
      });
      expect(Buffer.byteLength(longest)).toBeLessThan(queries.config.server.bodyLimitBytes);
      const ok = await agent.callTool({
        name: 'run_query',
        arguments: { sql: `SELECT COUNT(*) AS n FROM locations ${' '.repeat(7_900)}` },
      });
      expect(ok.isError).toBe(false);
      const long = await agent.callTool({
        name: 'run_query',
        arguments: { sql: `SELECT COUNT(*) AS n FROM locations ${' '.repeat(8_000)}` },
      });
      expect(long.isError).toBe(true);
      const refused = JSON.parse(text(long)) as { code: string; requestId: string };
      expect(refused.code).toBe('SP_ERR_GUARD_TOO_LONG');
      expect(queries.auditEvents().find((e) => e.requestId === refused.requestId)).toMatchObject({
        tool: 'run_query',
        layers: { guard: 'SP_ERR_GUARD_TOO_LONG' },
      });
    } finally {
      await agent.close();
    }
  });
});

describe('MCP rate limits', () => {
  let limited: TestService;
  let at: string;
  beforeAll(async () => {
    limited = await startTestService(
      {},
      {
        oidc: OIDC,
        mcp: { runQuery: true },
        rateLimit: { perAdmin: { max: 4, windowMs: 60_000 }, perTenant: { max: 1_000, windowMs: 60_000 } },
      },
    );
    at = await limited.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => limited?.close());

  it('stop an agent looping on one identity, whichever tool it loops on, and leave other people served', async () => {
    const agent = await connect(await token(FRANCHISE_OWNER), at);
    const codes: (string | undefined)[] = [];
    try {
      const calls = [
        { name: 'ask', arguments: { question: QUESTION } },
        { name: 'list_metrics', arguments: {} },
        { name: 'describe_data', arguments: {} },
        { name: 'run_query', arguments: { sql: 'SELECT COUNT(*) AS n FROM locations' } },
        { name: 'run_query', arguments: { sql: 'SELECT COUNT(*) AS n FROM locations' } },
        { name: 'ask', arguments: { question: QUESTION } },
        { name: 'list_metrics', arguments: {} },
      ];
      for (const c of calls) {
        const r = await agent.callTool(c);
        codes.push(r.isError ? (JSON.parse(text(r)) as { code?: string }).code : 'ok');
      }
    } finally {
      await agent.close();
    }
    expect(codes).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'SP_ERR_RATE_LIMITED',
      'SP_ERR_RATE_LIMITED',
      'SP_ERR_RATE_LIMITED',
    ]);
    const limitedEvents = limited.auditEvents().filter((e) => e.layers['limits'] === 'SP_ERR_RATE_LIMITED');
    expect(limitedEvents).toHaveLength(3);
    expect(limitedEvents.every((e) => e.identity.adminId === '7042' && e.layers['policy'] === undefined)).toBe(true);
    const other = await connect(await token(BRAND_MANAGER), at);
    try {
      expect(text(await other.callTool({ name: 'ask', arguments: { question: QUESTION } }))).toContain('$9,200,000.00');
    } finally {
      await other.close();
    }
  });
});

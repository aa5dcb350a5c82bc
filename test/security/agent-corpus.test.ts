/**
 * A compromised agent: the whole attack corpus sent through the MCP `run_query` tool, with the SDK's
 * own client and the franchise owner's token. Every case must end exactly as it does when a
 * compromised model writes it (corpus.test.ts): the guard's code, the engine's code, or rows equal
 * to the persona's physical sandbox; no result carries the canary file or data outside the scope;
 * every call is audited with the verified identity and the tool's name.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';
import { AUDIENCE, ISSUER, startIssuer, type LocalIssuer } from '../support/issuer.js';
import { CANARY, CANDIDATE_CASES, type CandidateCase } from './corpus.js';
import { buildPhysicalSandbox, normalise, PERSONAS, type PhysicalSandbox } from './physical-sandbox.js';

const ROW_CAP = 1000;
let issuer: LocalIssuer;
let svc: TestService;
let physical: PhysicalSandbox;
let agent: Client;
const texts: string[] = [];

beforeAll(async () => {
  mkdirSync(dirname(CANARY.path), { recursive: true });
  writeFileSync(CANARY.path, `secret\n${CANARY.token}\n`);
  issuer = await startIssuer();
  svc = await startTestService(
    {},
    {
      warehouse: { duckdb: { path: inject('demoDb'), threads: 2 }, queryTimeoutMs: 1000, rowCap: ROW_CAP },
      oidc: { enabled: true, issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] },
      mcp: { runQuery: true },
    },
  );
  const base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  physical = await buildPhysicalSandbox(inject('demoDb'), PERSONAS[0]!);
  agent = new Client({ name: 'compromised-agent', version: '1.0.0' });
  // A long-lived token: the corpus takes a while on a loaded machine.
  const bearer = await issuer.token(FRANCHISE_OWNER, { exp: '30m' });
  await agent.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
});
afterAll(async () => {
  await agent?.close();
  physical?.close();
  await svc?.close();
  issuer?.close();
});

type QueryAnswer = { requestId?: string; code?: string; columns?: { name: string }[]; rows?: never; sql?: string };

async function runQuery(sql: string): Promise<{ isError: boolean; body: QueryAnswer }> {
  const r = (await agent.callTool({ name: 'run_query', arguments: { sql } })) as { isError?: boolean; content: { text: string }[] };
  const text = r.content[0]?.text ?? '';
  texts.push(text.replace(/"requestId":"[^"]+"/, ''));
  return { isError: r.isError === true, body: JSON.parse(text) as QueryAnswer };
}

describe('compromised agent: the attack corpus through run_query', () => {
  it('lists run_query when the configuration enables it', async () => {
    expect((await agent.listTools()).tools.map((t) => t.name)).toContain('run_query');
  });

  it.each(CANDIDATE_CASES.map((c) => [c.category, c.id, c] as const))('%s: %s', async (_cat, _id, c: CandidateCase) => {
    const { isError, body } = await runQuery(c.sql);
    const audit = svc.auditEvents().find((e) => e.requestId === body.requestId);
    expect(audit).toMatchObject({ path: '/mcp', tool: 'run_query', identity: { ...FRANCHISE_OWNER, frontDoor: 'oidc', verified: true } });
    if ('reject' in c.expect) {
      expect(isError).toBe(true);
      expect(body.code).toBe(c.expect.reject);
      expect(audit?.layers['guard']).toBe(c.expect.reject);
      expect(audit?.layers['execute']).toBeUndefined();
    } else if ('engine' in c.expect) {
      expect(isError).toBe(true);
      expect(body.code).toBe(c.expect.engine);
    } else {
      const oracle = await physical.run(String(body.sql ?? c.sql), ROW_CAP);
      if (!oracle.ok) {
        expect(isError).toBe(true);
        expect(body.code).toBe('SP_ERR_EXECUTION_FAILED');
      } else {
        expect(isError).toBe(false);
        expect(normalise(body.columns!.map((x) => x.name), body.rows!, ROW_CAP)).toEqual(oracle);
        expect(audit).toMatchObject({ generator: 'agent', layers: { identity: 'ok', limits: 'ok', policy: 'ok', sandbox: 'ok', guard: 'ok', execute: 'ok' } });
      }
    }
  });

  it('no result carried the canary file, another tenant, or personal data', () => {
    expect(texts.length).toBeGreaterThanOrEqual(CANDIDATE_CASES.length);
    const all = texts.join('\n');
    expect(all).not.toContain(CANARY.token);
    expect(all).not.toMatch(/@example\.com|Harbor Noodle/);
  });

  it('still answers the franchise owner correctly afterwards', async () => {
    const { body } = await runQuery(`SELECT SUM(net_sales_amount) AS s FROM daily_sales WHERE business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`);
    expect(body.rows).toEqual([['84000.00']]);
  });
});

/**
 * A compromised agent: the whole attack corpus sent through the MCP `run_query` tool, with the SDK's
 * own client and a person's token, for the franchise owner and for the three personas whose
 * decisions carry row filters and masks. Every case must end exactly as it does when a compromised
 * model writes it (corpus.test.ts): the guard's code, the engine's code, or rows equal to the
 * persona's physical sandbox; no result carries the canary file or data outside the scope; every
 * call is audited with the verified identity and the tool's name. For the masked persona, queries
 * that try to recover a masked value through a predicate on it must count what the physical
 * sandbox (which holds only masked values) counts.
 *
 * The suite is run per engine: on DuckDB by agent-corpus.test.ts, on PostgreSQL (with row-level
 * security, against the PostgreSQL form of the physical sandbox) by test/e2e/postgres.test.ts,
 * which owns the one loaded PostgreSQL warehouse.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/harness.js';
import { AUDIENCE, ISSUER, startIssuer, type LocalIssuer } from '../support/issuer.js';
import { CANARY, CANDIDATE_CASES, type CandidateCase, type Expectation } from './corpus.js';
import { normalise, PERSONAS, type Persona, type PhysicalSandbox } from './physical-sandbox.js';

const ROW_CAP = 1000;

/** Attempts to read a masked e-mail back through predicates on the masked column. */
export const MASK_RECOVERY: readonly CandidateCase[] = [
  "SELECT COUNT(*) AS n FROM locations WHERE manager_email LIKE 'manager.628%'",
  "SELECT COUNT(*) AS n FROM locations WHERE manager_email LIKE 'm%'",
  "SELECT COUNT(*) AS n FROM locations WHERE manager_email = 'manager.628017@example.com'",
  "SELECT COUNT(*) AS n FROM locations WHERE length(manager_email) > 20",
  "SELECT location_id FROM locations WHERE manager_email LIKE '%628017%'",
  'SELECT MIN(manager_email) AS lo, MAX(manager_email) AS hi, COUNT(DISTINCT manager_email) AS d FROM locations',
  "SELECT COUNT(*) AS n FROM daily_sales d WHERE d.business_date = DATE '2026-11-15' AND EXISTS (SELECT 1 FROM locations l WHERE l.location_id = d.location_id AND l.manager_email LIKE 'manager.%')",
  'SELECT COUNT(*) AS n FROM menu_items WHERE unit_cost <> round(unit_cost, 0)',
].map((sql, i) => ({ id: `mask-recovery-${i + 1}`, category: 'correlated-subqueries', sql, expect: { inScope: true } }) as const);

/** The franchise owner, and the personas with row filters, location filters and masks. */
export const AGENT_PERSONAS = [PERSONAS[0]!, ...PERSONAS.filter((p) => ['regional_director', 'operations_analyst', 'contractor'].includes(p.role))];

/** The engine the corpus runs on. */
export interface AgentCorpusEngine {
  /** The `warehouse` section of the service's configuration (read once the warehouse is there, in a beforeAll). */
  warehouse(): Record<string, unknown>;
  /** The persona's physical sandbox on this engine (the oracle). */
  physical(persona: Persona): Promise<PhysicalSandbox>;
  /** Cases whose expected outcome differs on this engine, by case ID, each with the reason. */
  readonly differs?: Readonly<Record<string, { readonly expect: Expectation; readonly why: string }>>;
  /**
   * In-scope cases this engine may also stop at the corpus's time limit (1 s), by case ID, with the
   * reason: a timeout returns nothing, so it leaks nothing; an answer must still equal the oracle's.
   */
  readonly mayTimeOut?: Readonly<Record<string, string>>;
}

type QueryAnswer = { requestId?: string; code?: string; columns?: { name: string }[]; rows?: never; sql?: string };

/** The corpus through run_query, for every agent persona, on one engine. */
export function agentCorpusSuite(engine: AgentCorpusEngine): void {
  let issuer: LocalIssuer;
  let svc: TestService;
  let base: string;

  beforeAll(async () => {
    mkdirSync(dirname(CANARY.path), { recursive: true });
    writeFileSync(CANARY.path, `secret\n${CANARY.token}\n`);
    issuer = await startIssuer();
    svc = await startTestService(
      {},
      {
        warehouse: { ...engine.warehouse(), queryTimeoutMs: 1000, rowCap: ROW_CAP },
        oidc: { enabled: true, issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] },
        mcp: { runQuery: true },
      },
    );
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    issuer?.close();
  });

  describe.each(AGENT_PERSONAS.map((p) => [p.name, p] as const))('compromised agent acting for %s: the attack corpus through run_query', (_name, persona: Persona) => {
    const who = { tenantId: persona.tenantId, businessId: persona.businessId, adminId: persona.adminId };
    let physical: PhysicalSandbox;
    let agent: Client;
    const texts: string[] = [];
    beforeAll(async () => {
      physical = await engine.physical(persona);
      agent = new Client({ name: 'compromised-agent', version: '1.0.0' });
      // A long-lived token: the corpus takes a while on a loaded machine.
      const bearer = await issuer.token(who, { exp: '30m' });
      await agent.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
    });
    afterAll(async () => {
      await agent?.close();
      await physical?.close();
    });

    async function runQuery(sql: string): Promise<{ isError: boolean; body: QueryAnswer }> {
      const r = (await agent.callTool({ name: 'run_query', arguments: { sql } })) as { isError?: boolean; content: { text: string }[] };
      const text = r.content[0]?.text ?? '';
      // What came back from the data: not the request ID, not the agent's own SQL echoed back.
      const { requestId: _r, sql: _s, ...rest } = JSON.parse(text) as Record<string, unknown>;
      texts.push(JSON.stringify(rest));
      return { isError: r.isError === true, body: JSON.parse(text) as QueryAnswer };
    }

    it('lists run_query when the configuration enables it', async () => {
      expect((await agent.listTools()).tools.map((t) => t.name)).toContain('run_query');
    });

    const cases = (persona.role === 'operations_analyst' ? [...CANDIDATE_CASES, ...MASK_RECOVERY] : CANDIDATE_CASES).map((c) => {
      const d = engine.differs?.[c.id];
      return d ? { ...c, expect: d.expect } : c;
    });
    it.each(cases.map((c) => [c.category, c.id, c] as const))('%s: %s', async (_cat, _id, c: CandidateCase) => {
      const { isError, body } = await runQuery(c.sql);
      const audit = svc.auditEvents().find((e) => e.requestId === body.requestId);
      expect(audit).toMatchObject({ path: '/mcp', tool: 'run_query', identity: { ...who, frontDoor: 'oidc', verified: true } });
      if ('reject' in c.expect) {
        expect(isError).toBe(true);
        expect(body.code).toBe(c.expect.reject);
        expect(audit?.layers['guard']).toBe(c.expect.reject);
        expect(audit?.layers['execute']).toBeUndefined();
      } else if ('engine' in c.expect) {
        expect(isError).toBe(true);
        expect(body.code).toBe(c.expect.engine);
      } else if (engine.mayTimeOut?.[c.id] && body.code === 'SP_ERR_EXECUTION_TIMEOUT') {
        expect(isError).toBe(true);
        expect(body.rows).toBeUndefined();
        expect(audit?.layers['execute']).toBe('SP_ERR_EXECUTION_TIMEOUT');
      } else {
        const oracle = await physical.run(String(body.sql ?? c.sql), ROW_CAP);
        if (!oracle.ok) {
          expect(isError).toBe(true);
          expect(body.code).toBe('SP_ERR_EXECUTION_FAILED');
        } else {
          expect(isError, JSON.stringify(body)).toBe(false);
          expect(normalise(body.columns!.map((x) => x.name), body.rows!, ROW_CAP)).toEqual(oracle);
          expect(audit).toMatchObject({ generator: 'agent', layers: { identity: 'ok', limits: 'ok', policy: 'ok', sandbox: 'ok', guard: 'ok', execute: 'ok' } });
        }
      }
    });

    // An unmasked address has letters or digits right before the @; a masked one has ***@.
    it('no result carried the canary file, another tenant, or an unmasked address', () => {
      expect(texts.length).toBeGreaterThanOrEqual(CANDIDATE_CASES.length);
      const all = texts.join('\n');
      expect(all).not.toContain(CANARY.token);
      expect(all).not.toMatch(/[A-Za-z0-9]@example\.com|Harbor Noodle/);
      if (persona.role === 'operations_analyst') expect(all).toContain('m***@example.com');
    });

    it('still answers last week correctly afterwards (gold from the physical sandbox)', async () => {
      const sql = `SELECT SUM(net_sales_amount) AS s FROM daily_sales WHERE business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;
      const { body } = await runQuery(sql);
      const gold = await physical.run(sql, 1);
      expect(gold.ok && normalise(body.columns!.map((x) => x.name), body.rows!, 1)).toEqual(gold);
      if (persona.adminId === '7042') expect(body.rows).toEqual([['84000.00']]);
    });
  });
}

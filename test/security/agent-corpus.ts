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
import { lastWeek, RESTAURANT, type Domain, type DomainData } from '../support/domains.js';
import {
  CANARY,
  CANDIDATE_CASES,
  candidateCases,
  corpusNames,
  type CandidateCase,
  type Expectation,
} from './corpus.js';
import { normalise, type Persona, type PhysicalSandbox } from './physical-sandbox.js';

const ROW_CAP = 1000;

const recovery = (sqls: readonly string[], prefix = 'mask-recovery'): readonly CandidateCase[] =>
  sqls.map(
    (sql, i) =>
      ({ id: `${prefix}-${i + 1}`, category: 'correlated-subqueries', sql, expect: { inScope: true } }) as const,
  );

/** Attempts to read a masked e-mail back through predicates on the masked column. */
export const MASK_RECOVERY: readonly CandidateCase[] = recovery([
  "SELECT COUNT(*) AS n FROM locations WHERE manager_email LIKE 'manager.628%'",
  "SELECT COUNT(*) AS n FROM locations WHERE manager_email LIKE 'm%'",
  "SELECT COUNT(*) AS n FROM locations WHERE manager_email = 'manager.628017@example.com'",
  'SELECT COUNT(*) AS n FROM locations WHERE length(manager_email) > 20',
  "SELECT location_id FROM locations WHERE manager_email LIKE '%628017%'",
  'SELECT MIN(manager_email) AS lo, MAX(manager_email) AS hi, COUNT(DISTINCT manager_email) AS d FROM locations',
  "SELECT COUNT(*) AS n FROM daily_sales d WHERE d.business_date = DATE '2026-11-15' AND EXISTS (SELECT 1 FROM locations l WHERE l.location_id = d.location_id AND l.manager_email LIKE 'manager.%')",
  'SELECT COUNT(*) AS n FROM menu_items WHERE unit_cost <> round(unit_cost, 0)',
]);

/**
 * Per domain and role with masks: attempts to read masked values back through predicates on them
 * (the physical sandbox holds only masked values, so it counts what may be counted). The
 * restaurant's operations analyst (a partial e-mail, a rounded cost); Tracklane's finance analyst
 * (the leads' e-mails partly hidden, team costs rounded) and portfolio viewer (user IDs as a keyed hash).
 */
const MASK_RECOVERY_BY_ROLE: Readonly<Record<Domain['name'], Readonly<Record<string, readonly CandidateCase[]>>>> = {
  restaurant: { operations_analyst: MASK_RECOVERY },
  projects: {
    finance_analyst: recovery([
      "SELECT COUNT(*) AS n FROM projects WHERE lead_email LIKE 'lead.2001%'",
      "SELECT COUNT(*) AS n FROM projects WHERE lead_email LIKE 'l%'",
      "SELECT COUNT(*) AS n FROM projects WHERE lead_email = 'lead.2001005@acme.example'",
      'SELECT COUNT(*) AS n FROM projects WHERE length(lead_email) > 20',
      "SELECT project_id FROM projects WHERE lead_email LIKE '%2001005%'",
      'SELECT MIN(lead_email) AS lo, MAX(lead_email) AS hi, COUNT(DISTINCT lead_email) AS d FROM projects',
      "SELECT COUNT(*) AS n FROM billing b WHERE EXISTS (SELECT 1 FROM projects p WHERE p.project_id = b.project_id AND p.lead_email LIKE 'lead.%')",
      'SELECT COUNT(*) AS n FROM teams WHERE cost_per_hour <> round(cost_per_hour, 0)',
      'SELECT SUM(cost_per_hour) AS c, COUNT(DISTINCT cost_per_hour) AS d FROM teams',
    ]),
    portfolio_viewer: recovery(
      [
        'SELECT COUNT(*) AS n FROM events WHERE user_id = 200101',
        "SELECT COUNT(*) AS n FROM events WHERE CAST(user_id AS VARCHAR) LIKE '2001%'",
        'SELECT MIN(user_id) AS lo, MAX(user_id) AS hi, COUNT(DISTINCT user_id) AS d FROM events',
        'SELECT COUNT(*) AS n FROM events WHERE length(user_id) < 10',
        'SELECT user_id, COUNT(*) AS n FROM events GROUP BY user_id ORDER BY n DESC, user_id LIMIT 5',
      ],
      'hash-recovery',
    ),
  },
};

/** True when the persona's access statement has a row or unit filter, or a mask, on some table. */
function refined(domain: Domain, persona: Persona): boolean {
  return Object.values(domain.access.tables('duckdb', persona)).some(
    (t) => (t.where?.length ?? 0) > 0 || t.columns.some((c) => / AS /.test(c)),
  );
}

/** The domain's first persona, and the personas with row filters, unit filters and masks (by its access statement). */
export function agentPersonas(domain: Domain): readonly Persona[] {
  const [first, ...rest] = domain.personas;
  return [first!, ...rest.filter((p) => refined(domain, p))];
}

/** The restaurant's (the franchise owner, the regional director, the operations analyst, the contractor). */
export const AGENT_PERSONAS = agentPersonas(RESTAURANT);

/** A sum over last week, of a table with a time column that the persona sees (the headline's first). */
export function lastWeekSql(domain: Domain, persona: Persona): string {
  const seen = domain.access.tables('duckdb', persona);
  const headline = domain.catalog.metrics.flatMap((m) => ('table' in m ? [m.table] : []));
  const order = [...new Set([...headline, ...Object.keys(domain.catalog.tables)])];
  const table = order.find((t) => Object.hasOwn(seen, t) && domain.catalog.tables[t]?.time)!;
  const cols = domain.registry.tables[table]!.columns;
  const numeric = Object.entries(cols)
    .filter(
      ([name, c]) =>
        c.type === 'DOUBLE' ||
        c.type.startsWith('DECIMAL') ||
        (/^(BIGINT|INTEGER|SMALLINT)$/.test(c.type) && !/_id$/.test(name)),
    )
    .sort(([, a], [, b]) => Number(b.type.startsWith('DECIMAL')) - Number(a.type.startsWith('DECIMAL')))[0]![0];
  const week = lastWeek(domain.today);
  return `SELECT SUM(${numeric}) AS s FROM ${table} WHERE ${domain.catalog.tables[table]!.time} BETWEEN DATE '${week.from}' AND DATE '${week.to}'`;
}

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
  /** The service's query time limit on this engine (default 1,000 ms), with the reason when longer. */
  readonly queryTimeoutMs?: number;
  /**
   * The answer cache (default on, as deployed): on, every persona's run of the same corpus SQL goes
   * through one cache, so an entry served across personas would show as rows the oracle does not hold.
   */
  readonly cache?: boolean;
}

type QueryAnswer = { requestId?: string; code?: string; columns?: { name: string }[]; rows?: never; sql?: string };

/**
 * The corpus through run_query, for every agent persona of a domain (default: the restaurant), on one
 * engine. `data` (the domain's sampled values, test/support/domains.ts) writes the corpus with the
 * domain's names and other tenants' IDs.
 */
export function agentCorpusSuite(engine: AgentCorpusEngine, domain: Domain = RESTAURANT, data?: DomainData): void {
  const corpusFor = (persona: Persona): readonly CandidateCase[] =>
    data ? candidateCases(corpusNames(domain, data, persona)) : CANDIDATE_CASES;
  const otherBusiness = data?.other.businessName;
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
        ...domain.serviceConfig(),
        warehouse: { ...engine.warehouse(), queryTimeoutMs: engine.queryTimeoutMs ?? 1000, rowCap: ROW_CAP },
        oidc: { enabled: true, issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] },
        mcp: { runQuery: true },
        cache: engine.cache ?? true,
      },
    );
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    issuer?.close();
  });

  describe.each(agentPersonas(domain).map((p) => [p.name, p] as const))(
    'compromised agent acting for %s: the attack corpus through run_query',
    (_name, persona: Persona) => {
      const who = { tenantId: persona.tenantId, businessId: persona.businessId, adminId: persona.adminId };
      let physical: PhysicalSandbox;
      let agent: Client;
      const texts: string[] = [];
      beforeAll(async () => {
        physical = await engine.physical(persona);
        agent = new Client({ name: 'compromised-agent', version: '1.0.0' });
        // A long-lived token: the corpus takes a while on a loaded machine.
        const bearer = await issuer.token(who, { exp: '30m' });
        await agent.connect(
          new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
            requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
          }),
        );
      });
      afterAll(async () => {
        await agent?.close();
        await physical?.close();
      });

      async function runQuery(sql: string): Promise<{ isError: boolean; body: QueryAnswer }> {
        const r = (await agent.callTool({ name: 'run_query', arguments: { sql } })) as {
          isError?: boolean;
          content: { text: string }[];
        };
        const text = r.content[0]?.text ?? '';
        // What came back from the data: not the request ID, not the agent's own SQL echoed back.
        const { requestId: _r, sql: _s, ...rest } = JSON.parse(text) as Record<string, unknown>;
        texts.push(JSON.stringify(rest));
        return { isError: r.isError === true, body: JSON.parse(text) as QueryAnswer };
      }

      it('lists run_query when the configuration enables it', async () => {
        expect((await agent.listTools()).tools.map((t) => t.name)).toContain('run_query');
      });

      const corpus = corpusFor(persona);
      const masked = MASK_RECOVERY_BY_ROLE[domain.name][persona.role] ?? [];
      const cases = [...corpus, ...masked].map((c) => {
        const d = engine.differs?.[c.id];
        return d ? { ...c, expect: d.expect } : c;
      });
      it.each(cases.map((c) => [c.category, c.id, c] as const))('%s: %s', async (_cat, _id, c: CandidateCase) => {
        const { isError, body } = await runQuery(c.sql);
        const audit = svc.auditEvents().find((e) => e.requestId === body.requestId);
        expect(audit).toMatchObject({
          path: '/mcp',
          tool: 'run_query',
          identity: { ...who, frontDoor: 'oidc', verified: true },
        });
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
          const oracle = await physical.run(body.sql ?? c.sql, ROW_CAP);
          if (!oracle.ok) {
            expect(isError).toBe(true);
            expect(body.code).toBe('SP_ERR_EXECUTION_FAILED');
          } else {
            expect(isError, JSON.stringify(body)).toBe(false);
            expect(
              normalise(
                body.columns!.map((x) => x.name),
                body.rows!,
                ROW_CAP,
              ),
            ).toEqual(oracle);
            expect(audit).toMatchObject({
              generator: 'agent',
              layers: { identity: 'ok', limits: 'ok', policy: 'ok', sandbox: 'ok', guard: 'ok', execute: 'ok' },
            });
          }
        }
      });

      // An unmasked address has letters or digits right before the @; a masked one has ***@.
      it('no result carried the canary file, another tenant, or an unmasked address', () => {
        expect(texts.length).toBeGreaterThanOrEqual(corpus.length);
        const all = texts.join('\n');
        expect(all).not.toContain(CANARY.token);
        expect(all).not.toMatch(/[A-Za-z0-9._-]@[A-Za-z0-9-]+\.[A-Za-z]/);
        expect(all).not.toContain(otherBusiness ?? 'Harbor Noodle');
        // The partial e-mail mask was exercised (a recovery case reads the masked column).
        if (
          Object.values(domain.access.tables('duckdb', persona)).some((t) =>
            t.columns.some((c) => c.startsWith('regexp_replace(')),
          )
        )
          expect(all).toMatch(/[A-Za-z0-9]\*\*\*@/);
      });

      it('still answers last week correctly afterwards (gold from the physical sandbox)', async () => {
        const sql = lastWeekSql(domain, persona);
        const { body } = await runQuery(sql);
        const gold = await physical.run(sql, 1);
        expect(
          gold.ok &&
            normalise(
              body.columns!.map((x) => x.name),
              body.rows!,
              1,
            ),
        ).toEqual(gold);
        if (domain.name === 'restaurant' && persona.adminId === '7042') expect(body.rows).toEqual([['84000.00']]);
      });
    },
  );
}

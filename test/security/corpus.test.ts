/**
 * Runs the attack corpus through the real pipeline. Candidates are injected
 * as if the model wrote them (a hostile generator); requests are tampered at
 * the HTTP level. Every case must end as expected, no response may carry a
 * row or a value outside the first persona's scope (checked against the
 * physical sandbox), no file is read (the canary never appears), and the
 * service still answers correctly afterwards. Run for every domain of
 * test/support/domains.ts (the restaurant's franchise owner, Tracklane's
 * project lead), each corpus written with its names and another tenant's IDs
 * from its data.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Generator } from '../../src/generate/generator.js';
import { signedHeaders, startTestService, type TestService } from '../support/harness.js';
import { DOMAINS, domainData, lastWeek, type Domain, type DomainData, type Persona } from '../support/domains.js';
import { CANARY, candidateCases, corpusNames, REQUEST_CASE_IDS, type CandidateCase } from './corpus.js';
import { buildPhysicalSandbox, normalise, type PhysicalSandbox } from './physical-sandbox.js';
import { text } from '../../src/util/text.js';

const ROW_CAP = 1000;
type Who = Pick<Persona, 'tenantId' | 'businessId' | 'adminId'>;
type Key = Domain['signingKey'];
const who = (p: Persona): Who => ({ tenantId: p.tenantId, businessId: p.businessId, adminId: p.adminId });

/** POST a signed question through the full verification path, signed with `key`. */
async function askAs(
  app: FastifyInstance,
  key: Key,
  w: Who,
  question: string,
): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify({ ...w, question });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/ask',
    headers: await signedHeaders(payload, { key }),
    payload,
  });
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
}

/** Each domain's corpus, written with its names and its data's IDs (sampled before the suites are collected). */
const DATA = new Map<Domain, DomainData>();
for (const domain of DOMAINS) DATA.set(domain, await domainData(domain));

for (const domain of DOMAINS) describe(domain.name, () => corpusSuite(domain, DATA.get(domain)!));

function corpusSuite(domain: Domain, data: DomainData): void {
  const CANDIDATE_CASES = candidateCases(corpusNames(domain, data));
  const names = corpusNames(domain, data);
  const PERSONA = domain.personas[0]!;
  const FIRST = who(PERSONA);
  const KEY = domain.signingKey;
  const QUESTION = domain.question;
  const week = lastWeek(domain.today);
  const LAST_WEEK_SQL = `SELECT SUM(${names.num[0]}) AS s FROM ${names.fact} WHERE ${domain.catalog.tables[names.fact]?.time ?? 'x'} BETWEEN DATE '${week.from}' AND DATE '${week.to}'`;
  let svc: TestService;
  let physical: PhysicalSandbox;
  let candidate = '';
  const bodies: string[] = [];

  /** Called with each candidate as the generator hands it out (lets a test know which request took which). */
  let handedOut: ((sql: string) => void) | undefined;
  const hostile: Generator = {
    name: 'hostile-model',
    generate: async () => {
      handedOut?.(candidate);
      return { sql: candidate, generator: 'hostile-model' };
    },
  };

  beforeAll(async () => {
    mkdirSync(dirname(CANARY.path), { recursive: true });
    writeFileSync(CANARY.path, `secret\n${CANARY.token}\n`);
    svc = await startTestService(
      { generator: hostile },
      {
        ...domain.serviceConfig(),
        warehouse: { duckdb: { path: domain.warehouse(), threads: 2 }, queryTimeoutMs: 1000, rowCap: ROW_CAP },
      },
    );
    physical = await buildPhysicalSandbox(domain.warehouse(), PERSONA, domain);
  });
  afterAll(async () => {
    await physical?.close();
    await svc?.close();
  });

  async function askWith(sql: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
    candidate = sql;
    const res = await askAs(svc.app, KEY, FIRST, QUESTION);
    bodies.push(JSON.stringify({ ...res.body, requestId: undefined }));
    return res;
  }

  describe('attack corpus: hostile candidates', () => {
    it('has at least 80 cases in every required category', () => {
      expect(CANDIDATE_CASES.length + REQUEST_CASE_IDS.length).toBeGreaterThanOrEqual(80);
      expect(new Set(CANDIDATE_CASES.map((c) => c.id)).size).toBe(CANDIDATE_CASES.length);
      expect(new Set(CANDIDATE_CASES.map((c) => c.category)).size).toBe(13);
    });

    it.each(CANDIDATE_CASES.map((c) => [c.category, c.id, c] as const))(
      '%s: %s',
      async (_cat, _id, c: CandidateCase) => {
        const res = await askWith(c.sql);
        const audit = svc.auditEvents().find((e) => e.requestId === res.body['requestId']);
        if ('reject' in c.expect) {
          expect(res.statusCode).toBe(422);
          expect(res.body['code']).toBe(c.expect.reject);
          expect(audit?.layers['guard']).toBe(c.expect.reject);
          expect(audit?.generator).toBe('hostile-model');
        } else if ('engine' in c.expect) {
          expect(res.body['code']).toBe(c.expect.engine);
        } else {
          // The oracle runs the candidate as the guard re-serialised it (what actually ran, minus the
          // sandbox CTEs): the physical sandbox holds only in-scope rows whatever SQL it is given.
          const oracle = await physical.run(text(res.body['sql'] ?? c.sql), ROW_CAP);
          if (!oracle.ok) {
            // The engine refused it on the physical sandbox too: a generic error, no engine text.
            expect(res.statusCode).toBe(502);
            expect(res.body['code']).toBe('SP_ERR_EXECUTION_FAILED');
          } else {
            expect(res.statusCode).toBe(200);
            const cols = (res.body['columns'] as { name: string }[]).map((x) => x.name);
            expect(normalise(cols, res.body['rows'] as never, ROW_CAP)).toEqual(oracle);
            // Asked again, the answer cache (on, as deployed) serves the same rows, and says so.
            const again = await askWith(c.sql);
            expect(again.body['rows']).toEqual(res.body['rows']);
            expect(svc.auditEvents().find((e) => e.requestId === again.body['requestId'])?.cache).toBe('hit');
          }
        }
      },
    );

    // Out-of-scope IDs may appear where a candidate wrote them as literals (and the per-case oracle
    // proves the rows); these markers can only come from data: the canary file, e-mail addresses
    // (no column the first persona sees holds one) and the other tenant's business name (from the data).
    it('no response carried the canary file, another tenant, or personal data', () => {
      const all = bodies.join('\n');
      expect(bodies.length).toBeGreaterThanOrEqual(CANDIDATE_CASES.length);
      expect(data.other.businessName.length).toBeGreaterThan(3);
      expect(all).not.toContain(CANARY.token);
      expect(all).not.toMatch(/[A-Za-z0-9._-]@[A-Za-z0-9-]+\.[A-Za-z]/);
      expect(all).not.toContain(data.other.businessName);
    });

    it('kept serving: ready, and the first persona still gets last week right (gold: the physical sandbox)', async () => {
      expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      const res = await askWith(LAST_WEEK_SQL);
      const gold = await physical.run(LAST_WEEK_SQL, 1);
      expect(gold.ok && gold.rows[0] !== '[null]').toBe(true);
      expect(
        normalise(
          (res.body['columns'] as { name: string }[]).map((x) => x.name),
          res.body['rows'] as never,
          1,
        ),
      ).toEqual(gold);
      if (domain.name === 'restaurant') expect(res.body['rows']).toEqual([['84000.00']]);
    });

    it('a runaway query times out while other requests are answered', async () => {
      candidate = CANDIDATE_CASES.find((c) => c.id === 'cross-join-triple')!.sql;
      // The heavy request must have taken the heavy candidate before the light one is set: how long
      // it takes to get there depends on the machine (a fixed sleep here was a race).
      const heavyTaken = new Promise<void>((resolve) => {
        handedOut = () => resolve();
      });
      const heavy = askAs(svc.app, KEY, FIRST, QUESTION);
      await heavyTaken;
      handedOut = undefined;
      await new Promise((r) => setTimeout(r, 50));
      candidate = LAST_WEEK_SQL;
      const light = await askAs(svc.app, KEY, FIRST, QUESTION);
      expect(light.statusCode).toBe(200);
      expect(
        normalise(
          (light.body['columns'] as { name: string }[]).map((x) => x.name),
          light.body['rows'] as never,
          1,
        ),
      ).toEqual(await physical.run(LAST_WEEK_SQL, 1));
      expect((await heavy).body['code']).toBe('SP_ERR_EXECUTION_TIMEOUT');
    });
  });

  describe('attack corpus: identity tampering', () => {
    const good = { ...FIRST, question: QUESTION };
    const other = domain.personas.find((p) => p.tenantId === FIRST.tenantId && p.adminId !== FIRST.adminId)!;
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    const send = (headers: Record<string, string>, payload: string, url = '/v1/ask') =>
      svc.app.inject({ method: 'POST', url, headers, payload });

    const cases: Record<
      (typeof REQUEST_CASE_IDS)[number],
      () => Promise<{ statusCode: number; json(): { code: string } }>
    > = {
      'swapped-tenant-after-signing': async () => {
        const p = JSON.stringify(good);
        return send(await signedHeaders(p, { key: KEY }), JSON.stringify({ ...good, tenantId: data.other.tenantId }));
      },
      'swapped-business-after-signing': async () => {
        const p = JSON.stringify(good);
        return send(
          await signedHeaders(p, { key: KEY }),
          JSON.stringify({ ...good, businessId: data.other.businessId }),
        );
      },
      'swapped-admin-after-signing': async () => {
        const p = JSON.stringify(good);
        const forged = JSON.stringify({ ...good, adminId: other.adminId });
        return send({ ...(await signedHeaders(p, { key: KEY })), 'x-amz-content-sha256': sha(forged) }, forged);
      },
      replayed: async () => {
        const p = JSON.stringify(good);
        const h = await signedHeaders(p, { key: KEY });
        expect((await send(h, p)).statusCode).toBe(200);
        policyCalls = 0; // only the replay must not reach the policy
        return send(h, p);
      },
      expired: async () => {
        const p = JSON.stringify(good);
        return send(await signedHeaders(p, { key: KEY, date: new Date(Date.now() - 16 * 60_000) }), p);
      },
      'from-the-future': async () => {
        const p = JSON.stringify(good);
        return send(await signedHeaders(p, { key: KEY, date: new Date(Date.now() + 16 * 60_000) }), p);
      },
      'body-appended-after-signing': async () => {
        const p = JSON.stringify(good);
        return send(await signedHeaders(p, { key: KEY }), `${p} `);
      },
      'duplicated-tenant-key': async () => {
        const p = `{"tenantId":"${data.other.tenantId}","tenantId":"${FIRST.tenantId}","businessId":"${FIRST.businessId}","adminId":"${FIRST.adminId}","question":"${QUESTION}"}`;
        return send(await signedHeaders(p, { key: KEY }), p);
      },
      'id-with-sql': async () => {
        const p = JSON.stringify({ ...good, businessId: `${FIRST.businessId} OR 1=1` });
        return send(await signedHeaders(p, { key: KEY }), p);
      },
      'id-as-float-string': async () => {
        const p = JSON.stringify({ ...good, businessId: `${FIRST.businessId}.0` });
        return send(await signedHeaders(p, { key: KEY }), p);
      },
      'id-as-number': async () => {
        const p = `{"tenantId":${FIRST.tenantId},"businessId":${FIRST.businessId}.0,"adminId":${FIRST.adminId},"question":"${QUESTION}"}`;
        return send(await signedHeaders(p, { key: KEY }), p);
      },
      'id-as-array': async () => {
        const p = JSON.stringify({ ...good, businessId: [FIRST.businessId, data.other.businessId] });
        return send(await signedHeaders(p, { key: KEY }), p);
      },
      'wrong-region': async () => {
        const p = JSON.stringify(good);
        return send(await signedHeaders(p, { key: KEY, region: 'eu-west-1' }), p);
      },
      'unsigned-payload': async () => {
        const p = JSON.stringify(good);
        return send({ ...(await signedHeaders(p, { key: KEY })), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, p);
      },
      'presigned-query': async () => {
        const p = JSON.stringify(good);
        return send(
          await signedHeaders(p, { key: KEY }),
          p,
          `/v1/ask?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${KEY.accessKeyId}&X-Amz-Signature=00`,
        );
      },
      'foreign-tenant-for-scoped-key': async () => {
        const p = JSON.stringify({ ...who(domain.scopedKey.foreign), question: QUESTION });
        return send(await signedHeaders(p, { key: domain.scopedKey.key }), p);
      },
    };
    const expected: Record<(typeof REQUEST_CASE_IDS)[number], [number, string]> = {
      'swapped-tenant-after-signing': [401, 'SP_ERR_BODY_HASH_MISMATCH'],
      'swapped-business-after-signing': [401, 'SP_ERR_BODY_HASH_MISMATCH'],
      'swapped-admin-after-signing': [401, 'SP_ERR_SIGNATURE_MISMATCH'],
      replayed: [401, 'SP_ERR_SIGNATURE_REPLAY'],
      expired: [401, 'SP_ERR_SIGNATURE_EXPIRED'],
      'from-the-future': [401, 'SP_ERR_SIGNATURE_EXPIRED'],
      'body-appended-after-signing': [401, 'SP_ERR_BODY_HASH_MISMATCH'],
      'duplicated-tenant-key': [400, 'SP_ERR_DUPLICATE_KEY'],
      'id-with-sql': [400, 'SP_ERR_ID_FORMAT'],
      'id-as-float-string': [400, 'SP_ERR_ID_FORMAT'],
      'id-as-number': [400, 'SP_ERR_ID_FORMAT'],
      'id-as-array': [400, 'SP_ERR_ID_FORMAT'],
      'wrong-region': [401, 'SP_ERR_CREDENTIAL_SCOPE'],
      'unsigned-payload': [401, 'SP_ERR_UNSIGNED_PAYLOAD'],
      'presigned-query': [401, 'SP_ERR_PRESIGNED_NOT_ALLOWED'],
      'foreign-tenant-for-scoped-key': [403, 'SP_ERR_TENANT_NOT_ALLOWED'],
    };

    let policyCalls = 0;
    it.each(REQUEST_CASE_IDS.map((id) => [id]))('%s', async (id) => {
      const decide = svc.services.policy.decide.bind(svc.services.policy);
      policyCalls = 0;
      svc.services.policy.decide = async (...a) => {
        policyCalls++;
        return decide.apply(svc.services.policy, a);
      };
      try {
        const res = await cases[id]();
        expect([res.statusCode, res.json().code]).toEqual(expected[id]);
        expect(policyCalls).toBe(0);
      } finally {
        svc.services.policy.decide = decide;
      }
    });
  });
}

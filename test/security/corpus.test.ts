/**
 * Runs the attack corpus through the real pipeline. Candidates are injected
 * as if the model wrote them (a hostile generator); requests are tampered at
 * the HTTP level. Every case must end as expected, no response may carry a
 * row or a value outside the franchise owner's scope (checked against the
 * physical sandbox), no file is read (the canary never appears), and the
 * service still answers correctly afterwards.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Generator } from '../../src/generate/generator.js';
import { ask, DEMO_KEY, FRANCHISE_OWNER, OTHER_TENANT_ADMIN, signedHeaders, startTestService, TENANT12_KEY, type TestService } from '../support/harness.js';
import { CANARY, CANDIDATE_CASES, REQUEST_CASE_IDS, type CandidateCase } from './corpus.js';
import { buildPhysicalSandbox, normalise, PERSONAS, type PhysicalSandbox } from './physical-sandbox.js';

let svc: TestService;
let physical: PhysicalSandbox;
let candidate = '';
const bodies: string[] = [];
const QUESTION = 'What was the total sales amount last week?';
const ROW_CAP = 1000;

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
  svc = await startTestService({ generator: hostile }, { warehouse: { duckdb: { path: inject('demoDb'), threads: 2 }, queryTimeoutMs: 1000, rowCap: ROW_CAP } });
  physical = await buildPhysicalSandbox(inject('demoDb'), PERSONAS[0]!);
});
afterAll(async () => {
  physical.close();
  await svc.close();
});

async function askWith(sql: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  candidate = sql;
  const res = await ask(svc.app, FRANCHISE_OWNER, QUESTION);
  bodies.push(JSON.stringify({ ...res.body, requestId: undefined }));
  return res;
}

describe('attack corpus: hostile candidates', () => {
  it('has at least 80 cases in every required category', () => {
    expect(CANDIDATE_CASES.length + REQUEST_CASE_IDS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CANDIDATE_CASES.map((c) => c.id)).size).toBe(CANDIDATE_CASES.length);
    expect(new Set(CANDIDATE_CASES.map((c) => c.category)).size).toBe(13);
  });

  it.each(CANDIDATE_CASES.map((c) => [c.category, c.id, c] as const))('%s: %s', async (_cat, _id, c: CandidateCase) => {
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
      const oracle = await physical.run(String(res.body['sql'] ?? c.sql), ROW_CAP);
      if (!oracle.ok) {
        // The engine refused it on the physical sandbox too: a generic error, no engine text.
        expect(res.statusCode).toBe(502);
        expect(res.body['code']).toBe('SP_ERR_EXECUTION_FAILED');
      } else {
        expect(res.statusCode).toBe(200);
        const cols = (res.body['columns'] as { name: string }[]).map((x) => x.name);
        expect(normalise(cols, res.body['rows'] as never, ROW_CAP)).toEqual(oracle);
      }
    }
  });

  // Out-of-scope IDs may appear where a candidate wrote them as literals (and the per-case oracle
  // proves the rows); these markers can only come from data: the canary file, e-mail addresses
  // (no column the franchise owner sees holds one) and business 544's name.
  it('no response carried the canary file, another tenant, or personal data', () => {
    const all = bodies.join('\n');
    expect(bodies.length).toBeGreaterThanOrEqual(CANDIDATE_CASES.length);
    expect(all).not.toContain(CANARY.token);
    expect(all).not.toMatch(/@example\.com|Harbor Noodle/);
  });

  it('kept serving: ready, and the franchise owner still gets $84,000.00', async () => {
    expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const res = await askWith(`SELECT SUM(net_sales_amount) AS s FROM daily_sales WHERE business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`);
    expect(res.body['rows']).toEqual([['84000.00']]);
  });

  it('a runaway query times out while other requests are answered', async () => {
    candidate = 'SELECT SUM(a.net_sales_amount * b.order_count - c.guest_count) AS n FROM daily_sales a, daily_sales b, daily_sales c';
    // The heavy request must have taken the heavy candidate before the light one is set: how long
    // it takes to get there depends on the machine (a fixed sleep here was a race).
    const heavyTaken = new Promise<void>((resolve) => {
      handedOut = () => resolve();
    });
    const heavy = ask(svc.app, FRANCHISE_OWNER, QUESTION);
    await heavyTaken;
    handedOut = undefined;
    await new Promise((r) => setTimeout(r, 50));
    candidate = `SELECT SUM(net_sales_amount) AS s FROM daily_sales WHERE business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`;
    const light = await ask(svc.app, FRANCHISE_OWNER, QUESTION);
    expect(light.body['rows']).toEqual([['84000.00']]);
    expect((await heavy).body['code']).toBe('SP_ERR_EXECUTION_TIMEOUT');
  });
});

describe('attack corpus: identity tampering', () => {
  const good = { ...FRANCHISE_OWNER, question: QUESTION };
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  const send = (headers: Record<string, string>, payload: string, url = '/v1/ask') =>
    svc.app.inject({ method: 'POST', url, headers, payload });

  const cases: Record<(typeof REQUEST_CASE_IDS)[number], () => Promise<{ statusCode: number; json(): { code: string } }>> = {
    'swapped-tenant-after-signing': async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p), JSON.stringify({ ...good, tenantId: '31' }));
    },
    'swapped-business-after-signing': async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p), JSON.stringify({ ...good, businessId: '544' }));
    },
    'swapped-admin-after-signing': async () => {
      const p = JSON.stringify(good);
      const forged = JSON.stringify({ ...good, adminId: '7001' });
      return send({ ...(await signedHeaders(p)), 'x-amz-content-sha256': sha(forged) }, forged);
    },
    replayed: async () => {
      const p = JSON.stringify(good);
      const h = await signedHeaders(p);
      expect((await send(h, p)).statusCode).toBe(200);
      policyCalls = 0; // only the replay must not reach the policy
      return send(h, p);
    },
    expired: async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p, { date: new Date(Date.now() - 16 * 60_000) }), p);
    },
    'from-the-future': async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p, { date: new Date(Date.now() + 16 * 60_000) }), p);
    },
    'body-appended-after-signing': async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p), `${p} `);
    },
    'duplicated-tenant-key': async () => {
      const p = `{"tenantId":"31","tenantId":"12","businessId":"628","adminId":"7042","question":"${QUESTION}"}`;
      return send(await signedHeaders(p), p);
    },
    'id-with-sql': async () => {
      const p = JSON.stringify({ ...good, businessId: '628 OR 1=1' });
      return send(await signedHeaders(p), p);
    },
    'id-as-float-string': async () => {
      const p = JSON.stringify({ ...good, businessId: '628.0' });
      return send(await signedHeaders(p), p);
    },
    'id-as-number': async () => {
      const p = `{"tenantId":12,"businessId":628.0,"adminId":7042,"question":"${QUESTION}"}`;
      return send(await signedHeaders(p), p);
    },
    'id-as-array': async () => {
      const p = JSON.stringify({ ...good, businessId: ['628', '544'] });
      return send(await signedHeaders(p), p);
    },
    'wrong-region': async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p, { region: 'eu-west-1' }), p);
    },
    'unsigned-payload': async () => {
      const p = JSON.stringify(good);
      return send({ ...(await signedHeaders(p)), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, p);
    },
    'presigned-query': async () => {
      const p = JSON.stringify(good);
      return send(await signedHeaders(p), p, `/v1/ask?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${DEMO_KEY.accessKeyId}&X-Amz-Signature=00`);
    },
    'foreign-tenant-for-scoped-key': async () => {
      const p = JSON.stringify({ ...OTHER_TENANT_ADMIN, question: QUESTION });
      return send(await signedHeaders(p, { key: TENANT12_KEY }), p);
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
    const decide = svc.services.policy.decide;
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

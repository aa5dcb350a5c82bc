/**
 * Peer benchmarks through the service (issue 38): signed questions in, the policy's grant, the
 * benchmark compiler, the answer and its audit event out. The figures are checked against
 * runBenchmark over the same policy decision (src/benchmark/benchmark.test.ts checks runBenchmark
 * against gold computed from the raw tables; eval/benchmarks.yaml checks answers against gold).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchmarkResult } from '../../src/benchmark/benchmark.js';
import type { AuditEvent } from '../../src/audit/audit.js';
import {
  ask,
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  signedHeaders,
  startTestService,
  type TestService,
} from '../support/harness.js';

const OWNER_5 = { tenantId: '12', businessId: '628', adminId: '7043' } as const;
const REGIONAL_DIRECTOR = { tenantId: '12', businessId: '628', adminId: '7101' } as const;
const OCTOBER = { from: '2026-10-01', to: '2026-10-31' };
type Who = { readonly tenantId: string; readonly businessId: string; readonly adminId: string };

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc.close();
});

const eventOf = (requestId: unknown): AuditEvent => {
  const e = svc.auditEvents().find((x) => x.requestId === requestId);
  if (!e) throw new Error(`no audit event for ${String(requestId)}`);
  return e;
};

/** What runBenchmark gives this person over the service's own policy and connector. */
async function direct(
  who: Who,
  measure: string,
  grouping: string,
  period: { from: string; to: string } = OCTOBER,
): Promise<BenchmarkResult[]> {
  const scope = await svc.services.policy.decide({
    ...who,
    role: '',
    accessKeyId: 'K',
    sessionKey: `${who.tenantId}/${who.businessId}/${who.adminId}`,
  });
  return runBenchmark(
    svc.services.connector,
    scope,
    { measure, grouping, ...period },
    {
      catalog: svc.services.deps.catalog,
      today: '2026-11-18',
    },
  );
}

/** A business-wide answer's row for one measure, as the compiler's result gives it. */
const row = (g: BenchmarkResult | undefined, label: string) => [
  label,
  g?.yourUnits,
  g?.yourValue,
  g?.peerAverage,
  g?.peerMedian,
  g?.yourPercentile,
  g?.band,
];

/** POST a question in a conversation. */
async function askIn(who: Who, question: string, conversationId?: string) {
  const payload = JSON.stringify({ ...who, question, ...(conversationId ? { conversationId } : {}) });
  const res = await svc.app.inject({ method: 'POST', url: '/v1/ask', headers: await signedHeaders(payload), payload });
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
}

describe('a franchise owner compares with peers', () => {
  it('per state: one row per released state, equal to the compiler run directly; refused states said, not shown', async () => {
    const res = await ask(svc.app, OWNER_5, 'how does my revenue compare with other stores in my state in October?');
    expect(res.statusCode).toBe(200);
    expect(res.body['status']).toBe('answered');
    expect(res.body['provenance']).toBe('benchmark');
    const want = await direct(OWNER_5, 'net_sales_amount', 'state');
    const released = want.filter((g) => g.released);
    expect(released.map((g) => g.group)).toEqual(['AZ', 'TX']);
    expect(res.body['rows']).toEqual(
      released.map((g) => [
        g.group,
        'sales amount',
        g.yourUnits,
        g.yourValue,
        g.peerAverage,
        g.peerMedian,
        g.yourPercentile,
        g.band,
      ]),
    );
    const answer = String(res.body['answer']);
    for (const g of want.filter((x) => !x.released)) expect(answer).toContain(`In ${g.group}: no comparison`);
    expect(answer).toMatch(/at least 10 of them/);
    // The audit event: what was compared, k, each group's release, band or rule; no figure.
    const e = eventOf(res.body['requestId']);
    expect(e.provenance).toBe('benchmark');
    expect(e.outcome).toBe('answered');
    expect(e.benchmark).toMatchObject({
      measures: ['net_sales_amount'],
      grouping: 'state',
      ...OCTOBER,
      k: 10,
      includeSelf: false,
    });
    expect(e.benchmark?.groups).toEqual(
      want.map((g) => ({
        measure: 'net_sales_amount',
        group: g.group,
        released: g.released,
        ...(g.released ? { band: g.band } : { rule: 'under_k' }),
      })),
    );
    const text = JSON.stringify(e);
    for (const g of released) expect(text).not.toContain(String(g.peerAverage));
    expect(e.sql).toMatch(/sp_benchmark/);
    expect(e.sql).not.toMatch(/'(12|628|7043)'/);
  });

  it('business-wide, the month read as the last whole one; asked again: served from the answer cache, the same rows', async () => {
    const first = await ask(svc.app, FRANCHISE_OWNER, 'how do my orders compare with other stores?');
    expect(first.body['status']).toBe('answered');
    const [g] = await direct(FRANCHISE_OWNER, 'order_count', 'business');
    expect(first.body['rows']).toEqual([row(g, 'sales count')]);
    expect(String(first.body['answer'])).toMatch(/^October 2026 \(the last whole month\): Your 2 stores averaged/);
    const again = await ask(svc.app, FRANCHISE_OWNER, 'how do my orders compare with other stores?');
    expect(again.body['rows']).toEqual(first.body['rows']);
    expect(eventOf(first.body['requestId']).cache).toBe('miss');
    expect(eventOf(again.body['requestId']).cache).toBe('hit');
    // Another owner's identical question binds other units: read by the warehouse, not the first one's entry.
    const other = await ask(svc.app, OWNER_5, 'how do my orders compare with other stores?');
    expect(eventOf(other.body['requestId']).cache).toBe('miss');
    expect(other.body['rows']).not.toEqual(first.body['rows']);
  });

  it('7042 per state: Illinois has fewer than k peers, nothing is released, the answer says why (a refusal, not an error)', async () => {
    const res = await ask(svc.app, FRANCHISE_OWNER, 'how do my orders compare with other stores in my state');
    expect(res.statusCode).toBe(200);
    expect(res.body['status']).toBe('unsupported');
    expect(res.body['rows']).toEqual([]);
    expect(String(res.body['answer'])).toContain('In IL: no comparison of sales count. Not shown: fewer than 10 peers');
    const e = eventOf(res.body['requestId']);
    expect(e.benchmark?.groups).toEqual([{ measure: 'order_count', group: 'IL', released: false, rule: 'under_k' }]);
  });

  it('a group the question names: that group only; one of no unit of theirs is refused naming their own groups', async () => {
    const tx = await ask(
      svc.app,
      OWNER_5,
      'how does revenue at my stores stack up against other stores in Texas in October',
    );
    expect((tx.body['rows'] as unknown[][]).map((r) => r[0])).toEqual(['TX']);
    const il = await ask(svc.app, OWNER_5, 'revenue vs the average store in Illinois for October');
    expect(il.body['status']).toBe('unsupported');
    expect(String(il.body['answer'])).toBe(
      'You have no stores in Illinois: a comparison with peers is made within the states of your own stores (AZ, GA, KY, TX, WA).',
    );
  });

  it('"sales" is asked back; the reply completes the question as a benchmark of the measure chosen', async () => {
    const asked = await askIn(OWNER_5, 'how do my sales compare with the brand average in October');
    expect(asked.body['status']).toBe('clarification');
    const reply = await askIn(OWNER_5, 'the sales amount', String(asked.body['conversationId']));
    expect(reply.body['status']).toBe('answered');
    expect(reply.body['provenance']).toBe('benchmark');
    const [g] = await direct(OWNER_5, 'net_sales_amount', 'business');
    expect((reply.body['rows'] as unknown[][])[0]).toEqual(row(g, 'sales amount'));
  });

  it('follow-ups change the month, the measure or the grouping; one that narrows is never answered with a number', async () => {
    const first = await askIn(OWNER_5, 'how do my orders compare with other stores in October');
    const id = String(first.body['conversationId']);
    const september = await askIn(OWNER_5, 'and in September?', id);
    expect(september.body['status']).toBe('answered');
    const [sep] = await direct(OWNER_5, 'order_count', 'business', { from: '2026-09-01', to: '2026-09-30' });
    expect(september.body['rows']).toEqual([row(sep, 'sales count')]);
    const revenue = await askIn(OWNER_5, 'what about revenue?', id);
    const [rev] = await direct(OWNER_5, 'net_sales_amount', 'business', { from: '2026-09-01', to: '2026-09-30' });
    expect(revenue.body['rows']).toEqual([row(rev, 'sales amount')]);
    const byState = await askIn(OWNER_5, 'and by state?', id);
    const states = (
      await direct(OWNER_5, 'net_sales_amount', 'state', { from: '2026-09-01', to: '2026-09-30' })
    ).filter((g) => g.released);
    expect((byState.body['rows'] as unknown[][]).map((r) => r[0])).toEqual(states.map((g) => g.group));
    const weekends = await askIn(OWNER_5, 'and on weekends?', id);
    expect(weekends.body['status']).not.toBe('answered');
  });

  it('a week is asked back with the months that can be compared', async () => {
    const res = await ask(svc.app, OWNER_5, 'revenue vs the brand average last week');
    expect(res.body['status']).toBe('clarification');
    expect((res.body['choices'] as { label: string }[]).map((c) => c.label)).toEqual([
      'October 2026',
      'September 2026',
    ]);
  });
});

describe('no grant, no benchmark', () => {
  it('the brand manager (no benchmark grant): 403 SP_ERR_BENCHMARK_NOT_GRANTED, audited, nothing run', async () => {
    const res = await ask(svc.app, BRAND_MANAGER, 'how do we compare with the brand average on revenue');
    expect(res.statusCode).toBe(403);
    expect(res.body['code']).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    const e = eventOf(res.body['requestId']);
    expect(e.errorCode).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(e.layers['execute']).toBeUndefined();
    expect(e.sql).toBeUndefined();
  });

  it('the regional director may compare per state only: business-wide is 403 naming the grouping', async () => {
    const res = await ask(svc.app, REGIONAL_DIRECTOR, 'revenue compared with the brand average in October');
    expect(res.statusCode).toBe(403);
    expect(res.body['reason']).toBe(
      'Your access does not include comparing the sales amount with peers across the whole business.',
    );
    const byState = await ask(svc.app, REGIONAL_DIRECTOR, 'revenue vs other stores in my state in October');
    expect(byState.statusCode).toBe(200);
    expect(eventOf(byState.body['requestId']).benchmark?.grouping).toBe('state');
  });
});

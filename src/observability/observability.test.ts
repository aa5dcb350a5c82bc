/** Anomaly rules, each triggered; metrics and anomaly events through the running service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, FRANCHISE_OWNER, startTestService, type TestService } from '../../test/support/harness.js';
import type { AuditEvent } from '../audit/audit.js';
import { AnomalyDetector } from './anomaly.js';

const T = { guardRejections: 3, guardWindowMs: 60_000, scopeGrowthFactor: 10, requestsPerMinute: 5 };
const base: AuditEvent = {
  time: 't',
  requestId: 'r',
  identity: { tenantId: '12', businessId: '628', adminId: '7042', verified: true },
  layers: { identity: 'ok' },
  outcome: 'answered',
  statusCode: 200,
  latencyMs: 1,
};

describe('AnomalyDetector', () => {
  it('flags a question that names IDs outside the scope', () => {
    const d = new AnomalyDetector(T);
    expect(d.observe({ ...base, outOfScopeReferences: [{ kind: 'business', id: '544' }] })).toEqual([
      { rule: 'out_of_scope_reference', detail: 'business 544' },
    ]);
  });

  it('flags repeated guard rejections from one admin, once per threshold crossing', () => {
    let now = 0;
    const d = new AnomalyDetector(T, () => now);
    const rejected = {
      ...base,
      layers: { guard: 'SP_ERR_GUARD_UNKNOWN_RELATION' },
      errorCode: 'SP_ERR_GUARD_UNKNOWN_RELATION',
      statusCode: 422,
      outcome: 'rejected' as const,
    };
    expect(d.observe(rejected)).toEqual([]);
    expect(d.observe(rejected)).toEqual([]);
    expect(d.observe(rejected).map((a) => a.rule)).toEqual(['repeated_guard_rejections']);
    now = 120_000; // outside the window: counting starts again
    expect(d.observe(rejected)).toEqual([]);
  });

  it('flags an admin whose scope jumps from 2 locations to 200', () => {
    const d = new AnomalyDetector(T);
    expect(d.observe({ ...base, scope: { locations: 2, tables: [] } })).toEqual([]);
    expect(d.observe({ ...base, scope: { locations: 3, tables: [] } })).toEqual([]);
    expect(d.observe({ ...base, scope: { locations: 200, tables: [] } })).toEqual([
      { rule: 'scope_growth', detail: 'scope grew from 2 to 200 locations' },
    ]);
  });

  it('flags a request-rate spike', () => {
    const d = new AnomalyDetector(T);
    const rules = Array.from({ length: 7 }, () => d.observe(base).map((a) => a.rule)).flat();
    expect(rules).toEqual(['request_rate_spike']);
  });
});

describe('through the service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { anomaly: { guardRejections: 2 } });
  });
  afterAll(async () => {
    await svc.close();
  });

  it('writes anomaly events to the audit trail and counts them in /metrics', async () => {
    const res = await ask(svc.app, FRANCHISE_OWNER, 'total sales amount last quarter for business 544');
    const events = svc.auditEvents().filter((e) => e.requestId === res.body['requestId']);
    expect(events.map((e) => e.outcome)).toEqual(['rejected', 'anomaly']);
    expect(events[1]?.anomaly).toEqual({ rule: 'out_of_scope_reference', detail: 'business 544' });
    const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/splitplane_anomalies_total\{rule="out_of_scope_reference"\} 1/);
    expect(metrics).toMatch(
      /splitplane_rejections_total\{layer="intent",code="SP_ERR_OUT_OF_SCOPE_REFERENCE"\} 1|splitplane_requests_total\{outcome="rejected",status="403"\} 1/,
    );
    // No identity in any label: codes and layer names only.
    expect(metrics).not.toMatch(/\{[^}]*(tenant|business|admin)[^}]*\}/);
  });
});

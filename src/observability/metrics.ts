/**
 * Prometheus metrics and the audit decorator that feeds them. Every request
 * already produces one audit event, so counting events counts requests by
 * outcome and by the layer that stopped them; anomalies found on the event
 * are appended as audit events of their own. Labels carry codes and layer
 * names only, never tenant, business or admin IDs.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent, AuditSink } from '../audit/audit.js';
import type { AnomalyDetector } from './anomaly.js';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'splitplane_requests_total',
    help: 'Requests by outcome and HTTP status.',
    labelNames: ['outcome', 'status'] as const,
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: 'splitplane_rejections_total',
    help: 'Requests stopped, by layer and stable code.',
    labelNames: ['layer', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'splitplane_request_duration_seconds',
    help: 'Time from receipt to audit, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly unaudited = new Counter({
    name: 'splitplane_unaudited_total',
    help: 'Requests refused before identity (unknown route, bad media type, body too large, an address over its failure limit): logged and counted, not in the audit chain.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly anomalies = new Counter({
    name: 'splitplane_anomalies_total',
    help: 'Anomaly rule hits.',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'splitplane_process_' });
  }
}

/** An AuditSink that also counts, and writes an anomaly event after any request that triggers a rule. */
export function observedSink(inner: AuditSink, metrics: Metrics, detector: AnomalyDetector): AuditSink {
  return {
    check: () => inner.check(),
    async append(event: AuditEvent): Promise<void> {
      await inner.append(event);
      if (event.outcome === 'anomaly') return;
      metrics.requests.inc({ outcome: event.outcome, status: String(event.statusCode) });
      metrics.latency.observe({ outcome: event.outcome }, event.latencyMs / 1000);
      const stopped = Object.entries(event.layers).filter(([, result]) => result.startsWith('SP_ERR_'));
      for (const [layer, result] of stopped) metrics.rejections.inc({ layer, code: result });
      // A denial between stages (a question naming another's store) is counted too.
      if (event.errorCode && !stopped.some(([, r]) => r === event.errorCode))
        metrics.rejections.inc({ layer: 'request', code: event.errorCode });
      for (const a of detector.observe(event)) {
        metrics.anomalies.inc({ rule: a.rule });
        await inner.append({
          time: new Date().toISOString(),
          requestId: event.requestId,
          identity: event.identity,
          layers: {},
          outcome: 'anomaly',
          statusCode: event.statusCode,
          anomaly: a,
          latencyMs: 0,
        });
      }
    },
  };
}

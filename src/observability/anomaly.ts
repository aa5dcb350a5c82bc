/**
 * Anomaly rules, evaluated on every request's audit event. Each hit becomes an
 * audit event of its own (outcome "anomaly") and a counter. Thresholds come
 * from configuration. State is in memory, per instance.
 *
 * - out_of_scope_reference: the question named IDs outside the caller's scope.
 * - repeated_guard_rejections: one admin's SQL was rejected by the guard N times within the window.
 * - scope_growth: an admin's scope grew far beyond the first size seen (2 locations yesterday, 200 today).
 * - request_rate_spike: one admin sent more than N requests within a minute.
 */
import { unitCountOf, type AuditEvent } from '../audit/audit.js';

/** Thresholds (config `anomaly`). */
export interface AnomalyThresholds {
  readonly guardRejections: number;
  readonly guardWindowMs: number;
  /** Growth factor over the baseline that counts as anomalous, e.g. 10 (2 -> 20+). */
  readonly scopeGrowthFactor: number;
  readonly requestsPerMinute: number;
}

export interface Anomaly {
  readonly rule: 'out_of_scope_reference' | 'repeated_guard_rejections' | 'scope_growth' | 'request_rate_spike';
  readonly detail: string;
}

export class AnomalyDetector {
  readonly #guard = new Map<string, number[]>();
  readonly #rate = new Map<string, number[]>();
  readonly #baseline = new Map<string, number>();

  constructor(
    private readonly t: AnomalyThresholds,
    private readonly now: () => number = Date.now,
  ) {}

  observe(ev: AuditEvent): Anomaly[] {
    const found: Anomaly[] = [];
    const who = ev.identity.verified
      ? `${ev.identity.tenantId}/${ev.identity.businessId}/${ev.identity.adminId}`
      : undefined;
    if (ev.outOfScopeReferences?.length) {
      found.push({
        rule: 'out_of_scope_reference',
        detail: ev.outOfScopeReferences.map((r) => `${r.kind} ${r.id}`).join(', '),
      });
    }
    if (!who) return found;
    const now = this.now();
    if (
      ev.errorCode?.startsWith('SP_ERR_GUARD_') ||
      Object.values(ev.layers).some((v) => v.startsWith('SP_ERR_GUARD_'))
    ) {
      const hits = recent(this.#guard, who, now, this.t.guardWindowMs);
      if (hits === this.t.guardRejections)
        found.push({
          rule: 'repeated_guard_rejections',
          detail: `${hits} guard rejections within ${this.t.guardWindowMs / 1000} s`,
        });
    }
    if (ev.scope) {
      const base = this.#baseline.get(who);
      const units = unitCountOf(ev.scope);
      if (units === undefined) {
        // nothing to compare
      } else if (base === undefined) this.#baseline.set(who, units.count);
      else if (units.count > Math.max(1, base) * this.t.scopeGrowthFactor) {
        found.push({ rule: 'scope_growth', detail: `scope grew from ${base} to ${units.count} ${units.plural}` });
        this.#baseline.set(who, units.count);
      }
    }
    const perMinute = recent(this.#rate, who, now, 60_000);
    if (perMinute === this.t.requestsPerMinute + 1)
      found.push({ rule: 'request_rate_spike', detail: `more than ${this.t.requestsPerMinute} requests in a minute` });
    return found;
  }
}

/** Record a hit at `now` for `key` and return how many fall within the window. Bounded per key. */
function recent(map: Map<string, number[]>, key: string, now: number, windowMs: number): number {
  const xs = (map.get(key) ?? []).filter((t) => now - t < windowMs);
  xs.push(now);
  if (xs.length > 10_000) xs.shift();
  map.set(key, xs);
  if (map.size > 100_000) map.delete(map.keys().next().value as string);
  return xs.length;
}

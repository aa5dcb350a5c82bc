/**
 * One request's trace, and the one place its audit event is built: every
 * route (ask, feedback, the requests that never reach one) starts a trace,
 * runs its stages through `stage`, notes what it learned, and ends in
 * `audited` (audited.ts), which records the event before the answer leaves (fails closed).
 *
 * The stages, in the order a question meets them, with the layer each belongs
 * to (the README's table, the error registry and docs/architecture.md use the
 * same names and numbers):
 */
import { asSplitplaneError } from '../errors.js';
import type { AuditEvent, LayerOutcome } from './audit.js';

export const STAGES = Object.freeze({
  /** Layer 1: the SigV4 signature and the registered admin it may act for. */
  identity: 1,
  /** Layer 1: rate limits, keyed on the verified identity. */
  limits: 1,
  /** Layer 2: the question read against the catalog (and, second pass, the caller's own values). */
  intent: 2,
  /** Layer 2: the caller's nameable values, read through the guard over their sandbox. */
  values: 2,
  /** Layer 3: the Rego decision, the caller's scope. */
  policy: 3,
  /** Layer 3: the pre-filtered CTEs built from the scope. */
  sandbox: 3,
  /** Layer 3: SQL over the sandbox (the compiler, or a model). */
  generate: 3,
  /** Layer 3: the guard, ending with the engine's own reading of the final text. */
  guard: 3,
  /** Layer 3: the locked-down engine runs the final text. */
  execute: 3,
  /** /v1/feedback: the rating stored against the caller's own answer. */
  feedback: 1,
} as const);

export type Stage = keyof typeof STAGES;

/** What a route may note about its request (the trace sets time, layers, outcome, status and latency). */
export type EventFacts = Partial<
  Omit<AuditEvent, 'time' | 'requestId' | 'layers' | 'stageMs' | 'outcome' | 'statusCode' | 'latencyMs'>
>;

/** A route's result: an HTTP status and a body (`status` for an answer, `code` for an error). */
export interface RouteResult {
  readonly statusCode: number;
  readonly body: { readonly status?: string; readonly code?: string } | object;
}

export class RequestTrace {
  readonly requestId: string;
  readonly #started = performance.now();
  readonly #layers = new Map<string, LayerOutcome>();
  readonly #stageMs: Record<string, number> = {};
  #facts: EventFacts;

  constructor(
    requestId: string,
    identity: AuditEvent['identity'] = { verified: false },
    request?: { readonly url: string; readonly clientAddress?: string | undefined },
  ) {
    this.requestId = requestId;
    this.#facts = {
      identity,
      ...(request ? { path: request.url.split('?')[0]! } : {}),
      ...(request?.clientAddress ? { clientAddress: request.clientAddress } : {}),
    };
  }

  /**
   * Run one stage. Its outcome is `ok` (or what `outcome` makes of the value), or the stable code of
   * what it threw, which is thrown on; its time adds to the stage's total. Deny by default: a stage
   * that throws ends the request, unless its caller catches (a model's repair round).
   */
  async stage<T>(name: Stage, run: () => T | Promise<T>, outcome?: (value: T) => LayerOutcome): Promise<T> {
    const t0 = performance.now();
    try {
      const value = await run();
      this.#layers.set(name, outcome ? outcome(value) : 'ok');
      return value;
    } catch (err) {
      const e = asSplitplaneError(err);
      this.#layers.set(name, e.code);
      throw e;
    } finally {
      this.#stageMs[name] = round((this.#stageMs[name] ?? 0) + performance.now() - t0);
    }
  }

  /** Record an outcome that is not a stage's own (a model's rejected first round). */
  mark(layer: string, outcome: LayerOutcome): void {
    this.#layers.set(layer, outcome);
  }

  /** Forget a stage's outcome (a round to be run again). */
  unmark(layer: string): void {
    this.#layers.delete(layer);
  }

  /** Note facts for the event; later notes of the same field replace earlier ones. */
  note(facts: EventFacts): void {
    this.#facts = { ...this.#facts, ...facts };
  }

  /** The request's one event, for `result`. */
  event(result: RouteResult): AuditEvent {
    const body = result.body as { status?: string; code?: string };
    const answered = body.status === 'answered' || body.status === 'clarification' || body.status === 'unsupported';
    return {
      ...this.#facts,
      identity: this.#facts.identity ?? { verified: false },
      ...(body.code !== undefined ? { errorCode: body.code } : {}),
      requestId: this.requestId,
      time: new Date().toISOString(),
      layers: Object.fromEntries(this.#layers),
      stageMs: { ...this.#stageMs },
      outcome: answered
        ? (body.status as 'answered')
        : body.status === 'recorded'
          ? 'answered'
          : result.statusCode >= 500
            ? 'error'
            : 'rejected',
      statusCode: result.statusCode,
      latencyMs: round(performance.now() - this.#started),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

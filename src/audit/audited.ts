/**
 * The one audited entry. Every request that reaches identity runs through here: /v1/ask, /v1/feedback,
 * the MCP door and each MCP tool. `audited` runs the request under its trace; whatever it throws
 * becomes the error's stable body (logged with its code and cause); the request's one audit event is
 * recorded before the answer leaves, and when that event cannot be written the answer becomes a 503
 * and the failure is logged, the same way for every entry. `requestDeadline` is the one deadline rule.
 */
import { asSplitplaneError, SplitplaneError, type ErrorBody } from '../errors.js';
import { describeCause } from '../util/cause.js';
import type { AuditSink } from './audit.js';
import type { RequestTrace, RouteResult } from './trace.js';

export interface AuditedDeps {
  readonly audit: AuditSink;
  readonly log: (msg: string, detail: Record<string, unknown>) => void;
}

/** A refused request: the error's status, its stable body, and `Retry-After` when it has one. */
export interface Refusal {
  readonly statusCode: number;
  readonly body: ErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Run one request and record its audit event. `asEvent` says how the event reads a result whose body
 * is not an answer of the service's own (an MCP tool's output: answered when its status is 200).
 */
export async function audited<R extends RouteResult>(
  trace: RequestTrace,
  deps: AuditedDeps,
  run: () => Promise<R>,
  asEvent?: (result: R) => RouteResult,
): Promise<R | Refusal> {
  let result: R | Refusal;
  try {
    result = await run();
  } catch (err) {
    result = refusal(trace, deps, err);
  }
  const event = trace.event(asEvent && !isRefusal(result) ? asEvent(result) : result);
  try {
    await deps.audit.append(event);
    return result;
  } catch (cause) {
    deps.log('audit write failed', { requestId: trace.requestId, cause: describeCause(cause) });
    const e = new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE', { cause });
    return { statusCode: e.statusCode, body: e.toBody(trace.requestId) };
  }
}

/** Record the audit event of a request refused before it could run (the MCP door), and hand back its refusal. */
export async function auditedRefusal(trace: RequestTrace, deps: AuditedDeps, err: SplitplaneError): Promise<Refusal> {
  return audited<never>(trace, deps, () => Promise.reject(err));
}

/**
 * The one deadline of a request that may reach the warehouse: the engine's own timeout for the
 * query, and as much again for the rest (values, a model's rounds, the policy, the guard), plus a
 * fixed margin. A deadline never ends a query early: the engine's own timeout comes first.
 */
export function requestDeadline(limits: { readonly timeoutMs: number }): AbortSignal {
  return AbortSignal.timeout(limits.timeoutMs * 3 + 30_000);
}

function refusal(trace: RequestTrace, deps: AuditedDeps, err: unknown): Refusal {
  const e = asSplitplaneError(err);
  deps.log('request failed', {
    requestId: trace.requestId,
    code: e.code,
    detail: e.message,
    cause: describeCause(e.cause),
  });
  return {
    statusCode: e.statusCode,
    body: e.toBody(trace.requestId),
    ...(e.retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(e.retryAfterSeconds) } }),
  };
}

function isRefusal(r: RouteResult): r is Refusal {
  return 'code' in r.body && typeof (r.body as { code?: unknown }).code === 'string';
}

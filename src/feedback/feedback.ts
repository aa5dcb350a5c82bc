/**
 * Feedback: POST /v1/feedback, signed like /v1/ask, with the same three IDs
 * plus {requestId, rating: "up"|"down", comment?}. It is accepted only from
 * the verified identity that made the request, and stored as JSON lines.
 * Well-rated question -> SQL pairs become examples for the model, offered only
 * to users of the same tenant and business whose scope covers the example's
 * (its author's locations are a subset of the asker's).
 */
import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { markStoppedLayers, recordOrFailClosed, type AuditEvent, type AuditSink } from '../audit/audit.js';
import { asSplitplaneError, SplitplaneError, type ErrorBody } from '../errors.js';
import { ID_PATTERN, parseStrictJson } from '../identity/ask-body.js';
import type { Directory } from '../identity/directory.js';
import { authenticateWith } from '../identity/identity.js';
import type { ReceivedRequest, VerifierOptions } from '../identity/sigv4.js';
import type { Scope } from '../policy/scope.js';

const id = z.string().regex(ID_PATTERN);
const FeedbackBody = z
  .object({
    tenantId: id,
    businessId: id,
    adminId: id,
    requestId: z.string().uuid(),
    rating: z.enum(['up', 'down']),
    comment: z.string().max(1_000).optional(),
  })
  .strict();
type FeedbackBody = z.infer<typeof FeedbackBody>;

/** An answered request, remembered so its feedback can be checked and turned into an example. */
interface Answered {
  readonly sessionKey: string;
  readonly tenantId: string;
  readonly businessId: string;
  readonly locations: readonly string[];
  readonly question: string;
  readonly sql: string;
}

/** A well-rated example for the model. */
export interface Example {
  readonly question: string;
  readonly sql: string;
}

export class FeedbackStore {
  readonly #answered = new Map<string, Answered>();
  readonly #examples: (Answered & { readonly requestId: string })[] = [];

  constructor(
    private readonly file: string,
    private readonly maxRemembered = 50_000,
    private readonly maxExamples = 1_000,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Called by the pipeline for every answered request. */
  remember(requestId: string, sessionKey: string, scope: Scope, question: string, sql: string): void {
    this.#answered.set(requestId, { sessionKey, tenantId: scope.tenantId, businessId: scope.businessId, locations: scope.locations, question, sql });
    if (this.#answered.size > this.maxRemembered) this.#answered.delete(this.#answered.keys().next().value as string);
  }

  /** Store a rating from `sessionKey` for `requestId`; throws when the request is unknown or not theirs. */
  async rate(sessionKey: string, body: FeedbackBody): Promise<void> {
    const a = this.#answered.get(body.requestId);
    if (!a) throw new SplitplaneError('SP_ERR_FEEDBACK_UNKNOWN_REQUEST');
    if (a.sessionKey !== sessionKey) throw new SplitplaneError('SP_ERR_FEEDBACK_FORBIDDEN');
    const record = { time: new Date().toISOString(), requestId: body.requestId, sessionKey, rating: body.rating, comment: body.comment ?? null, question: a.question, sql: a.sql };
    await appendFile(this.file, `${JSON.stringify(record)}\n`, { encoding: 'utf8', mode: 0o600 });
    if (body.rating === 'up' && !this.#examples.some((e) => e.requestId === body.requestId)) {
      this.#examples.push({ ...a, requestId: body.requestId });
      if (this.#examples.length > this.maxExamples) this.#examples.shift();
    }
  }

  /** Examples for a scope: same tenant and business, and the author's locations all inside this scope. */
  examplesFor(scope: Scope, limit = 3): Example[] {
    const mine = new Set(scope.locations);
    return this.#examples
      .filter((e) => e.tenantId === scope.tenantId && e.businessId === scope.businessId && e.locations.every((l) => mine.has(l)))
      .slice(-limit)
      .map((e) => ({ question: e.question, sql: e.sql }));
  }
}

function parseFeedbackBody(raw: Buffer): FeedbackBody {
  const parsed = FeedbackBody.safeParse(parseStrictJson(raw));
  if (!parsed.success) {
    const idIssue = parsed.error.issues.some((i) => ['tenantId', 'businessId', 'adminId'].includes(String(i.path[0])));
    throw new SplitplaneError(idIssue ? 'SP_ERR_ID_FORMAT' : 'SP_ERR_BAD_REQUEST');
  }
  return parsed.data;
}

/** Everything the feedback route needs. */
export interface FeedbackDeps {
  readonly verifier: VerifierOptions;
  readonly directory: () => Directory;
  readonly feedback: FeedbackStore;
  readonly audit: AuditSink;
}

/** Handle one /v1/feedback request: layer 1, the ownership check, the store, and its audit event. */
export async function runFeedback(req: ReceivedRequest, requestId: string, deps: FeedbackDeps): Promise<{ statusCode: number; body: { requestId: string; status: 'recorded' } | ErrorBody }> {
  const started = performance.now();
  let identity: AuditEvent['identity'] = { verified: false };
  let result: { statusCode: number; body: { requestId: string; status: 'recorded' } | ErrorBody };
  const layers: Record<string, string> = { identity: 'rejected' };
  try {
    const auth = await authenticateWith(req, deps.verifier, deps.directory(), parseFeedbackBody);
    layers['identity'] = 'ok';
    identity = { tenantId: auth.identity.tenantId, businessId: auth.identity.businessId, adminId: auth.identity.adminId, accessKeyId: auth.identity.accessKeyId, verified: true };
    layers['feedback'] = 'rejected';
    await deps.feedback.rate(auth.identity.sessionKey, auth.body);
    layers['feedback'] = 'ok';
    result = { statusCode: 200, body: { requestId, status: 'recorded' } };
  } catch (err) {
    const e = asSplitplaneError(err);
    markStoppedLayers(layers, e.code);
    result = { statusCode: e.statusCode, body: e.toBody(requestId) };
  }
  return recordOrFailClosed(
    deps.audit,
    {
      time: new Date().toISOString(),
      requestId,
      identity,
      layers,
      outcome: result.statusCode === 200 ? 'answered' : result.statusCode >= 500 ? 'error' : 'rejected',
      statusCode: result.statusCode,
      ...('code' in result.body ? { errorCode: result.body.code } : {}),
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    },
    result,
    () => {},
  );
}

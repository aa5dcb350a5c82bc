/**
 * Feedback: POST /v1/feedback, signed like /v1/ask, with the same three IDs
 * plus {requestId, rating: "up"|"down", comment?}. It is accepted only from
 * the verified identity that made the request, and stored as JSON lines.
 * Well-rated question -> SQL pairs become examples for the model. The words of
 * a question are its asker's: an example is offered only back to the admin who
 * asked and rated it, while their scope still covers the one it was answered
 * in, with e-mail addresses and long numbers (IDs) scrubbed, and only for
 * `retentionDays` after the rating. The file keeps the same window: records
 * older than it are dropped when the store opens.
 *
 * Two stores keep these rules: FileFeedbackStore (here: this process's memory and a JSON-lines
 * file, for one instance) and PostgresFeedbackStore (postgres-feedback.ts: two tables every
 * replica shares, so a request answered by one replica can be rated through another).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { audited, type AuditedDeps } from '../audit/audited.js';
import { RequestTrace } from '../audit/trace.js';
import { SplitplaneError, type ErrorBody } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { parseStrictJson } from '../identity/ask-body.js';
import type { Directory } from '../identity/directory.js';
import { authenticateWith, verifiedIdentity } from '../identity/identity.js';
import type { ReceivedRequest, VerifierOptions } from '../identity/sigv4.js';
import type { Scope } from '../policy/scope.js';

const id = z.string().regex(ID_PATTERN);
const FeedbackBody = z
  .object({
    tenantId: id,
    businessId: id,
    adminId: id,
    requestId: z.uuid(),
    rating: z.enum(['up', 'down']),
    comment: z.string().max(1_000).optional(),
  })
  .strict();
export type FeedbackBody = z.infer<typeof FeedbackBody>;

/** An answered request, remembered so its feedback can be checked and turned into an example. */
interface Answered {
  readonly sessionKey: string;
  readonly tenantId: string;
  readonly businessId: string;
  readonly units: readonly string[];
  readonly question: string;
  readonly sql: string;
}

/** A well-rated example for the model. */
export interface Example {
  readonly question: string;
  readonly sql: string;
}

/** Where answered requests, their ratings and the examples they give are kept. */
export interface FeedbackStore {
  /** Called by the pipeline for every answered request. */
  remember(requestId: string, sessionKey: string, scope: Scope, question: string, sql: string): Promise<void>;
  /**
   * Store a rating from `sessionKey` for `body.requestId`; throws SP_ERR_FEEDBACK_UNKNOWN_REQUEST when
   * the request is unknown, SP_ERR_FEEDBACK_FORBIDDEN when it is not theirs.
   */
  rate(sessionKey: string, body: FeedbackBody): Promise<void>;
  /**
   * Examples for the admin `sessionKey` in `scope`: their own, rated within the retention window,
   * answered in a scope this one still covers (a grant taken away takes its examples with it),
   * scrubbed, at most `limit` (default 3).
   */
  examplesFor(sessionKey: string, scope: Scope, limit?: number): Promise<Example[]>;
}

/** One instance's store: answered requests and examples in memory, ratings appended to a file. */
export class FileFeedbackStore implements FeedbackStore {
  readonly #answered = new Map<string, Answered>();
  readonly #examples: (Answered & { readonly requestId: string; readonly ratedAt: number })[] = [];

  constructor(
    private readonly file: string,
    private readonly maxRemembered = 50_000,
    private readonly maxExamples = 1_000,
    private readonly retentionDays = 30,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    pruneFeedbackFile(file, this.now() - retentionDays * 86_400_000);
  }

  /** Called by the pipeline for every answered request. */
  async remember(requestId: string, sessionKey: string, scope: Scope, question: string, sql: string): Promise<void> {
    this.#answered.set(requestId, {
      sessionKey,
      tenantId: scope.tenantId,
      businessId: scope.businessId,
      units: scope.units,
      question,
      sql,
    });
    if (this.#answered.size > this.maxRemembered) this.#answered.delete(this.#answered.keys().next().value as string);
  }

  /** Store a rating from `sessionKey` for `requestId`; throws when the request is unknown or not theirs. */
  async rate(sessionKey: string, body: FeedbackBody): Promise<void> {
    const a = this.#answered.get(body.requestId);
    if (!a) throw new SplitplaneError('SP_ERR_FEEDBACK_UNKNOWN_REQUEST');
    if (a.sessionKey !== sessionKey) throw new SplitplaneError('SP_ERR_FEEDBACK_FORBIDDEN');
    const record = {
      time: new Date().toISOString(),
      requestId: body.requestId,
      sessionKey,
      rating: body.rating,
      comment: body.comment ?? null,
      question: a.question,
      sql: a.sql,
    };
    await appendFile(this.file, `${JSON.stringify(record)}\n`, { encoding: 'utf8', mode: 0o600 });
    if (body.rating === 'up' && !this.#examples.some((e) => e.requestId === body.requestId)) {
      this.#examples.push({ ...a, requestId: body.requestId, ratedAt: this.now() });
      if (this.#examples.length > this.maxExamples) this.#examples.shift();
    }
  }

  /**
   * Examples for the admin `sessionKey` in `scope`: their own, rated within the retention window,
   * answered in a scope this one still covers (a grant taken away takes its examples with it).
   */
  async examplesFor(sessionKey: string, scope: Scope, limit = 3): Promise<Example[]> {
    const oldest = this.now() - this.retentionDays * 86_400_000;
    while (this.#examples.length > 0 && this.#examples[0]!.ratedAt < oldest) this.#examples.shift();
    const mine = new Set(scope.units);
    return this.#examples
      .filter(
        (e) =>
          e.sessionKey === sessionKey &&
          e.tenantId === scope.tenantId &&
          e.businessId === scope.businessId &&
          e.units.every((l) => mine.has(l)),
      )
      .slice(-limit)
      .map((e) => ({ question: scrub(e.question), sql: scrubEmails(e.sql) }));
  }
}

/**
 * Drop records rated before `oldestMs` from the feedback file (written to a temporary file, then
 * renamed over it, so a crash leaves the old file or the new one). A line that cannot be dated is kept.
 */
export function pruneFeedbackFile(file: string, oldestMs: number): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const kept = lines.filter((line) => {
    try {
      const t = Date.parse(String((JSON.parse(line) as { time?: unknown }).time));
      return Number.isNaN(t) || t >= oldestMs;
    } catch {
      return true;
    }
  });
  if (kept.length === lines.length) return;
  const tmp = `${file}.prune-${process.pid}`;
  writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''), { encoding: 'utf8', mode: 0o600 });
  renameSync(tmp, file);
}

/** E-mail addresses and numbers of five or more digits (IDs, phone numbers) out of an example's question. */
export function scrub(text: string): string {
  return scrubEmails(text).replace(/(?<![\w.])\d{5,}(?![\w.])/g, '[number]');
}

/** E-mail addresses out of an example's SQL (its numbers are the query's own and stay). */
export function scrubEmails(text: string): string {
  return text.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '[email]');
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
export interface FeedbackDeps extends AuditedDeps {
  readonly verifier: VerifierOptions;
  readonly directory: () => Directory;
  readonly feedback: FeedbackStore;
}

/** Handle one /v1/feedback request: layer 1, the ownership check, the store, and its audit event. */
export async function runFeedback(
  req: ReceivedRequest,
  requestId: string,
  deps: FeedbackDeps,
): Promise<{ statusCode: number; body: { requestId: string; status: 'recorded' } | ErrorBody }> {
  const trace = new RequestTrace(requestId, { verified: false }, req);
  return audited(trace, deps, async () => {
    const auth = await trace.stage('identity', () =>
      authenticateWith(req, deps.verifier, deps.directory(), parseFeedbackBody),
    );
    const i = auth.identity;
    trace.note({ identity: verifiedIdentity(i) });
    await trace.stage('feedback', () => deps.feedback.rate(i.sessionKey, auth.body));
    return { statusCode: 200, body: { requestId, status: 'recorded' as const } };
  });
}

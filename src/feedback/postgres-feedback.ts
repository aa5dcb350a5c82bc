/**
 * Feedback in PostgreSQL, shared by every replica: a request answered by one replica can be rated
 * through another, and its example is offered by all of them. Two tables:
 *
 *   - splitplane_feedback_answered: one row per answered request (who asked, the scope it was
 *     answered in, the question and the SQL), written by `remember`;
 *   - splitplane_feedback: one row per rating, insert-only. A person may rate the same answer again:
 *     the latest rating is the one that counts (an "up" then a "down" offers no example); on a tie of
 *     `rated_at`, "down" wins.
 *
 * The rules are the file store's (feedback.ts): a rating only from the identity that asked, examples
 * only back to that identity, within the retention window, while every unit of the answered scope is
 * still in the current scope, scrubbed, at most `limit`. Retention: ratings older than the window,
 * and answered requests older than it that have no rating inside it, are deleted when the store opens
 * and at most once an hour after, by the service's own role (SELECT, INSERT and DELETE; no UPDATE).
 *
 * Failures: `remember` and `examplesFor` never throw (an outage must not fail an answer: they log and
 * return nothing); `rate` throws SP_ERR_FEEDBACK_UNAVAILABLE (503) when PostgreSQL does not answer.
 * Every statement is parameterised; no message carries the connection string.
 */
import pg from 'pg';
import { describePgError } from '../audit/postgres-sink.js';
import { SplitplaneError } from '../errors.js';
import type { Scope } from '../policy/scope.js';
import { scrub, scrubEmails, type Example, type FeedbackBody, type FeedbackStore } from './feedback.js';

export const FEEDBACK_ANSWERED_DDL = `CREATE TABLE IF NOT EXISTS splitplane_feedback_answered (
  request_id UUID PRIMARY KEY,
  session_key TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  business_id TEXT NOT NULL,
  units TEXT[] NOT NULL,
  question TEXT NOT NULL,
  sql TEXT NOT NULL,
  answered_at TIMESTAMPTZ NOT NULL
)`;

export const FEEDBACK_RATINGS_DDL = `CREATE TABLE IF NOT EXISTS splitplane_feedback (
  request_id UUID NOT NULL,
  session_key TEXT NOT NULL,
  rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment TEXT,
  rated_at TIMESTAMPTZ NOT NULL
)`;

/** The indexes the store's statements use (examples by person, the pruning by time). */
export const FEEDBACK_INDEX_DDL: readonly string[] = [
  'CREATE INDEX IF NOT EXISTS splitplane_feedback_answered_at ON splitplane_feedback_answered (answered_at)',
  'CREATE INDEX IF NOT EXISTS splitplane_feedback_by_session ON splitplane_feedback (session_key, rated_at)',
  'CREATE INDEX IF NOT EXISTS splitplane_feedback_by_request ON splitplane_feedback (request_id, rated_at)',
];

/** The role the service connects as (feedback.postgresUrl's user in the demo). */
export const FEEDBACK_ROLE = 'splitplane_feedback';

/**
 * Create the two tables and their indexes, and the LOGIN role `role` with exactly SELECT, INSERT and
 * DELETE on both (anything granted before is revoked first). `owner` is a connection that may create
 * tables and roles (the demo loader's superuser). Safe to run again.
 */
export async function setUpPostgresFeedback(
  owner: { query(text: string): Promise<unknown> },
  role: string = FEEDBACK_ROLE,
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`not a plain role name: ${role}`);
  await owner.query(
    `DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`,
  );
  await owner.query(FEEDBACK_ANSWERED_DDL);
  await owner.query(FEEDBACK_RATINGS_DDL);
  for (const ddl of FEEDBACK_INDEX_DDL) await owner.query(ddl);
  for (const table of ['splitplane_feedback_answered', 'splitplane_feedback']) {
    await owner.query(`REVOKE ALL ON ${table} FROM ${role}`);
    await owner.query(`GRANT SELECT, INSERT, DELETE ON ${table} TO ${role}`);
  }
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const REMEMBER_SQL = `INSERT INTO splitplane_feedback_answered
  (request_id, session_key, tenant_id, business_id, units, question, sql, answered_at)
  VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8)
  ON CONFLICT (request_id) DO NOTHING`;

/**
 * The rating is stored only when the request is known and was asked by the same identity, in one
 * statement; `owner` says which refusal it was otherwise.
 */
const RATE_SQL = `WITH a AS (
    SELECT t.session_key FROM splitplane_feedback_answered AS t
    WHERE t.request_id = $1::uuid AND t.answered_at >= $6::timestamptz
  ), ins AS (
    INSERT INTO splitplane_feedback (request_id, session_key, rating, comment, rated_at)
    SELECT $1::uuid, $2::text, $3::text, $4::text, $5::timestamptz FROM a WHERE a.session_key = $2::text
    RETURNING 1
  )
  SELECT (SELECT a.session_key FROM a) AS owner, (SELECT count(*) FROM ins)::int AS inserted`;

/** The latest rating of each of the person's answers within the window; "up" ones in scope, newest first. */
const EXAMPLES_SQL = `SELECT a.question, a.sql
  FROM (
    SELECT DISTINCT ON (f.request_id) f.request_id, f.rating, f.rated_at
    FROM splitplane_feedback AS f
    WHERE f.session_key = $1 AND f.rated_at >= $5
    ORDER BY f.request_id, f.rated_at DESC, f.rating ASC
  ) AS r
  JOIN splitplane_feedback_answered AS a ON a.request_id = r.request_id AND a.session_key = $1
  WHERE r.rating = 'up' AND a.answered_at >= $5 AND a.tenant_id = $2 AND a.business_id = $3 AND a.units <@ $4::text[]
  ORDER BY r.rated_at DESC, a.request_id
  LIMIT $6`;

const PRUNE_RATINGS_SQL = 'DELETE FROM splitplane_feedback AS f WHERE f.rated_at < $1';
/** An answer is kept for the window from when it was answered, rated or not (re-rating does not extend it). */
const PRUNE_ANSWERED_SQL = 'DELETE FROM splitplane_feedback_answered AS a WHERE a.answered_at < $1';

export interface PostgresFeedbackOptions {
  /** e.g. postgres://splitplane_feedback@127.0.0.1:5432/test */
  readonly url: string;
  readonly retentionDays: number;
  /** Where failures of `remember`, `examplesFor` and the pruning are reported (never the URL). */
  readonly log: (message: string, fields: Record<string, unknown>) => void;
  readonly now?: () => number;
  /** How long a connection and a statement may take (default 2 s each): an answer never waits longer. */
  readonly timeoutMs?: number;
}

export class PostgresFeedbackStore implements FeedbackStore {
  readonly #pool: pg.Pool;
  readonly #retentionDays: number;
  readonly #log: PostgresFeedbackOptions['log'];
  readonly #now: () => number;
  #lastPrune = -Infinity;
  #pruning: Promise<void> = Promise.resolve();

  private constructor(options: PostgresFeedbackOptions) {
    const timeoutMs = options.timeoutMs ?? 2_000;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: 4,
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs,
    });
    this.#pool.on('error', () => undefined);
    this.#retentionDays = options.retentionDays;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A store over the tables at `options.url`, after deleting what is older than the retention window.
   * A database that does not answer does not stop it opening: that is logged, and tried again an hour on.
   */
  static async open(options: PostgresFeedbackOptions): Promise<PostgresFeedbackStore> {
    const store = new PostgresFeedbackStore(options);
    store.#maybePrune();
    await store.#pruning;
    return store;
  }

  async remember(requestId: string, sessionKey: string, scope: Scope, question: string, sql: string): Promise<void> {
    // Only a UUID can be rated (the feedback body requires one); anything else is not worth a row.
    if (!UUID.test(requestId)) return;
    this.#maybePrune();
    try {
      await this.#pool.query(REMEMBER_SQL, [
        requestId,
        sessionKey,
        scope.tenantId,
        scope.businessId,
        [...scope.units],
        question,
        sql,
        new Date(this.#now()),
      ]);
    } catch (cause) {
      this.#log('feedback store: remember failed', { requestId, error: describePgError(cause) });
    }
  }

  async rate(sessionKey: string, body: FeedbackBody): Promise<void> {
    this.#maybePrune();
    let row: { owner: string | null; inserted: number } | undefined;
    try {
      const r = await this.#pool.query<{ owner: string | null; inserted: number }>(RATE_SQL, [
        body.requestId,
        sessionKey,
        body.rating,
        body.comment ?? null,
        new Date(this.#now()),
        // An answer older than the window cannot be rated (nor kept alive by rating it again).
        new Date(this.#oldest()),
      ]);
      row = r.rows[0];
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_FEEDBACK_UNAVAILABLE', {
        detail: `postgres feedback store: ${describePgError(cause)}`,
        cause,
      });
    }
    if (row?.inserted === 1) return;
    if (row === undefined || row.owner === null) throw new SplitplaneError('SP_ERR_FEEDBACK_UNKNOWN_REQUEST');
    throw new SplitplaneError('SP_ERR_FEEDBACK_FORBIDDEN');
  }

  async examplesFor(sessionKey: string, scope: Scope, limit = 3): Promise<Example[]> {
    if (this.#retentionDays <= 0 || limit <= 0) return [];
    this.#maybePrune();
    try {
      const r = await this.#pool.query<{ question: string; sql: string }>(EXAMPLES_SQL, [
        sessionKey,
        scope.tenantId,
        scope.businessId,
        [...scope.units],
        new Date(this.#oldest()),
        Math.floor(limit),
      ]);
      // Oldest first, as the file store gives them.
      return r.rows.reverse().map((e) => ({ question: scrub(e.question), sql: scrubEmails(e.sql) }));
    } catch (cause) {
      this.#log('feedback store: examples unavailable', { error: describePgError(cause) });
      return [];
    }
  }

  /** A cheap round trip, for /readyz. Throws SP_ERR_FEEDBACK_UNAVAILABLE. */
  async check(): Promise<void> {
    try {
      await this.#pool.query('SELECT 1');
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_FEEDBACK_UNAVAILABLE', {
        detail: `postgres feedback store: ${describePgError(cause)}`,
        cause,
      });
    }
  }

  /** Resolves when the retention delete under way, if any, has finished (it never rejects). */
  settled(): Promise<void> {
    return this.#pruning;
  }

  async close(): Promise<void> {
    await this.#pruning;
    await this.#pool.end();
  }

  #oldest(): number {
    return this.#now() - this.#retentionDays * DAY_MS;
  }

  /** Start a pruning when the last one began an hour ago or more (never two at once); not awaited. */
  #maybePrune(): void {
    const now = this.#now();
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    const oldest = new Date(this.#oldest());
    this.#pruning = this.#pruning.then(async () => {
      try {
        await this.#pool.query(PRUNE_RATINGS_SQL, [oldest]);
        await this.#pool.query(PRUNE_ANSWERED_SQL, [oldest]);
      } catch (cause) {
        this.#log('feedback store: retention delete failed', { error: describePgError(cause) });
      }
    });
  }
}

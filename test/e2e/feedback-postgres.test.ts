/**
 * Feedback in PostgreSQL, shared by replicas (issue 37): a request answered by one replica is rated
 * through another and its example is offered by both, with the file store's rules (the asker only,
 * their own examples, within the retention window, while the grant covers them, scrubbed); old rows
 * are deleted when a store opens and at most once an hour; the service's role cannot UPDATE; and a
 * PostgreSQL that does not answer fails a rating (503 SP_ERR_FEEDBACK_UNAVAILABLE), never an answer.
 * Runs in a database of its own, named per run, so runs never collide. Needs PostgreSQL on
 * 127.0.0.1:5432 (trust auth); outside CI it skips with a message when it is not there.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SplitplaneError } from '../../src/errors.js';
import type { FeedbackBody } from '../../src/feedback/feedback.js';
import { PostgresFeedbackStore, setUpPostgresFeedback } from '../../src/feedback/postgres-feedback.js';
import type { Scope } from '../../src/policy/scope.js';
import {
  ask,
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  portOpen,
  signedHeaders,
  startTestService,
  type TestService,
} from '../support/harness.js';

const up = await portOpen('127.0.0.1', 5432);
if (!up && process.env['CI'] !== 'true') {
  console.warn(
    'SKIPPED PostgreSQL feedback store tests: nothing listens on 127.0.0.1:5432. Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  );
}

const DB = `splitplane_feedback_test_${process.pid}_${Date.now().toString(36)}`;
const ADMIN = 'postgres://postgres@127.0.0.1:5432/test';
const OWNER = `postgres://postgres@127.0.0.1:5432/${DB}`;
const FEEDBACK = `postgres://splitplane_feedback@127.0.0.1:5432/${DB}`;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 12);

async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const ASKER = '12/628/7042';
const OTHER = '12/628/7001';
const scope = (units: string[], businessId = '628'): Scope => ({
  tenantId: '12',
  businessId,
  adminId: '7042',
  role: 'owner',
  units,
  tables: {},
});
const body = (requestId: string, rating: 'up' | 'down' = 'up', comment?: string): FeedbackBody => ({
  tenantId: '12',
  businessId: '628',
  adminId: '7042',
  requestId,
  rating,
  ...(comment === undefined ? {} : { comment }),
});
const code = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof SplitplaneError ? e.code : e),
  );

describe.skipIf(!up && process.env['CI'] !== 'true')('the PostgreSQL feedback store', () => {
  const logged: string[] = [];
  const open = (now: () => number = Date.now, url = FEEDBACK): Promise<PostgresFeedbackStore> =>
    PostgresFeedbackStore.open({
      url,
      retentionDays: 30,
      now,
      log: (m, f) => logged.push(`${m} ${JSON.stringify(f)}`),
    });

  beforeAll(async () => {
    await sql(ADMIN, `CREATE DATABASE ${DB}`);
    const owner = new pg.Client({ connectionString: OWNER });
    await owner.connect();
    try {
      await setUpPostgresFeedback(owner);
      // Run again over a grant too many: the role ends with exactly its three privileges.
      await owner.query('GRANT UPDATE ON splitplane_feedback TO splitplane_feedback');
      await setUpPostgresFeedback(owner);
    } finally {
      await owner.end();
    }
  }, 60_000);
  afterAll(async () => {
    if (up) await sql(ADMIN, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  });

  it('two replicas: answered on A, rated through B, the example offered by both, scrubbed; the rating stored once', async () => {
    const [a, b] = [await open(), await open()];
    try {
      const id = randomUUID();
      await a.remember(
        id,
        ASKER,
        scope(['1', '2']),
        'sales for store 104233 of ann.lee@example.com',
        "SELECT 'a@b.co'",
      );
      await b.rate(ASKER, body(id, 'up', 'spot on'));
      const expected = [{ question: 'sales for store [number] of [email]', sql: "SELECT '[email]'" }];
      expect(await a.examplesFor(ASKER, scope(['1', '2']))).toEqual(expected);
      expect(await b.examplesFor(ASKER, scope(['1', '2']))).toEqual(expected);
      const rows = await sql(
        OWNER,
        'SELECT session_key, rating, comment FROM splitplane_feedback WHERE request_id = $1',
        [id],
      );
      expect(rows.rows).toEqual([{ session_key: ASKER, rating: 'up', comment: 'spot on' }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a rating from any other identity, through either replica, and offers the example to nobody else', async () => {
    const [a, b] = [await open(), await open()];
    try {
      const id = randomUUID();
      await a.remember(id, ASKER, scope(['1', '2']), 'guests last week', 'SELECT 2');
      expect(await code(a.rate(OTHER, body(id)))).toBe('SP_ERR_FEEDBACK_FORBIDDEN');
      expect(await code(b.rate(OTHER, body(id)))).toBe('SP_ERR_FEEDBACK_FORBIDDEN');
      expect((await sql(OWNER, 'SELECT 1 FROM splitplane_feedback WHERE request_id = $1', [id])).rowCount).toBe(0);
      await b.rate(ASKER, body(id));
      expect(await a.examplesFor(ASKER, scope(['1', '2']))).toContainEqual({
        question: 'guests last week',
        sql: 'SELECT 2',
      });
      expect(await a.examplesFor(OTHER, scope(['1', '2']))).toEqual([]);
      expect(await b.examplesFor(OTHER, scope(['1', '2']))).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a request no replica answered', async () => {
    const a = await open();
    try {
      expect(await code(a.rate(ASKER, body(randomUUID())))).toBe('SP_ERR_FEEDBACK_UNKNOWN_REQUEST');
    } finally {
      await a.close();
    }
  });

  it('offers an example only while the scope covers every unit it was answered in; the latest rating counts; at most limit', async () => {
    // A clock a second further on at every reading: each rating strictly later than the one before.
    let t = T0;
    const a = await open(() => (t += 1_000));
    const asker = '12/628/7043';
    try {
      const id = randomUUID();
      await a.remember(id, asker, scope(['1', '2']), 'sales in two stores', 'SELECT 3');
      await a.rate(asker, body(id));
      expect(await a.examplesFor(asker, scope(['1', '2', '3']))).toHaveLength(1);
      expect(await a.examplesFor(asker, scope(['1']))).toEqual([]);
      expect(await a.examplesFor(asker, scope(['1', '2'], '629'))).toEqual([]);
      // Rated down later: no longer an example; up again: it is.
      await a.rate(asker, body(id, 'down'));
      expect(await a.examplesFor(asker, scope(['1', '2']))).toEqual([]);
      await a.rate(asker, body(id, 'up'));
      expect(await a.examplesFor(asker, scope(['1', '2']))).toHaveLength(1);
      for (const q of ['q1', 'q2', 'q3', 'q4']) {
        const more = randomUUID();
        await a.remember(more, asker, scope(['1']), q, 'SELECT 4');
        await a.rate(asker, body(more));
      }
      expect((await a.examplesFor(asker, scope(['1', '2']))).map((e) => e.question)).toEqual(['q2', 'q3', 'q4']);
      expect(await a.examplesFor(asker, scope(['1', '2']), 5)).toHaveLength(5);
    } finally {
      await a.close();
    }
  });

  it('deletes rows older than the retention window when a store opens, and at most once an hour after', async () => {
    await sql(OWNER, 'TRUNCATE splitplane_feedback, splitplane_feedback_answered');
    let now = T0;
    const a = await open(() => now);
    const [rated, unrated, ratedLate] = [randomUUID(), randomUUID(), randomUUID()];
    const count = async (): Promise<string[]> =>
      (
        await sql(
          OWNER,
          `SELECT 'answered ' || request_id AS r FROM splitplane_feedback_answered
           UNION ALL SELECT 'rating ' || request_id FROM splitplane_feedback ORDER BY 1`,
        )
      ).rows.map((r: { r: string }) => r.r);
    try {
      for (const id of [rated, unrated, ratedLate]) await a.remember(id, ASKER, scope(['1']), `q ${id}`, 'SELECT 5');
      await a.rate(ASKER, body(rated));
      now = T0 + 20 * DAY; // a pruning starts here too (an hour has passed), with nothing old enough to delete
      await a.rate(ASKER, body(ratedLate));
      await a.settled();
      expect(await count()).toHaveLength(5);

      // A replica opening 31 days on: the old rating and every answer older than the window go (an
      // answer rated 11 days ago too: a rating never extends an answer's life); that rating stays
      // until it ages out itself, and offers nothing without its answer.
      const b = await open(() => T0 + 31 * DAY);
      await b.close();
      expect(await count()).toEqual([`rating ${ratedLate}`]);

      // Within the hour after a pruning nothing is deleted; after it, what has aged out is.
      now = T0 + 52 * DAY;
      expect(await a.examplesFor(ASKER, scope(['1']))).toEqual([]);
      await a.settled();
      expect(await count()).toEqual([]);
      const old = randomUUID();
      await sql(
        OWNER,
        `INSERT INTO splitplane_feedback (request_id, session_key, rating, rated_at) VALUES ($1, $2, 'up', $3)`,
        [old, ASKER, new Date(T0)],
      );
      // An answer older than the window, not yet pruned: it cannot be rated (a rating would keep it alive).
      await sql(
        OWNER,
        `INSERT INTO splitplane_feedback_answered (request_id, session_key, tenant_id, business_id, units, question, sql, answered_at)
         VALUES ($1, $2, '12', '628', ARRAY['1'], 'old question', 'SELECT 1', $3)`,
        [old, ASKER, new Date(T0)],
      );
      await expect(a.rate(ASKER, body(old))).rejects.toMatchObject({ code: 'SP_ERR_FEEDBACK_UNKNOWN_REQUEST' });
      now += 30 * 60_000;
      await a.examplesFor(ASKER, scope(['1']));
      await a.settled();
      expect(await count()).toEqual([`answered ${old}`, `rating ${old}`]);
      now += 31 * 60_000;
      await a.examplesFor(ASKER, scope(['1']));
      await a.settled();
      expect(await count()).toEqual([]);
    } finally {
      await a.close();
    }
    expect(logged.filter((l) => l.includes('retention'))).toEqual([]);
  });

  it('gives the service role SELECT, INSERT and DELETE on both tables and nothing else: UPDATE is denied', async () => {
    const grants = await sql(
      OWNER,
      `SELECT table_name || ' ' || privilege_type AS g FROM information_schema.role_table_grants
       WHERE grantee = 'splitplane_feedback' ORDER BY 1`,
    );
    expect(grants.rows.map((r: { g: string }) => r.g)).toEqual([
      'splitplane_feedback DELETE',
      'splitplane_feedback INSERT',
      'splitplane_feedback SELECT',
      'splitplane_feedback_answered DELETE',
      'splitplane_feedback_answered INSERT',
      'splitplane_feedback_answered SELECT',
    ]);
    for (const update of [
      "UPDATE splitplane_feedback SET rating = 'up'",
      "UPDATE splitplane_feedback_answered SET session_key = 'x'",
    ]) {
      await expect(sql(FEEDBACK, update)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied/),
      });
    }
  });

  it('with PostgreSQL not answering: rate is 503 SP_ERR_FEEDBACK_UNAVAILABLE, remember and examplesFor do not throw, nothing logs the password', async () => {
    const url = `postgres://splitplane_feedback:hunter2-never-logged@127.0.0.1:${await closedPort()}/${DB}`;
    const before = logged.length;
    const a = await open(Date.now, url);
    try {
      const id = randomUUID();
      await expect(a.remember(id, ASKER, scope(['1']), 'q', 'SELECT 6')).resolves.toBeUndefined();
      await expect(a.examplesFor(ASKER, scope(['1']))).resolves.toEqual([]);
      const err = await a.rate(ASKER, body(id)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SplitplaneError);
      expect(err).toMatchObject({ code: 'SP_ERR_FEEDBACK_UNAVAILABLE', statusCode: 503 });
      expect((err as SplitplaneError).toBody().message).toBe(
        'The feedback store could not be reached, so the rating was not recorded; try again shortly.',
      );
      await expect(a.check()).rejects.toMatchObject({ code: 'SP_ERR_FEEDBACK_UNAVAILABLE' });
      const lines = logged.slice(before);
      expect(lines.some((l) => l.startsWith('feedback store: remember failed') && /ECONNREFUSED/.test(l))).toBe(true);
      expect(lines.some((l) => l.startsWith('feedback store: examples unavailable'))).toBe(true);
      expect(lines.some((l) => l.startsWith('feedback store: retention delete failed'))).toBe(true);
      expect([...lines, (err as Error).message].join('\n')).not.toMatch(/hunter2|postgres:\/\//);
    } finally {
      await a.close();
    }
  });

  describe('in the service (feedback.store: postgres)', () => {
    async function rate(
      svc: TestService,
      who: { tenantId: string; businessId: string; adminId: string },
      requestId: string,
    ) {
      const payload = JSON.stringify({ ...who, requestId, rating: 'up' });
      const res = await svc.app.inject({
        method: 'POST',
        url: '/v1/feedback',
        headers: await signedHeaders(payload, { path: '/v1/feedback' }),
        payload,
      });
      return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
    }

    it('two replicas: a request answered by one is rated through the other', async () => {
      const feedback = { store: 'postgres', postgresUrl: FEEDBACK };
      const a = await startTestService({}, { feedback });
      const b = await startTestService({}, { feedback });
      try {
        const answer = await ask(a.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
        expect(answer.statusCode).toBe(200);
        const id = String(answer.body['requestId']);
        expect((await rate(b, BRAND_MANAGER, id)).body['code']).toBe('SP_ERR_FEEDBACK_FORBIDDEN');
        expect(await rate(b, FRANCHISE_OWNER, id)).toEqual({
          statusCode: 200,
          body: { requestId: expect.any(String), status: 'recorded' },
        });
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('answers while the store is down; a rating is 503, and the replica stays ready (no answer needs the store)', async () => {
      const feedback = {
        store: 'postgres',
        postgresUrl: `postgres://splitplane_feedback@127.0.0.1:${await closedPort()}/x`,
      };
      const svc = await startTestService({}, { feedback });
      try {
        const answer = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
        expect(answer.statusCode).toBe(200);
        const r = await rate(svc, FRANCHISE_OWNER, String(answer.body['requestId']));
        expect(r).toMatchObject({ statusCode: 503, body: { code: 'SP_ERR_FEEDBACK_UNAVAILABLE' } });
        const ready = await svc.app.inject({ method: 'GET', url: '/readyz' });
        expect(ready.statusCode).toBe(200);
        expect(Object.keys(ready.json<{ checks: Record<string, string> }>().checks)).not.toContain('feedback');
      } finally {
        await svc.close();
      }
    });
  });
});

/**
 * Scale-out (issue 37) end to end: two `splitplane serve` PROCESSES (the built dist/cli/main.js, one
 * configuration file, each on a port of the system's choosing) sharing one Redis (database 11, used
 * by no other suite) and one PostgreSQL database of their own (the audit chain and the feedback
 * tables, created per run and dropped after), over the test warehouse (the same DuckDB file, opened
 * read-only by both), behind a client that alternates between them as a load balancer would:
 * a three-turn conversation continued across replicas (and refused to another identity), a choice
 * remembered on one replica used by the other, rate limits counted once across both, a signature
 * accepted by one replica refused as a replay by the other, feedback rated through the replica that
 * did not answer and offered back by both (an OpenAI-compatible double on loopback sees the example
 * in the prompts each replica sends), and one audit chain holding every request of both that
 * `splitplane audit verify` reports intact.
 *
 * Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (trust auth, superuser postgres);
 * in CI they are required, elsewhere the suite skips with a message naming what is missing. The
 * service is rebuilt first when a source is newer than dist (scripts/build-if-stale.mjs).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_TABLE_DDL } from '../../src/audit/postgres-sink.js';
import type { AuditEvent } from '../../src/audit/audit.js';
import { signRequest } from '../../src/client/sign.js';
import { setUpPostgresFeedback } from '../../src/feedback/postgres-feedback.js';
import { analystScript, isFillPrompt, startFakeOpenAi, type FakeServer } from '../support/fake-llm.js';
import { BRAND_MANAGER, DEMO_KEY, FRANCHISE_OWNER, OTHER_TENANT_ADMIN, portOpen } from '../support/harness.js';

const CI = process.env['CI'] === 'true';
const [redisUp, postgresUp] = await Promise.all([portOpen('127.0.0.1', 6379), portOpen('127.0.0.1', 5432)]);
const missing = [
  redisUp ? '' : 'Redis (nothing listens on 127.0.0.1:6379; start it with: redis-server --daemonize yes)',
  postgresUp
    ? ''
    : 'PostgreSQL (nothing listens on 127.0.0.1:5432; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)',
].filter(Boolean);
if (missing.length > 0 && !CI) console.warn(`SKIPPED replicas as processes: needs ${missing.join(' and ')}`);

const ROOT = resolve(import.meta.dirname, '../..');
/** A database of Redis no other suite uses (7: redis.test.ts, 8: choices and the conversation store). */
const REDIS = 'redis://127.0.0.1:6379/11';
const DB = `splitplane_replicas_test_${process.pid}_${Date.now().toString(36)}`;
const ADMIN = 'postgres://postgres@127.0.0.1:5432/test';
const OWNER = `postgres://postgres@127.0.0.1:5432/${DB}`;
/** Each per-admin window allows this many requests; the cases below use at most 5 per admin, the rate-limit case more. */
const PER_ADMIN = 6;

const REGIONAL_DIRECTOR = { tenantId: '12', businessId: '628', adminId: '7101' } as const;
const OPERATIONS_ANALYST = { tenantId: '12', businessId: '628', adminId: '7102' } as const;
const CONTRACTOR = { tenantId: '12', businessId: '628', adminId: '7103' } as const;
type Who = { readonly tenantId: string; readonly businessId: string; readonly adminId: string };

/** A question the parser cannot place: the model is asked, and its prompt carries the asker's examples. */
const DROP = 'Which stores had the biggest swing in guests between lunch and dinner?';
const EXAMPLE_QUESTION = 'What was the sales amount in Chicago last week?';

interface Replica {
  readonly name: 'A' | 'B';
  readonly proc: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
}

interface Reply {
  readonly replica: 'A' | 'B';
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown> & {
    requestId?: string;
    status?: string;
    code?: string;
    conversationId?: string;
    rows?: unknown[][];
    remembered?: { term: string; metric: string; label: string }[];
    interpretation?: { text: string };
  };
}

const children: ChildProcess[] = [];
/** Each replica's log (stdout and stderr), shown when it does not stop cleanly. */
const logs = new Map<ChildProcess, string[]>();
/** Every signed request sent and answered, in order: the audit chain must hold exactly these. */
const sent: Reply[] = [];
let dir: string;
let configFile: string;
let fake: FakeServer | undefined;
let a: Replica;
let b: Replica;

// A worker that dies without running afterAll must not leave services behind.
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

/** `splitplane serve --config <file>`; resolves once it listens (its port read from its log) and /readyz is 200. */
async function serve(name: 'A' | 'B'): Promise<Replica> {
  const proc = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const lines: string[] = [];
  logs.set(proc, lines);
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => lines.push(c));
  const port = await new Promise<number>((ready, fail) => {
    let pending = '';
    let listening: number | undefined;
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const l of complete.filter(Boolean)) {
        lines.push(l);
        const msg = l.startsWith('{') ? ((JSON.parse(l) as { msg?: string }).msg ?? '') : '';
        const m = /^Server listening at http:\/\/127\.0\.0\.1:(\d+)$/.exec(msg);
        if (m) listening = Number(m[1]);
        if (msg === 'splitplane started' && listening !== undefined) ready(listening);
      }
    });
    void exited.then((code) =>
      fail(new Error(`replica ${name} exited (${code}) before it started:\n${lines.join('\n')}`)),
    );
  });
  let last = '';
  for (let i = 0; i < 300; i++) {
    const r = await get(port, '/readyz').catch((e: unknown) => ({ status: 0, text: String(e) }));
    if (r.status === 200) return { name, proc, port, exited };
    last = r.text;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`replica ${name} never ready: ${last}`);
}

/** Stop a replica (SIGTERM, then SIGKILL after 10 s); its exit code. */
async function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

function get(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end();
  });
}

/**
 * POST a signed body to a replica over node:http (which, unlike fetch, sends the Host header it is
 * given: the one a load balancer forwards). Signed here for the replica's own address unless
 * `headers` are given. The reply is kept for the audit check.
 */
async function post(r: Replica, path: string, body: string, headers?: Record<string, string>): Promise<Reply> {
  const h =
    headers ??
    (await signRequest({
      url: `http://127.0.0.1:${r.port}${path}`,
      body,
      ...DEMO_KEY,
      extraHeaders: { 'x-splitplane-nonce': randomUUID() },
    }));
  const reply = await new Promise<Reply>((done, fail) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: r.port, path, method: 'POST', headers: h, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            done({
              replica: r.name,
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: JSON.parse(text) as Reply['body'],
            });
          } catch (e) {
            fail(new Error(`replica ${r.name} answered ${res.statusCode} with ${text}`, { cause: e }));
          }
        });
      },
    );
    req.on('error', fail);
    req.end(body);
  });
  sent.push(reply);
  return reply;
}

const ask = (r: Replica, who: Who, question: string, conversationId?: string): Promise<Reply> =>
  post(r, '/v1/ask', JSON.stringify({ ...who, question, ...(conversationId ? { conversationId } : {}) }));

const rate = (r: Replica, who: Who, requestId: string, rating: 'up' | 'down'): Promise<Reply> =>
  post(r, '/v1/feedback', JSON.stringify({ ...who, requestId, rating }));

/** Answered, with a body to show when it is not. */
function answered(reply: Reply): Reply {
  expect([reply.status, reply.body.status], `replica ${reply.replica}: ${JSON.stringify(reply.body)}`).toEqual([
    200,
    'answered',
  ]);
  return reply;
}

/** The system prompts the model double received for SQL (not the fill or summary prompts), since `from`. */
const sqlPrompts = (from: number): string[] =>
  (fake?.requests ?? [])
    .slice(from)
    .filter((r) => r.path === '/v1/chat/completions' && !isFillPrompt(r) && !r.system.startsWith('Answer the'))
    .map((r) => r.system);

describe.skipIf(missing.length > 0 && !CI)('two replicas as processes, sharing Redis and PostgreSQL', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit', timeout: 170_000 });
    dir = mkdtempSync(join(tmpdir(), 'splitplane-replicas-'));

    const redis = new Redis(REDIS, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }

    await sql(ADMIN, `CREATE DATABASE ${DB}`);
    const owner = new pg.Client({ connectionString: OWNER });
    await owner.connect();
    try {
      await owner.query(
        `DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_auditor') THEN
            CREATE ROLE splitplane_auditor LOGIN NOSUPERUSER;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$`,
      );
      await owner.query(AUDIT_TABLE_DDL);
      await owner.query('GRANT SELECT, INSERT ON splitplane_audit TO splitplane_auditor');
      await setUpPostgresFeedback(owner);
    } finally {
      await owner.end();
    }

    fake = await startFakeOpenAi(
      analystScript((q) => (/biggest swing/.test(q) ? 'SELECT COUNT(*) AS n FROM daily_sales' : undefined)),
    );

    // One configuration for both, as replicas behind a load balancer share one (YAML reads JSON).
    configFile = join(dir, 'replicas.yaml');
    writeFileSync(
      configFile,
      JSON.stringify(
        {
          mode: 'demo',
          server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 0 },
          signing: { credentialsFile: join(ROOT, 'config/demo-credentials.json') },
          clock: { today: '2026-11-18' },
          warehouse: {
            engine: 'duckdb',
            duckdb: { path: inject('demoDb'), workers: 2, workersWarm: 1 },
            queryTimeoutMs: 5000,
            rowCap: 1000,
          },
          audit: {
            sink: 'postgres',
            postgresUrl: `postgres://splitplane_auditor@127.0.0.1:5432/${DB}`,
            file: join(dir, 'audit.jsonl'),
          },
          feedback: {
            store: 'postgres',
            postgresUrl: `postgres://splitplane_feedback@127.0.0.1:5432/${DB}`,
            file: join(dir, 'feedback.jsonl'),
          },
          redis: { url: REDIS },
          rateLimit: {
            perAdmin: { max: PER_ADMIN, windowMs: 60_000 },
            perTenant: { max: 10_000, windowMs: 60_000 },
          },
          llm: { provider: 'openai', openai: { baseUrl: fake.url, model: 'test-model' } },
        },
        null,
        2,
      ),
    );
    [a, b] = await Promise.all([serve('A'), serve('B')]);
    expect(a.port).not.toBe(b.port);
  }, 240_000);

  afterAll(async () => {
    const codes = await Promise.all(children.map((c) => stop(c)));
    codes.forEach((code, i) => {
      const c = children[i];
      if (code !== 0 && c) console.error(`a replica exited with ${code}; its log:\n${(logs.get(c) ?? []).join('\n')}`);
    });
    await fake?.close();
    if (redisUp) {
      const redis = new Redis(REDIS, { maxRetriesPerRequest: 1 });
      await redis.flushdb().finally(() => redis.disconnect());
    }
    if (postgresUp) await sql(ADMIN, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('continues one conversation across replicas (turns on A, B, A), with the figures of the full questions; another identity is refused by either', async () => {
    const first = answered(await ask(a, BRAND_MANAGER, 'What was the guest count in Dallas last week?'));
    const id = String(first.body.conversationId);
    const second = answered(await ask(b, BRAND_MANAGER, 'and the week before?', id));
    const third = answered(await ask(a, BRAND_MANAGER, 'houston?', id));
    expect([second.body.conversationId, third.body.conversationId]).toEqual([id, id]);
    expect(second.body.interpretation?.text).toContain('kept from your earlier question');
    expect(third.body.interpretation?.text).toContain('kept from your earlier question');

    // Each follow-up is the full question it stands for, asked fresh on the other replica.
    const dallas = answered(
      await ask(a, BRAND_MANAGER, 'What was the guest count in Dallas from 2026-11-02 to 2026-11-08?'),
    );
    const houston = answered(
      await ask(b, BRAND_MANAGER, 'What was the guest count in Houston from 2026-11-02 to 2026-11-08?'),
    );
    expect(second.body.rows).toEqual(dallas.body.rows);
    expect(third.body.rows).toEqual(houston.body.rows);
    // Three different figures: the follow-ups moved the period, then the city.
    expect(new Set([first, second, third].map((r) => JSON.stringify(r.body.rows))).size).toBe(3);

    for (const r of [a, b]) {
      expect(await ask(r, FRANCHISE_OWNER, 'and the week before?', id)).toMatchObject({
        status: 403,
        body: { code: 'SP_ERR_CONVERSATION_FORBIDDEN' },
      });
    }
  });

  it('uses on B a choice remembered on A', async () => {
    const asked = await ask(a, REGIONAL_DIRECTOR, 'sales last week');
    expect([asked.status, asked.body.status]).toEqual([200, 'clarification']);
    answered(await ask(a, REGIONAL_DIRECTOR, 'the amount', String(asked.body.conversationId)));
    const later = answered(await ask(b, REGIONAL_DIRECTOR, 'sales yesterday'));
    expect(later.body.remembered).toEqual([{ term: 'sales', metric: 'net_sales_amount', label: 'sales amount' }]);
    expect(later.body.interpretation?.text).toContain('"sales" = sales amount, as you chose');
  });

  it(`counts one admin's requests once across both: alternating A and B, refused (429) after ${PER_ADMIN}, not ${2 * PER_ADMIN}`, async () => {
    const question = 'What was the total sales amount last week?';
    for (let i = 0; i < PER_ADMIN; i++) answered(await ask(i % 2 === 0 ? a : b, CONTRACTOR, question));
    for (const r of [a, b]) {
      const limited = await ask(r, CONTRACTOR, question);
      expect(limited).toMatchObject({ status: 429, body: { code: 'SP_ERR_RATE_LIMITED' } });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('refuses at B a signed request A accepted, and accepts the same question signed anew', async () => {
    const body = JSON.stringify({ ...OTHER_TENANT_ADMIN, question: 'What was the total sales amount last week?' });
    // Both replicas sit behind one public name (the Host the load balancer forwards).
    const sign = (): Promise<Record<string, string>> =>
      signRequest({
        url: 'http://analytics.example.test/v1/ask',
        body,
        ...DEMO_KEY,
        extraHeaders: { 'x-splitplane-nonce': randomUUID() },
      });
    const headers = await sign();
    answered(await post(a, '/v1/ask', body, headers));
    expect(await post(b, '/v1/ask', body, headers)).toMatchObject({
      status: 401,
      body: { code: 'SP_ERR_SIGNATURE_REPLAY' },
    });
    answered(await post(b, '/v1/ask', body, await sign()));
  });

  it('takes through B a rating of an answer A gave, refuses it from anyone else, and both offer it back as an example', async () => {
    const before = fake?.requests.length ?? 0;
    // Before the rating, the question is not in the prompt.
    await ask(b, OPERATIONS_ANALYST, DROP);
    expect(sqlPrompts(before).length).toBeGreaterThan(0);
    expect(sqlPrompts(before).join('\n')).not.toContain(EXAMPLE_QUESTION);

    const answer = answered(await ask(a, OPERATIONS_ANALYST, EXAMPLE_QUESTION));
    const requestId = String(answer.body.requestId);
    expect(await rate(b, OPERATIONS_ANALYST, requestId, 'up')).toMatchObject({
      status: 200,
      body: { status: 'recorded' },
    });
    expect(await rate(a, FRANCHISE_OWNER, requestId, 'down')).toMatchObject({
      status: 403,
      body: { code: 'SP_ERR_FEEDBACK_FORBIDDEN' },
    });

    // Each replica now offers the rated question to the model as an example, for its asker.
    for (const r of [a, b]) {
      const from = fake?.requests.length ?? 0;
      await ask(r, OPERATIONS_ANALYST, DROP);
      expect(sqlPrompts(from).join('\n'), `replica ${r.name}`).toContain(EXAMPLE_QUESTION);
    }
    // One rating stored, the asker's.
    const rows = await sql(OWNER, 'SELECT session_key, rating FROM splitplane_feedback WHERE request_id = $1', [
      requestId,
    ]);
    expect(rows.rows).toEqual([{ session_key: '12/628/7102', rating: 'up' }]);
  });

  it('leaves one audit chain that `audit verify` reports intact, holding every request sent to either replica', async () => {
    // Stopped first: nothing is appended while the chain is read, and both stop cleanly.
    expect(await Promise.all([stop(a.proc), stop(b.proc)])).toEqual([0, 0]);

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['dist/cli/main.js', 'audit', 'verify', '--config', configFile],
      { cwd: ROOT },
    );
    const events = (await sql(OWNER, 'SELECT line FROM splitplane_audit ORDER BY seq')).rows.map(
      (r: { line: string }) => JSON.parse(r.line) as AuditEvent,
    );
    expect(stdout).toMatch(new RegExp(`^audit chain intact: ${events.length} events, last hash [0-9a-f]{64}\\n$`));

    // Every request the client sent is in the chain once (anomaly reports come on top of them).
    const audited = events.filter((e) => e.outcome !== 'anomaly').map((e) => e.requestId);
    expect(audited.slice().sort()).toEqual(sent.map((r) => String(r.body.requestId)).sort());
    const fromA = sent.filter((r) => r.replica === 'A').map((r) => r.body.requestId);
    const fromB = sent.filter((r) => r.replica === 'B').map((r) => r.body.requestId);
    expect(fromA.length).toBeGreaterThan(5);
    expect(fromB.length).toBeGreaterThan(5);
    expect(audited).toEqual(expect.arrayContaining([...fromA, ...fromB]));
    // The refusals are in it too: the replay at B, the rate limit at both, the rating from another identity.
    expect(events.map((e) => e.errorCode)).toEqual(
      expect.arrayContaining([
        'SP_ERR_SIGNATURE_REPLAY',
        'SP_ERR_RATE_LIMITED',
        'SP_ERR_FEEDBACK_FORBIDDEN',
        'SP_ERR_CONVERSATION_FORBIDDEN',
      ]),
    );
  }, 60_000);
});

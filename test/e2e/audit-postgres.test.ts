/**
 * The PostgreSQL audit sink under the load replicas give it: thousands of events from two processes
 * at once make one intact chain; the service keeps answering past its tenth event (the head used to
 * be read in text order, "9" after "10", and every append after the tenth hit the primary key);
 * /readyz checks the write path, not a SELECT; a failed append names its cause in the service log,
 * without credentials. Runs in a database of its own (splitplane_audit_sink_test), so the other
 * PostgreSQL suite's chain is untouched. Needs PostgreSQL on 127.0.0.1:5432 (trust auth); outside CI
 * it skips with a message when it is not there.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TABLE_DDL, PostgresAuditSink, verifyPostgresAudit } from '../../src/audit/postgres-sink.js';
import type { AuditEvent } from '../../src/audit/audit.js';
import { ask, BRAND_MANAGER, FRANCHISE_OWNER, portOpen, startTestService } from '../support/harness.js';

const up = await portOpen('127.0.0.1', 5432);
if (!up && process.env['CI'] !== 'true') {
  console.warn(
    'SKIPPED PostgreSQL audit sink tests: nothing listens on 127.0.0.1:5432. Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  );
}

const DB = 'splitplane_audit_sink_test';
const OWNER = `postgres://postgres@127.0.0.1:5432/${DB}`;
const AUDITOR = `postgres://splitplane_auditor@127.0.0.1:5432/${DB}`;
/** A role that may read the table but not append to it; its URL carries a password that must never reach a log. */
const READER = `postgres://splitplane_audit_reader:hunter2-never-logged@127.0.0.1:5432/${DB}`;

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

const event = (i: number): AuditEvent => ({
  time: new Date().toISOString(),
  requestId: `local-${i}`,
  identity: { verified: false },
  layers: { identity: 'skipped' },
  outcome: 'rejected',
  statusCode: 404,
  latencyMs: 0,
});

function writer(url: string, n: number, tag: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/audit-writer.ts', url, String(n), tag], {
      stdio: 'inherit',
    });
    child.on('exit', resolve);
  });
}

describe.skipIf(!up && process.env['CI'] !== 'true')('the PostgreSQL audit sink', () => {
  beforeAll(async () => {
    const admin = 'postgres://postgres@127.0.0.1:5432/test';
    await sql(admin, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await sql(admin, `CREATE DATABASE ${DB}`);
    await sql(
      admin,
      `DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_auditor') THEN CREATE ROLE splitplane_auditor LOGIN NOSUPERUSER; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_audit_reader') THEN CREATE ROLE splitplane_audit_reader LOGIN NOSUPERUSER; END IF;
    END $$`,
    );
    await sql(OWNER, AUDIT_TABLE_DDL);
    await sql(OWNER, 'GRANT SELECT, INSERT ON splitplane_audit TO splitplane_auditor');
    await sql(OWNER, 'GRANT SELECT ON splitplane_audit TO splitplane_audit_reader');
  }, 60_000);
  afterAll(async () => {
    if (up) await sql('postgres://postgres@127.0.0.1:5432/test', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  });

  it('goes on past its tenth event: 40 appends in a row, one intact chain', async () => {
    await sql(OWNER, 'TRUNCATE splitplane_audit');
    const sink = new PostgresAuditSink(AUDITOR);
    try {
      for (let i = 0; i < 40; i++) await sink.append(event(i));
    } finally {
      await sink.close();
    }
    expect(await verifyPostgresAudit(AUDITOR)).toMatchObject({ ok: true, events: 40 });
  });

  it('keeps one chain with two processes appending 1,500 events each at once, and this one appending too', async () => {
    await sql(OWNER, 'TRUNCATE splitplane_audit');
    const local = new PostgresAuditSink(AUDITOR);
    try {
      const [a, b] = await Promise.all([
        writer(AUDITOR, 1500, 'a'),
        writer(AUDITOR, 1500, 'b'),
        Promise.all(Array.from({ length: 100 }, (_, i) => local.append(event(i)))),
      ]);
      expect([a, b]).toEqual([0, 0]);
    } finally {
      await local.close();
    }
    expect(await verifyPostgresAudit(AUDITOR)).toMatchObject({ ok: true, events: 3100 });
    const ids = (await sql(OWNER, 'SELECT line FROM splitplane_audit')).rows.map(
      (r: { line: string }) => (JSON.parse(r.line) as { requestId: string }).requestId,
    );
    expect(ids.filter((id) => id.startsWith('a-'))).toHaveLength(1500);
    expect(ids.filter((id) => id.startsWith('b-'))).toHaveLength(1500);
    expect(new Set(ids).size).toBe(3100);
  }, 120_000);

  it('serves two replicas past the tenth request, ready throughout, and the readiness probe adds nothing to the chain', async () => {
    await sql(OWNER, 'TRUNCATE splitplane_audit');
    const a = await startTestService({}, { audit: { sink: 'postgres', postgresUrl: AUDITOR } });
    const b = await startTestService({}, { audit: { sink: 'postgres', postgresUrl: AUDITOR } });
    try {
      const statuses: number[] = [];
      for (let round = 0; round < 8; round++) {
        const answers = await Promise.all([
          ask(a.app, FRANCHISE_OWNER, 'What was the total sales amount last week?'),
          ask(b.app, BRAND_MANAGER, 'What was the total sales amount last week?'),
        ]);
        statuses.push(...answers.map((r) => r.statusCode));
      }
      expect(statuses).toEqual(Array.from({ length: 16 }, () => 200));
      const before = Number((await sql(OWNER, 'SELECT count(*) AS n FROM splitplane_audit')).rows[0].n);
      for (const svc of [a, b]) {
        const r = await svc.app.inject({ method: 'GET', url: '/readyz' });
        expect(r.json()).toMatchObject({ checks: { audit: 'ok' } });
      }
      expect(Number((await sql(OWNER, 'SELECT count(*) AS n FROM splitplane_audit')).rows[0].n)).toBe(before);
      expect(before).toBe(16);
    } finally {
      await a.close();
      await b.close();
    }
    expect(await verifyPostgresAudit(AUDITOR)).toMatchObject({ ok: true, events: 16 });
  });

  it('is not ready when the sink cannot append, and the log names why without the password', async () => {
    const lines: string[] = [];
    const svc = await startTestService(
      { log: (msg, detail) => lines.push(`${msg} ${JSON.stringify(detail)}`) },
      { audit: { sink: 'postgres', postgresUrl: READER } },
    ).catch((e: unknown) => e);
    // Start-up checks the sink the same way: a sink that cannot append refuses to boot.
    expect(svc).toMatchObject({
      code: 'SP_ERR_AUDIT_UNAVAILABLE',
      message: expect.stringMatching(/permission denied/),
    });
    expect((svc as Error).message).not.toContain('hunter2');

    // A sink that could append at start and cannot any more: readiness says so, the request is a 503, the log names the cause.
    await sql(OWNER, 'TRUNCATE splitplane_audit');
    await sql(OWNER, 'GRANT INSERT ON splitplane_audit TO splitplane_audit_reader');
    const live = await startTestService(
      { log: (msg, detail) => lines.push(`${msg} ${JSON.stringify(detail)}`) },
      { audit: { sink: 'postgres', postgresUrl: READER } },
    );
    try {
      expect((await live.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await sql(OWNER, 'REVOKE INSERT ON splitplane_audit FROM splitplane_audit_reader');
      const r = await live.app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ checks: { audit: 'failed' } });
      const answer = await ask(live.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
      expect(answer).toMatchObject({ statusCode: 503, body: { code: 'SP_ERR_AUDIT_UNAVAILABLE' } });
      const logged = lines.filter((l) => l.startsWith('audit write failed'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/permission denied for table splitplane_audit/);
      expect(logged[0]).toMatch(/42501/);
      expect(lines.join('\n')).not.toContain('hunter2');
    } finally {
      await live.close();
    }
  });
});

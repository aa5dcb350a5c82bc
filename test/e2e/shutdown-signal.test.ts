/**
 * Shutdown on a real SIGTERM, over real sockets: `splitplane serve` in a child process. From the
 * signal on, /readyz answers 503 and every new request gets the documented 503 SP_ERR_SHUTTING_DOWN
 * with `Connection: close`, on a new connection and on one kept alive from before the signal alike,
 * while the service keeps listening for server.shutdownGraceMs; a request already received finishes
 * and is audited (here its body arrives only after the listener closed); then the process exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit.js';
import { FRANCHISE_OWNER, signedHeaders } from '../support/harness.js';

const GRACE_MS = 1_500;

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Served {
  readonly port: number;
  readonly auditFile: string;
  readonly logs: () => Array<{ level: number; msg: string }>;
  readonly exited: Promise<{ code: number | null; at: number }>;
}

/** `splitplane serve` over a copy of the test warehouse, on a port of the system's choosing (read from its log). */
async function serve(): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-signal-'));
  const db = join(dir, 'demo.duckdb');
  copyFileSync(inject('demoDb'), db);
  const auditFile = join(dir, 'audit.jsonl');
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      'mode: demo',
      `server: { host: 127.0.0.1, port: 0, shutdownGraceMs: ${GRACE_MS} }`,
      `signing: { credentialsFile: ${JSON.stringify(resolve('config/demo-credentials.json'))} }`,
      'clock: { today: "2026-11-18" }',
      `warehouse: { engine: duckdb, duckdb: { path: ${JSON.stringify(db)}, workersWarm: 1 }, queryTimeoutMs: 5000 }`,
      `audit: { file: ${JSON.stringify(auditFile)} }`,
      `feedback: { file: ${JSON.stringify(join(dir, 'feedback.jsonl'))} }`,
    ].join('\n'),
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const lines: Array<{ level: number; msg: string }> = [];
  let stderr = '';
  let pending = '';
  const exited = new Promise<{ code: number | null; at: number }>((done) =>
    proc.once('exit', (code) => done({ code, at: Date.now() })),
  );
  const port = await new Promise<number>((ready, fail) => {
    let listening: number | undefined;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop()!;
      for (const l of complete.filter(Boolean)) {
        const line = JSON.parse(l) as { level: number; msg: string };
        lines.push(line);
        const m = /^Server listening at http:\/\/127\.0\.0\.1:(\d+)$/.exec(line.msg);
        if (m) listening = Number(m[1]);
        if (line.msg === 'splitplane started' && listening !== undefined) ready(listening);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    void exited.then(({ code }) => fail(new Error(`serve exited (${code}) before it started: ${stderr}`)));
  });
  return { port, auditFile, logs: () => lines, exited };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  readonly reusedSocket: boolean;
}

/** One request over node:http (`agent`: a kept-alive pool, or false for a connection of its own). */
function send(
  port: number,
  agent: Agent | false,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders = {},
  body?: string,
): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () =>
        done({
          status: res.statusCode!,
          headers: res.headers,
          body: JSON.parse(text) as Record<string, unknown>,
          reusedSocket: req.reusedSocket,
        }),
      );
    });
    req.on('error', fail);
    req.end(body);
  });
}

const question = (when: string): string =>
  JSON.stringify({ ...FRANCHISE_OWNER, question: `What was the total sales amount ${when}?` });

/** True once nothing accepts connections on the port. */
function refused(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      done(false);
    });
    s.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
  });
}

describe('shutdown on SIGTERM', () => {
  it('keeps listening through the grace period, refusing new requests with the documented 503, finishes the running one, and exits 0', async () => {
    const svc = await serve();
    const { port } = svc;
    const host = `127.0.0.1:${port}`;

    // A kept-alive connection, answered once before the signal and then idle.
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = question('last week');
    const first = await send(port, keepAlive, 'POST', '/v1/ask', await signedHeaders(before, { host }), before);
    expect([first.status, first.body['status']]).toEqual([200, 'answered']);

    // A request already received when the signal comes: its headers are in (the server answered
    // 100 Continue, so it has passed the shutdown check), its body is sent only later.
    const runningBody = question('last month');
    const running = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/ask',
      agent: false,
      headers: {
        ...(await signedHeaders(runningBody, { host })),
        expect: '100-continue',
        'content-length': Buffer.byteLength(runningBody),
      },
    });
    const runningAnswer = new Promise<Answer>((done, fail) => {
      running.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () =>
          done({
            status: res.statusCode!,
            headers: res.headers,
            body: JSON.parse(text) as Record<string, unknown>,
            reusedSocket: false,
          }),
        );
      });
      running.on('error', fail);
    });
    running.flushHeaders();
    await new Promise((r) => running.once('continue', r));

    const signalledAt = Date.now();
    child!.kill('SIGTERM');

    // Not ready at once (the probe still answers, with its own body).
    let readyz = await send(port, false, 'GET', '/readyz');
    for (let i = 0; readyz.status === 200 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 10));
      readyz = await send(port, false, 'GET', '/readyz');
    }
    expect(readyz.status).toBe(503);
    expect(readyz.body).toEqual({ status: 'shutting down', checks: {} });

    const refusal = {
      statusCode: 503,
      code: 'SP_ERR_SHUTTING_DOWN',
      error: 'Service Unavailable',
      message: expect.any(String),
      requestId: expect.any(String),
    };
    // A new connection: still accepted, answered with the documented body, and closed.
    const lateBody = question('yesterday');
    const late = await send(port, false, 'POST', '/v1/ask', await signedHeaders(lateBody, { host }), lateBody);
    expect(late.status).toBe(503);
    expect(late.body).toEqual(refusal);
    expect(late.headers['connection']).toBe('close');
    expect(late.headers['retry-after']).toBe('1');

    // The idle kept-alive connection: the same answer on it, not a closed socket.
    const idleBody = question('last year');
    const onIdle = await send(port, keepAlive, 'POST', '/v1/ask', await signedHeaders(idleBody, { host }), idleBody);
    expect(onIdle.reusedSocket).toBe(true);
    expect(onIdle.status).toBe(503);
    expect(onIdle.body).toEqual(refusal);
    expect(onIdle.headers['connection']).toBe('close');
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS);

    // After the grace period the listener is closed; the process waits for the running request.
    let closed = false;
    for (let i = 0; !closed && i < 200; i++) {
      closed = await refused(port);
      if (!closed) await new Promise((r) => setTimeout(r, 25));
    }
    expect(closed).toBe(true);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(GRACE_MS);
    expect(child!.exitCode).toBeNull();

    running.end(runningBody);
    const answered = await runningAnswer;
    expect([answered.status, answered.body['status']]).toEqual([200, 'answered']);
    expect(answered.headers['connection']).toBe('close');

    const exit = await svc.exited;
    expect(exit.code).toBe(0);
    keepAlive.destroy();

    const audited = readFileSync(svc.auditFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as AuditEvent).requestId);
    expect(audited).toContain(first.body['requestId']);
    expect(audited).toContain(answered.body['requestId']);
    expect(audited).not.toContain(late.body['requestId']);
    expect(audited).not.toContain(onIdle.body['requestId']);

    const msgs = svc.logs().map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['splitplane stopping', 'splitplane stopped']));
    expect(svc.logs().filter((l) => l.level >= 50)).toEqual([]);
  }, 60_000);
});

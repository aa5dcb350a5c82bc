/**
 * Server timeouts (server.requestTimeoutMs, bodyTimeoutMs, keepAliveTimeoutMs) over a real listening
 * socket: a client trickling its body or its headers is answered 408 and disconnected, an idle
 * kept-alive connection is closed, and a request whose answer takes longer than the request timeout
 * is still answered (the limits are on receiving, never on answering).
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { catalogGenerator } from '../../src/generate/catalog-generator.js';
import type { Generator } from '../../src/generate/generator.js';
import { loadCatalog } from '../../src/semantic/catalog.js';
import { FRANCHISE_OWNER, signedHeaders, startTestService, type TestService } from '../support/harness.js';

const BODY_TIMEOUT_MS = 500;
const KEEP_ALIVE_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 1_000;
/** Longer than the request timeout: the answer itself is not limited by it. */
const GENERATE_MS = 1_300;

let svc: TestService;
let port: number;

beforeAll(async () => {
  const inner = catalogGenerator(loadCatalog('catalog/metrics.yaml'));
  const slow: Generator = {
    name: 'catalog',
    async generate(input, signal) {
      await new Promise((r) => setTimeout(r, GENERATE_MS));
      return inner.generate(input, signal);
    },
  };
  svc = await startTestService(
    { generator: slow },
    {
      server: {
        bodyTimeoutMs: BODY_TIMEOUT_MS,
        keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      },
    },
  );
  await svc.app.listen({ host: '127.0.0.1', port: 0 });
  port = (svc.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await svc.close();
});

/** How long a test waits for the server to close a connection before it fails (and closes it itself). */
const GIVE_UP_MS = 5_000;

/**
 * A raw connection that records what the server sends and when it closes it (ms after `start`;
 * Infinity when it did not within GIVE_UP_MS, and then the test's side closes it).
 */
function rawConnection(): Promise<{ socket: Socket; received: () => string; closed: Promise<number>; start: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const start = Date.now();
    const closed = new Promise<number>((done) => {
      const giveUp = setTimeout(() => {
        done(Infinity);
        socket.destroy();
      }, GIVE_UP_MS);
      socket.once('close', () => {
        clearTimeout(giveUp);
        done(Date.now() - start);
      });
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    // A write after the server closed fails with EPIPE or ECONNRESET: that is the close being tested.
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed, start }));
    socket.once('error', reject);
  });
}

/** Write one byte every `everyMs` until the socket closes or `max` bytes were sent. */
function trickle(socket: Socket, bytes: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded || i >= bytes.length) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes[i++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

describe('server timeouts', () => {
  it('answers 408 and closes the connection of a client trickling its body one byte every 200 ms', async () => {
    const c = await rawConnection();
    const headersAt = Date.now() - c.start;
    c.socket.write(
      `POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );
    const stop = trickle(
      c.socket,
      '"question": "What was the total sales amount last week?", "tenantId": "12"'.padEnd(99, ' '),
      200,
    );
    const closedAfter = (await c.closed) - headersAt;
    stop();
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(c.received()).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(c.received().slice(c.received().indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 408,
      code: 'SP_ERR_REQUEST_TIMEOUT',
      error: 'Request Timeout',
      requestId: expect.any(String),
    });
    // Closed at the body timeout, not at the end of the 20 s the trickle would take.
    expect(closedAfter).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(BODY_TIMEOUT_MS + 1_500);
  });

  it('answers 408 and closes the connection of a client trickling its headers (the request timeout)', async () => {
    const c = await rawConnection();
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    const stop = trickle(c.socket, 'x-slow: ' + 'a'.repeat(80), 200);
    const closedAfter = await c.closed;
    stop();
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(closedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
  });

  it('closes an idle kept-alive connection after the keep-alive timeout', async () => {
    const c = await rawConnection();
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    for (let i = 0; !c.received().includes('{"status":"ok"}') && i < 500; i++)
      await new Promise((r) => setTimeout(r, 5));
    const answeredAt = Date.now() - c.start;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.received()).toMatch(/\r\nconnection: keep-alive\r\n/i);
    // Node advertises the timeout (Keep-Alive: timeout=<whole seconds>) and closes the socket 1 s
    // after it (its fixed buffer against a client's request crossing the close): measured 1.3 s here.
    const idleFor = (await c.closed) - answeredAt;
    expect(idleFor).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(idleFor).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1_000 + 1_000);
  });

  it('answers a normal signed request, even one whose answer takes longer than the request timeout', async () => {
    const host = `127.0.0.1:${port}`;
    const body = JSON.stringify({ ...FRANCHISE_OWNER, question: 'What was the total sales amount last week?' });
    const started = Date.now();
    const res = await fetch(`http://${host}/v1/ask`, {
      method: 'POST',
      headers: await signedHeaders(body, { host }),
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'answered', rows: [['84000.00']] });
    expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS);
  });

  it('validates the timeouts and shutdownGraceMs, with their defaults', () => {
    expect(parseConfig({}).server).toMatchObject({
      shutdownGraceMs: 5_000,
      requestTimeoutMs: 30_000,
      bodyTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
    });
    for (const bad of [
      { keepAliveTimeoutMs: 0 },
      { bodyTimeoutMs: -1 },
      { requestTimeoutMs: 1.5 },
      { shutdownGraceMs: 200_000 },
      { shutdownGraceMs: '5s' },
    ]) {
      expect(() => parseConfig({ server: bad }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'SP_ERR_CONFIG' }),
      );
    }
    expect(() => parseConfig({ server: { shutdownGraceMs: 0 } })).not.toThrow();
  });
});

/**
 * Several replicas against one Redis (127.0.0.1:6379, database 7): a request
 * replayed to another replica is refused; rate limits are shared; and what
 * happens when Redis is down (redis.whenDown: closed refuses, open falls
 * back to each replica's memory). Outside CI the suite skips when
 * Redis is not running (start it with: redis-server --daemonize yes).
 */
import { request as httpRequest } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayCache } from '../../src/identity/replay-cache.js';
import { signRequest } from '../../src/client/sign.js';
import {
  BRAND_MANAGER,
  DEMO_KEY,
  FRANCHISE_OWNER,
  OTHER_TENANT_ADMIN,
  signedHeaders,
  startTestService,
  portOpen,
  type TestService,
} from '../support/harness.js';

const REDIS = 'redis://127.0.0.1:6379/7';
const up = await portOpen('127.0.0.1', 6379);
if (!up && process.env['CI'] !== 'true')
  console.warn(
    'SKIPPED Redis tests: nothing listens on 127.0.0.1:6379. Start Redis with: redis-server --daemonize yes',
  );

const QUESTION = 'What was the total sales amount last week?';
const listening = new WeakMap<TestService, string>();

/** Over real HTTP when the replica listens on a port, else through inject(). */
async function send(
  svc: TestService,
  who: { tenantId: string; businessId: string; adminId: string },
  headers?: Record<string, string>,
  payload?: string,
) {
  const body = payload ?? JSON.stringify({ ...who, question: QUESTION });
  const base = listening.get(svc);
  if (base) {
    const url = `${base}/v1/ask`;
    const h =
      headers ??
      (await signRequest({ url, body, ...DEMO_KEY, extraHeaders: { 'x-splitplane-nonce': String(Math.random()) } }));
    // node:http, not fetch: behind a load balancer every replica sees the same Host header, which
    // fetch would not let us send.
    return new Promise<{ statusCode: number; code: string | undefined; retryAfter: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(url, { method: 'POST', headers: h }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              statusCode: res.statusCode ?? 0,
              code: (JSON.parse(text) as { code?: string }).code,
              retryAfter: res.headers['retry-after'],
            }),
          );
        });
        req.on('error', reject);
        req.end(body);
      },
    );
  }
  const res = await svc.app.inject({
    method: 'POST',
    url: '/v1/ask',
    headers: headers ?? (await signedHeaders(body)),
    payload: body,
  });
  return {
    statusCode: res.statusCode,
    code: res.json<{ code?: string }>().code,
    retryAfter: res.headers['retry-after'],
  };
}

describe.skipIf(!up && process.env['CI'] !== 'true')('replicas sharing Redis', () => {
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    const admin = new Redis(REDIS);
    await admin.flushdb();
    admin.disconnect();
    const config = {
      redis: { url: REDIS },
      rateLimit: { perAdmin: { max: 3, windowMs: 60_000 }, perTenant: { max: 1000, windowMs: 60_000 } },
    };
    a = await startTestService({}, config);
    b = await startTestService({}, config);
    // Two listening replicas on different ports, as behind a load balancer.
    listening.set(a, await a.app.listen({ host: '127.0.0.1', port: 0 }));
    listening.set(b, await b.app.listen({ host: '127.0.0.1', port: 0 }));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('refuses at replica B a signed request already accepted by replica A', async () => {
    const body = JSON.stringify({ ...FRANCHISE_OWNER, question: QUESTION });
    // Both replicas sit behind one public name (the load balancer's Host); A and B listen on different ports.
    const headers = await signRequest({ url: 'http://analytics.example.test/v1/ask', body, ...DEMO_KEY });
    expect((await send(a, FRANCHISE_OWNER, headers, body)).statusCode).toBe(200);
    expect(await send(b, FRANCHISE_OWNER, headers, body)).toMatchObject({
      statusCode: 401,
      code: 'SP_ERR_SIGNATURE_REPLAY',
    });
  });

  it("counts one admin's requests across replicas and answers 429 with Retry-After", async () => {
    expect((await send(a, BRAND_MANAGER)).statusCode).toBe(200);
    expect((await send(b, BRAND_MANAGER)).statusCode).toBe(200);
    expect((await send(a, BRAND_MANAGER)).statusCode).toBe(200);
    const limited = await send(b, BRAND_MANAGER);
    expect(limited).toMatchObject({ statusCode: 429, code: 'SP_ERR_RATE_LIMITED' });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // Another admin is not affected.
    expect((await send(b, OTHER_TENANT_ADMIN)).statusCode).toBe(200);
    // The counters are named by what they count.
    const admin = new Redis(REDIS);
    const keys = await admin.keys('splitplane:rl:*');
    admin.disconnect();
    expect(keys).toContain('splitplane:rl:tenant:12');
    expect(keys.some((k) => k.startsWith('splitplane:rl:admin:'))).toBe(true);
    expect(keys.filter((k) => k.includes('undefined'))).toEqual([]);
  });
});

describe('a per-tenant limit (in memory, no Redis)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      {},
      { rateLimit: { perAdmin: { max: 100, windowMs: 60_000 }, perTenant: { max: 2, windowMs: 60_000 } } },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it("stops a tenant's third request whoever sends it, and leaves other tenants alone", async () => {
    expect((await send(svc, FRANCHISE_OWNER)).statusCode).toBe(200);
    expect((await send(svc, FRANCHISE_OWNER)).statusCode).toBe(200);
    expect((await send(svc, BRAND_MANAGER)).code).toBe('SP_ERR_RATE_LIMITED');
    expect((await send(svc, OTHER_TENANT_ADMIN)).statusCode).toBe(200);
  });
});

describe('when Redis is down', () => {
  const DOWN = { redis: { url: 'redis://127.0.0.1:1/0', commandTimeoutMs: 200 } };
  const OPEN = { redis: { ...DOWN.redis, whenDown: 'open' }, rateLimit: { perAdmin: { max: 3, windowMs: 60_000 } } };

  it('closed (the default): replay checks refuse every signed request', async () => {
    const svc = await startTestService({}, DOWN);
    try {
      expect(await send(svc, FRANCHISE_OWNER)).toMatchObject({
        statusCode: 503,
        code: 'SP_ERR_REPLAY_CACHE_UNAVAILABLE',
      });
    } finally {
      await svc.close();
    }
  });

  it('closed (the default): rate limits refuse too, whatever checks replays', async () => {
    const svc = await startTestService({ replayCache: new MemoryReplayCache() }, DOWN);
    try {
      expect(await send(svc, FRANCHISE_OWNER)).toMatchObject({
        statusCode: 503,
        code: 'SP_ERR_RATE_LIMIT_UNAVAILABLE',
      });
    } finally {
      await svc.close();
    }
  });

  it("open: answers from this replica's memory: a replay to it is still refused, and its own limits still count", async () => {
    const svc = await startTestService({}, OPEN);
    try {
      const body = JSON.stringify({ ...FRANCHISE_OWNER, question: QUESTION });
      const headers = await signedHeaders(body);
      expect((await send(svc, FRANCHISE_OWNER, headers, body)).statusCode).toBe(200);
      expect(await send(svc, FRANCHISE_OWNER, headers, body)).toMatchObject({
        statusCode: 401,
        code: 'SP_ERR_SIGNATURE_REPLAY',
      });
      expect((await send(svc, FRANCHISE_OWNER)).statusCode).toBe(200);
      expect((await send(svc, FRANCHISE_OWNER)).statusCode).toBe(200);
      expect(await send(svc, FRANCHISE_OWNER)).toMatchObject({ statusCode: 429, code: 'SP_ERR_RATE_LIMITED' });
      expect((await send(svc, BRAND_MANAGER)).statusCode).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it('refuses the setting it replaced, with a message naming the new one', async () => {
    await expect(startTestService({}, { ...DOWN, rateLimit: { redisDown: 'closed' } })).rejects.toMatchObject({
      code: 'SP_ERR_CONFIG',
      message: expect.stringContaining('redis.whenDown'),
    });
  });
});

/**
 * The answer cache's own rules: every part of the key matters, the bytes bound and the TTL hold, and a
 * Redis entry is served only with a valid HMAC under the server's key (whoever can write to Redis cannot
 * plant an answer). The Redis cases need Redis on 127.0.0.1:6379 (database 9); outside CI they skip
 * with a message when it is not running. The property that no entry crosses a scope is
 * test/security/answer-cache.test.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { unreachableRedis } from '../../test/support/redis.js';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../test/support/harness.js';
import type { QueryResult } from '../warehouse/connector.js';
import { AnswerCache, boundDigest, cacheKey, type CacheKeyParts } from './answer-cache.js';

const rows = (n: number, v = 1): QueryResult => ({
  columns: [{ name: 'x', type: 'INTEGER' }],
  rows: Array.from({ length: n }, () => [v]),
  truncated: false,
});
const PARTS: CacheKeyParts = {
  engine: 'duckdb:warehouse-a',
  day: '2026-11-18',
  policyRevision: 'p1',
  catalogRevision: 'c1',
  dataVersion: 'd1',
  sql: 'SELECT 1',
  bound: 'b1',
  rowCap: 1000,
};

describe('cacheKey', () => {
  it('changes when any one part changes (and parts cannot run together)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(PARTS) as (keyof CacheKeyParts)[])), fc.string(), (part, value) => {
        const changed = {
          ...PARTS,
          [part]: part === 'rowCap' ? value.length + 1001 : `${PARTS[part]}${value}x`,
        };
        expect(cacheKey(changed)).not.toBe(cacheKey(PARTS));
      }),
    );
    expect(cacheKey({ ...PARTS, sql: 'ab', bound: 'c' })).not.toBe(cacheKey({ ...PARTS, sql: 'a', bound: 'bc' }));
  });

  it('binds the scope and every decision value: another store, tenant or mask key is another key', () => {
    const scope = { tenantId: '12', businessId: '628', units: ['628017', '628123'] };
    const base = boundDigest({ scope, bindings: ['sp_tenant', 'sp_units'] });
    expect(boundDigest({ scope: { ...scope, units: ['628017'] }, bindings: ['sp_tenant', 'sp_units'] })).not.toBe(base);
    expect(boundDigest({ scope: { ...scope, tenantId: '31' }, bindings: ['sp_tenant', 'sp_units'] })).not.toBe(base);
    const mask = (value: string) =>
      boundDigest({ scope, bindings: ['sp_tenant', { name: 'sp_v1', type: 'text', value }] });
    expect(mask('key-one')).not.toBe(mask('key-two'));
    expect(boundDigest({ scope, bindings: ['sp_tenant', 'sp_units'] })).toBe(base);
  });
});

describe('AnswerCache in this process', () => {
  it('keeps at most maxBytes (least recently used dropped first), and nothing larger than the whole', async () => {
    const cache = new AnswerCache({ maxBytes: 400, ttlMs: 60_000 });
    await cache.set('a', rows(20));
    await cache.set('b', rows(20));
    expect(await cache.get('a')).toBeDefined();
    await cache.set('c', rows(20));
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBeDefined();
    await cache.set('huge', rows(1_000));
    expect(await cache.get('huge')).toBeUndefined();
  });

  it('hands out frozen rows: a caller cannot change what the next one is served', async () => {
    const cache = new AnswerCache({ maxBytes: 10_000, ttlMs: 60_000 });
    await cache.set('a', rows(2, 5));
    const got = await cache.get('a');
    expect(Object.isFrozen(got?.rows)).toBe(true);
    expect(() => (got?.rows[0] as unknown as number[]).push(6)).toThrow(TypeError);
    expect(await cache.get('a')).toEqual(rows(2, 5));
  });

  it('serves an entry for its TTL only', async () => {
    const cache = new AnswerCache({ maxBytes: 10_000, ttlMs: 30 });
    await cache.set('a', rows(1));
    expect(await cache.get('a')).toEqual(rows(1));
    await new Promise((r) => setTimeout(r, 60));
    expect(await cache.get('a')).toBeUndefined();
  });
});

const redisUp = await portOpen('127.0.0.1', 6379);
if (!redisUp && process.env['CI'] !== 'true')
  console.warn(
    'SKIPPED Redis answer-cache tests: nothing listens on 127.0.0.1:6379. Start it with: redis-server --daemonize yes',
  );
const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

describe.runIf(redisUp || process.env['CI'] === 'true')('AnswerCache shared in Redis', () => {
  const shared = (key: string, prefix: string) => {
    const client = new Redis('redis://127.0.0.1:6379/9', { maxRetriesPerRequest: 1 });
    clients.push(client);
    const log: string[] = [];
    return {
      client,
      log,
      cache: new AnswerCache({ maxBytes: 1e6, ttlMs: 60_000, redis: { client, key, prefix }, log: (m) => log.push(m) }),
    };
  };

  it('another replica with the same key reads the entry; a planted, altered or foreign-key entry is a miss', async () => {
    const prefix = `t:${randomUUID()}:`;
    const a = shared('server-key', prefix);
    const b = shared('server-key', prefix);
    await a.cache.set('k1', rows(2, 7));
    expect(await b.cache.get('k1')).toEqual(rows(2, 7));
    expect(b.cache.stats.sharedHits).toBe(1);

    // Planted without the key: no HMAC, or one made under another key.
    await a.client.set(`${prefix}k2`, JSON.stringify(rows(1, 999)));
    const other = shared('not-the-server-key', prefix);
    await other.cache.set('k3', rows(1, 999));
    expect(await b.cache.get('k2')).toBeUndefined();
    expect(await b.cache.get('k3')).toBeUndefined();
    // Altered after it was written: the rows changed under a valid-looking HMAC.
    const stored = await a.client.get(`${prefix}k1`);
    await a.client.set(`${prefix}k4`, stored ?? '');
    await a.client.set(`${prefix}k1`, (stored ?? '').replace('[7]', '[8]'));
    const c = shared('server-key', prefix);
    expect(await c.cache.get('k1')).toBeUndefined();
    // An entry moved to another key (its HMAC covers the key too).
    expect(await c.cache.get('k4')).toBeUndefined();
    expect(c.cache.stats.forged + b.cache.stats.forged).toBe(4);
    expect(b.log).toContain('shared answer refused: its HMAC does not match');
  });

  it('an authentic entry copied back after its time is refused, and a shared hit is kept only for what is left of its time', async () => {
    const prefix = `t:${randomUUID()}:`;
    let now = 1_000_000;
    const client = new Redis('redis://127.0.0.1:6379/9', { maxRetriesPerRequest: 1 });
    clients.push(client);
    const make = () =>
      new AnswerCache({ maxBytes: 1e6, ttlMs: 10_000, redis: { client, key: 'server-key', prefix }, now: () => now });
    await make().set('k', rows(1, 7));
    const stored = await client.get(`${prefix}k`);
    // 6 s later another replica reads it, and keeps it for the 4 s left, not a fresh 10.
    now += 6_000;
    const b = make();
    expect(await b.get('k')).toEqual(rows(1, 7));
    await client.del(`${prefix}k`);
    now += 4_001;
    expect(await b.get('k')).toBeUndefined();
    // Written back into Redis with no expiry, after its time: the signed expiry refuses it.
    await client.set(`${prefix}k`, stored ?? '');
    expect(await make().get('k')).toBeUndefined();
  });

  it('Redis away: a miss, never an error', async () => {
    const client = unreachableRedis();
    const log: string[] = [];
    const cache = new AnswerCache({
      maxBytes: 1e6,
      ttlMs: 60_000,
      redis: { client, key: 'k' },
      log: (m) => log.push(m),
    });
    expect(await cache.get('x')).toBeUndefined();
    await cache.set('x', rows(1));
    expect(await cache.get('x')).toEqual(rows(1));
    expect(log).toEqual(['shared answers unavailable', 'answer not shared']);
    client.disconnect();
  });
});

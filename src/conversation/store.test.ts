/**
 * Conversations, in memory and in Redis (the replicas' shared store): the same rules for both (owner,
 * expiry, the turn limit), every replica continuing every conversation, and what a Redis outage or a
 * planted turn does. The Redis cases need Redis on 127.0.0.1:6379 (database 10); outside CI they skip
 * with a message when it is not running.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { unreachableRedis } from '../../test/support/redis.js';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../test/support/harness.js';
import { MemoryConversationStore, RedisConversationStore, type ConversationStore, type Turn } from './store.js';

const ME = '12/628/7042';
const OTHER = '12/628/7043';
const QUERY = { metrics: ['net_sales_amount'], dimensions: [], filters: [] } as unknown as NonNullable<Turn['query']>;
const turn = (question: string): Turn => ({ question, sql: 'SELECT 1', query: QUERY });

const redisUp = await portOpen('127.0.0.1', 6379);
if (!redisUp && process.env['CI'] !== 'true')
  console.warn(
    'SKIPPED Redis conversation tests: nothing listens on 127.0.0.1:6379. Start it with: redis-server --daemonize yes',
  );
const clients: Redis[] = [];
const redis = (): Redis => {
  const r = new Redis('redis://127.0.0.1:6379/10', { maxRetriesPerRequest: 1 });
  clients.push(r);
  return r;
};
afterAll(() => {
  for (const c of clients) c.disconnect();
});

type Make = (now: () => number, maxTurns?: number) => ConversationStore;
const kinds: [string, Make, boolean][] = [
  ['memory', (now, maxTurns) => new MemoryConversationStore(100, maxTurns, 3_600_000, now), true],
  [
    'redis',
    (now, maxTurns) => new RedisConversationStore(redis(), () => {}, maxTurns, 3_600_000, now, `t:${randomUUID()}:`),
    redisUp || process.env['CI'] === 'true',
  ],
];

describe.each(kinds)('%s conversations', (_name, make, run) => {
  it.runIf(run)('keeps the turns in order, for their owner only', async () => {
    const s = make(Date.now);
    const c = await s.open(undefined, ME);
    expect(c.turns).toEqual([]);
    await s.record(c, turn('revenue last week'));
    await s.record({ ...c, turns: [turn('revenue last week')] }, turn('and the week before?'));
    const again = await s.open(c.id, ME);
    expect(again.turns.map((t) => t.question)).toEqual(['revenue last week', 'and the week before?']);
    expect(again.turns[0]?.query).toEqual(turn('x').query);
    await expect(s.open(c.id, OTHER)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_FORBIDDEN' });
    await expect(s.record({ ...c, owner: OTHER }, turn('planted'))).rejects.toMatchObject({
      code: 'SP_ERR_CONVERSATION_FORBIDDEN',
    });
    await expect(s.open(randomUUID(), ME)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_UNKNOWN' });
    await expect(s.open('not-an-id', ME)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_UNKNOWN' });
  });

  it.runIf(run)('expires after an hour without a turn, and ends at its turn limit', async () => {
    let t = 1_000_000;
    const s = make(() => t, 2);
    const c = await s.open(undefined, ME);
    await s.record(c, turn('one'));
    t += 3_600_000;
    expect((await s.open(c.id, ME)).turns).toHaveLength(1);
    await s.record({ ...c, turns: [turn('one')] }, turn('two'));
    await expect(s.open(c.id, ME)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_FULL' });
    await expect(s.record({ ...c, turns: [turn('one')] }, turn('three'))).rejects.toMatchObject({
      code: 'SP_ERR_CONVERSATION_FULL',
    });
    const d = await s.open(undefined, ME);
    await s.record(d, turn('one'));
    t += 3_600_001;
    await expect(s.open(d.id, ME)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_EXPIRED' });
  });
});

describe.runIf(redisUp || process.env['CI'] === 'true')('conversations in Redis, across replicas', () => {
  it('a conversation started on one replica continues on another; turns recorded at once never pass the limit', async () => {
    const prefix = `t:${randomUUID()}:`;
    const a = new RedisConversationStore(redis(), () => {}, 5, 3_600_000, Date.now, prefix);
    const b = new RedisConversationStore(redis(), () => {}, 5, 3_600_000, Date.now, prefix);
    const c = await a.open(undefined, ME);
    await a.record(c, turn('revenue last week'));
    const onB = await b.open(c.id, ME);
    expect(onB.turns.map((x) => x.question)).toEqual(['revenue last week']);
    await expect(b.open(c.id, OTHER)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_FORBIDDEN' });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).record(onB, turn(`q${i}`))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : []));
    expect(codes).toEqual(Array(6).fill('SP_ERR_CONVERSATION_FULL'));
    expect((await a.open(c.id, ME).catch((e: unknown) => e)) as object).toMatchObject({
      code: 'SP_ERR_CONVERSATION_FULL',
    });
  });

  it('a stored turn this service did not write is refused, not read', async () => {
    const prefix = `t:${randomUUID()}:`;
    const r = redis();
    const s = new RedisConversationStore(r, () => {}, 20, 3_600_000, Date.now, prefix);
    const c = await s.open(undefined, ME);
    await s.record(c, turn('revenue last week'));
    await r.rpush(`${prefix}{${c.id}}:turns`, '{"question": 42}');
    await expect(s.open(c.id, ME)).rejects.toMatchObject({ code: 'SP_ERR_CONVERSATION_UNAVAILABLE', statusCode: 503 });
  });
});

describe('conversations in Redis with Redis away', () => {
  it('a turn that continues a conversation is 503 SP_ERR_CONVERSATION_UNAVAILABLE; a first turn is answered and logged', async () => {
    const r = unreachableRedis();
    const logged: string[] = [];
    const s = new RedisConversationStore(r, (m) => logged.push(m));
    await expect(s.open(randomUUID(), ME)).rejects.toMatchObject({
      code: 'SP_ERR_CONVERSATION_UNAVAILABLE',
      statusCode: 503,
    });
    const first = await s.open(undefined, ME);
    await expect(s.record(first, turn('revenue last week'))).resolves.toBeUndefined();
    await expect(s.record({ ...first, turns: [turn('revenue last week')] }, turn('and before?'))).rejects.toMatchObject(
      {
        code: 'SP_ERR_CONVERSATION_UNAVAILABLE',
      },
    );
    expect(logged).toEqual([
      'conversation not read',
      'first turn of a conversation not recorded',
      'conversation not recorded',
    ]);
    r.disconnect();
  });
});

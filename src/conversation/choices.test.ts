/** Remembered choices: per person, bounded, forgotten on request; what counts as asking to forget. */
import { describe, expect, it } from 'vitest';
import { unreachableRedis } from '../../test/support/redis.js';
import { FORGET_CHOICES, MemoryChoiceStore, RedisChoiceStore } from './choices.js';

describe('MemoryChoiceStore', () => {
  it("keeps each person's choices apart, and forgets only the one who asks", async () => {
    const s = new MemoryChoiceStore();
    await s.set('12/628/7042', 'sales', 'net_sales_amount');
    await s.set('12/628/7043', 'sales', 'order_count');
    expect(await s.get('12/628/7042')).toEqual({ sales: 'net_sales_amount' });
    expect(await s.get('12/628/7043')).toEqual({ sales: 'order_count' });
    expect(await s.get('12/628/7001')).toEqual({});
    expect(await s.forget('12/628/7042')).toBe(1);
    expect(await s.get('12/628/7042')).toEqual({});
    expect(await s.get('12/628/7043')).toEqual({ sales: 'order_count' });
    expect(await s.forget('12/628/7042')).toBe(0);
  });

  it('a later choice for the same word replaces the earlier one; a copy handed out does not change the store', async () => {
    const s = new MemoryChoiceStore();
    await s.set('a', 'sales', 'net_sales_amount');
    await s.set('a', 'sales', 'order_count');
    const got = (await s.get('a')) as Record<string, string>;
    got['sales'] = 'planted';
    expect(await s.get('a')).toEqual({ sales: 'order_count' });
  });

  it('is bounded: the person changed least recently is dropped first', async () => {
    const s = new MemoryChoiceStore(2);
    await s.set('a', 'sales', 'x');
    await s.set('b', 'sales', 'x');
    await s.set('a', 'sold', 'y');
    await s.set('c', 'sales', 'x');
    expect(await s.get('b')).toEqual({});
    expect(await s.get('a')).toEqual({ sales: 'x', sold: 'y' });
  });
});

describe('FORGET_CHOICES', () => {
  it.each([
    'forget my choices',
    'Please forget my choices.',
    'reset my preferences',
    'clear what I picked',
    'forget what I chose',
    'forget all my choices!',
  ])('%s asks to forget', (q) => {
    expect(FORGET_CHOICES.test(q)).toBe(true);
  });
  it.each([
    'what did I choose last week',
    'sales amount last week',
    'forget it, revenue last week by store in chicago',
    'top choices by revenue',
  ])('%s does not', (q) => {
    expect(FORGET_CHOICES.test(q)).toBe(false);
  });
});

describe('RedisChoiceStore with Redis away', () => {
  it('reads no choice (the person is asked), and refuses to forget with a stable code, never a 500 or a false "done"', async () => {
    const redis = unreachableRedis();
    const logged: string[] = [];
    const s = new RedisChoiceStore(redis, (m) => logged.push(m));
    expect(await s.get('12/628/7042')).toEqual({});
    await expect(s.forget('12/628/7042')).rejects.toMatchObject({
      code: 'SP_ERR_CHOICES_UNAVAILABLE',
      statusCode: 503,
    });
    expect(logged).toEqual(['remembered choices unavailable', 'remembered choices not forgotten']);
    redis.disconnect();
  });
});

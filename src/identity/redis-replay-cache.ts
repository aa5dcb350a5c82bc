/**
 * The replay cache in Redis, shared by every replica: a signature accepted by
 * one instance is a replay at all the others. SET NX PX is atomic. When Redis
 * does not answer, the check fails closed (`redis.whenDown: closed`, the
 * default), or, with `open`, falls back to this replica's own memory: a
 * replay sent to the same replica is still refused, one sent to another
 * replica during the outage is not (the availability that setting buys).
 */
import type { Redis } from 'ioredis';
import { SplitplaneError } from '../errors.js';
import type { ReplayCache } from './replay-cache.js';

export class RedisReplayCache implements ReplayCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'splitplane:replay:',
    /** Used only while Redis does not answer; none: fail closed. */
    private readonly whenDown?: ReplayCache,
  ) {}

  async remember(key: string, ttlMs: number, nowMs: number): Promise<boolean> {
    try {
      return (await this.redis.set(`${this.prefix}${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    } catch (cause) {
      if (this.whenDown) return this.whenDown.remember(key, ttlMs, nowMs);
      throw new SplitplaneError('SP_ERR_REPLAY_CACHE_UNAVAILABLE', { cause });
    }
  }
}

/**
 * The replay cache in Redis, shared by every replica: a signature accepted by
 * one instance is a replay at all the others. SET NX PX is atomic. When Redis
 * does not answer, the check fails closed.
 */
import type { Redis } from 'ioredis';
import { SplitplaneError } from '../errors.js';
import type { ReplayCache } from './replay-cache.js';

export class RedisReplayCache implements ReplayCache {
  constructor(private readonly redis: Redis, private readonly prefix = 'splitplane:replay:') {}

  async remember(key: string, ttlMs: number): Promise<boolean> {
    try {
      return (await this.redis.set(`${this.prefix}${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_REPLAY_CACHE_UNAVAILABLE', { cause });
    }
  }
}

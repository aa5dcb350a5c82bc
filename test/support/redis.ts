/** Redis clients for tests of what the shared stores do while Redis is away. */
import { Redis } from 'ioredis';

/** A client that never connects: every command fails at once (no offline queue, no retry). Disconnect it after. */
export function unreachableRedis(): Redis {
  return new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}

/**
 * What replicas share, opened from the configuration: the Redis client, the feedback store
 * (a file, or PostgreSQL for every replica), the answer cache (this process, and Redis with an
 * authenticated entry per answer), and where their warnings go when no log is given.
 */
import type { Redis as RedisClient } from 'ioredis';
import { Redis } from 'ioredis';
import { AnswerCache } from '../cache/answer-cache.js';
import type { Config } from '../config/config.js';
import { SplitplaneError } from '../errors.js';
import { FileFeedbackStore, type FeedbackStore } from '../feedback/feedback.js';
import type { PipelineDeps } from '../pipeline/deps.js';

/** The configured feedback store, with its probe and its close when it holds connections. */
export interface OpenedFeedback {
  readonly store: FeedbackStore;
  readonly check?: () => Promise<void>;
  readonly close?: () => Promise<void>;
}

export async function openFeedback(config: Config, log: PipelineDeps['log']): Promise<OpenedFeedback> {
  const f = config.feedback;
  if (f.store === 'postgres') {
    // Loaded only here: a deployment with the file store never loads PostgreSQL's driver for it.
    const { PostgresFeedbackStore } = await import('../feedback/postgres-feedback.js');
    const store = await PostgresFeedbackStore.open({ url: f.postgresUrl, retentionDays: f.exampleRetentionDays, log });
    return { store, check: () => store.check(), close: () => store.close() };
  }
  return { store: new FileFeedbackStore(f.file, undefined, undefined, f.exampleRetentionDays) };
}

/**
 * The answer cache of the configuration: off, in this process, or shared in Redis too when Redis is
 * configured and SPLITPLANE_CACHE_KEY (the key Redis entries are authenticated with) is set; demo mode
 * has a public key. Without the key, answers are cached in this process only (never unauthenticated in Redis).
 */
export function openAnswerCache(
  config: Config,
  redis: RedisClient | undefined,
  log: PipelineDeps['log'],
): AnswerCache | undefined {
  if (!config.cache.enabled) return undefined;
  const given = process.env['SPLITPLANE_CACHE_KEY'];
  // A short key could be found offline from one entry read out of Redis, and then entries forged.
  if (given && given.length < 32)
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: 'SPLITPLANE_CACHE_KEY is shorter than 32 characters (use 32 or more random bytes: openssl rand -hex 32)',
    });
  const key = given || (config.mode === 'demo' ? 'splitplane-demo-cache-key' : undefined);
  const shared = redis && config.cache.shared && key ? { client: redis, key } : undefined;
  return new AnswerCache({
    maxBytes: config.cache.maxBytes,
    ttlMs: config.cache.ttlSeconds * 1_000,
    redis: shared,
    log,
  });
}

/** A warning as one JSON line on stderr (pino's shape: level 40 is warn). */
export function warnOnStderr(msg: string, detail: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), msg, ...detail })}\n`);
}

/** A Redis client that fails fast instead of queueing while the server is away. */
export function redisClient(url: string, commandTimeoutMs: number): RedisClient {
  const r = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: commandTimeoutMs,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  r.on('error', () => {
    // Connection errors surface on each command (and fail that request as configured); no crash here.
  });
  return r;
}

/**
 * Rate limits per verified admin and per tenant, with @fastify/rate-limit
 * (its Redis store when Redis is configured, so every replica shares the
 * counters; in memory otherwise). They run right after layer 1, keyed on the
 * verified identity: unsigned or forged requests cannot spend someone else's
 * quota. When Redis is down they refuse (redis.whenDown: closed) or count in this replica's memory (open).
 */
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
// The plugin's own Redis store (CommonJS, no types), wrapped below only to name its keys.
// @ts-expect-error no declaration file for the store module
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
// @ts-expect-error no declaration file for the store module
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import { SplitplaneError } from '../errors.js';
import type { Identity } from '../identity/identity.js';

const NAMESPACE = 'splitplane:rl:';

/**
 * The plugin's Redis store, with keys named by what is counted (`splitplane:rl:tenant:12`,
 * `splitplane:rl:admin:<session>`, `splitplane:rl:address-failures:<ip>`): its own child store
 * prefixes a route's method and URL, which a limiter made outside a route does not have
 * (`splitplane:rl:undefinedundefined-admin:...`). With `localWhenDown` (redis.whenDown: open), a
 * count Redis cannot take is taken by the plugin's own in-memory store instead: while Redis is away
 * each replica enforces the limits on what it sees itself.
 */
function namedRedisStore(redis: Redis, localWhenDown: boolean): FastifyRateLimitStoreCtor {
  type Incr = (key: string, cb: (err: unknown, res?: unknown) => void, timeWindow: number, max: number) => void;
  type Store = { incr: Incr };
  type Options = {
    continueExceeding?: boolean;
    exponentialBackoff?: boolean;
    routeInfo?: { method?: string; url?: string };
  };
  const make = (o: Options, key: string): Store => {
    const shared = new (RedisStore as unknown as new (...a: unknown[]) => Store)(
      o.continueExceeding,
      o.exponentialBackoff,
      redis,
      key,
    );
    if (!localWhenDown) return shared;
    const local = new (LocalStore as unknown as new (...a: unknown[]) => Store)(
      o.continueExceeding,
      o.exponentialBackoff,
    );
    return {
      incr: (k, cb, timeWindow, max) =>
        shared.incr(
          k,
          (err, res) => (err ? local.incr(`${key}${k}`, cb, timeWindow, max) : cb(null, res)),
          timeWindow,
          max,
        ),
    };
  };
  return class NamedRedisStore {
    readonly #inner: Store;
    constructor(params: Options) {
      this.#inner = make(params, NAMESPACE);
    }
    incr(key: string, cb: (err: unknown, res?: unknown) => void, timeWindow: number, max: number): void {
      this.#inner.incr(key, cb, timeWindow, max);
    }
    child(o: Options): Store {
      return make(o, o.routeInfo?.url ? `${NAMESPACE}${o.routeInfo.method ?? ''}${o.routeInfo.url}-` : NAMESPACE);
    }
  } as unknown as FastifyRateLimitStoreCtor;
}

/** Checks the limits for a request whose identity is verified; throws SP_ERR_RATE_LIMITED with Retry-After. */
export type LimitCheck = (req: FastifyRequest, identity: Identity) => Promise<void>;

type Limiter = (req: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>;

/** Failed authentications per client address: counted after a 401, refused up front once over the limit. */
export interface AddressFailures {
  /** Seconds until the request's address may try again, when it is over its limit; else undefined. */
  blocked(req: FastifyRequest): number | undefined;
  /** Count one failed authentication from the request's address. */
  record(req: FastifyRequest): Promise<void>;
}

export function registerRateLimits(
  app: FastifyInstance,
  config: Config,
  redis: Redis | undefined,
): { check: LimitCheck; failures: AddressFailures } {
  void app.register(rateLimit, {
    global: false,
    skipOnError: false,
    nameSpace: NAMESPACE,
    ...(redis ? { redis, store: namedRedisStore(redis, config.redis.whenDown === 'open') } : {}),
  });
  const who = new WeakMap<FastifyRequest, Identity>();
  let limiters: [string, Limiter][] | undefined;
  const create = (o: object): Limiter =>
    (app as unknown as { createRateLimit: (o: object) => Limiter }).createRateLimit(o);
  const check: LimitCheck = async (req, identity) => {
    limiters ??= [
      [
        'tenant',
        create({
          max: config.rateLimit.perTenant.max,
          timeWindow: config.rateLimit.perTenant.windowMs,
          keyGenerator: (r: FastifyRequest) => `tenant:${who.get(r)!.tenantId}`,
        }),
      ],
      [
        'admin',
        create({
          max: config.rateLimit.perAdmin.max,
          timeWindow: config.rateLimit.perAdmin.windowMs,
          keyGenerator: (r: FastifyRequest) => `admin:${who.get(r)!.sessionKey}`,
        }),
      ],
    ];
    who.set(req, identity);
    for (const [name, limiter] of limiters) {
      let r;
      try {
        r = await limiter(req);
      } catch (cause) {
        throw new SplitplaneError('SP_ERR_RATE_LIMIT_UNAVAILABLE', { cause });
      }
      if (!r.isAllowed && r.isExceeded) {
        throw new SplitplaneError('SP_ERR_RATE_LIMITED', {
          detail: `per ${name}`,
          retryAfterSeconds: Math.max(1, r.ttlInSeconds ?? 1),
        });
      }
    }
  };

  // The count is shared through Redis like the others; the block it triggers is kept per replica.
  const until = new Map<string, number>();
  let failuresLimiter: Limiter | undefined;
  const failures: AddressFailures = {
    blocked(req) {
      const t = until.get(req.ip);
      if (t === undefined) return undefined;
      if (t <= Date.now()) {
        until.delete(req.ip);
        return undefined;
      }
      return Math.max(1, Math.ceil((t - Date.now()) / 1000));
    },
    async record(req) {
      const { max, windowMs } = config.rateLimit.perAddressFailures;
      failuresLimiter ??= create({
        max,
        timeWindow: windowMs,
        keyGenerator: (r: FastifyRequest) => `address-failures:${r.ip}`,
      });
      const r = await failuresLimiter(req).catch(() => undefined);
      if (r?.isExceeded) {
        until.set(req.ip, Date.now() + Math.max(1, r.ttlInSeconds ?? 1) * 1000);
        if (until.size > 100_000) until.delete(until.keys().next().value as string);
      }
    },
  };
  return { check, failures };
}

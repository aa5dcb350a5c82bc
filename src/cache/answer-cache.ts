/**
 * The answer cache: the rows of a warehouse read, kept for a short time under a key made of
 * everything that decides them, so a question asked again (many people of one business asking the
 * same few things each morning) does not pay the warehouse again. It sits at the warehouse port: a
 * cached connector answers `execute` from the cache or runs it and keeps the rows. Everything before
 * the warehouse still runs on every request (identity, rate limits, intent, policy, sandbox, guard,
 * audit); only the round trip is skipped.
 *
 * The key (cacheKey) is a SHA-256 of:
 *   - the engine, and which warehouse it reads (a digest of the warehouse configuration, secrets left out);
 *   - the service's date (SQL a model or an agent wrote may read the engine's clock);
 *   - the policy's revision (the bundle's digest and the directory snapshot it decides over);
 *   - the catalog's revision (the digest of its files);
 *   - the data version (DuckDB: the warehouse file's identity, checked on every read, hits included;
 *     PostgreSQL and Databricks: a configured query's answer, or nothing, and then the TTL alone);
 *   - the final SQL text exactly as the engine would run it;
 *   - the digest of every bound value: the verified scope (tenant, business, units) and the
 *     decision's filter and mask values (a masked column is cached only under its mask key);
 *   - the row cap.
 * Two requests share an entry only when all of these are equal, and then the engine would have
 * returned the same rows to both.
 *
 * Kept in this process (an LRU bounded in bytes) and, when Redis is configured with a cache key,
 * in Redis for every replica. A Redis entry carries an HMAC-SHA256 of its key, its rows and its expiry
 * under the server's key: whoever can write to Redis cannot plant an answer, alter one, move one to
 * another key or keep one past its time (each is a miss, logged). An entry read from Redis is kept
 * in this process only for what is left of its time. Redis failing is a miss, never an error.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { describeCause } from '../util/cause.js';
import { deepFreeze } from '../util/freeze.js';
import type { EngineConnector } from '../engines/engine.js';
import { bindScope } from '../warehouse/bindings.js';
import type { ExecuteOptions, QueryResult } from '../warehouse/connector.js';

/** How a read was answered: from the cache, by the warehouse (and kept), or with the cache turned off. */
export type CacheOutcome = 'hit' | 'miss' | 'off';

/** Everything that decides the rows of one read. */
export interface CacheKeyParts {
  /** The engine and which warehouse it reads (a digest of its configuration, secrets left out). */
  readonly engine: string;
  /** The service's date: SQL a model or an agent wrote may read the engine's clock ('today' on PostgreSQL). */
  readonly day: string;
  readonly policyRevision: string;
  readonly catalogRevision: string;
  /** The warehouse's data version; '' when the engine has none (the TTL alone bounds staleness). */
  readonly dataVersion: string;
  readonly sql: string;
  /** boundDigest of the read's options. */
  readonly bound: string;
  readonly rowCap: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The key of a read: one digest over every part (each named, so no two parts can run together). */
export function cacheKey(p: CacheKeyParts): string {
  const parts = {
    engine: p.engine,
    day: p.day,
    policy: p.policyRevision,
    catalog: p.catalogRevision,
    data: p.dataVersion,
    sql: p.sql,
    bound: p.bound,
    rowCap: p.rowCap,
  };
  return sha256(JSON.stringify(parts));
}

/**
 * The digest of every value the engine binds for a read: the verified scope (an engine with a second
 * wall reads it too) and the sandbox's bindings resolved from it exactly as the connector resolves
 * them (scope IDs, decision filter values, mask keys).
 */
export function boundDigest(opts: Pick<ExecuteOptions, 'scope' | 'bindings'>): string {
  const scope = opts.scope
    ? { tenantId: opts.scope.tenantId, businessId: opts.scope.businessId, units: opts.scope.units }
    : null;
  return sha256(JSON.stringify({ scope, bindings: bindScope(opts.bindings, opts.scope) }));
}

/** Settings of the cache (`cache` in the configuration). */
export interface AnswerCacheOptions {
  /** Most bytes of rows kept in this process (the rows' JSON length). */
  readonly maxBytes: number;
  readonly ttlMs: number;
  /** The shared layer: Redis and the key its entries are authenticated with. */
  readonly redis?: { readonly client: Redis; readonly key: string; readonly prefix?: string } | undefined;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  readonly now?: () => number;
}

/** Rows as kept: the result, its size, and when it stops being served (epoch ms). */
interface Entry {
  readonly result: QueryResult;
  readonly bytes: number;
  readonly expires: number;
}

/** The two layers: this process's LRU, then Redis (authenticated). */
export class AnswerCache {
  readonly #memory: LRUCache<string, Entry>;
  readonly #redis: AnswerCacheOptions['redis'];
  readonly #ttlMs: number;
  readonly #log: NonNullable<AnswerCacheOptions['log']>;
  readonly #now: () => number;
  readonly stats = { hits: 0, misses: 0, sharedHits: 0, forged: 0 };

  constructor(o: AnswerCacheOptions) {
    this.#ttlMs = o.ttlMs;
    this.#now = o.now ?? Date.now;
    this.#redis = o.redis;
    this.#log = o.log ?? (() => {});
    this.#memory = new LRUCache<string, Entry>({
      maxSize: o.maxBytes,
      sizeCalculation: (e) => Math.max(1, e.bytes),
      ttl: o.ttlMs,
      // An entry larger than the whole cache is not kept (lru-cache would throw otherwise).
      maxEntrySize: o.maxBytes,
    });
  }

  async get(key: string): Promise<QueryResult | undefined> {
    const local = this.#memory.get(key);
    if (local && local.expires > this.#now()) {
      this.stats.hits++;
      return local.result;
    }
    const shared = await this.#getShared(key);
    if (shared) {
      this.stats.hits++;
      this.stats.sharedHits++;
      // Kept here only for what is left of the time it was written with (never a fresh TTL).
      this.#keep(key, shared);
      return shared.result;
    }
    this.stats.misses++;
    return undefined;
  }

  async set(key: string, result: QueryResult): Promise<void> {
    // Frozen: every hit hands out the same rows, which no caller may change for the next one.
    const frozen = deepFreeze(result);
    const expires = this.#now() + this.#ttlMs;
    // The expiry is part of the signed text: an entry copied back after its time is refused too.
    const text = JSON.stringify({ expires, result: frozen });
    this.#keep(key, { result: frozen, bytes: text.length, expires });
    if (!this.#redis) return;
    const { client, prefix } = this.#redis;
    try {
      await client.set(`${prefix ?? 'splitplane:answer:'}${key}`, `${this.#mac(key, text)}.${text}`, 'PX', this.#ttlMs);
    } catch (cause) {
      this.#log('answer not shared', { cause: describeCause(cause) });
    }
  }

  /** Drop every entry of this process (tests; a catalog or policy change makes new keys anyway). */
  clear(): void {
    this.#memory.clear();
  }

  #keep(key: string, entry: Entry): void {
    const left = entry.expires - this.#now();
    if (left > 0 && entry.bytes <= this.#memory.maxSize) this.#memory.set(key, entry, { ttl: left });
  }

  #mac(key: string, text: string): string {
    return createHmac('sha256', this.#redis?.key ?? '')
      .update(key)
      .update('\n')
      .update(text)
      .digest('hex');
  }

  async #getShared(key: string): Promise<Entry | undefined> {
    if (!this.#redis) return undefined;
    const { client, prefix } = this.#redis;
    let stored: string | null;
    try {
      stored = await client.get(`${prefix ?? 'splitplane:answer:'}${key}`);
    } catch (cause) {
      this.#log('shared answers unavailable', { cause: describeCause(cause) });
      return undefined;
    }
    if (stored === null) return undefined;
    const dot = stored.indexOf('.');
    const mac = Buffer.from(stored.slice(0, Math.max(0, dot)), 'hex');
    const text = stored.slice(dot + 1);
    const expected = Buffer.from(this.#mac(key, text), 'hex');
    if (dot !== 64 || mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      this.stats.forged++;
      this.#log('shared answer refused: its HMAC does not match', { key });
      return undefined;
    }
    let entry: { expires?: unknown; result?: unknown };
    try {
      entry = JSON.parse(text) as typeof entry;
    } catch {
      return undefined;
    }
    // Past its time (an authentic entry replayed into Redis after it expired): a miss.
    if (typeof entry.expires !== 'number' || entry.expires <= this.#now() || typeof entry.result !== 'object')
      return undefined;
    return { result: deepFreeze(entry.result as QueryResult), bytes: text.length, expires: entry.expires };
  }
}

/** What the cached connector reads besides the read itself. */
export interface CacheContext {
  /** Which warehouse this deployment reads (two deployments sharing one Redis never share an entry). */
  readonly warehouse: string;
  /** The service's date now (the configured clock). */
  readonly today: () => string;
  /** The policy's revision now (a reload of the bundle or the directory changes it). */
  readonly policyRevision: () => string;
  readonly catalogRevision: string;
  /** The warehouse's data version now (dataVersionOf). */
  readonly dataVersion: () => Promise<string>;
}

/**
 * The data version of a warehouse: the answer of `query` (run with the directory's access, e.g. the
 * latest load of an ingestion log), asked at most once per `everyMs`; without a query, the engine's own
 * (DuckDB: the file's identity, checked on every call), or '' (the TTL alone bounds staleness).
 */
export function dataVersionOf(
  connector: EngineConnector,
  query: string | undefined,
  everyMs = 1_000,
  now: () => number = Date.now,
): () => Promise<string> {
  const own = async (): Promise<string> => (await connector.dataVersion?.()) ?? '';
  if (query === undefined) return own;
  let last: { at: number; version: Promise<string> } | undefined;
  // The engine's own version is asked every time (DuckDB's file check holds on hits with a query too).
  const queried = (): Promise<string> => {
    if (last && now() - last.at < everyMs) return last.version;
    const version = connector.readDirectory(query).then((rows) => JSON.stringify(rows));
    // A failed read is not remembered: the next read asks again (and this one fails as the warehouse failed).
    version.catch(() => {
      if (last?.version === version) last = undefined;
    });
    last = { at: now(), version };
    return version;
  };
  return async () => `${await own()}|${await queried()}`;
}

/** A connector's read with how it was answered. */
export type CachedResult = QueryResult & { readonly cache?: CacheOutcome };

/**
 * `connector` with `execute` answered from `cache` when every part of the key is equal. The data
 * version is asked of the connector on every read (DuckDB: the file identity check, hits included),
 * so a warehouse replaced under the service is never answered from the cache either.
 */
export function cachedConnector(connector: EngineConnector, cache: AnswerCache, ctx: CacheContext): EngineConnector {
  const execute = async (sql: string, opts: ExecuteOptions): Promise<CachedResult> => {
    const dataVersion = await ctx.dataVersion();
    const key = cacheKey({
      engine: `${connector.dialect.name}:${ctx.warehouse}`,
      day: ctx.today(),
      policyRevision: ctx.policyRevision(),
      catalogRevision: ctx.catalogRevision,
      dataVersion,
      sql,
      bound: boundDigest(opts),
      rowCap: opts.rowCap,
    });
    const hit = await cache.get(key);
    if (hit) return { ...hit, cache: 'hit' };
    const result = await connector.execute(sql, opts);
    await cache.set(key, { columns: result.columns, rows: result.rows, truncated: result.truncated });
    return { ...result, cache: 'miss' };
  };
  const cached: EngineConnector = {
    dialect: connector.dialect,
    check: connector.check,
    execute,
    engineParse: (sql: string) => connector.engineParse(sql),
    readDirectory: (sql: string) => connector.readDirectory(sql),
    ping: () => connector.ping(),
    close: () => connector.close(),
    dataVersion: ctx.dataVersion,
  };
  return Object.freeze(cached);
}

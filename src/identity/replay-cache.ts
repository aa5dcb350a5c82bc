/**
 * Remembers signatures already accepted, for as long as their timestamp could
 * still pass the clock-skew check, so a captured request cannot be replayed.
 */
import { SplitplaneError } from '../errors.js';

/** The replay-cache port (in memory here; a shared store for several replicas later). */
export interface ReplayCache {
  /** Record the key; resolves false when it was already recorded and not yet expired. */
  remember(key: string, ttlMs: number, nowMs: number): Promise<boolean>;
}

/**
 * In-process replay cache with expiry. It is bounded so a flood cannot exhaust
 * memory, and when it is full of live entries it refuses new requests (fails
 * closed) instead of forgetting signatures that could then be replayed.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 1_000_000) {
    this.#maxEntries = maxEntries;
  }

  async remember(key: string, ttlMs: number, nowMs: number): Promise<boolean> {
    const expiry = this.#entries.get(key);
    if (expiry !== undefined && expiry > nowMs) return false;
    if (this.#entries.size >= this.#maxEntries) {
      this.#evictExpired(nowMs);
      if (this.#entries.size >= this.#maxEntries) {
        throw new SplitplaneError('SP_ERR_INTERNAL', { detail: 'replay cache is full of live entries' });
      }
    }
    // Map iteration is insertion order; re-insert so expiry order stays roughly sorted.
    this.#entries.delete(key);
    this.#entries.set(key, nowMs + ttlMs);
    return true;
  }

  #evictExpired(nowMs: number): void {
    for (const [k, exp] of this.#entries) if (exp <= nowMs) this.#entries.delete(k);
  }
}

/**
 * Choices a person made: which measure a word naming several means to them ("sales" -> sales
 * amount), picked by answering a clarification. Later questions from the same person use the
 * choice and say so; "forget my choices" clears them. Kept per verified person (tenant, business,
 * admin: the identity's session key), never shared across people; in memory, or in Redis when the
 * deployment has one (every replica reads the same choices, and they survive restarts).
 *
 * A choice only ever picks among the catalog's own meanings of the word: a stored value that is not
 * one of them (an old catalog, a planted key) is ignored, and the person is asked again. When the
 * store cannot be read, the person is asked (never answered with a guess).
 */
import type { Redis } from 'ioredis';
import { SplitplaneError } from '../errors.js';
import { ownerDigest } from './store.js';
import { describeCause } from '../util/cause.js';

/** A word and the measure it means to one person. */
export type Choices = Readonly<Record<string, string>>;

export interface ChoiceStore {
  /** The person's choices (empty when none, or when the store cannot be read). */
  get(owner: string): Promise<Choices>;
  /** Remember that `term` means `metric` to this person. */
  set(owner: string, term: string, metric: string): Promise<void>;
  /** Forget every choice of this person; how many there were. */
  forget(owner: string): Promise<number>;
}

/** Choices of at most `maxPeople` people, least recently changed dropped first. */
export class MemoryChoiceStore implements ChoiceStore {
  readonly #people = new Map<string, Record<string, string>>();

  constructor(private readonly maxPeople = 100_000) {}

  get(owner: string): Promise<Choices> {
    return Promise.resolve({ ...(this.#people.get(owner) ?? {}) });
  }

  set(owner: string, term: string, metric: string): Promise<void> {
    const mine = { ...(this.#people.get(owner) ?? {}), [term]: metric };
    this.#people.delete(owner);
    this.#people.set(owner, mine);
    if (this.#people.size > this.maxPeople) this.#people.delete(this.#people.keys().next().value as string);
    return Promise.resolve();
  }

  forget(owner: string): Promise<number> {
    const n = Object.keys(this.#people.get(owner) ?? {}).length;
    this.#people.delete(owner);
    return Promise.resolve(n);
  }
}

/** Choices in a Redis hash per person (the key is a digest of the session key), kept `ttlSeconds` after the last change. */
export class RedisChoiceStore implements ChoiceStore {
  constructor(
    private readonly redis: Redis,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
    private readonly ttlSeconds = 180 * 86_400,
    private readonly prefix = 'splitplane:choices:',
  ) {}

  private key(owner: string): string {
    return `${this.prefix}${ownerDigest(owner)}`;
  }

  async get(owner: string): Promise<Choices> {
    try {
      return await this.redis.hgetall(this.key(owner));
    } catch (cause) {
      // Unreadable: no choice is assumed; the person is asked.
      this.log('remembered choices unavailable', { cause: describeCause(cause) });
      return {};
    }
  }

  async set(owner: string, term: string, metric: string): Promise<void> {
    const key = this.key(owner);
    try {
      await this.redis.multi().hset(key, term, metric).expire(key, this.ttlSeconds).exec();
    } catch (cause) {
      this.log('remembered choice not stored', { cause: describeCause(cause) });
    }
  }

  async forget(owner: string): Promise<number> {
    const key = this.key(owner);
    try {
      const n = await this.redis.hlen(key);
      await this.redis.del(key);
      return n;
    } catch (cause) {
      // Never a false "done": the person is told nothing was forgotten.
      this.log('remembered choices not forgotten', { cause: describeCause(cause) });
      throw new SplitplaneError('SP_ERR_CHOICES_UNAVAILABLE', { cause });
    }
  }
}

/** "forget my choices", "reset what I picked", "clear my preferences": the person asks to be asked again. */
export const FORGET_CHOICES =
  /^\s*(?:please\s+)?(?:forget|clear|reset|drop|erase|delete)\s+(?:all\s+)?(?:my|what\s+i|the|your|those)\s+(?:remembered\s+|saved\s+)?(?:choices?|chose|picked|preferences?|meanings?|picks|answers?)\b[\s\w]*[.!?]*\s*$/i;

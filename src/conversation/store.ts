/**
 * Conversations, for follow-up questions. A conversation belongs to the
 * verified composite key (tenant/business/admin) that started it; any other
 * identity presenting its id is refused. It holds questions, the understood
 * queries, the candidate SQL, a clarification still waiting for its reply and
 * the members a ranking named (what "that store" means next), never other result rows. Bounded, with an idle
 * expiry; a conversation that expired or is full ends with its own error, never with a default answer.
 *
 * In this process's memory, or in Redis when the deployment has one (`RedisConversationStore`): every
 * replica then continues every conversation. While Redis does not answer, a turn that continues a
 * conversation is SP_ERR_CONVERSATION_UNAVAILABLE (503), never answered as if it were a first question
 * and never answered without recording it (the next follow-up would build on a stale turn).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SplitplaneError } from '../errors.js';
import { describeCause } from '../util/cause.js';
import type { SemanticQuery } from '../semantic/query.js';

/** A clarification waiting for its reply: the question it asked about, and what it offered. */
export interface PendingClarification {
  /** The question as it was understood (itself perhaps completed from an earlier clarification). */
  readonly question: string;
  /** What was asked back, to ask again when a reply leans on a question that was never answered. */
  readonly message: string;
  /** The words a measure choice replaces ("sales"), when the clarification asked which measure. */
  readonly term?: string;
  /** The catalog's word naming several measures that was asked about: a measure picked is remembered for it. */
  readonly ambiguous?: string;
  readonly choices: readonly { readonly label: string; readonly question: string; readonly metric?: string }[];
}

/** One turn of a conversation: the question, the SQL that answered it (if any) and what was understood. */
export interface Turn {
  readonly question: string;
  readonly sql: string | null;
  /** The query understood, for follow-ups; absent for clarifications and free-form answers. */
  readonly query?: SemanticQuery;
  /** Set when the turn was answered with a clarification: its reply completes this question. */
  readonly pending?: PendingClarification;
  /**
   * The members a ranking answered with ("the top store": its name), so "that store" in the next
   * turn means that member and not whichever ranks first under the next turn's period. Values the
   * same identity was just shown; never other rows.
   */
  readonly members?: RankedMembers;
  /** For a turn that completed a clarification: the choices it offered ("and the count?" then picks another). */
  readonly alternatives?: PendingClarification['choices'];
  /**
   * For a comparison with peers (src/benchmark/): what was compared, so "and in September?" or "what
   * about orders?" asks it again with that changed (read, checked and granted again in full).
   */
  readonly benchmark?: {
    readonly measures: readonly string[];
    readonly grouping: string;
    readonly groups: readonly { readonly value: string; readonly text: string }[];
    readonly from: string;
  };
}

/** The values of a ranking's first dimension, in rank order. */
export interface RankedMembers {
  readonly dimension: string;
  readonly values: readonly string[];
}

/** What a conversation remembers. */
export interface Conversation {
  readonly id: string;
  readonly owner: string;
  readonly turns: readonly Turn[];
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Where conversations are kept (this process, or Redis shared by every replica). */
export interface ConversationStore {
  readonly maxTurns: number;
  /** The caller's conversation, or a new one when no id is given. */
  open(id: string | undefined, owner: string): Promise<Conversation>;
  /**
   * Append a turn to the caller's conversation (clarifications too: the conversationId they hand
   * out is one the chosen re-worded question can continue).
   */
  record(conversation: Conversation, turn: Turn): Promise<void>;
}

/** Conversations in this process's memory: at most `maxConversations`, least recently used dropped first. */
export class MemoryConversationStore implements ConversationStore {
  readonly #items = new Map<string, { owner: string; turns: Turn[]; touched: number }>();

  constructor(
    private readonly maxConversations = 100_000,
    readonly maxTurns = 20,
    private readonly idleMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  open(id: string | undefined, owner: string): Promise<Conversation> {
    return Promise.resolve().then(() => this.#open(id, owner));
  }

  #open(id: string | undefined, owner: string): Conversation {
    if (id === undefined) return { id: randomUUID(), owner, turns: [] };
    const c = ID.test(id) ? this.#items.get(id) : undefined;
    if (!c) throw new SplitplaneError('SP_ERR_CONVERSATION_UNKNOWN');
    if (c.owner !== owner) throw new SplitplaneError('SP_ERR_CONVERSATION_FORBIDDEN');
    if (this.now() - c.touched > this.idleMs) {
      this.#items.delete(id);
      throw new SplitplaneError('SP_ERR_CONVERSATION_EXPIRED');
    }
    if (c.turns.length >= this.maxTurns) throw new SplitplaneError('SP_ERR_CONVERSATION_FULL');
    return { id, owner, turns: [...c.turns] };
  }

  record(conversation: Conversation, turn: Turn): Promise<void> {
    return Promise.resolve().then(() => {
      this.#record(conversation, turn);
    });
  }

  #record(conversation: Conversation, turn: Turn): void {
    const c = this.#items.get(conversation.id) ?? { owner: conversation.owner, turns: [], touched: 0 };
    if (c.owner !== conversation.owner) throw new SplitplaneError('SP_ERR_CONVERSATION_FORBIDDEN');
    if (c.turns.length >= this.maxTurns) throw new SplitplaneError('SP_ERR_CONVERSATION_FULL');
    c.turns.push(turn);
    c.touched = this.now();
    this.#items.delete(conversation.id);
    this.#items.set(conversation.id, c);
    if (this.#items.size > this.maxConversations) this.#items.delete(this.#items.keys().next().value as string);
  }
}

/**
 * Record a turn: the owner is set by the first turn and checked by every later one, the turn count is
 * checked and the turn appended in one step (two replicas recording at once cannot pass the limit or
 * take over a conversation), and both keys live `ttl` milliseconds after the last turn.
 */
const RECORD = `
local o = redis.call('HGET', KEYS[1], 'owner')
if o and o ~= ARGV[1] then return -1 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[3]) then return -2 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'touched', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`;

/**
 * Conversations in Redis, shared by every replica: per conversation a hash (its owner, as a digest of
 * the verified session key, and when it last had a turn) and a list of its turns as JSON, both under
 * one hash tag so a Redis cluster keeps them on one node. Idle expiry as in memory (the keys outlive it
 * by as much again, so an expired conversation is told apart from an unknown one); anything Redis does
 * not answer, or a stored turn that is not one this service wrote, is SP_ERR_CONVERSATION_UNAVAILABLE.
 */
export class RedisConversationStore implements ConversationStore {
  constructor(
    private readonly redis: Redis,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
    readonly maxTurns = 20,
    private readonly idleMs = 3_600_000,
    private readonly now: () => number = Date.now,
    private readonly prefix = 'splitplane:conversation:',
  ) {}

  #keys(id: string): [string, string] {
    return [`${this.prefix}{${id}}:meta`, `${this.prefix}{${id}}:turns`];
  }

  #unavailable(doing: string, cause: unknown): SplitplaneError {
    this.log(`conversation not ${doing}`, { cause: describeCause(cause) });
    return new SplitplaneError('SP_ERR_CONVERSATION_UNAVAILABLE', { cause });
  }

  async open(id: string | undefined, owner: string): Promise<Conversation> {
    if (id === undefined) return { id: randomUUID(), owner, turns: [] };
    if (!ID.test(id)) throw new SplitplaneError('SP_ERR_CONVERSATION_UNKNOWN');
    const [meta, list] = this.#keys(id);
    let found: { owner?: string; touched?: string };
    let raw: string[];
    try {
      const [hash, turns] = (await this.redis.multi().hgetall(meta).lrange(list, 0, -1).exec()) ?? [];
      if (!hash || !turns || hash[0] || turns[0]) throw hash?.[0] ?? turns?.[0] ?? new Error('no reply');
      found = hash[1] as typeof found;
      raw = turns[1] as string[];
    } catch (cause) {
      throw this.#unavailable('read', cause);
    }
    if (found.owner === undefined) throw new SplitplaneError('SP_ERR_CONVERSATION_UNKNOWN');
    if (found.owner !== ownerDigest(owner)) throw new SplitplaneError('SP_ERR_CONVERSATION_FORBIDDEN');
    if (this.now() - Number(found.touched) > this.idleMs || !Number.isFinite(Number(found.touched)))
      throw new SplitplaneError('SP_ERR_CONVERSATION_EXPIRED');
    if (raw.length >= this.maxTurns) throw new SplitplaneError('SP_ERR_CONVERSATION_FULL');
    let turns: Turn[];
    try {
      turns = raw.map((t) => readTurn(t));
    } catch (cause) {
      throw this.#unavailable('read (a stored turn is not one this service wrote)', cause);
    }
    return { id, owner, turns };
  }

  async record(conversation: Conversation, turn: Turn): Promise<void> {
    let outcome: unknown;
    try {
      outcome = await this.redis.eval(
        RECORD,
        2,
        ...this.#keys(conversation.id),
        ownerDigest(conversation.owner),
        JSON.stringify(turn),
        String(this.maxTurns),
        String(this.now()),
        String(2 * this.idleMs),
      );
    } catch (cause) {
      // A first question's answer stands (a follow-up to it will be told the conversation is unknown);
      // a later turn is refused: left unrecorded, the next follow-up would build on the turn before it.
      if (conversation.turns.length === 0) {
        this.log('first turn of a conversation not recorded', {
          cause: describeCause(cause),
        });
        return;
      }
      throw this.#unavailable('recorded', cause);
    }
    if (outcome === -1) throw new SplitplaneError('SP_ERR_CONVERSATION_FORBIDDEN');
    if (outcome === -2) throw new SplitplaneError('SP_ERR_CONVERSATION_FULL');
  }
}

/** A person as Redis holds them (conversations, remembered choices): a digest of the verified session key. */
export function ownerDigest(owner: string): string {
  return createHash('sha256').update(owner).digest('hex');
}

/** A stored turn, read back: JSON with a question and the SQL (or null) it was answered with. */
function readTurn(text: string): Turn {
  const t = JSON.parse(text) as Partial<Turn> | null;
  if (
    typeof t !== 'object' ||
    t === null ||
    typeof t.question !== 'string' ||
    (t.sql !== null && typeof t.sql !== 'string')
  )
    throw new Error('malformed turn');
  return t as Turn;
}

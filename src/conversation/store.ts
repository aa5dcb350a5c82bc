/**
 * Conversations, for follow-up questions. A conversation belongs to the
 * verified composite key (tenant/business/admin) that started it; any other
 * identity presenting its id is refused. It holds questions, the understood
 * queries and the candidate SQL, never result rows. In memory, bounded, with an idle expiry.
 */
import { randomUUID } from 'node:crypto';
import { SplitplaneError } from '../errors.js';
import type { SemanticQuery } from '../semantic/query.js';

/** One turn of a conversation: the question, the SQL that answered it (if any) and what was understood. */
export interface Turn {
  readonly question: string;
  readonly sql: string | null;
  /** The query understood, for follow-ups; absent for clarifications and free-form answers. */
  readonly query?: SemanticQuery;
}

/** What a conversation remembers. */
export interface Conversation {
  readonly id: string;
  readonly owner: string;
  readonly turns: readonly Turn[];
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export class ConversationStore {
  readonly #items = new Map<string, { owner: string; turns: Turn[]; touched: number }>();

  constructor(
    private readonly maxConversations = 100_000,
    private readonly maxTurns = 20,
    private readonly idleMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller's conversation, or a new one when no id is given. */
  open(id: string | undefined, owner: string): Conversation {
    if (id === undefined) return { id: randomUUID(), owner, turns: [] };
    const c = ID.test(id) ? this.#items.get(id) : undefined;
    if (!c || this.now() - c.touched > this.idleMs) throw new SplitplaneError('SP_ERR_CONVERSATION_UNKNOWN');
    if (c.owner !== owner) throw new SplitplaneError('SP_ERR_CONVERSATION_FORBIDDEN');
    return { id, owner, turns: [...c.turns] };
  }

  /**
   * Append a turn to the caller's conversation (clarifications too: the conversationId they hand
   * out is one the chosen re-worded question can continue).
   */
  record(conversation: Conversation, turn: Turn): void {
    const c = this.#items.get(conversation.id) ?? { owner: conversation.owner, turns: [], touched: 0 };
    if (c.owner !== conversation.owner) throw new SplitplaneError('SP_ERR_CONVERSATION_FORBIDDEN');
    c.turns.push(turn);
    if (c.turns.length > this.maxTurns) c.turns.shift();
    c.touched = this.now();
    this.#items.delete(conversation.id);
    this.#items.set(conversation.id, c);
    if (this.#items.size > this.maxConversations) this.#items.delete(this.#items.keys().next().value as string);
  }
}

/**
 * Conversations, for follow-up questions. A conversation belongs to the
 * verified composite key (tenant/business/admin) that started it; any other
 * identity presenting its id is refused. It holds questions, the understood
 * queries, the candidate SQL, a clarification still waiting for its reply and
 * the members a ranking named (what "that store" means next), never other result rows. In memory, bounded, with an idle expiry; a conversation
 * that expired or is full ends with its own error, never with a default answer.
 */
import { randomUUID } from 'node:crypto';
import { SplitplaneError } from '../errors.js';
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

export class ConversationStore {
  readonly #items = new Map<string, { owner: string; turns: Turn[]; touched: number }>();

  constructor(
    private readonly maxConversations = 100_000,
    readonly maxTurns = 20,
    private readonly idleMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller's conversation, or a new one when no id is given. */
  open(id: string | undefined, owner: string): Conversation {
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

  /**
   * Append a turn to the caller's conversation (clarifications too: the conversationId they hand
   * out is one the chosen re-worded question can continue).
   */
  record(conversation: Conversation, turn: Turn): void {
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

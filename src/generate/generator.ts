/**
 * The generator port: turns a validated intent into candidate SQL over the
 * sandbox description only. The deterministic catalog generator is here; a
 * model-based one implements the same interface. Whatever it returns is only
 * a candidate: the guard decides what runs.
 */
import type { ErrorCode } from '../errors.js';
import type { FreeFormIntent, QueryIntent } from '../intent/analyze.js';
import type { Turn } from '../conversation/store.js';
import type { SandboxDescription } from '../sandbox/sandbox.js';
import type { Dialect } from '../warehouse/connector.js';

/** What a generator is given: never raw table names, IDs of others, or the policy. */
export interface GenerateInput {
  readonly intent: QueryIntent | FreeFormIntent;
  readonly question: string;
  readonly sandbox: SandboxDescription;
  readonly dialect: Dialect;
  /** Earlier turns of this identity's conversation. */
  readonly history?: readonly Turn[];
  /** Well-rated question/SQL pairs from colleagues whose scope this one covers. */
  readonly examples?: readonly { readonly question: string; readonly sql: string }[];
  /** The repair round: the previous candidate and the stable code it failed with. */
  readonly previous?: { readonly sql: string; readonly code: ErrorCode };
}

/** A candidate for the guard. */
export interface Candidate {
  readonly sql: string;
  readonly generator: string;
}

/** The generator port. */
export interface Generator {
  readonly name: string;
  generate(input: GenerateInput, signal?: AbortSignal): Promise<Candidate>;
}

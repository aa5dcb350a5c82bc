/** What the pipeline is given at start-up, and what it answers. */
import type { AuditSink } from '../audit/audit.js';
import type { ConversationStore } from '../conversation/store.js';
import type { ChoiceStore } from '../conversation/choices.js';
import type { EngineConnector } from '../engines/engine.js';
import type { ErrorBody } from '../errors.js';
import type { FeedbackStore } from '../feedback/feedback.js';
import type { Generator } from '../generate/generator.js';
import type { Directory } from '../identity/directory.js';
import type { VerifierOptions } from '../identity/sigv4.js';
import type { Choice } from '../intent/analyze.js';
import type { LlmClient } from '../llm/llm-client.js';
import type { PolicyEngine } from '../policy/scope.js';
import type { Catalog } from '../semantic/catalog.js';
import type { Interpretation } from '../semantic/describe.js';
import type { CoverageLoader, ValueLoader } from '../semantic/value-loader.js';
import type { Cell, ResultColumn } from '../warehouse/connector.js';

/** Everything a request needs, built once at start-up. */
export interface PipelineDeps {
  readonly verifier: VerifierOptions;
  readonly directory: () => Directory;
  readonly catalog: Catalog;
  readonly today: () => string;
  readonly policy: PolicyEngine;
  readonly connector: EngineConnector;
  /** The deterministic generator for semantic queries (the compiler). */
  readonly generator: Generator;
  /** The caller's nameable values (store names, cities, items), read through the guard, cached per scope. */
  readonly values: ValueLoader;
  /** The first and last day of the caller's data per fact table, cached per scope. */
  readonly coverage: CoverageLoader;
  /** The model, when one is configured: classifies off-catalog questions, writes their SQL, may word answers. */
  readonly model?: { readonly llm: LlmClient; readonly generator: Generator; readonly maxTokens: number };
  readonly conversations: ConversationStore;
  /** What each person chose words to mean (src/conversation/choices.ts). */
  readonly choices: ChoiceStore;
  readonly feedback: FeedbackStore;
  readonly audit: AuditSink;
  readonly limits: { readonly timeoutMs: number; readonly rowCap: number };
  /** Where engine errors and other details go (never the client). */
  readonly log: (msg: string, detail: Record<string, unknown>) => void;
}

/** A successful /v1/ask body. */
export interface AskResponse {
  readonly requestId: string;
  readonly conversationId: string;
  readonly status: 'answered' | 'clarification' | 'unsupported';
  readonly answer: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Cell[])[];
  readonly sql: string | null;
  /** The tables, and the count of granted units under the grant unit's plural (`locations: 2` in the demo). */
  readonly scope:
    | ({ readonly businessId: string; readonly tables: readonly string[] } & {
        readonly [unitPlural: string]: number | string | readonly string[];
      })
    | null;
  /** What the question was understood as: the semantic query (null for model SQL) and one readable line. */
  readonly interpretation?: Interpretation;
  /** The one figure to show in large type, when the answer is one number. */
  readonly headline?: string | null;
  readonly truncated?: boolean;
  /** What the figures cover when the period starts before the caller's data does (also appended to `answer`). */
  readonly notes?: readonly string[];
  /** Words of the question that could not be placed (clarifications). */
  readonly unplaced?: readonly string[];
  readonly choices?: readonly Choice[];
  readonly metrics?: readonly { readonly id: string; readonly label: string; readonly description: string }[];
  /**
   * Where the figures came from: `catalog` (compiled from the semantic catalog), `model` (SQL a model
   * wrote over the caller's sandbox) or `benchmark` (the peer benchmark compiler, src/benchmark/).
   */
  readonly provenance?: 'catalog' | 'model' | 'benchmark';
  /** A comparison with peers, per measure and group, for a page to draw (the same figures as `rows`). */
  readonly benchmark?: BenchmarkView;
  /** Words read with the meaning this person chose before, and the label of that meaning. */
  readonly remembered?: readonly { readonly term: string; readonly metric: string; readonly label: string }[];
}

/** A peer benchmark's figures, as released (src/pipeline/benchmark.ts). */
export interface BenchmarkView {
  readonly month: string;
  readonly k: number;
  readonly groups: readonly {
    readonly measure: string;
    readonly label: string;
    readonly format: string;
    readonly group: string;
    readonly released: boolean;
    readonly reason?: string;
    readonly band?: string;
    readonly yourValue?: number;
    readonly peerAverage?: number;
    readonly peerMedian?: number;
    readonly yourPercentile?: number;
  }[];
}

/** The pipeline's result: an HTTP status, a body and any extra headers (Retry-After). */
export interface PipelineResult {
  readonly statusCode: number;
  readonly body: AskResponse | ErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

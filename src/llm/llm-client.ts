/**
 * The model port. Vendor SDK types stay in the adapters (bedrock.ts,
 * openai-compatible.ts); every adapter turns the vendor's failures into
 * SP_ERR_LLM_* codes, honours the AbortSignal, and caps output tokens.
 */

/** One chat turn. */
export interface LlmMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

/** A completion request. */
export interface LlmRequest {
  readonly system: string;
  readonly messages: readonly LlmMessage[];
  readonly maxTokens: number;
}

/** A completion. */
export interface LlmResponse {
  readonly text: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

/** The model port. */
export interface LlmClient {
  /** Provider and model, for the audit trail. */
  readonly name: string;
  complete(req: LlmRequest, signal: AbortSignal): Promise<LlmResponse>;
  /**
   * A cheap check that the model can be reached with the credentials given, never a paid completion:
   * readiness runs it at start-up and on a schedule. Throws SP_ERR_CONFIG for credentials the
   * provider refuses or cannot find (the service should not start), SP_ERR_LLM_UNAVAILABLE for an
   * endpoint that does not answer (not ready, may recover); messages name the host, never a key.
   */
  check?(signal: AbortSignal): Promise<void>;
}

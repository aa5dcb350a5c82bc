/**
 * Amazon Bedrock through the Converse API. Credentials come from the standard
 * AWS provider chain (environment, shared config, instance role), never from
 * a request. The endpoint can be overridden (a VPC endpoint, or a test double
 * on loopback). Throttling is retried by the SDK's standard retry strategy,
 * bounded by maxAttempts.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type BedrockRuntimeClientConfig,
} from '@aws-sdk/client-bedrock-runtime';
import { SplitplaneError } from '../errors.js';
import type { LlmClient, LlmRequest, LlmResponse } from './llm-client.js';

/** Options for {@link bedrockClient}. */
export interface BedrockOptions {
  readonly modelId: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly maxAttempts: number;
  /** Test doubles and special networks only: static credentials instead of the provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function bedrockClient(opts: BedrockOptions): LlmClient {
  const config: BedrockRuntimeClientConfig = {
    region: opts.region,
    maxAttempts: opts.maxAttempts,
    retryMode: 'standard',
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  const client = new BedrockRuntimeClient(config);
  return {
    name: `bedrock:${opts.modelId}`,
    // The SDK's own credential chain, resolved without calling Bedrock (a completion costs money).
    async check(): Promise<void> {
      try {
        await client.config.credentials();
      } catch (cause) {
        throw new SplitplaneError('SP_ERR_CONFIG', {
          detail: `llm.bedrock: no AWS credentials for ${opts.region} (environment, profile or instance role)`,
          cause,
        });
      }
    },
    async complete(req: LlmRequest, signal: AbortSignal): Promise<LlmResponse> {
      let out;
      try {
        out = await client.send(
          new ConverseCommand({
            modelId: opts.modelId,
            system: [{ text: req.system }],
            messages: req.messages.map((m) => ({ role: m.role, content: [{ text: m.text }] })),
            inferenceConfig: { maxTokens: req.maxTokens, temperature: 0 },
          }),
          { abortSignal: signal },
        );
      } catch (cause) {
        throw mapError(cause, signal);
      }
      const text = (out.output?.message?.content ?? [])
        .map((b) => ('text' in b && typeof b.text === 'string' ? b.text : ''))
        .join('');
      if (!text.trim())
        throw new SplitplaneError('SP_ERR_LLM_BAD_RESPONSE', {
          detail: `no text (stopReason ${String(out.stopReason)})`,
        });
      return {
        text,
        ...(out.usage?.inputTokens !== undefined ? { inputTokens: out.usage.inputTokens } : {}),
        ...(out.usage?.outputTokens !== undefined ? { outputTokens: out.usage.outputTokens } : {}),
      };
    },
  };
}

function mapError(cause: unknown, signal: AbortSignal): SplitplaneError {
  const name = (cause as { name?: string } | null)?.name ?? '';
  if (signal.aborted || name === 'AbortError' || name === 'TimeoutError' || name === 'ModelTimeoutException') {
    return new SplitplaneError('SP_ERR_LLM_TIMEOUT', { cause });
  }
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException') {
    return new SplitplaneError('SP_ERR_LLM_THROTTLED', { cause });
  }
  if (name === 'ValidationException' || name === 'ModelErrorException') {
    return new SplitplaneError('SP_ERR_LLM_BAD_RESPONSE', { cause });
  }
  return new SplitplaneError('SP_ERR_LLM_UNAVAILABLE', { cause });
}

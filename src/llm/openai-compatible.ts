/**
 * An OpenAI-compatible chat-completions provider (a hosted model, or a local
 * one behind vLLM, llama.cpp server or Ollama). The API key comes from an
 * environment variable named in the configuration, never from a request.
 * 429 and 5xx answers are retried a bounded number of times, honouring
 * Retry-After up to a cap.
 */
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import type { LlmClient, LlmRequest, LlmResponse } from './llm-client.js';

/** Options for {@link openAiCompatibleClient}. */
export interface OpenAiOptions {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
  readonly maxRetries: number;
  /** Longest wait between retries, in milliseconds. */
  readonly maxBackoffMs?: number;
}

const Completion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).optional(),
});

export function openAiCompatibleClient(opts: OpenAiOptions): LlmClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const url = `${base}/chat/completions`;
  const host = new URL(base).host;
  return {
    name: `openai:${opts.model}`,
    // GET /models: free on OpenAI and on the common compatible servers; 401/403 means the key is refused.
    async check(signal: AbortSignal): Promise<void> {
      let res: Response;
      try {
        res = await fetch(`${base}/models`, {
          headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
          signal,
        });
      } catch (cause) {
        throw new SplitplaneError('SP_ERR_LLM_UNAVAILABLE', {
          detail: `the model endpoint ${host} does not answer`,
          cause,
        });
      }
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403)
        throw new SplitplaneError('SP_ERR_CONFIG', {
          detail: `llm.openai: ${host} refuses the API key (HTTP ${res.status})`,
        });
      if (res.status >= 500)
        throw new SplitplaneError('SP_ERR_LLM_UNAVAILABLE', {
          detail: `the model endpoint ${host} answers HTTP ${res.status}`,
        });
    },
    async complete(req: LlmRequest, signal: AbortSignal): Promise<LlmResponse> {
      const body = JSON.stringify({
        model: opts.model,
        temperature: 0,
        max_tokens: req.maxTokens,
        messages: [
          { role: 'system', content: req.system },
          ...req.messages.map((m) => ({ role: m.role, content: m.text })),
        ],
      });
      for (let attempt = 0; ; attempt++) {
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
            },
            body,
            signal,
          });
        } catch (cause) {
          throw new SplitplaneError(signal.aborted ? 'SP_ERR_LLM_TIMEOUT' : 'SP_ERR_LLM_UNAVAILABLE', {
            detail: `no answer from ${host}`,
            cause,
          });
        }
        if ((res.status === 429 || res.status >= 500) && attempt < opts.maxRetries) {
          await res.body?.cancel();
          await sleep(backoff(res.headers.get('retry-after'), attempt, opts.maxBackoffMs ?? 5_000), signal);
          continue;
        }
        if (res.status === 429) throw new SplitplaneError('SP_ERR_LLM_THROTTLED', { detail: 'HTTP 429' });
        if (!res.ok) throw new SplitplaneError('SP_ERR_LLM_UNAVAILABLE', { detail: `HTTP ${res.status}` });
        let parsed;
        try {
          parsed = Completion.safeParse(await res.json());
        } catch (cause) {
          throw new SplitplaneError(signal.aborted ? 'SP_ERR_LLM_TIMEOUT' : 'SP_ERR_LLM_BAD_RESPONSE', { cause });
        }
        const text = parsed.success ? parsed.data.choices[0]?.message.content : undefined;
        if (!text?.trim()) throw new SplitplaneError('SP_ERR_LLM_BAD_RESPONSE', { detail: 'no message content' });
        const usage = parsed.success ? parsed.data.usage : undefined;
        return {
          text,
          ...(usage?.prompt_tokens !== undefined ? { inputTokens: usage.prompt_tokens } : {}),
          ...(usage?.completion_tokens !== undefined ? { outputTokens: usage.completion_tokens } : {}),
        };
      }
    },
  };
}

function backoff(retryAfter: string | null, attempt: number, cap: number): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : 200 * 2 ** attempt;
  return Math.max(0, Math.min(cap, ms));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new SplitplaneError('SP_ERR_LLM_TIMEOUT'));
      return;
    }
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new SplitplaneError('SP_ERR_LLM_TIMEOUT'));
      },
      { once: true },
    );
  });
}

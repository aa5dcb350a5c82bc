/**
 * The model providers, by their name in `llm.provider`: each with its configuration section
 * (`llm.<name>`, strict, every key defaulted) and a lazy `open` that loads its SDK only when it is
 * the one configured. Configuration and start-up read this list; adding a provider is a client
 * file here and one entry below.
 */
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import type { LlmClient } from './llm-client.js';

/** What every provider's client shares, from `llm`. */
export interface SharedModelSettings {
  readonly maxRetries: number;
}

/** One provider, as the registry holds it. */
export interface LlmProvider<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** The `llm.<name>` configuration section. */
  readonly config: Schema;
  /** The client, its SDK loaded now. Secrets come from the environment, never the file. */
  open(section: z.output<Schema>, shared: SharedModelSettings, env: NodeJS.ProcessEnv): Promise<LlmClient>;
}

/** A provider, its configuration type checked against its own schema. */
export function defineProvider<Schema extends z.ZodType>(p: LlmProvider<Schema>): LlmProvider<Schema> {
  return Object.freeze(p);
}

const bedrock = defineProvider({
  name: 'bedrock',
  config: z
    .object({
      modelId: z.string().min(1).default('anthropic.claude-sonnet-4-20250514-v1:0'),
      region: z.string().min(1).default('us-east-1'),
      endpoint: z.url().optional(),
    })
    .strict(),
  open: async (s, shared) =>
    (await import('./bedrock.js')).bedrockClient({
      modelId: s.modelId,
      region: s.region,
      maxAttempts: shared.maxRetries + 1,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    }),
});

const openai = defineProvider({
  name: 'openai',
  config: z
    .object({
      baseUrl: z.url().default('https://api.openai.com/v1'),
      model: z.string().min(1).default('gpt-4o-mini'),
      /** Name of the environment variable that holds the API key (never the key itself). */
      apiKeyEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .default('OPENAI_API_KEY'),
    })
    .strict(),
  open: async (s, shared, env) => {
    const apiKey = env[s.apiKeyEnv];
    if (apiKey === undefined && !/^http:\/\/(127\.|localhost)/.test(s.baseUrl)) {
      throw new SplitplaneError('SP_ERR_CONFIG', {
        detail: `llm.openai: set ${s.apiKeyEnv} (a local server may do without)`,
      });
    }
    return (await import('./openai-compatible.js')).openAiCompatibleClient({
      baseUrl: s.baseUrl,
      model: s.model,
      maxRetries: shared.maxRetries,
      ...(apiKey ? { apiKey } : {}),
    });
  },
});

export const LLM_PROVIDERS = { bedrock, openai } as const;

export type LlmProviderName = keyof typeof LLM_PROVIDERS;

export const LLM_PROVIDER_NAMES = Object.keys(LLM_PROVIDERS) as [LlmProviderName, ...LlmProviderName[]];

/** The `llm.<name>` sections, each defaulted, for the configuration schema. */
export const LLM_SECTIONS = {
  bedrock: bedrock.config.prefault({}),
  openai: openai.config.prefault({}),
} as const satisfies { readonly [K in LlmProviderName]: z.ZodType };

/** The configured provider's client, or none when `provider` is `none`. */
export async function openLlm(
  llm: { readonly provider: LlmProviderName | 'none'; readonly maxRetries: number } & {
    readonly [K in LlmProviderName]: unknown;
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<LlmClient | undefined> {
  if (llm.provider === 'none') return undefined;
  const p = LLM_PROVIDERS[llm.provider] as LlmProvider;
  return p.open(llm[llm.provider], { maxRetries: llm.maxRetries }, env);
}

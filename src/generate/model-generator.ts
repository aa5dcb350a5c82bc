/**
 * The model-based generator: the model writes SQL against the routed sandbox
 * description and nothing else. Its output is only a candidate; the guard
 * decides. `repair` is the one second chance after a guard rejection or an
 * engine error, told only the stable code.
 */
import { ERRORS, SplitplaneError, type ErrorCode } from '../errors.js';
import type { Catalog } from '../semantic/catalog.js';
import { extractSql } from '../llm/extract-sql.js';
import type { LlmClient, LlmMessage } from '../llm/llm-client.js';
import { repairMessage, sqlPrompt } from '../llm/prompt.js';
import type { Candidate, GenerateInput, Generator } from './generator.js';
import { routeSchema } from './schema-router.js';

/** Options for {@link modelGenerator}. */
export interface ModelGeneratorOptions {
  readonly llm: LlmClient;
  readonly catalog: Catalog;
  readonly today: () => string;
  readonly maxTokens: number;
}

export function modelGenerator(opts: ModelGeneratorOptions): Generator {
  return {
    name: opts.llm.name,
    async generate(input: GenerateInput, signal?: AbortSignal): Promise<Candidate> {
      const request = sqlPrompt({
        sandbox: routeSchema(input.sandbox, input.question, opts.catalog.schema),
        catalog: opts.catalog,
        question: input.question,
        dialect: input.dialect.displayName,
        today: opts.today(),
        history: input.history ?? [],
        examples: input.examples ?? [],
        maxTokens: opts.maxTokens,
      });
      const messages: LlmMessage[] = [...request.messages];
      if (input.previous) {
        messages.push({ role: 'assistant', text: `\`\`\`sql\n${input.previous.sql}\n\`\`\`` });
        messages.push({ role: 'user', text: repairMessage(input.previous.code, meaning(input.previous.code)) });
      }
      const res = await opts.llm.complete({ ...request, messages }, signal ?? AbortSignal.timeout(30_000));
      return { sql: extractSql(res.text), generator: opts.llm.name };
    },
  };
}

function meaning(code: ErrorCode): string {
  return code in ERRORS ? ERRORS[code].message : new SplitplaneError('SP_ERR_INTERNAL').message;
}

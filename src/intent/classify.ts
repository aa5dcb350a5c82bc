/**
 * Layer 2 with a model: only for questions the deterministic analyzer found
 * no metric in. The deterministic check always runs first and its answers
 * (a catalog intent, a clarification, an out-of-scope denial) are never sent
 * to the model, so the model cannot override them. A reply that is not the
 * expected JSON counts as "unsupported": the classifier fails closed.
 */
import { z } from 'zod';
import type { LlmClient } from '../llm/llm-client.js';
import { classifyPrompt } from '../llm/prompt.js';
import type { Clarification, FreeFormIntent, Unsupported } from './analyze.js';
import type { Catalog } from './catalog.js';

const Reply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('supported') }),
  z.object({
    kind: z.literal('ambiguous'),
    clarification: z.string().min(1).max(300),
    choices: z.array(z.string().min(1).max(300)).min(2).max(5),
  }),
  z.object({ kind: z.literal('unsupported') }),
]);

export async function classifyWithModel(
  llm: LlmClient,
  question: string,
  catalog: Catalog,
  deterministic: Unsupported,
  signal: AbortSignal,
): Promise<FreeFormIntent | Clarification | Unsupported> {
  const res = await llm.complete(classifyPrompt(question, catalog, 200), signal);
  const json = /\{[\s\S]*\}/.exec(res.text)?.[0];
  let parsed;
  try {
    parsed = Reply.safeParse(json ? JSON.parse(json) : undefined);
  } catch {
    return deterministic;
  }
  if (!parsed.success) return deterministic;
  const r = parsed.data;
  if (r.kind === 'supported') return { kind: 'freeform', question, references: deterministic.references };
  if (r.kind === 'ambiguous') {
    return {
      kind: 'clarification',
      message: r.clarification,
      choices: r.choices.map((q) => ({ metric: 'freeform', label: q, question: q })),
      references: deterministic.references,
    };
  }
  return deterministic;
}

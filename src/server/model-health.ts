/**
 * The model's readiness: its adapter's cheap check (credentials resolve, the endpoint answers; never
 * a paid completion), run at start-up and then on a schedule, so /readyz reads the last result
 * instead of calling the provider per probe. A check that says the configuration is wrong
 * (SP_ERR_CONFIG: credentials missing or refused) stops the start-up.
 */
import { SplitplaneError } from '../errors.js';
import type { LlmClient } from '../llm/llm-client.js';
import { text } from '../util/text.js';

export interface ModelHealth {
  /** Resolves while the last check passed; rejects with its error otherwise. */
  current(): Promise<void>;
  stop(): void;
}

export async function startModelHealth(
  llm: LlmClient,
  opts: { readonly everyMs: number; readonly timeoutMs: number },
): Promise<ModelHealth | undefined> {
  const check = llm.check?.bind(llm);
  if (!check) return undefined;
  let last: unknown = undefined;
  const run = async (): Promise<void> => {
    try {
      await check(AbortSignal.timeout(opts.timeoutMs));
      last = undefined;
    } catch (err) {
      last = err;
    }
  };
  await run();
  if (last instanceof SplitplaneError && last.code === 'SP_ERR_CONFIG') throw last;
  const timer = setInterval(() => void run(), opts.everyMs);
  timer.unref();
  return {
    current: () =>
      last === undefined ? Promise.resolve() : Promise.reject(last instanceof Error ? last : new Error(text(last))),
    stop: () => clearInterval(timer),
  };
}

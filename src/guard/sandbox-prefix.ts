/** What both engine checks share: the refusal, and the rule that the leading CTEs are exactly the sandbox's. */
import { SplitplaneError } from '../errors.js';

/** Refuse: the engine's reading differs from what the guard accepted. */
export function mismatch(detail: string): never {
  throw new SplitplaneError('SP_ERR_GUARD_ENGINE_MISMATCH', { detail });
}

/**
 * The first CTEs of the engine's parse of the final SQL must equal, name and serialised body, the
 * CTEs of its parse of `WITH <sandbox> SELECT 1` (same text prefix, so even positions match).
 * Returns the sandbox names, which the rest of the statement may then reference.
 */
export function verifySandboxPrefix(
  got: readonly { readonly name: string; readonly node: unknown }[],
  expected: readonly { readonly key: string; readonly value: string }[],
): Set<string> {
  if (got.length < expected.length) mismatch('sandbox CTEs missing');
  expected.forEach((e, i) => {
    const g = got[i]!;
    if (g.name.toLowerCase() !== e.key || JSON.stringify(g.node) !== e.value) mismatch(`sandbox CTE ${e.key} differs`);
  });
  return new Set(expected.map((e) => e.key));
}

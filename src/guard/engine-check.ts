/**
 * The port the guard owns for its step 4, the engine's own reading of the
 * exact text that will run. Each engine implements it in its own folder
 * (src/engines/<name>/engine-check.ts); nothing in the guard imports an
 * engine. Also here: what every engine check shares, the refusal and the rule
 * that the leading CTEs are exactly the sandbox's.
 */
import { SplitplaneError } from '../errors.js';

/** How the guard's first layer reads and writes SQL for an engine (plain data: it crosses a thread boundary). */
export interface Grammar {
  /** The engine's registry name (the guard's caches are per engine). */
  readonly name: string;
  /** node-sql-parser's grammar candidates are read with. */
  readonly parserDatabase: string;
  /** node-sql-parser's grammar the assembled SQL is written in. */
  readonly sqlifyDatabase: string;
  /** How the assembled SQL quotes a candidate CTE's name. */
  readonly identQuote: '"' | '`';
  /** Candidate text refused on this engine before parsing (stricter where no local engine parser exists). */
  readonly refusedCandidateText?: RegExp | undefined;
}

/** What the first layer needs of the sandbox (plain data). */
export interface SandboxSpec {
  readonly cteSql: string;
  readonly names: readonly string[];
}

/** The statement the guard assembled, whole and in its parts (src/sandbox/statement.ts joins them). */
export interface AssembledStatement {
  /** The exact text the engine will run. */
  readonly sql: string;
  /** The candidate's own CTEs (`name AS (...)`), as the guard re-serialised them. */
  readonly candidateCtes: readonly string[];
  /** The candidate's body, as the guard re-serialised it. */
  readonly body: string;
}

/**
 * An engine's side of the guard. `parse` is the engine's own reading of a text (its parse tree, or
 * where no local parser exists, the text itself). The guard parses the sandbox probe and the final
 * statement, asks `readSandbox` for the reference once per sandbox text (cached), and `check` must
 * throw SP_ERR_GUARD_ENGINE_MISMATCH unless the final reading starts with exactly that sandbox and
 * reads nothing else.
 */
export interface EngineCheck<Tree = unknown, Reading = unknown> {
  readonly grammar: Grammar;
  parse(sql: string): Promise<Tree>;
  readSandbox(probe: Tree, sandbox: SandboxSpec): Reading;
  check(tree: Tree, statement: AssembledStatement, sandbox: Reading): void;
}

/** Refuse: the engine's reading differs from what the guard accepted. */
export function mismatch(detail: string, cause?: unknown): never {
  throw new SplitplaneError('SP_ERR_GUARD_ENGINE_MISMATCH', { detail, cause });
}

/**
 * The first CTEs of the engine's parse of the final SQL must equal, name and serialised body, the
 * CTEs of its parse of the sandbox probe (same text prefix, so even positions match).
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

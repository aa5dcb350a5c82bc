/**
 * Layer 3 guard: turns a candidate SELECT (from any generator, the model
 * included) into the final SQL, or rejects it with a stable code.
 *
 *   1. cheap limits before parsing: length, characters, nesting, word runs, first keyword
 *   2. node-sql-parser parse; one statement; scope-aware allow-list check with
 *      complexity limits (limits.ts)
 *   3. assembly at the AST level: sandbox CTEs first, then the candidate's own
 *      CTEs and body, each re-serialised from the AST, every literal as written
 *   4. the engine parses the exact final text and it is checked again
 *
 * Steps 1-3 are first-layer.ts, run in a worker thread under a time budget.
 * A parse failure is a rejection, never a fallback.
 */
import { createHash } from 'node:crypto';
import { SplitplaneError } from '../errors.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { sandboxProbe } from '../sandbox/statement.js';
import type { EngineCheck } from './engine-check.js';
import type { GuardedSql } from './first-layer.js';
import { parsePool } from './parse-pool.js';

export type { EngineCheck } from './engine-check.js';
export type { GuardedSql } from './first-layer.js';

/** Everything the guard needs about the request: the sandbox, and the engine's side of the check. */
export interface GuardContext {
  readonly sandbox: Sandbox;
  readonly engine: EngineCheck;
}

/** Check, assemble and cross-check a candidate. Throws SP_ERR_GUARD_* on rejection. */
export async function guardCandidate(candidate: string, ctx: GuardContext): Promise<GuardedSql> {
  const key = createHash('sha256')
    .update(
      `${ctx.engine.grammar.name}\u0000${ctx.sandbox.cteSql}\u0000${[...ctx.sandbox.names].join(',')}\u0000${candidate}`,
    )
    .digest('base64');
  const hit = accepted.get(key);
  if (hit) return hit;
  const verdict = await decide(candidate, ctx);
  accepted.set(key, verdict);
  if (accepted.size > ACCEPTED_CACHE) accepted.delete(accepted.keys().next().value as string);
  return verdict;
}

/**
 * Accepted verdicts by (engine, sandbox CTE text, candidate text). The guard is a pure function of
 * exactly these (the CTE text carries the whole scope), so an identical request, such as the same
 * catalog question from the same admin, needs no second parse. Rejections are not cached.
 */
const accepted = new Map<string, GuardedSql>();
const ACCEPTED_CACHE = 500;

async function decide(candidate: string, ctx: GuardContext): Promise<GuardedSql> {
  // Steps 1-3 in a worker thread under a time budget (first-layer.ts, parse-pool.ts).
  const assembled = await parsePool.run(candidate, ctx.engine.grammar, sandboxSpec(ctx.sandbox));
  await engineCheck(assembled, ctx);
  return assembled;
}

/**
 * The engine's reading of each sandbox, by its CTE text. The same admin asks again and again and
 * the text is deterministic, so the reference parse is cached (bounded, least recently used).
 */
const sandboxReadings = new Map<string, unknown>();
const SANDBOX_PARSE_CACHE = 1_000;

async function expectedSandbox(ctx: GuardContext): Promise<unknown> {
  const key = `${ctx.engine.grammar.name}\u0000${ctx.sandbox.cteSql}`;
  if (sandboxReadings.has(key)) {
    const hit = sandboxReadings.get(key);
    sandboxReadings.delete(key);
    sandboxReadings.set(key, hit);
    return hit;
  }
  // The probe has the same prefix as the final text (sandbox/statement.ts), so parse positions line up too.
  const reading = ctx.engine.readSandbox(
    await engineParse(ctx, sandboxProbe(ctx.sandbox.cteSql)),
    sandboxSpec(ctx.sandbox),
  );
  sandboxReadings.set(key, reading);
  if (sandboxReadings.size > SANDBOX_PARSE_CACHE) sandboxReadings.delete(sandboxReadings.keys().next().value as string);
  return reading;
}

/** Step 4: the engine's own parse of the exact text. */
async function engineCheck(statement: GuardedSql, ctx: GuardContext): Promise<void> {
  const [finalTree, expected] = await Promise.all([engineParse(ctx, statement.sql), expectedSandbox(ctx)]);
  ctx.engine.check(finalTree, statement, expected);
}

function sandboxSpec(sandbox: Sandbox): { cteSql: string; names: string[] } {
  return { cteSql: sandbox.cteSql, names: [...sandbox.names] };
}

async function engineParse(ctx: GuardContext, sql: string): Promise<unknown> {
  try {
    return await ctx.engine.parse(sql);
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_GUARD_ENGINE_MISMATCH', { detail: 'engine could not parse', cause });
  }
}

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
import type { WarehouseConnector } from '../warehouse/connector.js';
import type { GuardedSql } from './first-layer.js';
import { parsePool } from './parse-pool.js';

export type { GuardedSql } from './first-layer.js';

/** Everything the guard needs about the request. */
export interface GuardContext {
  readonly sandbox: Sandbox;
  readonly connector: Pick<WarehouseConnector, 'engineParse' | 'dialect' | 'engineChecker'>;
}

/** Check, assemble and cross-check a candidate. Throws SP_ERR_GUARD_* on rejection. */
export async function guardCandidate(candidate: string, ctx: GuardContext): Promise<GuardedSql> {
  const dialect = ctx.connector.dialect;
  const key = createHash('sha256')
    .update(`${dialect.name}\u0000${ctx.sandbox.cteSql}\u0000${[...ctx.sandbox.names].join(',')}\u0000${candidate}`)
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
  const d = ctx.connector.dialect;
  // Steps 1-3 in a worker thread under a time budget (first-layer.ts, parse-pool.ts).
  const assembled = await parsePool.run(
    candidate,
    { name: d.name, parserDatabase: d.parserDatabase, sqlifyDatabase: d.sqlifyDatabase, refusedCandidateText: d.refusedCandidateText },
    { cteSql: ctx.sandbox.cteSql, names: [...ctx.sandbox.names] },
  );
  await engineCheck(assembled.sql, ctx);
  return assembled;
}

/**
 * The engine's reading of each sandbox, by its CTE text. The same admin asks again and again and
 * the text is deterministic, so the reference parse is cached (bounded, least recently used).
 */
const sandboxParses = new Map<string, { key: string; value: string }[]>();
const SANDBOX_PARSE_CACHE = 1_000;

async function expectedSandbox(ctx: GuardContext): Promise<{ key: string; value: string }[]> {
  const key = `${ctx.connector.dialect.name}\u0000${ctx.sandbox.cteSql}`;
  const hit = sandboxParses.get(key);
  if (hit) {
    sandboxParses.delete(key);
    sandboxParses.set(key, hit);
    return hit;
  }
  // Same prefix as the final text (`WITH <sandbox>`), so parse positions line up too.
  const entries = ctx.connector.engineChecker.sandboxEntries(await engineParse(ctx, `WITH ${ctx.sandbox.cteSql} SELECT 1`));
  sandboxParses.set(key, entries);
  if (sandboxParses.size > SANDBOX_PARSE_CACHE) sandboxParses.delete(sandboxParses.keys().next().value as string);
  return entries;
}

/** Step 4: the engine's own parse of the exact text. */
async function engineCheck(sql: string, ctx: GuardContext): Promise<void> {
  const [finalTree, expected] = await Promise.all([engineParse(ctx, sql), expectedSandbox(ctx)]);
  ctx.connector.engineChecker.check(finalTree, expected);
}

async function engineParse(ctx: GuardContext, sql: string): Promise<unknown> {
  try {
    return await ctx.connector.engineParse(sql);
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_GUARD_ENGINE_MISMATCH', { detail: 'engine could not parse', cause });
  }
}

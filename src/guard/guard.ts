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
 * A parse failure is a rejection, never a fallback.
 */
import { createHash } from 'node:crypto';
import nodeSqlParser from 'node-sql-parser';
import { SplitplaneError } from '../errors.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { WarehouseConnector } from '../warehouse/connector.js';
import { checkLiteralsKept, checkWords } from './limits.js';
import { checkStatement } from './sql-check.js';

const parser = new nodeSqlParser.Parser();

/** Limits applied before any parser sees the text. */
export const GUARD_LIMITS = Object.freeze({ maxLength: 8_000, maxDepth: 24 });

/** The guard's output. */
export interface GuardedSql {
  /** The exact text the engine will run. */
  readonly sql: string;
  /** The candidate as re-serialised from its AST, without the sandbox CTEs. */
  readonly candidate: string;
}

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
  const dialect = ctx.connector.dialect;
  preCheck(candidate);
  if (dialect.refusedCandidateText?.test(candidate)) {
    throw new SplitplaneError('SP_ERR_GUARD_BAD_CHARACTER', { detail: `refused on ${dialect.name}` });
  }
  let assembled: GuardedSql;
  try {
    const ast = parseOne(candidate, dialect.parserDatabase);
    checkStatement(ast, ctx.sandbox.names);
    assembled = assemble(ast, ctx.sandbox, dialect.sqlifyDatabase);
  } catch (err) {
    // The limits keep recursion shallow; should a parser still overflow its stack, that is a refusal, not a 500.
    if (err instanceof RangeError) throw new SplitplaneError('SP_ERR_GUARD_TOO_COMPLEX', { detail: 'recursion limit', cause: err });
    throw err;
  }
  checkLiteralsKept(candidate, assembled.candidate);
  await engineCheck(assembled.sql, ctx);
  return assembled;
}

/** Step 1: limits that protect the parsers themselves. */
export function preCheck(sql: string): void {
  if (sql.length > GUARD_LIMITS.maxLength) throw new SplitplaneError('SP_ERR_GUARD_TOO_LONG');
  // ASCII only: no look-alike letters, no exotic whitespace or quotes that two parsers might read differently.
  if (/[^\t\n\r\x20-\x7e]/.test(sql)) throw new SplitplaneError('SP_ERR_GUARD_BAD_CHARACTER');
  let depth = 0;
  for (const ch of sql) {
    if (ch === '(') {
      depth++;
      if (depth > GUARD_LIMITS.maxDepth) throw new SplitplaneError('SP_ERR_GUARD_TOO_DEEP');
    } else if (ch === ')') depth--;
  }
  checkWords(sql);
  const head = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*/, '').slice(0, 6).toUpperCase();
  if (!head.startsWith('SELECT') && !head.startsWith('WITH')) throw new SplitplaneError('SP_ERR_GUARD_NOT_SELECT');
}

type Ast = Record<string, unknown>;

function parseOne(sql: string, database: string): Ast {
  let parsed: unknown;
  try {
    parsed = parser.astify(sql, { database });
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_GUARD_PARSE', { cause });
  }
  const statements = (Array.isArray(parsed) ? parsed : [parsed]).filter((s) => s != null);
  if (statements.length !== 1) throw new SplitplaneError('SP_ERR_GUARD_MULTIPLE_STATEMENTS');
  // Whether it is a SELECT at all is checkStatement's first rule.
  return statements[0] as Ast;
}

/** Step 3: sandbox CTEs, then the candidate's CTEs, then its body, each serialised from the AST. */
function assemble(ast: Ast, sandbox: Sandbox, database: string): GuardedSql {
  const opt = { database };
  const ctes = (ast['with'] as Ast[] | null) ?? [];
  const body = parser.sqlify({ ...ast, with: null } as never, opt);
  const cteTexts = ctes.map((cte) => {
    const name = (cte['name'] as { value: string }).value;
    const stmt = cte['stmt'] as Ast;
    const inner = 'ast' in stmt ? (stmt['ast'] as Ast) : stmt;
    return `${quote(name, database)} AS (${parser.sqlify(inner as never, opt)})`;
  });
  const candidate = cteTexts.length ? `WITH ${cteTexts.join(', ')} ${body}` : body;
  const sql = `WITH ${[sandbox.cteSql, ...cteTexts].join(',\n     ')}\n${body}`;
  return { sql, candidate };
}

function quote(name: string, database: string): string {
  return database === 'hive' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
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

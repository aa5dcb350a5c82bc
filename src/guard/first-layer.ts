/**
 * The guard's first layer, steps 1 to 3 (see guard.ts): a pure function of
 * the candidate text, the engine's grammar names and the sandbox. It runs in
 * a worker thread under a time budget (parse-pool.ts), so that no candidate,
 * however the parser behaves on it, can block the service's event loop.
 */
import nodeSqlParser from 'node-sql-parser';
import { SplitplaneError } from '../errors.js';
import { assembleStatement } from '../sandbox/statement.js';
import type { AssembledStatement, Grammar, SandboxSpec } from './engine-check.js';
import { checkLiteralsKept, checkWords } from './limits.js';
import { checkStatement } from './sql-check.js';

const parser = new nodeSqlParser.Parser();

/** Limits applied before any parser sees the text. */
export const GUARD_LIMITS = Object.freeze({ maxLength: 8_000, maxDepth: 24 });

/** The guard's output: the statement that runs, in its parts, and the candidate alone. */
export interface GuardedSql extends AssembledStatement {
  /** The candidate as re-serialised from its AST, without the sandbox CTEs. */
  readonly candidate: string;
}

/** Steps 1 to 3: limits, parse and check, assembly. Throws SP_ERR_GUARD_* on rejection. */
export function firstLayer(candidate: string, grammar: Grammar, sandbox: SandboxSpec): GuardedSql {
  preCheck(candidate);
  if (grammar.refusedCandidateText?.test(candidate)) {
    throw new SplitplaneError('SP_ERR_GUARD_BAD_CHARACTER', { detail: `refused on ${grammar.name}` });
  }
  let assembled: GuardedSql;
  try {
    const ast = parseOne(candidate, grammar.parserDatabase);
    checkStatement(ast, new Set(sandbox.names));
    assembled = assemble(ast, sandbox.cteSql, grammar);
  } catch (err) {
    // The limits keep recursion shallow; should a parser still overflow its stack, that is a refusal, not a 500.
    if (err instanceof RangeError)
      throw new SplitplaneError('SP_ERR_GUARD_TOO_COMPLEX', { detail: 'recursion limit', cause: err });
    throw err;
  }
  checkLiteralsKept(candidate, assembled.candidate);
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
  const head = sql
    .replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*/, '')
    .slice(0, 6)
    .toUpperCase();
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
function assemble(ast: Ast, sandboxCteSql: string, grammar: Grammar): GuardedSql {
  const opt = { database: grammar.sqlifyDatabase };
  const q = grammar.identQuote;
  const ctes = (ast['with'] as Ast[] | null) ?? [];
  const body = parser.sqlify({ ...ast, with: null } as never, opt);
  const candidateCtes = ctes.map((cte) => {
    const name = (cte['name'] as { value: string }).value;
    const stmt = cte['stmt'] as Ast;
    const inner = 'ast' in stmt ? (stmt['ast'] as Ast) : stmt;
    return `${q}${name.replaceAll(q, q + q)}${q} AS (${parser.sqlify(inner as never, opt)})`;
  });
  const candidate = candidateCtes.length ? `WITH ${candidateCtes.join(', ')} ${body}` : body;
  return { sql: assembleStatement(sandboxCteSql, candidateCtes, body), candidateCtes, body, candidate };
}

/**
 * What a candidate may cost before any engine plans it, and the literals it
 * must keep. Measured on the text (to protect node-sql-parser, which is
 * quadratic on long runs of identifier characters) and on the AST (to protect
 * the engine's planner, whose cost grows steeply with expression depth).
 * Every limit has a stable error code; the figures leave headroom over what
 * the catalog compiler and the eval questions produce (docs/errors.md lists them).
 */
import { SplitplaneError } from '../errors.js';

export const AST_LIMITS = Object.freeze({
  /** Expression nodes in the whole statement. */
  maxNodes: 3_000,
  /** Nesting of expressions (a chain `a + b + ... + z` of n terms nests n deep). */
  maxExpressionDepth: 48,
  /** Items of one select list. */
  maxSelectItems: 120,
  /** Joined relations in one FROM. */
  maxJoins: 12,
  /** Subqueries and CTEs in the statement. */
  maxSubqueries: 24,
  /** Values of one IN list. */
  maxInList: 500,
  /** Wildcards (% and _) of one LIKE pattern; the pattern must be a string literal. */
  maxLikeWildcards: 16,
  /** Nesting of functions that can grow a string (replace, concat, ||). */
  maxStringGrowth: 3,
});

/** Longest run of identifier characters (letters, digits, _, $, -) outside quotes. */
export const MAX_WORD = 128;

/** Quoted strings and names and comments: skipped by both scans below. */
const QUOTED = String.raw`'(?:[^']|'')*'|"(?:[^"]|"")*"|\`(?:[^\`]|\`\`)*\`|--[^\n]*|\/\*[\s\S]*?\*\/`;
const NUMBER_TAIL = String.raw`\.[0-9]+(?:[eE][+-]?[0-9]+)?`;
const TOKENS = new RegExp(String.raw`${QUOTED}|([A-Za-z0-9_$-]+(?:${NUMBER_TAIL})?|${NUMBER_TAIL})`, 'g');

/** Refuse text whose words would make the parser itself slow (runs such as `a-a-a-...`). */
export function checkWords(sql: string): void {
  for (const m of sql.matchAll(TOKENS)) {
    if (m[1] !== undefined && m[1].length > MAX_WORD) {
      throw new SplitplaneError('SP_ERR_GUARD_TOO_COMPLEX', {
        detail: `a run of ${m[1].length} identifier characters`,
      });
    }
  }
}

const LITERALS = new RegExp(
  String.raw`${QUOTED}|[A-Za-z_$][A-Za-z0-9_$]*|([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|${NUMBER_TAIL})`,
  'g',
);

/**
 * The numeric and string literals of a text, in order: numbers as written, string literals with
 * their quotes. Identifiers, quoted identifiers and comments are skipped.
 */
export function literalsOf(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(LITERALS)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[0].startsWith("'")) out.push(m[0]);
  }
  return out;
}

/**
 * The assembled candidate must carry every literal exactly as the candidate wrote it: the guard
 * re-serialises from node-sql-parser's AST, which reads numbers as JavaScript numbers, so
 * `1.00000000000000000001` would silently become `1.00000000000000000000`. Refused, never changed.
 */
export function checkLiteralsKept(written: string, serialised: string): void {
  const a = literalsOf(written);
  const b = literalsOf(serialised);
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      throw new SplitplaneError('SP_ERR_GUARD_LITERAL', {
        detail: `literal ${i + 1} would run as ${b[i] ?? 'nothing'}, not as written`,
      });
    }
  }
}

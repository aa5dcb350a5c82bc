/**
 * The Databricks half of the guard. No Databricks parser runs locally, so the
 * check is a second, independent reading by another grammar: the final text
 * must begin with exactly the sandbox CTEs the builder wrote, and everything
 * after them (the candidate's CTEs and body, as the guard re-serialised them)
 * is parsed again with node-sql-parser's Hive grammar, the closest to
 * Databricks SQL, and must pass the same scope check. Stricter candidate text
 * rules (see databricks-dialect.ts) make up for the missing engine parser.
 */
import nodeSqlParser from 'node-sql-parser';
import { SplitplaneError } from '../errors.js';
import { checkStatement } from './sql-check.js';

const parser = new nodeSqlParser.Parser();
const TAIL = ' SELECT 1';

/** What "parsing" means here: the text itself, checked structurally by {@link checkDatabricksText}. */
export interface DatabricksText {
  readonly text: string;
}

function mismatch(detail: string, cause?: unknown): never {
  throw new SplitplaneError('SP_ERR_GUARD_ENGINE_MISMATCH', { detail, cause });
}

export const databricksEngineChecker = {
  /** From the text `WITH <sandbox> SELECT 1`: the sandbox prefix, and the CTE names it defines. */
  sandboxEntries(tree: unknown): { key: string; value: string }[] {
    const text = (tree as DatabricksText).text;
    if (!text.startsWith('WITH ') || !text.endsWith(TAIL)) mismatch('unexpected sandbox text');
    const prefix = text.slice(0, -TAIL.length);
    const names = [...prefix.matchAll(/(?:^WITH |,\n {5})([a-z_][a-z0-9_]*) AS \(/g)].map((m) => m[1]!);
    return [{ key: '(prefix)', value: prefix }, ...names.map((n) => ({ key: n, value: '' }))];
  },
  check(tree: unknown, sandbox: readonly { key: string; value: string }[]): void {
    const text = (tree as DatabricksText).text;
    const prefix = sandbox[0]?.value;
    if (prefix === undefined || !text.startsWith(prefix)) mismatch('sandbox CTEs differ');
    const names = new Set(sandbox.slice(1).map((s) => s.key));
    const rest = text.slice(prefix.length);
    let statement: string;
    if (rest.startsWith(',\n     ')) statement = `WITH ${rest.slice(7)}`;
    else if (rest.startsWith('\n')) statement = rest.slice(1);
    else mismatch('unexpected text after the sandbox CTEs');
    let ast: unknown;
    try {
      ast = parser.astify(statement, { database: 'hive' });
    } catch (cause) {
      mismatch('the Hive grammar cannot read the candidate part', cause);
    }
    if (Array.isArray(ast)) {
      if (ast.filter((s) => s != null).length !== 1) mismatch('not exactly one statement');
      ast = ast[0];
    }
    try {
      checkStatement(ast as Record<string, unknown>, names);
    } catch (cause) {
      mismatch('the second reading refuses the candidate', cause);
    }
  },
} as const;

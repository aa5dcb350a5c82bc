/**
 * The Databricks side of the guard. No Databricks parser runs locally, so the
 * check is a second, independent reading by another grammar: the final text
 * must be exactly the sandbox CTEs the builder wrote followed by the
 * candidate's parts as the guard re-serialised them (src/sandbox/statement.ts
 * puts them together; nothing here slices text), and the candidate's part is
 * parsed again with node-sql-parser's Hive grammar, the closest to Databricks
 * SQL, and must pass the same scope check. Stricter candidate text rules
 * (DATABRICKS_GRAMMAR.refusedCandidateText) make up for the missing engine
 * parser.
 */
import nodeSqlParser from 'node-sql-parser';
import { mismatch, type EngineCheck, type SandboxSpec } from '../../guard/engine-check.js';
import { checkStatement } from '../../guard/sql-check.js';
import { assembleStatement, candidatePart, sandboxProbe } from '../../sandbox/statement.js';

const parser = new nodeSqlParser.Parser();

/** What "parsing" means here: the text itself, checked structurally. */
export interface DatabricksText {
  readonly text: string;
}

/**
 * Databricks' grammar for the first layer: read as PostgreSQL, written as Hive (backtick quotes).
 * Candidates may not hold backticks, double quotes (Databricks reads "x" as a string), `$`
 * (variable substitution), `:` (parameter markers, `::` casts), a backslash or a three-part name.
 */
export const DATABRICKS_GRAMMAR = Object.freeze({
  name: 'databricks',
  parserDatabase: 'postgresql',
  sqlifyDatabase: 'hive',
  identQuote: '`',
  refusedCandidateText: /[`"$:\\]|\b[A-Za-z_]\w*\.[A-Za-z_]\w*\.[A-Za-z_]\w*\b/,
} as const);

export const databricksEngineCheck: EngineCheck<DatabricksText, SandboxSpec> = {
  grammar: DATABRICKS_GRAMMAR,
  parse: async (sql) => ({ text: sql }),
  /** The probe must be the sandbox's own probe text; the reference is the sandbox itself. */
  readSandbox(probe, sandbox) {
    if (probe.text !== sandboxProbe(sandbox.cteSql)) mismatch('unexpected sandbox text');
    return sandbox;
  },
  check(tree, statement, sandbox) {
    if (tree.text !== assembleStatement(sandbox.cteSql, statement.candidateCtes, statement.body))
      mismatch('sandbox CTEs differ');
    let ast: unknown;
    try {
      ast = parser.astify(candidatePart(statement.candidateCtes, statement.body), { database: 'hive' });
    } catch (cause) {
      mismatch('the Hive grammar cannot read the candidate part', cause);
    }
    if (Array.isArray(ast)) {
      if (ast.filter((s) => s != null).length !== 1) mismatch('not exactly one statement');
      ast = ast[0];
    }
    try {
      checkStatement(ast as Record<string, unknown>, new Set(sandbox.names));
    } catch (cause) {
      mismatch('the second reading refuses the candidate', cause);
    }
  },
};

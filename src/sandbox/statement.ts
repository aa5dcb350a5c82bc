/**
 * The one place that writes a statement around the sandbox: the sandbox CTEs
 * first, then the candidate's own CTEs, then its body. The guard assembles
 * with it, the engine checks read the parts (never by slicing the text), and
 * the engine's reference reading of a sandbox is the probe written here.
 */

/** Between two CTEs of the WITH list: the sandbox's own definitions are joined the same way. */
export const CTE_SEPARATOR = ',\n     ';

/** The text of a sandbox's WITH list, from its CTE definitions. */
export function sandboxCteList(definitions: readonly string[]): string {
  return definitions.join(CTE_SEPARATOR);
}

/** The statement that runs: `WITH <sandbox CTEs>, <candidate CTEs>` then the body, on a new line. */
export function assembleStatement(sandboxCteSql: string, candidateCtes: readonly string[], body: string): string {
  return `WITH ${[sandboxCteSql, ...candidateCtes].join(CTE_SEPARATOR)}\n${body}`;
}

/** The sandbox alone, in a statement with the same prefix as every assembled one (so parse positions match). */
export function sandboxProbe(sandboxCteSql: string): string {
  return assembleStatement(sandboxCteSql, [], 'SELECT 1');
}

/** The candidate's part of an assembled statement as a statement of its own (its CTEs, then its body). */
export function candidatePart(candidateCtes: readonly string[], body: string): string {
  return candidateCtes.length ? `WITH ${candidateCtes.join(CTE_SEPARATOR)}\n${body}` : body;
}

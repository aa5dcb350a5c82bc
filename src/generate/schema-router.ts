/**
 * The schema router: with many exposed tables, describe to the model only the
 * sandbox CTEs relevant to the question, so prompts stay small. It works from
 * the sandbox description (names, columns, descriptions) and the words and
 * partners the table registry gives each table (src/schema/tables.ts), never
 * from the warehouse. When nothing matches it keeps every table.
 */
import type { SandboxDescription } from '../sandbox/sandbox.js';
import { sandboxTable, type TableRegistry } from '../schema/tables.js';

export function routeSchema(
  sandbox: SandboxDescription,
  question: string,
  registry: TableRegistry,
): SandboxDescription {
  const words = new Set(question.toLowerCase().match(/[a-z_]+/g) ?? []);
  const picked = new Set<string>();
  for (const t of sandbox.tables) {
    const vocabulary = [
      t.name,
      ...t.name.split('_'),
      ...t.columns.flatMap((c) => [c.name, ...c.name.split('_')]),
      ...(sandboxTable(registry, t.name)?.words ?? []),
    ];
    if (vocabulary.some((w) => words.has(w) || words.has(`${w}s`))) picked.add(t.name);
  }
  for (const name of [...picked]) for (const p of sandboxTable(registry, name)?.partners ?? []) picked.add(p);
  const tables = sandbox.tables.filter((t) => picked.has(t.name));
  return tables.length ? { tables } : sandbox;
}

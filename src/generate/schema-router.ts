/**
 * The schema router: with many exposed tables, describe to the model only the
 * sandbox CTEs relevant to the question, so prompts stay small. It works from
 * the sandbox description alone (names, columns, descriptions), never from
 * the warehouse. When nothing matches it keeps every table.
 */
import type { SandboxDescription } from '../sandbox/sandbox.js';

/** Words that point at a table even when its name is not used. */
const HINTS: Readonly<Record<string, readonly string[]>> = {
  locations: ['store', 'stores', 'location', 'locations', 'restaurant', 'restaurants', 'city', 'cities', 'state', 'states', 'site', 'branch'],
  menu_items: ['item', 'items', 'menu', 'dish', 'dishes', 'product', 'products', 'category', 'categories', 'price'],
  item_sales: ['item', 'items', 'menu', 'dish', 'dishes', 'product', 'products', 'units', 'quantity', 'sold'],
  daily_sales: ['sales', 'revenue', 'orders', 'guests', 'guest', 'covers', 'check', 'checks', 'traffic', 'day', 'week', 'month'],
};

/** Tables another table needs in order to be useful (its join partners). */
const PARTNERS: Readonly<Record<string, readonly string[]>> = { item_sales: ['menu_items'] };

export function routeSchema(sandbox: SandboxDescription, question: string): SandboxDescription {
  const words = new Set(question.toLowerCase().match(/[a-z_]+/g) ?? []);
  const picked = new Set<string>();
  for (const t of sandbox.tables) {
    const vocabulary = [t.name, ...t.name.split('_'), ...t.columns.flatMap((c) => [c.name, ...c.name.split('_')]), ...(HINTS[t.name] ?? [])];
    if (vocabulary.some((w) => words.has(w) || words.has(`${w}s`))) picked.add(t.name);
  }
  for (const name of [...picked]) for (const p of PARTNERS[name] ?? []) picked.add(p);
  // A per-location fact needs the locations table to say which store is which.
  if ([...picked].some((n) => n !== 'locations' && n !== 'menu_items')) picked.add('locations');
  const tables = sandbox.tables.filter((t) => picked.has(t.name));
  return tables.length ? { tables } : sandbox;
}

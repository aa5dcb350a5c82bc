/** A caller's value index as the sandbox would return it, for parser and compiler tests. */
import { loadCatalog } from '../../src/semantic/catalog.js';
import { buildValueIndex, valueQueries, type ValueIndex } from '../../src/semantic/values.js';

const catalog = loadCatalog('catalog/metrics.yaml');

/** A caller's values as the sandbox would return them: four stores, four items. */
export function fixtureValues(): ValueIndex {
  const queries = valueQueries(
    catalog,
    () => true,
    (s) => `"${s}"`,
  );
  const rows = (
    table: string,
  ): { columns: { name: string; type: string }[]; rows: (string | null)[][]; truncated: boolean } =>
    table === 'locations'
      ? {
          columns: ['location_id', 'name', 'city', 'state'].map((name) => ({ name, type: 'VARCHAR' })),
          rows: [
            ['628017', 'Chicago #17', 'Chicago', 'IL'],
            ['628123', 'Chicago #123', 'Chicago', 'IL'],
            ['628005', 'Dallas #5', 'Dallas', 'TX'],
            ['628003', 'Austin #3', 'Austin', 'TX'],
            ['628009', 'New York #9', 'New York', 'NY'],
          ],
          truncated: false,
        }
      : {
          columns: ['item_id', 'name', 'category'].map((name) => ({ name, type: 'VARCHAR' })),
          rows: [
            ['62801', 'Classic Burger', 'Burgers'],
            ['62807', 'Fries', 'Sides'],
            ['62809', 'Milkshake', 'Drinks'],
            ['62812', 'Crème Brûlée', 'Desserts'],
          ],
          truncated: false,
        };
  return buildValueIndex(
    catalog,
    queries.map((query) => ({ query, rows: rows(query.table) })),
  );
}

/**
 * Column labels and formats for a catalog answer, from the catalog: "sales amount", "change in
 * sales amount (%)", "share of guest count (%)", a month as a month. Clients show these instead of
 * the SQL names (`net_sales_amount_change_pct`); the rows themselves are unchanged.
 */
import { dimensionById, metricById, type Catalog } from '../semantic/catalog.js';
import type { SemanticQuery } from '../semantic/query.js';
import type { ResultColumn } from '../warehouse/connector.js';

/** How a client shows a column's values. */
export type ColumnFormat =
  | 'currency'
  | 'integer'
  | 'decimal'
  | 'percent'
  | 'day'
  | 'week'
  | 'month'
  | 'quarter'
  | 'year'
  | 'weekday'
  | 'date'
  | 'text';

export interface LabelledColumn extends ResultColumn {
  readonly label: string;
  readonly format: ColumnFormat;
}

/** What each suffix of a measure's column means, and whether it is a percentage. */
const SUFFIXES: readonly (readonly [string, (label: string, q: SemanticQuery) => string, boolean])[] = [
  ['_change_pct', (l) => `change in ${l} (%)`, true],
  ['_difference_pct', (l) => `difference in ${l} (%)`, true],
  ['_running_total', (l) => `running total of ${l}`, false],
  ['_previous', (l, q) => `${l}, ${q.compare?.range.label ?? 'previous'}`, false],
  ['_difference', (l) => `difference in ${l}`, false],
  ['_change', (l) => `change in ${l}`, false],
  ['_share', (l) => `share of ${l} (%)`, true],
  ['_total', (l) => `total ${l}`, false],
  ['_a', (l, q) => `${l}: ${q.versus?.[0].values.join(', ') ?? 'first'}`, false],
  ['_b', (l, q) => `${l}: ${q.versus?.[1].values.join(', ') ?? 'second'}`, false],
];

/** Every column with its label and format (a column the catalog does not name keeps its own name). */
export function labelColumns(
  query: SemanticQuery,
  columns: readonly ResultColumn[],
  catalog: Catalog,
): LabelledColumn[] {
  return columns.map((c) => {
    const d = dimensionById(catalog, c.name);
    if (d && query.dimensions.includes(d.id)) {
      const format: ColumnFormat = d.kind === 'time' ? d.grain : d.kind === 'date' ? 'date' : 'text';
      return { ...c, label: d.label, format };
    }
    for (const id of query.measures) {
      const m = metricById(catalog, id);
      if (!m || !c.name.startsWith(id)) continue;
      if (c.name === id)
        return {
          ...c,
          label: query.part ? `${m.label}: ${query.part.map((f) => f.values.join(', ')).join(', ')}` : m.label,
          format: m.format,
        };
      const hit = SUFFIXES.find(([suffix]) => c.name === `${id}${suffix}`);
      if (hit) return { ...c, label: hit[1](m.label, query), format: hit[2] ? 'percent' : m.format };
    }
    return { ...c, label: c.name, format: 'text' };
  });
}

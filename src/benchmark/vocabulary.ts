/**
 * What can be benchmarked, read from the catalog: a measure is a base metric that sums one column of a
 * fact table scoped per grant unit and dated (a sales amount, a count of orders); a grouping is
 * `business`, or an attribute dimension of the grant unit's table that is not the unit itself (`state`,
 * `city`). A per-unit figure of anything else (a ratio, a distinct count, a joined column) is not
 * additive over units and periods, and the argument of safety in compile.ts rests on additivity.
 */
import type { BenchmarkVocabulary } from '../policy/benchmarks.js';
import { BUSINESS_GROUPING } from '../policy/scope.js';
import { metricById, type Catalog } from '../semantic/catalog.js';
import { sandboxColumn, sandboxTable } from '../schema/tables.js';

/** A benchmarkable measure: SUM(column) of a dated fact table with a unit column. */
export interface BenchmarkMeasure {
  readonly id: string;
  readonly label: string;
  /** The logical fact table (its registry entry names the raw table). */
  readonly table: string;
  readonly column: string;
  /** The fact table's date column. */
  readonly time: string;
}

/** The measure of this id, when it can be benchmarked. */
export function benchmarkMeasure(catalog: Catalog, id: string): BenchmarkMeasure | undefined {
  const m = metricById(catalog, id);
  if (!m || m.internal || m.aggregate !== 'sum' || m.expr?.kind !== 'name' || m.needs.length) return undefined;
  const column = m.expr.name;
  if (m.expr.table !== undefined && m.expr.table !== m.table) return undefined;
  const spec = sandboxTable(catalog.schema, m.table);
  const time = Object.hasOwn(catalog.tables, m.table) ? catalog.tables[m.table]?.time : undefined;
  if (!spec?.scope.unit || time === undefined || !sandboxColumn(catalog.schema, m.table, column)) return undefined;
  return { id, label: m.label, table: m.table, column, time };
}

/** The grouping of this id: the whole business, or a column of the grant unit's table. */
export function benchmarkGrouping(
  catalog: Catalog,
  id: string,
): { readonly kind: 'business' } | { readonly kind: 'column'; readonly column: string } | undefined {
  if (id === BUSINESS_GROUPING) return { kind: 'business' };
  const unit = catalog.schema.grantUnit;
  const d = catalog.dimensions.find((x) => x.id === id);
  if (d?.kind !== 'attribute' || d.table !== unit.table || d.key !== undefined || d.column === unit.key)
    return undefined;
  return sandboxColumn(catalog.schema, unit.table, d.column) ? { kind: 'column', column: d.column } : undefined;
}

/** Every measure and grouping a policy's benchmark grant may name, for the policy adapter. */
export function benchmarkVocabulary(catalog: Catalog): BenchmarkVocabulary {
  return Object.freeze({
    measures: Object.freeze(catalog.metrics.filter((m) => benchmarkMeasure(catalog, m.id)).map((m) => m.id)),
    groupings: Object.freeze(catalog.dimensions.filter((d) => benchmarkGrouping(catalog, d.id)).map((d) => d.id)),
  });
}

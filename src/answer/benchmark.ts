/**
 * The sentences and columns of a comparison with peers (src/pipeline/benchmark.ts answers with them):
 * per group, the caller's per-unit value beside the peers' average and median, the band, the
 * percentile's decile, or why the group is not shown.
 */
import { formatValue } from './answer.js';
import type { ColumnFormat, LabelledColumn } from './columns.js';
import type { BenchmarkResult } from '../benchmark/benchmark.js';
import type { BenchmarkAsk } from '../benchmark/intent.js';
import { BUSINESS_GROUPING } from '../policy/scope.js';
import { metricById, unitDimension, type Catalog } from '../semantic/catalog.js';

const ordinal = (n: number): string => {
  const t = n % 100;
  const s = t >= 11 && t <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
};

/** "9% below", "12% above", "level with". */
function against(you: number, average: number): string {
  if (average === 0) return you === 0 ? 'level with' : 'above';
  const pct = Math.round((100 * (you - average)) / Math.abs(average));
  return pct === 0 ? 'level with' : `${Math.abs(pct)}% ${pct < 0 ? 'below' : 'above'}`;
}

/** The words for the peer group: "other stores in the business", "other stores in IL". */
function peersIn(catalog: Catalog, grouping: string, group: string): string {
  const units = unitDimension(catalog)?.plural ?? catalog.schema.grantUnit.plural;
  return grouping === BUSINESS_GROUPING ? `other ${units} in the business` : `other ${units} in ${group}`;
}

/** One group's sentence. */
export function groupSentence(catalog: Catalog, ask: BenchmarkAsk, measure: string, r: BenchmarkResult): string {
  const metric = metricById(catalog, measure);
  const fmt = (v: number | undefined): string => formatValue(v ?? null, metric?.format ?? 'decimal');
  const where = ask.grouping === BUSINESS_GROUPING ? '' : `In ${r.group}: `;
  const unit = unitDimension(catalog)?.label ?? catalog.schema.grantUnit.name;
  const peers = peersIn(catalog, ask.grouping, r.group);
  if (!r.released) return `${where}no comparison of ${metric?.label ?? measure}. ${r.reason ?? ''}`.trim();
  // The peers' figures are released to three significant digits: written without cents that are not there.
  const rough = (v: number | undefined): string => fmt(v).replace(/\.00$/, '');
  const theirs = `the ${peers} (${r.band}) averaged ${rough(r.peerAverage)} (median ${rough(r.peerMedian)})`;
  const label = metric?.label ?? measure;
  const plural = unitDimension(catalog)?.plural ?? catalog.schema.grantUnit.plural;
  const cap = (x: string): string => (where ? x : x.replace(/^./, (c) => c.toUpperCase()));
  if (r.yourValue === undefined) return `${where}${cap(`your ${plural} had no ${label} in ${ask.month}`)}; ${theirs}.`;
  const n = r.yourUnits ?? 0;
  const yours = `your ${n} ${n === 1 ? unit : plural} averaged ${fmt(r.yourValue)} per ${unit} in ${label}`;
  const standing = `You are ${against(r.yourValue, r.peerAverage ?? 0)} their average, between the ${ordinal(Math.round(r.yourPercentile ?? 0))} and ${ordinal(Math.round(r.yourPercentile ?? 0) + 10)} percentile.`;
  return `${where}${cap(yours)}; ${theirs}. ${standing}`;
}

/** The columns of a benchmark answer (released groups only, one row per measure and group). */
export function benchmarkColumns(catalog: Catalog, ask: BenchmarkAsk): LabelledColumn[] {
  const unit = unitDimension(catalog)?.label ?? catalog.schema.grantUnit.name;
  const units = unitDimension(catalog)?.plural ?? catalog.schema.grantUnit.plural;
  const g = catalog.dimensions.find((d) => d.id === ask.grouping);
  // One measure: its own format; several in one column: plain numbers.
  const one = ask.measures.length === 1 && ask.measures[0] ? metricById(catalog, ask.measures[0]) : undefined;
  const format: ColumnFormat =
    one?.format === 'currency' || one?.format === 'integer' || one?.format === 'percent' ? one.format : 'decimal';
  const column = (name: string, type: string, label: string, f: ColumnFormat): LabelledColumn => ({
    name,
    type,
    label,
    format: f,
  });
  return [
    ...(ask.grouping === BUSINESS_GROUPING ? [] : [column(ask.grouping, 'VARCHAR', g?.label ?? ask.grouping, 'text')]),
    column('measure', 'VARCHAR', 'measure', 'text'),
    column('your_units', 'INTEGER', `your ${units} with data`, 'integer'),
    column('your_value', 'DOUBLE', `your average per ${unit}`, format),
    column('peer_average', 'DOUBLE', `peers' average per ${unit}`, format),
    column('peer_median', 'DOUBLE', `peers' median per ${unit}`, format),
    column('your_percentile', 'DOUBLE', 'your percentile among peers', 'decimal'),
    column('peers', 'VARCHAR', 'peers', 'text'),
  ];
}

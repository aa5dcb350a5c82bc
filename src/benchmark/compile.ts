/**
 * Peer benchmarks, compiled (issue 38): one measure, one grouping, one period, for one caller's Scope.
 * The only reader of other units' rows in splitplane. It is not the sandbox and never meets a
 * candidate: the text is built here, from the registry and the verified scope, and runs as it is.
 *
 * What leaves the engine, per group (the business, or each value of the grouping that one of the
 * caller's own units has): `released`; and only when released, the band of the peer count, the
 * peers' per-unit average and median to FIGURE_DIGITS significant digits, the caller's own per-unit
 * value and the decile of its percentile among the peers. Peers are the units of the caller's tenant
 * and business OUTSIDE the caller's scope (the granted units the decision's unit filters keep) that
 * have a value in the period (a row whose measure is not NULL); k counts them only
 * (`includeSelf` adds the caller's units to the figures, never to k). A group is released when
 *
 *   - its peer count is at least k, and
 *   - for a grouping by a dimension: the business's peers outside the released groups number 0 or at
 *     least k (complementary suppression: the business figure minus the released groups' figures is
 *     itself a figure, of the rest; it must be one of >= k units, or of none).
 *
 * Both tests are in the SQL: a refused group's figures are NULL in the engine's own answer, and its
 * peer count never leaves it (the band is computed there, from fixed edges and the bound k).
 *
 * The per-unit value is the SUM of the measure over the period (vocabulary.ts admits sums only): a
 * unit without rows contributes 0 to any sum, so every released figure, times an exact peer count,
 * is a sum over a fixed set of units of per-unit-per-day values. That additivity is what
 * test/security/benchmark-differencing.test.ts reasons with.
 *
 * Every value is bound (tenant, business and the caller's units as the sandbox binds them; dates, k,
 * includeSelf and the unit filters' and row filters' values as decision values): no ID in the text.
 * The text reads raw tables only inside MATERIALIZED CTEs named like the sandbox tables whose raw
 * tables they scan: DuckDB's bound-plan check (engines/duckdb/plan-check.ts) allows a raw scan there
 * and nowhere else. The CTE named after the fact table holds one row per unit (its sum), never a row
 * of the fact table.
 */
import { SplitplaneError } from '../errors.js';
import type { Scope } from '../policy/scope.js';
import { sandboxColumn, sandboxTable } from '../schema/tables.js';
import { filterSql, parameterList, refineDialect } from '../sandbox/refine.js';
import type { Catalog } from '../semantic/catalog.js';
import { scopeIdsWellFormed, type SandboxParam } from '../warehouse/bindings.js';
import type { Dialect } from '../warehouse/connector.js';
import { benchmarkGrouping, benchmarkMeasure } from './vocabulary.js';

/** The name of the aggregate the compiler releases from: in no sandbox description, so no candidate can name it. */
export const BENCHMARK_RELATION = 'sp_benchmark';

/** The significant digits of a released peer figure (average, median): $162,300.19 is released as $162,000. */
export const FIGURE_DIGITS = 3;

/** Edges of the bands a peer count is released as (the first band starts at k, see compileBenchmark). */
export const BAND_EDGES = [2, 5, 10, 25, 50, 100, 250, 500, 1000] as const;

/** One benchmark to compile. */
export interface BenchmarkSpec {
  readonly measure: string;
  /** `business`, or a grouping dimension of the unit table (`state`). */
  readonly grouping: string;
  /** The period, inclusive (YYYY-MM-DD). */
  readonly from: string;
  readonly to: string;
  readonly k: number;
  readonly includeSelf: boolean;
}

/** The compiled text and what it binds (placeholder order), for WarehouseConnector.execute. */
export interface CompiledBenchmark {
  readonly sql: string;
  readonly bindings: readonly SandboxParam[];
}

/**
 * The columns of the answer, in order: group (text; '' for the business), released (boolean),
 * refusal ('under_k', 'complement' or NULL), band_low, band_high (NULL: open), peer_average,
 * peer_median (both to FIGURE_DIGITS significant digits), your_value, your_percentile (its decile's lower
 * edge: 0, 10, ... 90), your_units (the caller's units with a value in the group; all NULL unless released).
 */
export const BENCHMARK_COLUMNS = [
  'group',
  'released',
  'refusal',
  'band_low',
  'band_high',
  'peer_average',
  'peer_median',
  'your_value',
  'your_percentile',
  'your_units',
] as const;

function invalid(detail: string): never {
  throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail });
}

export function compileBenchmark(
  catalog: Catalog,
  dialect: Dialect,
  scope: Scope,
  spec: BenchmarkSpec,
): CompiledBenchmark {
  if (!scopeIdsWellFormed(scope)) invalid('scope IDs');
  if (!Number.isInteger(spec.k) || spec.k < 2) invalid('benchmark k');
  const registry = catalog.schema;
  const measure = benchmarkMeasure(catalog, spec.measure) ?? invalid(`benchmark of measure ${spec.measure}`);
  const grouping = benchmarkGrouping(catalog, spec.grouping) ?? invalid(`benchmark over ${spec.grouping}`);
  const fact = sandboxTable(registry, measure.table) ?? invalid(`no table ${measure.table}`);
  const unit = registry.grantUnit;
  const unitTable = sandboxTable(registry, unit.table) ?? invalid(`no unit table ${unit.table}`);
  const factUnit = fact.scope.unit ?? invalid(`${measure.table} has no unit column`);
  const unitKey = unitTable.scope.unit ?? invalid(`${unit.table} has no unit column`);
  const r = refineDialect(dialect);
  const q = (c: string): string => dialect.quoteIdent(c);

  const { bindings, param, bind } = parameterList(dialect);

  // f: the fact table, u: the unit table; both restricted to the caller's tenant and business.
  const from = bind('date', spec.from);
  const to = bind('date', spec.to);
  // Typed where they are read: DuckDB's plan serialisation fails on an untyped parameter in some expressions.
  const k = `CAST(${bind('number', spec.k)} AS INTEGER)`;
  const includeSelf = `CAST(${bind('number', spec.includeSelf ? 1 : 0)} AS INTEGER) = 1`;
  const tenantBusiness = (alias: string, t: { scope: { tenant: string; business: string } }): string[] => [
    `${alias}.${q(t.scope.tenant)} = ${param('sp_tenant')}`,
    `${alias}.${q(t.scope.business)} = ${param('sp_business')}`,
  ];
  // The caller's own units: granted, and kept by the decision's unit filters (over u's columns).
  const unitFilters = (scope.unitFilters ?? []).map((f) =>
    filterSql(
      f,
      `u.${q(f.column)}`,
      sandboxColumn(registry, unit.table, f.column) ?? invalid(`unit filter on ${f.column}`),
      bind,
      r,
    ),
  );
  // Never NULL (a unit filter over a NULL column): a unit is the caller's, or a peer, never neither.
  const own =
    scope.units.length === 0
      ? 'FALSE'
      : `COALESCE((${[dialect.inBoundList(`u.${q(unitKey)}`, param('sp_units')), ...unitFilters].join(' AND ')}), FALSE)`;
  // The caller's row filters on the fact table hold for every row read (the caller's value and the
  // peers' are computed over the same rows: a contractor's window narrows both).
  const rowFilters = (scope.filters?.[measure.table] ?? []).map((f) =>
    filterSql(
      f,
      `f.${q(f.column)}`,
      sandboxColumn(registry, measure.table, f.column) ?? invalid(`row filter on ${f.column}`),
      bind,
      r,
    ),
  );
  const grp = grouping.kind === 'business' ? `''` : `u.${q(grouping.column)}`;
  const fence = dialect.cteFence ? `${dialect.cteFence} ` : '';

  // One row per unit with rows in the period: its group, whether it is the caller's, its sum.
  const perUnit =
    `${q(measure.table)} AS ${fence}(SELECT f.${q(factUnit)} AS "unit", ${grp} AS "grp", ${own} AS "own", ` +
    `CAST(SUM(f.${q(measure.column)}) AS DOUBLE) AS "value" ` +
    `FROM ${dialect.rawTable(fact.raw)} AS f JOIN ${dialect.rawTable(unitTable.raw)} AS u ON u.${q(unitKey)} = f.${q(factUnit)} ` +
    `WHERE ${[
      ...tenantBusiness('f', fact),
      ...tenantBusiness('u', unitTable),
      `f.${q(measure.time)} >= ${from}`,
      `f.${q(measure.time)} <= ${to}`,
      // A unit counts (in k, in the figures, in the rank) only with a value: one whose rows are all
      // NULL would count in k while adding nothing to the figures.
      `f.${q(measure.column)} IS NOT NULL`,
      ...rowFilters,
    ].join(' AND ')} ` +
    `GROUP BY f.${q(factUnit)}, ${grp}, ${own})`;
  // The groups asked about: the business, or the values of the grouping among the caller's own units.
  const groups =
    grouping.kind === 'business'
      ? `"sp_groups" AS (SELECT '' AS "grp")`
      : `${q(unit.table)} AS ${fence}(SELECT DISTINCT u.${q(grouping.column)} AS "grp" FROM ${dialect.rawTable(unitTable.raw)} AS u ` +
        `WHERE ${[...tenantBusiness('u', unitTable), own, `u.${q(grouping.column)} IS NOT NULL`].join(' AND ')})`;
  const groupsName = grouping.kind === 'business' ? '"sp_groups"' : q(unit.table);
  const units = q(measure.table);
  const inFigures = `(${includeSelf} OR NOT s."own")`;
  const stats =
    `"sp_stats" AS (SELECT g."grp", ` +
    `SUM(CASE WHEN s."unit" IS NULL OR s."own" THEN 0 ELSE 1 END) AS "n", ` +
    `AVG(CASE WHEN ${inFigures} THEN s."value" END) AS "average", ` +
    `MEDIAN(CASE WHEN ${inFigures} THEN s."value" END) AS "median", ` +
    `AVG(CASE WHEN s."own" THEN s."value" END) AS "yours", ` +
    `SUM(CASE WHEN s."own" THEN 1 ELSE 0 END) AS "mine" ` +
    `FROM ${groupsName} AS g LEFT JOIN ${units} AS s ON s."grp" = g."grp" GROUP BY g."grp")`;
  const rank =
    `"sp_rank" AS (SELECT t."grp", CASE WHEN t."yours" IS NULL OR t."n" = 0 THEN NULL ELSE ` +
    `100.0 * SUM(CASE WHEN s."value" < t."yours" THEN 1.0 WHEN s."value" = t."yours" THEN 0.5 ELSE 0.0 END) / t."n" END AS "pct" ` +
    `FROM "sp_stats" AS t LEFT JOIN ${units} AS s ON s."grp" = t."grp" AND NOT s."own" GROUP BY t."grp", t."yours", t."n")`;
  // Complementary suppression (dimension groupings): the business's peers outside the groups that meet k.
  const rest =
    grouping.kind === 'business'
      ? `"sp_rest" AS (SELECT 0 AS "rest")`
      : `"sp_rest" AS (SELECT (SELECT SUM(CASE WHEN s."own" THEN 0 ELSE 1 END) FROM ${units} AS s) - ` +
        `COALESCE((SELECT SUM(t."n") FROM "sp_stats" AS t WHERE t."n" >= ${k}), 0) AS "rest")`;
  // Bands: the first runs from k to just below the first edge at or above 2k (so it is at least k
  // wide, whatever k is); after it, the fixed edges; the last is open.
  const floor = `(CASE ${BAND_EDGES.map((e) => `WHEN 2 * ${k} <= ${e} THEN ${e}`).join(' ')} END)`;
  const lowEdge = `CASE ${[...BAND_EDGES]
    .reverse()
    .map((e) => `WHEN t."n" >= ${e} THEN ${e}`)
    .join(' ')} ELSE 0 END`;
  const highEdge = `CASE ${[...BAND_EDGES]
    .reverse()
    .map((e, i, a) => `WHEN t."n" >= ${e} THEN ${i === 0 ? 'NULL' : String((a[i - 1] ?? 0) - 1)}`)
    .join(' ')} ELSE NULL END`;
  const bandLow = `CASE WHEN ${floor} IS NULL OR t."n" < ${floor} THEN ${k} ELSE ${lowEdge} END`;
  const bandHigh = `CASE WHEN ${floor} IS NULL THEN NULL WHEN t."n" < ${floor} THEN ${floor} - 1 ELSE ${highEdge} END`;
  const release =
    `${q(BENCHMARK_RELATION)} AS (SELECT t."grp", t."n" >= ${k} AND (c."rest" = 0 OR c."rest" >= ${k}) AS "released", ` +
    `CASE WHEN t."n" < ${k} THEN 'under_k' WHEN NOT (c."rest" = 0 OR c."rest" >= ${k}) THEN 'complement' END AS "refusal", ` +
    `${bandLow} AS "band_low", ${bandHigh} AS "band_high", ` +
    `t."average", t."median", t."yours", p."pct", t."mine" ` +
    `FROM "sp_stats" AS t JOIN "sp_rank" AS p ON p."grp" = t."grp" CROSS JOIN "sp_rest" AS c)`;
  const when = (expr: string, name: string): string => `CASE WHEN b."released" THEN ${expr} END AS ${q(name)}`;
  // The peers' figures to FIGURE_DIGITS significant digits, the percentile as its decile (0, 10, ... 90:
  // the lower edge of "between the 30th and 40th percentile"): exact
  // figures of a small group, with the band and the percentile over many months, pin down the exact
  // peer count and so the exact sum (found by review: 24 peers and their sum, from one owner's answers).
  // (A ladder of magnitudes: the engine's plan check admits ROUND and ABS, not LOG10.)
  const coarse = (x: string): string =>
    `CASE ${Array.from({ length: 16 }, (_, i) => 12 - i)
      .map((e) => `WHEN ABS(${x}) >= 1e${e} THEN ROUND(${x}, ${FIGURE_DIGITS - 1 - e})`)
      .join(' ')} ELSE ROUND(${x}, ${FIGURE_DIGITS + 2}) END`;
  const sql =
    `WITH ${[perUnit, groups, stats, rank, rest, release].join(', ')} ` +
    `SELECT b."grp" AS "group", b."released", b."refusal", ` +
    `${when('CAST(b."band_low" AS INTEGER)', 'band_low')}, ${when('CAST(b."band_high" AS INTEGER)', 'band_high')}, ` +
    `${when(coarse('b."average"'), 'peer_average')}, ${when(coarse('b."median"'), 'peer_median')}, ` +
    `${when('ROUND(b."yours", 2)', 'your_value')}, ${when('CASE WHEN b."pct" >= 90 THEN 90 ELSE FLOOR(b."pct" / 10.0) * 10 END', 'your_percentile')}, ` +
    `${when('CAST(b."mine" AS INTEGER)', 'your_units')} ` +
    `FROM ${q(BENCHMARK_RELATION)} AS b ORDER BY b."grp"`;
  return Object.freeze({ sql, bindings: Object.freeze(bindings) });
}

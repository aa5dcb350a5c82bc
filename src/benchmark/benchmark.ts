/**
 * Peer benchmarks, run (issue 38): "how am I doing against the others?", answered without revealing a
 * peer. A question reaches it through src/pipeline/benchmark.ts.
 *
 * A request is checked against the scope's benchmark grants before anything runs:
 *   - a grant must cover both the measure and the grouping (several: the strictest k, and the
 *     caller's units in the figures only if every one of them says so);
 *   - the caller's own scope must expose the measure's column and the grouping's column, unmasked
 *     (a benchmark never shows the caller a figure of a column their own answers would not), and
 *     carry no row filter on the measure's table (it would narrow the peers' rows as well);
 *   - the period is one whole calendar month that has ended before `today`. Fixed, disjoint periods:
 *     two overlapping periods and their union would let a month be split into parts whose groups are
 *     under k (the differencing test shows it), and a month still filling up would change between
 *     two releases by the rows of the few units that reported in between.
 * Anything else is SP_ERR_BENCHMARK_NOT_GRANTED (403) with a reason. A group under k is an answer,
 * not an error: `released: false` and a reason naming k, nothing else.
 */
import { SplitplaneError } from '../errors.js';
import { BUSINESS_GROUPING, type Scope } from '../policy/scope.js';
import type { Catalog } from '../semantic/catalog.js';
import type { Cell, WarehouseConnector } from '../warehouse/connector.js';
import { isCalendarDate } from '../util/calendar-date.js';
import { monthEnd } from '../intent/calendar.js';
import { BENCHMARK_COLUMNS, compileBenchmark, type BenchmarkSpec } from './compile.js';
import { benchmarkGrouping, benchmarkMeasure } from './vocabulary.js';

/** What the caller asks: one measure, one grouping, one calendar month (first and last day). */
export interface BenchmarkRequest {
  readonly measure: string;
  readonly grouping: string;
  readonly from: string;
  readonly to: string;
}

/** One group's comparison. Figures only when released; the peer count only as a band. */
export interface BenchmarkResult {
  /** The group's value (`IL`), or `business`. */
  readonly group: string;
  readonly released: boolean;
  /** Why a group is not released. */
  readonly reason?: string;
  /** The number of peer units, as a band: "10 to 24", "1000 or more". */
  readonly band?: string;
  readonly peerAverage?: number;
  readonly peerMedian?: number;
  /** The caller's per-unit value (the average over their units with rows in the period); absent without any. */
  readonly yourValue?: number;
  /** The share of peers below the caller's value (ties count half), as its decile's lower edge: 0, 10, ... 90. */
  readonly yourPercentile?: number;
  /** How many of the caller's own units had rows in the period in this group. */
  readonly yourUnits?: number;
}

export interface BenchmarkOptions {
  readonly catalog: Catalog;
  /** The service's date (YYYY-MM-DD): the month asked for must have ended before it. */
  readonly today: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Told the compiled text before it runs (for the audit event). */
  readonly onSql?: (sql: string) => void;
  /** Told how the rows were read, when the connector is the answer cache's (`hit`, `miss`). */
  readonly onCache?: (cache: 'hit' | 'miss' | undefined) => void;
}

function notGranted(reason: string): never {
  throw new SplitplaneError('SP_ERR_BENCHMARK_NOT_GRANTED', { detail: reason, reason });
}

/** Refuses (SP_ERR_BENCHMARK_NOT_GRANTED) a scope whose decision grants no benchmark at all. */
export function requireBenchmarkGrant(scope: Scope): void {
  if (!scope.benchmarks?.length) notGranted('Your access does not include comparisons with peers.');
}

/** Whether from..to is exactly one calendar month that ended before `today`. */
export function isClosedMonth(from: string, to: string, today: string): boolean {
  if (!isCalendarDate(from) || !isCalendarDate(to) || !isCalendarDate(today) || !from.endsWith('-01')) return false;
  return monthEnd(from) === to && to < today;
}

/** The grant terms for this request, or a refusal. */
export function benchmarkTerms(scope: Scope, catalog: Catalog, request: BenchmarkRequest): BenchmarkSpec {
  const grants = (scope.benchmarks ?? []).filter(
    (g) => g.measures.includes(request.measure) && g.groups.includes(request.grouping),
  );
  if (!grants.length) {
    const label = catalog.metrics.find((m) => m.id === request.measure)?.label ?? request.measure;
    const by =
      request.grouping === BUSINESS_GROUPING
        ? 'across the whole business'
        : `within each ${catalog.dimensions.find((d) => d.id === request.grouping)?.label ?? request.grouping}`;
    notGranted(`Your access does not include comparing the ${label} with peers ${by}.`);
  }
  const measure = benchmarkMeasure(catalog, request.measure);
  const grouping = benchmarkGrouping(catalog, request.grouping);
  if (!measure || !grouping) notGranted(`${request.measure} by ${request.grouping} cannot be benchmarked.`);
  // A row filter on the fact table would narrow the peers' rows too: a moving "last 90 days" window
  // makes a closed month differ from one day to the next, and two days' answers subtract to one day.
  if ((scope.filters?.[measure.table] ?? []).length)
    notGranted(`Your access to ${measure.table} is limited to some of its rows, so it cannot be compared with peers.`);
  const unitTable = catalog.schema.grantUnit.table;
  const exposed = (table: string, column: string): boolean =>
    (scope.tables[table] ?? []).includes(column) && scope.masks?.[table]?.[column] === undefined;
  if (!exposed(measure.table, measure.column) || !exposed(measure.table, measure.time))
    notGranted(`Your access does not include ${measure.table}.${measure.column}, which this comparison needs.`);
  if (grouping.kind === 'column' && !exposed(unitTable, grouping.column))
    notGranted(`Your access does not include ${unitTable}.${grouping.column}, which this comparison needs.`);
  return {
    measure: request.measure,
    grouping: request.grouping,
    from: request.from,
    to: request.to,
    k: Math.max(...grants.map((g) => g.k)),
    includeSelf: grants.every((g) => g.includeSelf),
  };
}

const num = (c: Cell | undefined): number | undefined => (c === null || c === undefined ? undefined : Number(c));

/** The band a released peer count is shown as. */
export function bandText(low: number, high: number | undefined, plural: string): string {
  return high === undefined ? `${low} or more ${plural}` : `${low} to ${high} ${plural}`;
}

/** Run one benchmark for the caller: one comparison per group (the business, or each of the caller's groups). */
export async function runBenchmark(
  connector: WarehouseConnector,
  scope: Scope,
  request: BenchmarkRequest,
  options: BenchmarkOptions,
): Promise<BenchmarkResult[]> {
  // DuckDB only: on PostgreSQL the caller's session sees its own rows only (row-level security, the
  // second wall), so peers would silently vanish; the text is written for DuckDB's aggregates.
  if (connector.dialect.name !== 'duckdb')
    throw new SplitplaneError('SP_ERR_BENCHMARK_UNAVAILABLE', { detail: connector.dialect.name });
  const terms = benchmarkTerms(scope, options.catalog, request);
  if (!isClosedMonth(request.from, request.to, options.today))
    notGranted('Comparisons with peers are given for one whole calendar month that has ended.');
  const compiled = compileBenchmark(options.catalog, connector.dialect, scope, terms);
  options.onSql?.(compiled.sql);
  const result = await connector.execute(compiled.sql, {
    timeoutMs: options.timeoutMs ?? 10_000,
    rowCap: 1_000,
    scope: { tenantId: scope.tenantId, businessId: scope.businessId, units: scope.units },
    bindings: compiled.bindings,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.onCache?.((result as { readonly cache?: 'hit' | 'miss' }).cache);
  if (result.truncated) throw new SplitplaneError('SP_ERR_INTERNAL', { detail: 'benchmark rows over the row cap' });
  const names = result.columns.map((c) => c.name);
  if (names.join() !== BENCHMARK_COLUMNS.join())
    throw new SplitplaneError('SP_ERR_INTERNAL', { detail: 'benchmark columns' });
  const plural = options.catalog.dimensions.find(
    (d) => d.kind === 'attribute' && d.table === options.catalog.schema.grantUnit.table && d.key !== undefined,
  )?.plural;
  return result.rows.map((row): BenchmarkResult => {
    const [group, released, refusal, low, high, average, median, yours, pct, mine] = row;
    const name = request.grouping === 'business' ? 'business' : String(group);
    if (released !== true) {
      return {
        group: name,
        released: false,
        reason:
          refusal === 'complement'
            ? `Not shown: the other groups outside yours would number fewer than ${terms.k}, so a figure for them could be derived.`
            : `Not shown: fewer than ${terms.k} peers outside your access had data in this period.`,
      };
    }
    const you = num(yours);
    const percentile = num(pct);
    return {
      group: name,
      released: true,
      band: bandText(num(low) ?? terms.k, num(high), plural ?? 'peers'),
      peerAverage: num(average) ?? Number.NaN,
      peerMedian: num(median) ?? Number.NaN,
      ...(you === undefined ? {} : { yourValue: you }),
      ...(percentile === undefined ? {} : { yourPercentile: percentile }),
      yourUnits: num(mine) ?? 0,
    };
  });
}

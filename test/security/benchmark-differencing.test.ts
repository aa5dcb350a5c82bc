/**
 * Peer benchmarks cannot be differenced (src/benchmark/).
 *
 * What it proves. fast-check draws small businesses (6 to 30 stores in three states, each store open
 * on a random run of days of one quarter, random daily sales; about one store in six "dark": rows whose
 * sales are NULL, which must count nowhere), a caller owning 1 to 3 of them and a k
 * of 2 to 5, and writes them to a DuckDB file. For each, the caller asks every benchmark an attacker
 * would combine: business and state groupings, over each month, two adjacent months, their union,
 * the quarter and half a month. Whatever the real runBenchmark releases is collected. The attacker is
 * then granted more than is released: the EXACT peer count of every released group (so every
 * released average becomes an exact sum), and the ground truth of which store had sales on which day.
 * Each released figure is one linear equation over the unknowns value(store, day); the test checks,
 * by rank, whether any of these lies in the span of the equations:
 *   - one peer store's value over a month or over any period asked about, or
 *   - the sum over a group that was refused (under k, or refused as a complement) in a period asked about.
 * Any such vector in the span is a figure recovered exactly, and fails the test. Two more checks: a
 * released answer carries a band at least k wide at its low end, never a count; and at least k peers
 * with a value stand behind it.
 * The detector is itself tested on releases that must leak (a month and half of it; a business and
 * a state that differ by one store), so a vacuous "nothing recovered" would fail too.
 *
 * What it does not prove. Linear recovery only, and exact only: it says nothing about bounds an
 * attacker narrows with the bands, the medians and the percentiles (order statistics: a median of an
 * odd group IS one unnamed peer's value, and a percentile tells how many peers lie below the caller's
 * own value), nor about inference from outside knowledge (a peer's opening date, a known total), nor
 * about releases that change as late rows arrive for a closed month, nor about several callers
 * pooling their answers. There is no noise: this is a k-threshold with complementary suppression and
 * fixed disjoint periods, not differential privacy.
 *
 * And: model SQL can never name the benchmark aggregate (the guard, last block).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBenchmark, type BenchmarkResult } from '../../src/benchmark/benchmark.js';
import { BENCHMARK_RELATION } from '../../src/benchmark/compile.js';
import type { EngineConnector } from '../../src/engines/engine.js';
import { openDuckDb } from '../../src/engines/duckdb/connector.js';
import { SplitplaneError } from '../../src/errors.js';
import { guardCandidate } from '../../src/guard/guard.js';
import type { Scope } from '../../src/policy/scope.js';
import { buildSandbox } from '../../src/sandbox/sandbox.js';
import { DEMO_CATALOG, DEMO_REGISTRY } from '../support/demo-catalog.js';

const STATES = ['AA', 'BB', 'CC'] as const;
const DAYS = 90; // 2026-01-01 .. 2026-03-31
const day = (i: number): string => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
const indexOf = (d: string): number => Math.round((Date.parse(`${d}T00:00:00Z`) - Date.UTC(2026, 0, 1)) / 86_400_000);

interface Store {
  readonly state: (typeof STATES)[number];
  readonly first: number;
  readonly last: number;
  readonly base: number;
  /** Rows with a NULL measure on every day it is open: it counts nowhere (not in k, not in a figure). */
  readonly dark: boolean;
}
interface World {
  readonly stores: readonly Store[];
  readonly own: readonly number[];
  readonly k: number;
}

const storeArb: fc.Arbitrary<Store> = fc
  .record({
    state: fc.constantFrom(...STATES),
    a: fc.integer({ min: 0, max: DAYS - 1 }),
    b: fc.integer({ min: 0, max: DAYS - 1 }),
    // Most stores are open the whole quarter; some open or close inside it.
    whole: fc.boolean(),
    base: fc.integer({ min: 1, max: 1000 }),
    dark: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
  })
  .map((s) => ({
    state: s.state,
    first: s.whole ? 0 : Math.min(s.a, s.b),
    last: s.whole ? DAYS - 1 : Math.max(s.a, s.b),
    base: s.base,
    dark: s.dark,
  }));
const worldArb: fc.Arbitrary<World> = fc.array(storeArb, { minLength: 6, maxLength: 30 }).chain((stores) =>
  fc.record({
    stores: fc.constant(stores),
    own: fc.uniqueArray(fc.integer({ min: 0, max: stores.length - 1 }), { minLength: 1, maxLength: 3 }),
    k: fc.integer({ min: 2, max: 5 }),
  }),
);

const WORLDS = fc.sample(worldArb, { numRuns: 40, seed: 38 });
const unitId = (b: number, i: number): string => String((b + 1) * 1000 + i + 1);
const sales = (s: Store, i: number, d: number): number => s.base + ((i * 31 + d * 17) % 97);

/** The periods an attacker asks about: each month, adjacent months, their union, the quarter, half a month. */
const PERIODS: readonly (readonly [string, string])[] = [
  ['2026-01-01', '2026-01-31'],
  ['2026-02-01', '2026-02-28'],
  ['2026-03-01', '2026-03-31'],
  ['2026-01-01', '2026-02-28'],
  ['2026-02-01', '2026-03-31'],
  ['2026-01-01', '2026-03-31'],
  ['2026-01-01', '2026-01-15'],
  ['2026-01-16', '2026-01-31'],
];

const dir = mkdtempSync(join(tmpdir(), 'splitplane-benchmark-'));
let connector: EngineConnector;
let demo: EngineConnector;

beforeAll(async () => {
  const path = join(dir, 'worlds.duckdb');
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  await c.run(`CREATE TABLE dim_locations (tenant_id BIGINT, business_id BIGINT, location_id BIGINT, name VARCHAR,
    city VARCHAR, state VARCHAR, opened_on DATE, manager_email VARCHAR)`);
  await c.run(`CREATE TABLE fact_daily_sales (tenant_id BIGINT, business_id BIGINT, location_id BIGINT,
    business_date DATE, net_sales_amount DECIMAL(12,2), order_count INTEGER, guest_count INTEGER)`);
  const locs: string[] = [];
  const facts: string[] = [];
  WORLDS.forEach((w, b) =>
    w.stores.forEach((s, i) => {
      locs.push(`(1, ${b + 1}, ${unitId(b, i)}, 's', 'c', '${s.state}', DATE '2020-01-01', 'm@x.com')`);
      for (let d = s.first; d <= s.last; d++)
        facts.push(
          `(1, ${b + 1}, ${unitId(b, i)}, DATE '${day(d)}', ${s.dark ? 'NULL' : String(sales(s, i, d))}, 1, 1)`,
        );
    }),
  );
  await c.run(`INSERT INTO dim_locations VALUES ${locs.join(',')}`);
  for (let i = 0; i < facts.length; i += 5000)
    await c.run(`INSERT INTO fact_daily_sales VALUES ${facts.slice(i, i + 5000).join(',')}`);
  c.closeSync();
  db.closeSync();
  connector = await openDuckDb({ registry: DEMO_REGISTRY, path, threads: 1, memoryLimit: '256MB' });
  demo = await openDuckDb({ registry: DEMO_REGISTRY, path: inject('demoDb'), threads: 1, memoryLimit: '256MB' });
}, 120_000);
afterAll(async () => {
  await connector.close();
  await demo.close();
  rmSync(dir, { recursive: true, force: true });
});

const scopeOf = (w: World, b: number): Scope => ({
  tenantId: '1',
  businessId: String(b + 1),
  adminId: '1',
  role: 'franchise_owner',
  units: [...w.own].sort((x, y) => x - y).map((i) => unitId(b, i)),
  tables: { daily_sales: ['location_id', 'business_date', 'net_sales_amount'], locations: ['location_id', 'state'] },
  benchmarks: [{ measures: ['net_sales_amount'], groups: ['business', 'state'], k: w.k, includeSelf: false }],
});

/** A linear equation over value(store, day), as the indices of the unknowns it sums. */
type Equation = ReadonlySet<string>;
const cell = (i: number, d: number): string => `${i}:${d}`;

/** The unknowns a group's sum over a period covers: its peers' days with sales. */
function support(w: World, group: string, from: number, to: number): Set<string> {
  const out = new Set<string>();
  w.stores.forEach((s, i) => {
    if (w.own.includes(i) || s.dark || (group !== 'business' && s.state !== group)) return;
    for (let d = Math.max(from, s.first); d <= Math.min(to, s.last); d++) out.add(cell(i, d));
  });
  return out;
}

/** Whether `target` is a linear combination of `known` (Gaussian elimination over the reals). */
function inSpan(known: readonly Equation[], target: Equation): boolean {
  if (target.size === 0) return false;
  const cols = [...new Set([...known.flatMap((e) => [...e]), ...target])];
  const at = new Map(cols.map((c, i) => [c, i]));
  const vec = (e: Equation): number[] => {
    const v = new Array<number>(cols.length).fill(0);
    for (const c of e) v[at.get(c) ?? 0] = 1;
    return v;
  };
  const rank = (rows: number[][]): number => {
    const m = rows.map((r) => [...r]);
    let r = 0;
    for (let c = 0; c < cols.length && r < m.length; c++) {
      let p = r;
      for (let i = r + 1; i < m.length; i++) if (Math.abs(m[i]?.[c] ?? 0) > Math.abs(m[p]?.[c] ?? 0)) p = i;
      const pivot = m[p];
      if (!pivot || Math.abs(pivot[c] ?? 0) < 1e-9) continue;
      [m[r], m[p]] = [pivot, m[r] ?? pivot];
      for (let i = 0; i < m.length; i++) {
        const row = m[i];
        if (i === r || !row) continue;
        const f = (row[c] ?? 0) / (pivot[c] ?? 1);
        if (f !== 0) for (let j = c; j < cols.length; j++) row[j] = (row[j] ?? 0) - f * (pivot[j] ?? 0);
      }
      r++;
    }
    return r;
  };
  const base = known.map(vec);
  return rank([...base, vec(target)]) === rank(base);
}

describe('the differencing detector is not vacuous', () => {
  it('recovers half a month from the month and its other half', () => {
    const month = new Set(['a:1', 'a:2', 'b:1', 'b:2']);
    expect(inSpan([month, new Set(['a:1', 'b:1'])], new Set(['a:2', 'b:2']))).toBe(true);
    expect(inSpan([month], new Set(['a:2', 'b:2']))).toBe(false);
  });
  it('recovers one store from a business and a state that differ by it', () => {
    expect(inSpan([new Set(['a:1', 'b:1', 'c:1']), new Set(['a:1', 'b:1'])], new Set(['c:1']))).toBe(true);
  });
});

describe('released benchmarks cannot be differenced', () => {
  it('no linear combination of every released figure, with exact counts, gives one peer or a refused group', async () => {
    let releasedTotal = 0;
    let refusedTotal = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: WORLDS.length - 1 }), async (b) => {
        const w = WORLDS[b];
        if (!w) return;
        const scope = scopeOf(w, b);
        const known: Equation[] = [];
        const refused: Equation[] = [];
        for (const [from, to] of PERIODS) {
          for (const grouping of ['business', 'state']) {
            let answers: BenchmarkResult[];
            try {
              answers = await runBenchmark(
                connector,
                scope,
                { measure: 'net_sales_amount', grouping, from, to },
                {
                  catalog: DEMO_CATALOG,
                  today: '2026-11-18',
                },
              );
            } catch (e) {
              expect(e).toBeInstanceOf(SplitplaneError);
              expect((e as SplitplaneError).code).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
              continue;
            }
            for (const a of answers) {
              const eq = support(w, a.group, indexOf(from), indexOf(to));
              if (a.released) {
                releasedTotal++;
                // A band, never a count; its low end at least k, and at least k wide when it is the first.
                expect(Object.keys(a).filter((x) => /count|^n$|peers$/i.test(x))).toEqual([]);
                const m = /^(\d+) (?:to (\d+)|or more) /.exec(a.band ?? '');
                expect(m).not.toBeNull();
                const low = Number(m?.[1]);
                expect(low).toBeGreaterThanOrEqual(w.k);
                if (low === w.k && m?.[2] !== undefined) expect(Number(m[2]) - low + 1).toBeGreaterThanOrEqual(w.k);
                // At least k peers with a value behind every released figure (a store whose rows are all
                // NULL must not count towards k: found by review, k met by stores adding nothing).
                const contributors = new Set([...eq].map((c) => c.split(':')[0]));
                expect(contributors.size, `${a.group} ${from}..${to}`).toBeGreaterThanOrEqual(w.k);
                known.push(eq);
              } else {
                refusedTotal++;
                expect(Object.keys(a).sort()).toEqual(['group', 'reason', 'released']);
                refused.push(eq);
              }
            }
          }
        }
        const targets: Equation[] = [...refused];
        w.stores.forEach((_s, i) => {
          if (w.own.includes(i)) return;
          for (const [from, to] of PERIODS) {
            const t = new Set<string>();
            for (let d = indexOf(from); d <= indexOf(to); d++)
              if (d >= (w.stores[i]?.first ?? 0) && d <= (w.stores[i]?.last ?? -1)) t.add(cell(i, d));
            targets.push(t);
          }
        });
        for (const t of targets) expect(inSpan(known, t), `recovered ${[...t].slice(0, 5).join(',')}...`).toBe(false);
      }),
      { numRuns: 40, seed: 38 },
    );
    // The property exercised both outcomes.
    expect(releasedTotal).toBeGreaterThan(0);
    expect(refusedTotal).toBeGreaterThan(0);
  }, 300_000);
});

describe('model SQL cannot reach the benchmark aggregate', () => {
  it(`the guard refuses SQL naming ${BENCHMARK_RELATION}: it is in no sandbox description`, async () => {
    const scope: Scope = {
      tenantId: '12',
      businessId: '628',
      adminId: '7042',
      role: 'franchise_owner',
      units: ['628017', '628123'],
      tables: {
        daily_sales: ['location_id', 'business_date', 'net_sales_amount'],
        locations: ['location_id', 'state'],
      },
    };
    const sandbox = buildSandbox(scope, demo.dialect, DEMO_REGISTRY);
    expect([...sandbox.names]).not.toContain(BENCHMARK_RELATION);
    for (const sql of [
      `SELECT * FROM ${BENCHMARK_RELATION}`,
      `SELECT d.location_id FROM daily_sales d JOIN ${BENCHMARK_RELATION} b ON b.grp = 'IL'`,
      'SELECT * FROM sp_stats',
    ]) {
      await expect(guardCandidate(sql, { sandbox, engine: demo.check })).rejects.toMatchObject({
        code: 'SP_ERR_GUARD_UNKNOWN_RELATION',
      });
    }
  });
});

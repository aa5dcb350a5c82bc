/**
 * Peer benchmarks against the demo warehouse, through the real policy (the compiled Rego), the real
 * compiler and the locked-down DuckDB connector; every figure checked against gold computed here with
 * plain SQL over the raw tables and arithmetic in TypeScript (not the compiler).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EngineConnector } from '../engines/engine.js';
import { openDuckDb } from '../engines/duckdb/connector.js';
import { SplitplaneError } from '../errors.js';
import type { Identity } from '../identity/identity.js';
import { benchmarksOf } from '../policy/benchmarks.js';
import { loadOpaWasmPolicy, type ReloadablePolicyEngine } from '../policy/opa-wasm.js';
import type { Scope } from '../policy/scope.js';
import { loadDirectory } from '../warehouse/directory-query.js';
import { DEMO_CATALOG, DEMO_REGISTRY } from '../../test/support/demo-catalog.js';
import { runBenchmark, type BenchmarkResult } from './benchmark.js';
import { compileBenchmark } from './compile.js';
import { benchmarkVocabulary } from './vocabulary.js';

const OCTOBER = { from: '2026-10-01', to: '2026-10-31' };
const TODAY = '2026-11-18';
const K = 10;

let connector: EngineConnector;
let policy: ReloadablePolicyEngine;
let gold: DuckDBInstance;
let goldConn: DuckDBConnection;

const who = (adminId: string): Identity => ({
  tenantId: '12',
  businessId: '628',
  adminId,
  role: '',
  accessKeyId: 'K',
  sessionKey: `12/628/${adminId}`,
});

beforeAll(async () => {
  connector = await openDuckDb({ registry: DEMO_REGISTRY, path: inject('demoDb'), threads: 1, memoryLimit: '512MB' });
  policy = await loadOpaWasmPolicy(
    'policies/build/policy.wasm',
    await loadDirectory(connector, DEMO_REGISTRY),
    DEMO_REGISTRY,
    {
      benchmarks: benchmarkVocabulary(DEMO_CATALOG),
    },
  );
  gold = await DuckDBInstance.create(inject('demoDb'), { access_mode: 'READ_ONLY', threads: '1' });
  goldConn = await gold.connect();
});
afterAll(async () => {
  await connector.close();
  goldConn.closeSync();
  gold.closeSync();
});

interface UnitRow {
  readonly unit: string;
  readonly state: string;
  readonly value: number;
}

/** Every store of business 628 with sales in the period: its state and its sum of the column (plain SQL). */
async function perUnit(column: 'net_sales_amount' | 'order_count', from: string, to: string): Promise<UnitRow[]> {
  const reader = await goldConn.runAndReadAll(
    `SELECT CAST(f.location_id AS VARCHAR) AS unit, l.state, CAST(SUM(f.${column}) AS DOUBLE) AS value
     FROM fact_daily_sales f JOIN dim_locations l ON l.location_id = f.location_id
     WHERE f.tenant_id = 12 AND f.business_id = 628 AND f.business_date BETWEEN DATE '${from}' AND DATE '${to}'
     GROUP BY ALL`,
  );
  return reader.getRowObjectsJson() as unknown as UnitRow[];
}

async function grantedUnits(adminId: string): Promise<string[]> {
  const r = await goldConn.runAndReadAll(
    `SELECT CAST(location_id AS VARCHAR) AS u FROM admin_location_grants WHERE admin_id = ${adminId} ORDER BY 1`,
  );
  return (r.getRowObjectsJson() as { u: string }[]).map((x) => x.u);
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
/** A peer figure as released: 3 significant digits (162300.19 -> 162000). */
const sig3 = (x: number): number => {
  if (x === 0) return 0;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 2);
  return Math.round(x / step) * step;
};
/** A percentile as released: its decile's lower edge, 0 to 90. */
const decile = (p: number): number => Math.min(90, Math.floor(p / 10) * 10);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** The expected comparison of `own` against `peers` (values), as the module promises it. */
function expected(group: string, peers: readonly number[], own: readonly number[]): BenchmarkResult {
  const you = own.length ? mean(own) : undefined;
  const below =
    you === undefined ? 0 : peers.filter((p) => p < you).length + 0.5 * peers.filter((p) => p === you).length;
  return {
    group,
    released: true,
    band:
      peers.length < 25
        ? '10 to 24 stores'
        : peers.length < 50
          ? '25 to 49 stores'
          : peers.length < 100
            ? '50 to 99 stores'
            : peers.length < 250
              ? '100 to 249 stores'
              : 'more',
    peerAverage: sig3(mean(peers)),
    peerMedian: sig3(median(peers)),
    ...(you === undefined ? {} : { yourValue: round2(you), yourPercentile: decile((100 * below) / peers.length) }),
    yourUnits: own.length,
  };
}

/** One benchmark of October over the demo warehouse, as `scope`. */
const october = (scope: Scope, measure: string, grouping: string): Promise<BenchmarkResult[]> =>
  runBenchmark(connector, scope, { measure, grouping, ...OCTOBER }, { catalog: DEMO_CATALOG, today: TODAY });

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof SplitplaneError ? e.code : String(e);
  }
};

describe('the decision carries benchmark grants', () => {
  it('grants the franchise owner sales amount and order count by business and state, k = 10, without self', async () => {
    const scope = await policy.decide(who('7042'));
    expect(scope.benchmarks).toEqual([
      { measures: ['net_sales_amount', 'order_count'], groups: ['business', 'state'], k: 10, includeSelf: false },
    ]);
    expect((await policy.decide(who('7101'))).benchmarks?.[0]?.groups).toEqual(['state']);
    expect((await policy.decide(who('7001'))).benchmarks).toBeUndefined();
  });

  it.each([
    ['an unknown measure', [{ measures: ['customer_email'], groups: ['business'], k: 10, includeSelf: false }]],
    ['an unknown grouping', [{ measures: ['order_count'], groups: ['manager_email'], k: 10, includeSelf: false }]],
    [
      'a ratio (not additive over units)',
      [{ measures: ['average_check'], groups: ['state'], k: 10, includeSelf: false }],
    ],
    [
      'two groupings besides the business (a city inside a state could be subtracted from it)',
      [{ measures: ['order_count'], groups: ['business', 'state', 'city'], k: 10, includeSelf: false }],
    ],
    [
      'two groupings in two grants',
      [
        { measures: ['order_count'], groups: ['state'], k: 10, includeSelf: false },
        { measures: ['net_sales_amount'], groups: ['city'], k: 10, includeSelf: false },
      ],
    ],
  ])('refuses %s (SP_ERR_POLICY_INVALID)', (_n, raw) => {
    expect(() => benchmarksOf(raw, benchmarkVocabulary(DEMO_CATALOG))).toThrow(
      expect.objectContaining({ code: 'SP_ERR_POLICY_INVALID' }),
    );
  });

  it('refuses k < 2 and a malformed grant in the decision schema', async () => {
    const { BenchmarkFields } = await import('../policy/benchmarks.js');
    for (const bad of [
      [{ measures: ['order_count'], groups: ['business'], k: 1, includeSelf: false }],
      [{ measures: ['order_count'], groups: ['business'], k: 2.5, includeSelf: false }],
      [{ measures: [], groups: ['business'], k: 10, includeSelf: false }],
      [{ measures: ['order_count'], groups: ['business'], k: 10 }],
      [{ measures: ['order_count'], groups: ['business'], k: 10, includeSelf: false, sql: '1=1' }],
    ])
      expect(BenchmarkFields.benchmarks.safeParse(bad).success).toBe(false);
  });
});

describe('peer benchmarks over the demo warehouse', () => {
  it('franchise owner 7042 (Illinois): the business-wide benchmark is released and equals the gold', async () => {
    const scope = await policy.decide(who('7042'));
    const rows = await perUnit('net_sales_amount', OCTOBER.from, OCTOBER.to);
    const own = new Set(scope.units);
    const got = await october(scope, 'net_sales_amount', 'business');
    const peers = rows.filter((r) => !own.has(r.unit)).map((r) => r.value);
    expect(peers).toHaveLength(198);
    expect(got).toEqual([
      expected(
        'business',
        peers,
        rows.filter((r) => own.has(r.unit)).map((r) => r.value),
      ),
    ]);
  });

  it('franchise owner 7042: Illinois has no peer outside their scope, so the per-state comparison is refused naming k', async () => {
    const scope = await policy.decide(who('7042'));
    const got = await october(scope, 'net_sales_amount', 'state');
    expect(got).toEqual([{ group: 'IL', released: false, reason: expect.stringContaining(`fewer than ${K} peers`) }]);
  });

  it('owners 7043-7082: one comparison per state of theirs, released exactly when the state has >= k peers, figures equal to the gold', async () => {
    const rows = await perUnit('order_count', OCTOBER.from, OCTOBER.to);
    let released = 0;
    let refused = 0;
    for (let a = 7043; a <= 7082; a += 3) {
      const adminId = String(a);
      const scope = await policy.decide(who(adminId));
      expect(scope.units).toEqual(await grantedUnits(adminId));
      const own = new Set(scope.units);
      const states = [...new Set(rows.filter((r) => own.has(r.unit)).map((r) => r.state))].sort();
      const got = await october(scope, 'order_count', 'state');
      expect(got.map((g) => g.group)).toEqual(states);
      const peersOf = (s: string) => rows.filter((r) => r.state === s && !own.has(r.unit)).map((r) => r.value);
      // Complementary suppression: the business's peers outside the released states number 0 or >= k.
      const meeting = states.filter((s) => peersOf(s).length >= K);
      const rest = rows.filter((r) => !own.has(r.unit)).length - meeting.reduce((n, s) => n + peersOf(s).length, 0);
      for (const g of got) {
        const peers = peersOf(g.group);
        if (peers.length >= K && (rest === 0 || rest >= K)) {
          released++;
          const mine = rows.filter((r) => r.state === g.group && own.has(r.unit)).map((r) => r.value);
          expect(g).toEqual(expected(g.group, peers, mine));
        } else {
          refused++;
          expect(g).toEqual({ group: g.group, released: false, reason: expect.stringContaining(String(K)) });
        }
      }
    }
    expect(released).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('a state with only 6 stores (OH, IN, OR) is refused for its owners', async () => {
    const rows = await perUnit('net_sales_amount', OCTOBER.from, OCTOBER.to);
    const small = new Set(rows.filter((r) => ['OH', 'IN', 'OR'].includes(r.state)).map((r) => r.unit));
    let checked = 0;
    for (let a = 7043; a <= 7082; a++) {
      const scope = await policy.decide(who(String(a)));
      if (!scope.units.some((u) => small.has(u))) continue;
      const got = await october(scope, 'net_sales_amount', 'state');
      for (const g of got.filter((x) => ['OH', 'IN', 'OR'].includes(x.group))) {
        expect(g).toEqual({ group: g.group, released: false, reason: expect.stringContaining('fewer than 10') });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('refuses what the grant does not cover, with SP_ERR_BENCHMARK_NOT_GRANTED', async () => {
    const owner = await policy.decide(who('7042'));
    const run = (scope: Scope, req: Partial<Parameters<typeof runBenchmark>[2]>) =>
      code(
        runBenchmark(
          connector,
          scope,
          { measure: 'net_sales_amount', grouping: 'business', ...OCTOBER, ...req },
          {
            catalog: DEMO_CATALOG,
            today: TODAY,
          },
        ),
      );
    // No grant at all (the brand manager), a grouping the regional director is not granted, a measure not granted.
    expect(await run(await policy.decide(who('7001')), {})).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(await policy.decide(who('7101')), {})).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(owner, { measure: 'guest_count' })).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(owner, { grouping: 'city' })).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    // Periods: only one whole calendar month that has ended.
    expect(await run(owner, { from: '2026-10-01', to: '2026-10-15' })).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(owner, { from: '2026-09-01', to: '2026-10-31' })).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(owner, { from: '2026-11-01', to: '2026-11-30' })).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(owner, { from: '2026-10-02', to: '2026-11-01' })).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    // A scope whose own answers would not show the measure's column.
    const narrowed: Scope = { ...owner, tables: { ...owner.tables, daily_sales: ['location_id', 'business_date'] } };
    expect(await run(narrowed, {})).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    // A row filter on the fact table (a contractor's last 90 days) would narrow the peers' rows too.
    const windowed: Scope = {
      ...owner,
      filters: { daily_sales: [{ column: 'business_date', op: 'gte', values: ['2026-08-20'] }] },
    };
    expect(await run(windowed, {})).toBe('SP_ERR_BENCHMARK_NOT_GRANTED');
    expect(await run(owner, {})).toBeUndefined();
  });

  it('binds every value: the text names no ID, state, date or k, and every shape of scope shares one text', async () => {
    const a = await policy.decide(who('7042'));
    const b = await policy.decide(who('7050'));
    const spec = { measure: 'net_sales_amount', grouping: 'state', ...OCTOBER, k: 10, includeSelf: false };
    const one = compileBenchmark(DEMO_CATALOG, connector.dialect, a, spec);
    const two = compileBenchmark(DEMO_CATALOG, connector.dialect, b, {
      ...spec,
      from: '2026-09-01',
      to: '2026-09-30',
      k: 12,
    });
    expect(one.sql).toBe(two.sql);
    for (const word of ['628', '7042', "'IL'", '2026', '$sp_v3 = 10']) expect(one.sql).not.toContain(word);
    expect(one.bindings).toContain('sp_units');
  });
});

describe('engines other than DuckDB', () => {
  it('are refused before anything runs (SP_ERR_BENCHMARK_UNAVAILABLE): row-level security would hide every peer', async () => {
    const owner = await policy.decide(who('7043'));
    for (const name of ['postgres', 'databricks']) {
      let ran = 0;
      const other = {
        ...connector,
        dialect: { ...connector.dialect, name },
        execute: () => {
          ran++;
          return connector.execute('SELECT 1', { timeoutMs: 1000, rowCap: 1 });
        },
      };
      const request = { measure: 'net_sales_amount', grouping: 'business', ...OCTOBER };
      expect(await code(runBenchmark(other, owner, request, { catalog: DEMO_CATALOG, today: TODAY }))).toBe(
        'SP_ERR_BENCHMARK_UNAVAILABLE',
      );
      expect(ran).toBe(0);
    }
  });
});

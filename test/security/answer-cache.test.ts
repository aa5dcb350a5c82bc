/**
 * The answer cache never crosses a scope (issue 37). A property over interleaved reads of many
 * personas whose reads share one SQL shape (franchise owners of different stores, the brand, a
 * regional director, a contractor, another tenant), through ONE cache, while the world changes under
 * it: the warehouse reloaded with other figures (a new file: new data version), the same data with a
 * grant moved from one owner to another (new directory: new policy revision and new bound stores),
 * the policy bundle or the catalog revised, another engine sharing the cache (a shared Redis). Every
 * answer is checked against the persona's physical sandbox of the warehouse then served (the
 * differential oracle), and every hit must be the repeat of an identical earlier read (same persona,
 * SQL, row cap, warehouse, engine and revisions): an entry served across any of them is a failure even
 * where the rows happen to agree. One mutation entry per part of the key (scripts/mutations.mjs:
 * cache-key-*) drops that part; this test kills each.
 *
 * A keyed-hash mask's key rotation is checked on the Tracklane example (its users are a keyed hash):
 * the same persona and SQL before and after the rotation must not share an entry, and each answer is
 * its own oracle's (the oracle derives the key itself).
 *
 * SPLITPLANE_PROPERTY_RUNS overrides the number of interleavings (the mutation script lowers it).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerCache, cachedConnector, type CachedResult } from '../../src/cache/answer-cache.js';
import { openDuckDb } from '../../src/engines/duckdb/connector.js';
import type { EngineConnector } from '../../src/engines/engine.js';
import { guardCandidate } from '../../src/guard/guard.js';
import { loadOpaWasmPolicy } from '../../src/policy/opa-wasm.js';
import type { ReloadablePolicyEngine } from '../../src/policy/opa-wasm.js';
import { buildSandbox } from '../../src/sandbox/sandbox.js';
import { loadDirectory } from '../../src/warehouse/directory-query.js';
import { PROJECTS, projectsWithMaskSecret, RESTAURANT, type Domain, type Persona } from '../support/domains.js';
import { buildPhysicalSandbox, normalise, type PhysicalSandbox } from './physical-sandbox.js';

const RUNS = Number(process.env['SPLITPLANE_PROPERTY_RUNS'] ?? 40);
const SEED = 20_261_207;

const byId = (domain: Domain, adminId: string): Persona => {
  const p = domain.personas.find((x) => x.adminId === adminId);
  if (p) return p;
  const base = domain.personas.find((x) => x.role === 'franchise_owner');
  if (!base) throw new Error('no franchise owner persona');
  return { ...base, name: `franchise owner ${adminId}`, adminId };
};
/** Pairwise different bound values (stores, filters, tenant): no two may share an entry. */
const PERSONAS: readonly Persona[] = ['7042', '7043', '7044', '7001', '7101', '7103', '5401'].map((id) =>
  byId(RESTAURANT, id),
);
/** One shape each, read by every persona (the tables all of them see). */
const SQLS = [
  'SELECT SUM(net_sales_amount) AS total FROM daily_sales',
  'SELECT location_id, SUM(order_count) AS orders FROM daily_sales GROUP BY location_id ORDER BY location_id',
  'SELECT state, COUNT(*) AS stores FROM locations GROUP BY state ORDER BY state',
  'SELECT business_date, SUM(guest_count) AS guests FROM daily_sales GROUP BY business_date ORDER BY business_date DESC',
];

/** The warehouses a deployment may be reloaded onto: the demo; other figures; the demo with a grant moved. */
interface Warehouse {
  readonly path: string;
  readonly connector: EngineConnector;
  readonly policy: ReloadablePolicyEngine;
  readonly oracles: Map<string, Promise<PhysicalSandbox>>;
}
const warehouses: Warehouse[] = [];
let scratch: string;

async function variant(name: string, statements: readonly string[]): Promise<string> {
  const path = join(scratch, `${name}.duckdb`);
  copyFileSync(RESTAURANT.warehouse(), path);
  const db = await DuckDBInstance.create(path);
  const conn = await db.connect();
  for (const s of statements) await conn.run(s);
  conn.closeSync();
  db.closeSync();
  return path;
}

async function open(path: string, domain: Domain = RESTAURANT, maskKey = domain.maskSecret): Promise<Warehouse> {
  const connector = await openDuckDb({ registry: domain.registry, path, threads: 1, memoryLimit: '1GB' });
  const policy = await loadOpaWasmPolicy(
    domain.policyWasm,
    await loadDirectory(connector, domain.registry),
    domain.registry,
    { today: () => domain.today, maskKey },
  );
  return { path, connector, policy, oracles: new Map() };
}

function oracle(w: Warehouse, persona: Persona, domain: Domain = RESTAURANT): Promise<PhysicalSandbox> {
  let o = w.oracles.get(persona.adminId);
  if (!o) {
    o = buildPhysicalSandbox(w.path, persona, domain);
    w.oracles.set(persona.adminId, o);
  }
  return o;
}

/** The same connector under another engine's name (two deployments sharing one Redis). */
function renamed(c: EngineConnector, name: string): EngineConnector {
  return {
    dialect: { ...c.dialect, name },
    check: c.check,
    execute: (sql, o) => c.execute(sql, o),
    engineParse: (sql) => c.engineParse(sql),
    readDirectory: (sql) => c.readDirectory(sql),
    ping: () => c.ping(),
    close: () => c.close(),
  };
}

/** One read through the cache, with what the cache said. */
async function read(
  w: Warehouse,
  base: EngineConnector,
  cache: AnswerCache,
  revisions: { policy: string; catalog: string; day?: string; deployment?: string },
  persona: Persona,
  sql: string,
  rowCap: number,
  domain: Domain = RESTAURANT,
): Promise<{ got: ReturnType<typeof normalise>; cache: CachedResult['cache'] }> {
  const scope = await w.policy.decide({ ...persona, role: '', accessKeyId: 'test', sessionKey: '' });
  const sandbox = buildSandbox(scope, base.dialect, domain.registry);
  const guarded = await guardCandidate(sql, { sandbox, engine: base.check });
  const cached = cachedConnector(base, cache, {
    warehouse: revisions.deployment ?? 'a',
    today: () => revisions.day ?? domain.today,
    policyRevision: () => `${w.policy.revision}/${revisions.policy}`,
    catalogRevision: revisions.catalog,
    dataVersion: async () => (await w.connector.dataVersion?.()) ?? '',
  });
  const r: CachedResult = await cached.execute(guarded.sql, {
    timeoutMs: 20_000,
    rowCap,
    scope,
    bindings: sandbox.bindings,
  });
  const got = normalise(
    r.columns.map((c) => c.name),
    r.rows,
    rowCap,
  );
  // The engine returns at most the cap and says whether there were more (a cached entry must say it too).
  return { got: got.ok ? { ...got, truncated: r.truncated } : got, cache: r.cache };
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'splitplane-answer-cache-'));
  const reloaded = await variant('reloaded', [
    'UPDATE fact_daily_sales SET net_sales_amount = net_sales_amount + 1000, guest_count = guest_count + 1, order_count = order_count + 2',
  ]);
  const regranted = await variant('regranted', [
    `UPDATE admin_location_grants SET admin_id = 7042 WHERE admin_id = 7043 AND location_id = (SELECT min(location_id) FROM admin_location_grants WHERE admin_id = 7043)`,
  ]);
  for (const path of [RESTAURANT.warehouse(), reloaded, regranted]) warehouses.push(await open(path));
}, 120_000);

afterAll(async () => {
  for (const w of warehouses) {
    await w.connector.close();
    for (const o of w.oracles.values()) await (await o).close();
  }
  rmSync(scratch, { recursive: true, force: true });
});

type Step =
  | { readonly kind: 'read'; readonly persona: number; readonly sql: number; readonly cap: number }
  | { readonly kind: 'warehouse'; readonly to: number }
  | { readonly kind: 'engine' }
  | { readonly kind: 'deployment' }
  | { readonly kind: 'day' }
  | { readonly kind: 'policy' }
  | { readonly kind: 'catalog' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      persona: fc.nat(PERSONAS.length - 1),
      sql: fc.nat(SQLS.length - 1),
      cap: fc.constantFrom(3, 1_000, 1_000),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('warehouse' as const), to: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('engine' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deployment' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('day' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('policy' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('catalog' as const) }) },
);

/**
 * An interleaving: a few personas and SQL shapes of the run (so reads repeat, across personas and
 * across changes), and the steps over them.
 */
const interleaving = fc.record({
  personas: fc.shuffledSubarray([...PERSONAS.keys()], { minLength: 2, maxLength: 3 }),
  sqls: fc.shuffledSubarray([...SQLS.keys()], { minLength: 1, maxLength: 2 }),
  steps: fc.array(step, { minLength: 10, maxLength: 30 }),
});

describe('the answer cache never crosses a scope', () => {
  it(
    `${RUNS} interleavings of personas, reloads, regrants, revisions and engines match the physical sandbox`,
    {
      timeout: 600_000,
    },
    async () => {
      const tally = { reads: 0, hits: 0, misses: 0 };
      await fc.assert(
        fc.asyncProperty(interleaving, async ({ personas, sqls, steps }) => {
          const cache = new AnswerCache({ maxBytes: 64 * 1024 ** 2, ttlMs: 3_600_000 });
          const seen = new Set<string>();
          let w = 0;
          let engine = 0;
          let policyRevision = 0;
          let catalogRevision = 0;
          let deployment = 0;
          let day = 0;
          for (const s of steps) {
            if (s.kind === 'warehouse') w = s.to;
            else if (s.kind === 'engine') engine = 1 - engine;
            else if (s.kind === 'deployment') deployment = 1 - deployment;
            else if (s.kind === 'day') day++;
            else if (s.kind === 'policy') policyRevision++;
            else if (s.kind === 'catalog') catalogRevision++;
            else {
              const wh = warehouses[w];
              const persona = PERSONAS[personas[s.persona % personas.length] ?? 0];
              const sql = SQLS[sqls[s.sql % sqls.length] ?? 0];
              if (!wh || !persona || sql === undefined) throw new Error('bad step');
              const base = engine === 0 ? wh.connector : renamed(wh.connector, 'duckdb-replica-b');
              const r = await read(
                wh,
                base,
                cache,
                {
                  policy: String(policyRevision),
                  catalog: String(catalogRevision),
                  deployment: String(deployment),
                  day: `day ${day}`,
                },
                persona,
                sql,
                s.cap,
              );
              const what = `${persona.name} on warehouse ${w}, engine ${engine}, deployment ${deployment}, day ${day}, policy ${policyRevision}, catalog ${catalogRevision}, cap ${s.cap}: ${sql}`;
              expect(r.got, what).toEqual(await (await oracle(wh, persona)).run(sql, s.cap));
              const identical = [
                w,
                engine,
                deployment,
                day,
                policyRevision,
                catalogRevision,
                persona.adminId,
                sql,
                s.cap,
              ].join('|');
              if (r.cache === 'hit')
                expect(seen.has(identical), `a hit without an identical earlier read: ${what}`).toBe(true);
              seen.add(identical);
              tally.reads++;
              if (r.cache === 'hit') tally.hits++;
              else tally.misses++;
            }
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      console.log(`answer cache property: seed ${SEED}, ${RUNS} interleavings, ${JSON.stringify(tally)}`);
      // Not vacuous: entries were served, and reads were made.
      expect(tally.hits).toBeGreaterThan(RUNS);
      expect(tally.misses).toBeGreaterThan(RUNS);
    },
  );

  it(
    'a rotated mask key never reads an entry written under the old one (Tracklane, users as a keyed hash)',
    {
      timeout: 120_000,
    },
    async () => {
      const viewer = PROJECTS.personas.find((p) => p.role === 'portfolio_viewer');
      if (!viewer) throw new Error('no portfolio viewer persona');
      const rotated = projectsWithMaskSecret('a-rotated-mask-secret-for-the-cache-test');
      const before = await open(PROJECTS.warehouse(), PROJECTS);
      const after = await open(PROJECTS.warehouse(), rotated, rotated.maskSecret);
      try {
        const cache = new AnswerCache({ maxBytes: 1024 ** 2, ttlMs: 3_600_000 });
        const sql = 'SELECT user_id, COUNT(*) AS n FROM events GROUP BY user_id ORDER BY user_id';
        const revisions = { policy: '0', catalog: '0' };
        const first = await read(before, before.connector, cache, revisions, viewer, sql, 1_000, PROJECTS);
        expect(first.got).toEqual(await (await oracle(before, viewer, PROJECTS)).run(sql, 1_000));
        const next = await read(after, after.connector, cache, revisions, viewer, sql, 1_000, rotated);
        expect(next.cache).toBe('miss');
        expect(next.got).toEqual(await (await oracle(after, viewer, rotated)).run(sql, 1_000));
        expect(next.got).not.toEqual(first.got);
        const again = await read(before, before.connector, cache, revisions, viewer, sql, 1_000, PROJECTS);
        expect(again.cache).toBe('hit');
        expect(again.got).toEqual(first.got);
      } finally {
        for (const w of [before, after]) {
          await w.connector.close();
          for (const o of w.oracles.values()) await (await o).close();
        }
      }
    },
  );
});

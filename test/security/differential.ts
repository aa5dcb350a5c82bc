/**
 * The differential property, per domain (test/support/domains.ts: the restaurant demo and the
 * Tracklane example): for arbitrary SQL over the domain's sandbox description,
 * layers 3-7 of the pipeline (policy, sandbox, guard, locked-down engine)
 * either reject it with a guard code, or return exactly what the persona's
 * physical sandbox returns for the same SQL. Any other difference is a leak
 * (or a bug that must be explained).
 *
 * CI: 2,000 cases per persona of the restaurant, 500 per persona of Tracklane (the domain's
 * casesPerPersona), with fixed seeds. Deep mode
 * (SPLITPLANE_DEEP=1, `npm run test:deep`): 100x as many, with a random seed
 * printed up front; fast-check prints the seed and path of any failure.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGuardCode, SplitplaneError } from '../../src/errors.js';
import { guardCandidate } from '../../src/guard/guard.js';
import { AnswerCache, cachedConnector, type CachedResult } from '../../src/cache/answer-cache.js';
import { loadOpaWasmPolicy, type ReloadablePolicyEngine } from '../../src/policy/opa-wasm.js';
import type { PolicyEngine } from '../../src/policy/scope.js';
import type { TableRegistry } from '../../src/schema/tables.js';
import { buildSandbox } from '../../src/sandbox/sandbox.js';
import type { EngineConnector } from '../../src/engines/engine.js';
import { loadDirectory } from '../../src/warehouse/directory-query.js';
import { openDuckDb } from '../../src/engines/duckdb/connector.js';
import { buildPhysicalSandbox, normalise, type PhysicalSandbox, type Persona } from './physical-sandbox.js';
import { candidateSql } from './sql-arbitrary.js';
import { domainData, RESTAURANT, type Domain } from '../support/domains.js';

export const DEEP = process.env['SPLITPLANE_DEEP'] === '1';
/**
 * Cases per persona of a domain: its casesPerPersona in CI, 100x in deep mode; SPLITPLANE_PROPERTY_RUNS
 * lowers the count for quick runs (the mutation script).
 */
export function casesFor(domain: Domain): number {
  return DEEP
    ? 100 * domain.casesPerPersona
    : Number(process.env['SPLITPLANE_PROPERTY_RUNS'] ?? domain.casesPerPersona);
}
/** The restaurant's (what test/e2e/postgres.test.ts scales from). */
export const CASES_PER_PERSONA = casesFor(RESTAURANT);
const ROW_CAP = 5_000;

/** Counts of what happened, to show the property was not vacuous. */
export interface Tally {
  rejected: number;
  equalRows: number;
  bothErrored: number;
  timedOut: number;
  /** Second runs the answer cache served (personas run with it). */
  cacheHits: number;
  byCode: Record<string, number>;
}

export async function checkPersona(
  persona: Persona,
  deps: {
    policy: PolicyEngine;
    connector: EngineConnector;
    physical: PhysicalSandbox;
    registry: TableRegistry;
    candidates: fc.Arbitrary<string>;
    /** With the answer cache: each candidate runs twice through it (a miss, then a hit), both compared. */
    cache?: AnswerCache;
  },
  seed: number,
  runs: number,
): Promise<Tally> {
  const scope = await deps.policy.decide({ ...persona, role: '', accessKeyId: 'test', sessionKey: '' });
  const sandbox = buildSandbox(scope, deps.connector.dialect, deps.registry);
  const tally: Tally = { rejected: 0, equalRows: 0, bothErrored: 0, timedOut: 0, cacheHits: 0, byCode: {} };
  const connector = deps.cache
    ? cachedConnector(deps.connector, deps.cache, {
        warehouse: 'differential',
        today: () => 'differential',
        policyRevision: () => (deps.policy as Partial<ReloadablePolicyEngine>).revision ?? '',
        catalogRevision: 'differential',
        dataVersion: async () => (await deps.connector.dataVersion?.()) ?? '',
      })
    : deps.connector;
  await fc.assert(
    fc.asyncProperty(deps.candidates, async (sql) => {
      let guarded;
      try {
        guarded = await guardCandidate(sql, { sandbox, engine: deps.connector.check });
      } catch (e) {
        if (e instanceof SplitplaneError && isGuardCode(e.code)) {
          tally.rejected++;
          tally.byCode[e.code] = (tally.byCode[e.code] ?? 0) + 1;
          return;
        }
        throw e;
      }
      // The model's own text on the physical sandbox: what the guard re-serialised must mean the same.
      const oracle = await deps.physical.run(sql, ROW_CAP);
      let got;
      let again;
      try {
        const r = await connector.execute(guarded.sql, {
          timeoutMs: 10_000,
          rowCap: ROW_CAP,
          scope,
          bindings: sandbox.bindings,
        });
        got = normalise(
          r.columns.map((c) => c.name),
          r.rows,
          ROW_CAP,
        );
        if (deps.cache) {
          const hit: CachedResult = await connector.execute(guarded.sql, {
            timeoutMs: 10_000,
            rowCap: ROW_CAP,
            scope,
            bindings: sandbox.bindings,
          });
          if (hit.cache === 'hit') tally.cacheHits++;
          again = normalise(
            hit.columns.map((c) => c.name),
            hit.rows,
            ROW_CAP,
          );
        }
      } catch (e) {
        if (e instanceof SplitplaneError && e.code === 'SP_ERR_EXECUTION_TIMEOUT') {
          tally.timedOut++;
          return;
        }
        if (e instanceof SplitplaneError && e.code === 'SP_ERR_EXECUTION_FAILED' && !oracle.ok) {
          tally.bothErrored++;
          return;
        }
        throw new Error(
          `pipeline failed where the physical sandbox answered: ${String((e as Error).cause ?? e)}\n${sql}`,
          { cause: e },
        );
      }
      if (!oracle.ok) throw new Error(`pipeline answered where the physical sandbox failed (${oracle.error})\n${sql}`);
      expect(got, sql).toEqual(oracle);
      if (deps.cache) expect(again, `${sql} (from the answer cache)`).toEqual(oracle);
      tally.equalRows++;
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  return tally;
}

/** The seed for a persona: fixed in CI (per domain), random (and printed) in deep mode. */
export function seedFor(index: number, domain: Domain = RESTAURANT): number {
  const seed = DEEP
    ? Math.floor(Math.random() * 2 ** 31)
    : (domain.name === 'restaurant' ? 20_261_118 : 20_260_311) + index;
  if (DEEP) console.log(`differential property, persona ${index}: seed ${seed}`);
  return seed;
}

/** The candidates of a domain: its catalog, its data's literals. */
export async function domainCandidates(domain: Domain): Promise<fc.Arbitrary<string>> {
  return candidateSql(domain.catalog, await domainData(domain));
}

/** The domain's policy, over `connector`'s directory, with the domain's today and mask secret. */
export async function domainPolicy(domain: Domain, connector: EngineConnector): Promise<PolicyEngine> {
  return loadOpaWasmPolicy(domain.policyWasm, await loadDirectory(connector, domain.registry), domain.registry, {
    today: () => domain.today,
    maskKey: domain.maskSecret,
  });
}

/** The suite for the domain's personas [from..to): split over files so both test workers run. */
export function differentialSuite(domain: Domain, from: number, to: number): void {
  let connector: EngineConnector;
  let policy: PolicyEngine;
  let candidates: fc.Arbitrary<string>;
  const cache = new AnswerCache({ maxBytes: 64 * 1024 ** 2, ttlMs: 3_600_000 });
  const runs = casesFor(domain);
  beforeAll(async () => {
    connector = await openDuckDb({
      registry: domain.registry,
      path: domain.warehouse(),
      threads: 1,
      memoryLimit: '1GB',
    });
    policy = await domainPolicy(domain, connector);
    candidates = await domainCandidates(domain);
  });
  afterAll(async () => {
    await connector.close();
  });

  describe(`${domain.name}: no SQL returns more than the physical sandbox holds`, () => {
    for (const [i, persona] of domain.personas.entries()) {
      if (i < from || i >= to) continue;
      it(`${persona.name}: ${runs} generated candidates`, { timeout: 3_600_000 }, async () => {
        const physical = await buildPhysicalSandbox(domain.warehouse(), persona, domain);
        try {
          const started = performance.now();
          // The security suites run with the answer cache off and on: odd personas through one cache.
          const withCache = i % 2 === 1 ? { cache } : {};
          const tally = await checkPersona(
            persona,
            { policy, connector, physical, registry: domain.registry, candidates, ...withCache },
            seedFor(i, domain),
            runs,
          );
          console.log(
            `${domain.name}, ${persona.name}: ${JSON.stringify(tally)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
          );
          const total = tally.rejected + tally.equalRows + tally.bothErrored + tally.timedOut;
          expect(total).toBe(runs);
          // Not vacuous: most cases ran and were compared (the domain's share per persona), and the guard refused some.
          expect(tally.equalRows).toBeGreaterThan(runs * domain.minCompared(persona));
          expect(tally.rejected).toBeGreaterThan(0);
          if (i % 2 === 1) expect(tally.cacheHits).toBeGreaterThan(tally.equalRows / 2);
        } finally {
          await physical.close();
        }
      });
    }
  });
}

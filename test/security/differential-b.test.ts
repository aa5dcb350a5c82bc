/** Differential oracle, personas [2, 4) of PERSONAS (split in two files so both test workers run). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadOpaWasmPolicy } from '../../src/policy/opa-wasm.js';
import type { PolicyEngine } from '../../src/policy/scope.js';
import type { WarehouseConnector } from '../../src/warehouse/connector.js';
import { openDuckDb } from '../../src/warehouse/duckdb-connector.js';
import { CASES_PER_PERSONA, checkPersona, seedFor } from './differential.js';
import { buildPhysicalSandbox, PERSONAS } from './physical-sandbox.js';

let connector: WarehouseConnector;
let policy: PolicyEngine;

beforeAll(async () => {
  connector = await openDuckDb({ path: inject('demoDb'), threads: 1, memoryLimit: '1GB' });
  policy = await loadOpaWasmPolicy('policies/build/policy.wasm', await connector.loadDirectory());
});
afterAll(async () => {
  await connector.close();
});

describe('no SQL returns more than the physical sandbox holds', () => {
  for (const [i, persona] of PERSONAS.entries()) {
    if (i < 2 || i >= 4) continue;
    it(`${persona.name}: ${CASES_PER_PERSONA} generated candidates`, { timeout: 3_600_000 }, async () => {
      const physical = await buildPhysicalSandbox(inject('demoDb'), persona);
      try {
        const started = performance.now();
        const tally = await checkPersona(persona, { policy, connector, physical }, seedFor(i));
        console.log(`${persona.name}: ${JSON.stringify(tally)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        const total = tally.rejected + tally.equalRows + tally.bothErrored + tally.timedOut;
        expect(total).toBe(CASES_PER_PERSONA);
        // Not vacuous: most cases ran and were compared, and the guard refused some.
        expect(tally.equalRows).toBeGreaterThan(CASES_PER_PERSONA * 0.4);
        expect(tally.rejected).toBeGreaterThan(0);
      } finally {
        physical.close();
      }
    });
  }
});

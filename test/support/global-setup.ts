/** Generates the demo warehouse once per test run, into a temporary folder, and hands its path to the tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateDemoWarehouse } from '../../src/demo/generate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    demoDb: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-test-'));
  const { path } = await generateDemoWarehouse({ path: join(dir, 'demo.duckdb') });
  project.provide('demoDb', path);
  return () => rmSync(dir, { recursive: true, force: true });
}

/**
 * Generates the warehouses once per test run, into a temporary folder, and hands their paths to the
 * tests: the restaurant demo's (`demoDb`) and the Tracklane example's (`projectsDb`,
 * examples/projects/generate.ts; under a second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateDemoWarehouse } from '../../src/demo/generate.js';
import { generateProjectsWarehouse } from '../../examples/projects/generate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    demoDb: string;
    projectsDb: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-test-'));
  const { path } = await generateDemoWarehouse({ path: join(dir, 'demo.duckdb') });
  project.provide('demoDb', path);
  const projects = await generateProjectsWarehouse({ path: join(dir, 'projects.duckdb') });
  project.provide('projectsDb', projects.path);
  return () => rmSync(dir, { recursive: true, force: true });
}

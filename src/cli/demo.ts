/** `splitplane demo generate` and `splitplane demo load-postgres`. */
import { existsSync } from 'node:fs';
import { DEMO_SEED, generateDemoWarehouse } from '../demo/generate.js';
import { EXIT, note } from './common.js';
import { loadConfig } from './load-config.js';

export async function demoGenerate(values: {
  path?: string;
  seed?: number;
  scale?: number;
  layout?: 'sorted' | 'random';
  config?: string;
}): Promise<number> {
  const path = values.path ?? loadConfig(values.config).warehouse.duckdb.path;
  const seed = values.seed ?? DEMO_SEED;
  const scale = values.scale ?? 1;
  const layout = values.layout ?? 'sorted';
  const r = await generateDemoWarehouse({ path, seed, scale, layout, progress: note });
  process.stdout.write(
    `demo warehouse written to ${r.path} in ${(r.ms / 1000).toFixed(1)} s (seed ${seed}, scale ${scale}, ${layout})\n`,
  );
  return EXIT.ok;
}

export async function demoLoadPostgres(values: { url: string; path?: string; config?: string }): Promise<number> {
  const path = values.path ?? loadConfig(values.config).warehouse.duckdb.path;
  if (!existsSync(path)) await generateDemoWarehouse({ path, progress: note });
  const { loadPostgres } = await import('../demo/load-postgres.js');
  const { loadCatalog } = await import('../semantic/catalog.js');
  const r = await loadPostgres(path, values.url, loadCatalog(loadConfig(values.config).catalog.path).schema);
  process.stdout.write(
    `demo warehouse loaded into PostgreSQL in ${(r.ms / 1000).toFixed(1)} s\n  query role:     ${r.readerUrl}\n  directory role: ${r.directoryUrl}\nset warehouse.engine: postgres (see config/postgres.yaml)\n`,
  );
  return EXIT.ok;
}

/** DuckDB, embedded: the default engine, and the only one with demo data generated on the spot. */
import { z } from 'zod';
import { defineEngine } from '../engine.js';

export const duckdb = defineEngine({
  name: 'duckdb',
  config: z
    .object({
      path: z.string().min(1).default('var/demo.duckdb'),
      /** DuckDB threads of each engine worker process. */
      threads: z.number().int().min(1).max(64).default(2),
      /** Memory limit of each engine worker process. */
      memoryLimit: z
        .string()
        .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/)
        .default('1GB'),
      /** Most engine worker processes (queries run in them, killed at the deadline). */
      workers: z.number().int().min(1).max(64).default(4),
      /** Most workers one tenant may hold at once (default: half of workers, rounded up). */
      workersPerTenant: z.number().int().min(1).max(64).optional(),
      /** Workers started with the service and replaced at once when one is killed. */
      workersWarm: z.number().int().min(0).max(64).default(2),
    })
    .strict()
    .prefault({}),
  resolvePaths: (section, resolve) => ({
    ...section,
    path: section.path === ':memory:' ? section.path : resolve(section.path),
  }),
  demoFile: (section) => section.path,
  open: async (section, registry) => (await import('./connector.js')).openDuckDb({ ...section, registry }),
});

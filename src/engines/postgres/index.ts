/** PostgreSQL, with row-level security as a second wall. */
import { z } from 'zod';
import { defineEngine } from '../engine.js';
import { rlsStatements } from './rls.js';

const url = z.string().regex(/^postgres(ql)?:\/\//);

export const postgres = defineEngine({
  name: 'postgres',
  config: z
    .object({
      /** The query role (SELECT on the exposed tables only; RLS applies). */
      url: url.default('postgres://splitplane_reader@127.0.0.1:5432/test'),
      /** The directory role (admins and grants). */
      directoryUrl: url.default('postgres://splitplane_directory@127.0.0.1:5432/test'),
      poolSize: z.number().int().min(1).max(100).default(8),
    })
    .strict()
    .prefault({}),
  open: async (section) => (await import('./connector.js')).openPostgres(section),
  secondWall: rlsStatements,
});

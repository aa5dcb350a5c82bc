/** A Databricks SQL warehouse through @databricks/sql. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SplitplaneError } from '../../errors.js';
import { defineEngine } from '../engine.js';

export const databricks = defineEngine({
  name: 'databricks',
  config: z
    .object({
      host: z.string().min(1).default('localhost'),
      port: z.number().int().min(1).max(65535).optional(),
      /** The SQL warehouse's HTTP path, e.g. /sql/1.0/warehouses/abc123. */
      path: z.string().regex(/^\//).default('/sql/1.0/warehouses/unset'),
      /** Environment variable holding the token (a personal access token or an OAuth M2M token). */
      tokenEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .default('DATABRICKS_TOKEN'),
      /** Or a file holding it (a mounted secret); wins over tokenEnv. */
      tokenFile: z.string().min(1).optional(),
      catalog: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/)
        .default('main'),
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/)
        .default('warehouse'),
      /** Extra CA certificate (PEM file) for a private endpoint. */
      customCaCertFile: z.string().min(1).optional(),
    })
    .strict()
    .prefault({}),
  // The token comes from a file or the environment only, never from the configuration itself.
  async open(d) {
    const token = d.tokenFile ? readFileSync(d.tokenFile, 'utf8').trim() : process.env[d.tokenEnv];
    if (!token)
      throw new SplitplaneError('SP_ERR_CONFIG', { detail: `warehouse.databricks: set ${d.tokenEnv} or tokenFile` });
    return (await import('./connector.js')).openDatabricks({
      host: d.host,
      path: d.path,
      token,
      catalog: d.catalog,
      schema: d.schema,
      // Named in a start-up error (which variable or file to check), never the token itself.
      tokenSource: d.tokenFile ? `tokenFile ${d.tokenFile}` : d.tokenEnv,
      ...(d.port ? { port: d.port } : {}),
      ...(d.customCaCertFile ? { customCaCert: readFileSync(d.customCaCertFile) } : {}),
    });
  },
});

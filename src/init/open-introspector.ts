/** Open one engine's information-schema reader, loading its driver only now (the readers import the port, introspect.ts). */
import type { Introspector, WarehouseTarget } from './introspect.js';

/** Open the reader of `target`'s engine (its driver is loaded now). Throws WarehouseUnreachable when the warehouse cannot be reached. */
export async function openIntrospector(target: WarehouseTarget): Promise<Introspector> {
  switch (target.engine) {
    case 'duckdb':
      return (await import('./duckdb.js')).openDuckDbIntrospector(target.path);
    case 'postgres':
      return (await import('./postgres.js')).openPostgresIntrospector(target.url);
    case 'databricks':
      return (await import('./databricks.js')).openDatabricksIntrospector(target);
  }
}

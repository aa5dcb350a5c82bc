/**
 * What an engine is to the rest of splitplane: a connector (the warehouse
 * port, src/warehouse/connector.ts) with its side of the guard (the guard's
 * port, src/guard/engine-check.ts), its configuration section and how to open
 * it. Each engine implements this in src/engines/<name>/index.ts, and the
 * registry (src/engines/index.ts) lists them.
 */
import type { z } from 'zod';
import type { EngineCheck } from '../guard/engine-check.js';
import type { TableRegistry } from '../schema/tables.js';
import type { WarehouseConnector } from '../warehouse/connector.js';

/** A connector with its engine's side of the guard. */
export interface EngineConnector extends WarehouseConnector {
  readonly check: EngineCheck;
}

/** One engine, as the registry holds it. */
export interface Engine<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** The `warehouse.<name>` configuration section: strict, every key defaulted. */
  readonly config: Schema;
  /** The section with its paths made absolute (`resolve` knows the configuration's own rules). */
  resolvePaths?(section: z.output<Schema>, resolve: (path: string) => string): z.output<Schema>;
  /** For an embedded engine, the file the demo generator writes when it is absent. */
  demoFile?(section: z.output<Schema>): string;
  /** Open it, or fail at start-up (not at the first request). Secrets come from files or the environment. */
  open(section: z.output<Schema>, registry: TableRegistry): Promise<EngineConnector>;
  /** For an engine with a second wall of its own (PostgreSQL's row-level security): its statements for the catalog's tables in `schema`. */
  secondWall?(registry: TableRegistry, schema: string): readonly string[];
}

/** An Engine, its configuration type checked against its own schema. */
export function defineEngine<Schema extends z.ZodType>(engine: Engine<Schema>): Engine<Schema> {
  return Object.freeze(engine);
}

/**
 * The engine registry: every engine splitplane can run on, by its name in
 * `warehouse.engine`. Configuration, start-up and the model prompt read this
 * list; nothing outside src/engines/ names an engine. Adding one: a folder
 * src/engines/<name>/ and one line here (README, "Adding an engine").
 */
import { databricks } from './engines/databricks/index.js';
import { duckdb } from './engines/duckdb/index.js';
import type { Engine, EngineConnector } from './engines/engine.js';
import { postgres } from './engines/postgres/index.js';
import type { TableRegistry } from './schema/tables.js';

export type { Engine, EngineConnector } from './engines/engine.js';

export const ENGINES = { duckdb, postgres, databricks } as const;

export type EngineName = keyof typeof ENGINES;

/** The names, the first being the default engine. */
export const ENGINE_NAMES = Object.keys(ENGINES) as [EngineName, ...EngineName[]];

/** The `warehouse.<name>` configuration sections, by engine. */
export type EngineSections = { readonly [K in EngineName]: (typeof ENGINES)[K]['config'] };
export const ENGINE_SECTIONS = Object.fromEntries(
  ENGINE_NAMES.map((n) => [n, ENGINES[n].config]),
) as unknown as EngineSections;

/** The registry entry of `name`, typed loosely enough to call with its own section. */
export function engine(name: EngineName): Engine {
  return ENGINES[name];
}

/** Open the configured engine with its own section of `warehouse`, over the catalog's tables. */
export function openEngine(
  warehouse: { readonly engine: EngineName } & { readonly [K in EngineName]: unknown },
  registry: TableRegistry,
): Promise<EngineConnector> {
  return engine(warehouse.engine).open(warehouse[warehouse.engine], registry);
}

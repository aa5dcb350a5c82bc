/**
 * The caller's nameable values (src/semantic/values.ts), loaded through the
 * same guard and engine as any other SQL and cached per scope: the policy
 * hands out the same frozen Scope object for an identity until the directory
 * changes, and values are re-read after `ttlMs`.
 */
import type { Scope } from '../policy/scope.js';
import type { SandboxDescription } from '../sandbox/sandbox.js';
import type { QueryResult } from '../warehouse/connector.js';
import type { Catalog } from './catalog.js';
import { buildValueIndex, valueQueries, VALUE_ROWS, type ValueIndex } from './values.js';

/** Runs one SQL over the caller's sandbox (guarded and executed) with a row cap. */
export type SandboxRunner = (sql: string, rowCap: number) => Promise<QueryResult>;

/** A loader: the value index for a scope, from cache or read now. */
export type ValueLoader = (scope: Scope, sandbox: SandboxDescription, run: SandboxRunner) => Promise<ValueIndex>;

/** Create a loader over one catalog. */
export function createValueLoader(catalog: Catalog, quote: (s: string) => string, ttlMs = 300_000, now: () => number = Date.now): ValueLoader {
  const cache = new WeakMap<Scope, { at: number; index: Promise<ValueIndex> }>();
  return (scope, sandbox, run) => {
    const hit = cache.get(scope);
    if (hit && now() - hit.at < ttlMs) return hit.index;
    const exposed = (table: string, column: string): boolean => sandbox.tables.some((t) => t.name === table && t.columns.some((c) => c.name === column));
    const index = (async () => {
      const queries = valueQueries(catalog, exposed, quote);
      const results = [];
      for (const query of queries) results.push({ query, rows: await run(query.sql, VALUE_ROWS) });
      return buildValueIndex(catalog, results);
    })();
    // A failed read is not cached: the next request tries again.
    index.catch(() => cache.delete(scope));
    if (Object.isFrozen(scope)) cache.set(scope, { at: now(), index });
    return index;
  };
}

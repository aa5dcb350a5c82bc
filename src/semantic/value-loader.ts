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
import { coverageQueries, dayOf, type Coverage } from './coverage.js';
import { buildValueIndex, valueQueries, VALUE_ROWS, type ValueIndex } from './values.js';

/** Runs one SQL over the caller's sandbox (guarded and executed) with a row cap. */
export type SandboxRunner = (sql: string, rowCap: number) => Promise<QueryResult>;

/** A loader: the value index for a scope, from cache or read now. */
export type ValueLoader = (scope: Scope, sandbox: SandboxDescription, run: SandboxRunner) => Promise<ValueIndex>;

/** A loader: the data's coverage for a scope (first and last day per fact table), from cache or read now. */
export type CoverageLoader = (scope: Scope, sandbox: SandboxDescription, run: SandboxRunner) => Promise<Coverage>;

/**
 * Cache what `read` returns per frozen Scope for `ttlMs`. A failed read is not cached: the next
 * request tries again. `exposed` tells `read` whether the caller's sandbox has a table's column.
 */
function perScope<T>(
  read: (exposed: (table: string, column: string) => boolean, run: SandboxRunner) => Promise<T>,
  ttlMs: number,
  now: () => number,
): (scope: Scope, sandbox: SandboxDescription, run: SandboxRunner) => Promise<T> {
  const cache = new WeakMap<Scope, { at: number; value: Promise<T> }>();
  return (scope, sandbox, run) => {
    const hit = cache.get(scope);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = read(
      (table, column) => sandbox.tables.some((t) => t.name === table && t.columns.some((c) => c.name === column)),
      run,
    );
    value.catch(() => cache.delete(scope));
    if (Object.isFrozen(scope)) cache.set(scope, { at: now(), value });
    return value;
  };
}

/** Create a loader over one catalog. */
export function createValueLoader(
  catalog: Catalog,
  quote: (s: string) => string,
  writesText?: (value: string) => boolean,
  ttlMs = 300_000,
  now: () => number = Date.now,
): ValueLoader {
  return perScope(
    async (exposed, run) => {
      const results = [];
      for (const query of valueQueries(catalog, exposed, quote))
        results.push({ query, rows: await run(query.sql, VALUE_ROWS) });
      return buildValueIndex(catalog, results, writesText);
    },
    ttlMs,
    now,
  );
}

/** Create a coverage loader over one catalog, cached per scope like the values. */
export function createCoverageLoader(
  catalog: Catalog,
  quote: (s: string) => string,
  ttlMs = 300_000,
  now: () => number = Date.now,
): CoverageLoader {
  return perScope(
    async (exposed, run) => {
      const out = new Map<string, { first: string; last: string } | undefined>();
      for (const q of coverageQueries(catalog, exposed, quote)) {
        const row = (await run(q.sql, 1)).rows[0];
        const first = dayOf(row?.[0]);
        const last = dayOf(row?.[1]);
        out.set(q.table, first && last ? { first, last } : undefined);
      }
      return out;
    },
    ttlMs,
    now,
  );
}

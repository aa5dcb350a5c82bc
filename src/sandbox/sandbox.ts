/**
 * Layer 3a: the sandbox. From the policy's Scope, one CTE per exposed table
 * holding only the allowed columns and only the rows of this tenant, business
 * and (where the table has locations) the granted locations. Every value is a
 * validated ID rendered by the dialect; nothing from the request body reaches
 * this stage except through the verified Scope.
 */
import { SplitplaneError } from '../errors.js';
import type { Scope } from '../policy/scope.js';
import type { Dialect } from '../warehouse/connector.js';
import { SANDBOX_TABLES } from './tables.js';

/** A column as generators see it. */
export interface SandboxColumn {
  readonly name: string;
  readonly type: string;
  readonly description: string;
}

/** One sandbox CTE. */
export interface SandboxTable {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly SandboxColumn[];
  /** `name AS MATERIALIZED (SELECT ... FROM raw WHERE scope)`: engine text, never shown to a model. */
  readonly definition: string;
}

/** The sandbox for one request. */
export interface Sandbox {
  readonly tables: readonly SandboxTable[];
  /** Lower-case CTE names, for the guard. */
  readonly names: ReadonlySet<string>;
  /** `WITH` list body: the CTE definitions joined by commas. */
  readonly cteSql: string;
  readonly locationCount: number;
  /** Values of the placeholders in cteSql, for engines that bind parameters (empty otherwise). */
  readonly params: Readonly<Record<string, string>>;
}

/** The only schema a generator or a model is given: names, types and descriptions of the CTEs. */
export interface SandboxDescription {
  readonly tables: readonly { readonly name: string; readonly description: string; readonly columns: readonly SandboxColumn[] }[];
}

/**
 * Sandboxes already built, per (frozen) scope object and dialect: the policy hands out the same
 * Scope object for the same identity until the directory changes, and building is a pure function.
 */
const built = new WeakMap<Scope, Map<Dialect, Sandbox>>();

/** Build the sandbox CTEs for a scope. */
export function buildSandbox(scope: Scope, dialect: Dialect): Sandbox {
  const perScope = built.get(scope) ?? new Map<Dialect, Sandbox>();
  const hit = perScope.get(dialect);
  if (hit) return hit;
  const sandbox = build(scope, dialect);
  perScope.set(dialect, sandbox);
  if (Object.isFrozen(scope)) built.set(scope, perScope);
  return sandbox;
}

function build(scope: Scope, dialect: Dialect): Sandbox {
  const tables: SandboxTable[] = [];
  const params: Record<string, string> = {};
  // Bound as named parameters where the engine binds them, rendered as validated literals elsewhere.
  const id = (name: string, value: string): string => {
    const literal = dialect.idLiteral(value);
    if (!dialect.placeholder) return literal;
    params[name] = literal;
    return dialect.placeholder(name);
  };
  for (const name of Object.keys(scope.tables).sort()) {
    const spec = SANDBOX_TABLES[name];
    const allowed = scope.tables[name] ?? [];
    if (!spec) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `no sandbox spec for ${name}` });
    // Registry order, not policy order, so the same scope always renders the same SQL.
    const columns = Object.entries(spec.columns)
      .filter(([c]) => allowed.includes(c))
      .map(([c, col]) => ({ name: c, type: col.type, description: col.description }));
    if (columns.length === 0) continue;
    const predicates = [
      `${dialect.quoteIdent(spec.scope.tenant)} = ${id('sp_tenant', scope.tenantId)}`,
      `${dialect.quoteIdent(spec.scope.business)} = ${id('sp_business', scope.businessId)}`,
    ];
    if (spec.scope.location !== undefined) {
      predicates.push(
        scope.locations.length === 0
          ? 'FALSE'
          : `${dialect.quoteIdent(spec.scope.location)} IN (${scope.locations.map((l, i) => id(`sp_loc${i}`, l)).join(', ')})`,
      );
    }
    const select = columns.map((c) => dialect.quoteIdent(c.name)).join(', ');
    const definition =
      `${dialect.quoteIdent(name)} AS ${dialect.cteFence}${dialect.cteFence ? ' ' : ''}(SELECT ${select} FROM ${dialect.rawTable(spec.raw)} ` +
      `WHERE ${predicates.join(' AND ')})`;
    tables.push(Object.freeze({ name, description: spec.description, columns: Object.freeze(columns), definition }));
  }
  if (tables.length === 0) throw new SplitplaneError('SP_ERR_POLICY_DENIED', { detail: 'the scope exposes no table' });
  return Object.freeze({
    tables: Object.freeze(tables),
    names: new Set(tables.map((t) => t.name)),
    cteSql: tables.map((t) => t.definition).join(',\n     '),
    locationCount: scope.locations.length,
    params: Object.freeze(params),
  });
}

/** The description of a sandbox: what generators may know about the data. */
export function describeSandbox(sandbox: Sandbox): SandboxDescription {
  return { tables: sandbox.tables.map((t) => ({ name: t.name, description: t.description, columns: t.columns })) };
}

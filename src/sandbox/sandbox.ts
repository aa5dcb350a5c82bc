/**
 * Layer 3, the sandbox stage. From the policy's Scope, one CTE per exposed table
 * holding only the allowed columns and only the rows of this tenant, business
 * and (where the table has locations) the granted locations. The IDs are not
 * in the text: it names them by placeholder (tenant, business, the location
 * list), and the connector binds the values from the verified Scope
 * (warehouse/bindings.ts). So the text depends on the shape of the scope
 * (which tables and columns, whether any location is granted), never on its
 * size: every user of one shape shares one text, one engine parse and one
 * cached guard verdict. Nothing from the request body reaches this stage
 * except through the verified Scope.
 */
import { SplitplaneError } from '../errors.js';
import type { Scope } from '../policy/scope.js';
import { scopeIdsWellFormed, type SandboxParam } from '../warehouse/bindings.js';
import type { Dialect } from '../warehouse/connector.js';
import { sandboxColumn, sandboxTable, type TableRegistry } from '../schema/tables.js';
import { filterSql, maskSql, parameterList, refineDialect } from './refine.js';
import { sandboxCteList } from './statement.js';

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
  readonly unitTotal: number;
  /**
   * The parameters cteSql asks for, in placeholder order: scope values by name (the connector binds
   * them from the scope), and the decision's filter and mask values, typed.
   */
  readonly bindings: readonly SandboxParam[];
}

/** The only schema a generator or a model is given: names, types and descriptions of the CTEs. */
export interface SandboxDescription {
  readonly tables: readonly {
    readonly name: string;
    readonly description: string;
    readonly columns: readonly SandboxColumn[];
  }[];
}

/**
 * Sandboxes already built, per (frozen) scope object and dialect: the policy hands out the same
 * Scope object for the same identity until the directory changes, and building is a pure function.
 */
const built = new WeakMap<Scope, Map<Dialect, Map<TableRegistry, Sandbox>>>();

/** Build the sandbox CTEs for a scope, over the tables of `registry` (the catalog's). */
export function buildSandbox(scope: Scope, dialect: Dialect, registry: TableRegistry): Sandbox {
  const perScope = built.get(scope) ?? new Map<Dialect, Map<TableRegistry, Sandbox>>();
  const perDialect = perScope.get(dialect) ?? new Map<TableRegistry, Sandbox>();
  const hit = perDialect.get(registry);
  if (hit) return hit;
  const sandbox = build(scope, dialect, registry);
  perDialect.set(registry, sandbox);
  perScope.set(dialect, perDialect);
  if (Object.isFrozen(scope)) built.set(scope, perScope);
  return sandbox;
}

function build(scope: Scope, dialect: Dialect, registry: TableRegistry): Sandbox {
  // The IDs are bound, not written, but a scope that holds anything else is a broken policy: refuse it here.
  if (!scopeIdsWellFormed(scope)) {
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope IDs' });
  }
  const tables: SandboxTable[] = [];
  const { bindings, param, bind } = parameterList(dialect);
  const q = (c: string): string => dialect.quoteIdent(c);
  // The decision's filters over the grant unit's table, as a predicate on its raw columns.
  const unit = registry.grantUnit;
  const unitTable = sandboxTable(registry, unit.table)!;
  const unitFilters = (scope.unitFilters ?? []).map((f) => ({
    f,
    spec: sandboxColumn(registry, unit.table, f.column)!,
  }));
  for (const name of Object.keys(scope.tables).sort()) {
    const spec = sandboxTable(registry, name);
    const allowed = scope.tables[name] ?? [];
    if (!spec) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `no sandbox spec for ${name}` });
    const masks = scope.masks?.[name] ?? {};
    // Registry order, not policy order, so the same scope always renders the same SQL.
    const exposed = Object.entries(spec.columns).filter(([c]) => allowed.includes(c));
    if (exposed.length === 0) continue;
    const predicates = [
      `${q(spec.scope.tenant)} = ${param('sp_tenant')}`,
      `${q(spec.scope.business)} = ${param('sp_business')}`,
    ];
    if (spec.scope.unit !== undefined) {
      // No granted unit is its own shape: nothing to bind, no row.
      predicates.push(scope.units.length === 0 ? 'FALSE' : dialect.inBoundList(q(spec.scope.unit), param('sp_units')));
    }
    const items: string[] = [];
    const columns = exposed.map(([c, col]) => {
      const mask = masks[c];
      if (!mask) {
        items.push(q(c));
        return { name: c, type: col.type, description: col.description };
      }
      const m = maskSql(mask, q(c), col, bind, refineDialect(dialect), dialect.textType);
      items.push(`${m.sql} AS ${q(c)}`);
      return { name: c, type: m.type, description: `${col.description} (${m.note})` };
    });
    for (const f of scope.filters?.[name] ?? [])
      predicates.push(filterSql(f, q(f.column), spec.columns[f.column]!, bind, refineDialect(dialect)));
    if (unitFilters.length && spec.scope.unit !== undefined) {
      const kept = unitFilters.map(({ f, spec: col }) => filterSql(f, q(f.column), col, bind, refineDialect(dialect)));
      if (spec.raw === unitTable.raw) predicates.push(...kept);
      else {
        // Rows of the units the filters keep: a semi-join on the raw unit table of this business.
        const own = [
          `${q(unitTable.scope.tenant)} = ${param('sp_tenant')}`,
          `${q(unitTable.scope.business)} = ${param('sp_business')}`,
          ...kept,
        ];
        predicates.push(
          `${q(spec.scope.unit)} IN (SELECT ${q(unitTable.scope.unit!)} FROM ${dialect.rawTable(unitTable.raw)} WHERE ${own.join(' AND ')})`,
        );
      }
    }
    const definition =
      `${q(name)} AS ${dialect.cteFence}${dialect.cteFence ? ' ' : ''}(SELECT ${items.join(', ')} FROM ${dialect.rawTable(spec.raw)} ` +
      `WHERE ${predicates.join(' AND ')})`;
    tables.push(Object.freeze({ name, description: spec.description, columns: Object.freeze(columns), definition }));
  }
  if (tables.length === 0) throw new SplitplaneError('SP_ERR_POLICY_DENIED', { detail: 'the scope exposes no table' });
  return Object.freeze({
    tables: Object.freeze(tables),
    names: new Set(tables.map((t) => t.name)),
    cteSql: sandboxCteList(tables.map((t) => t.definition)),
    unitTotal: scope.units.length,
    bindings: Object.freeze(bindings),
  });
}

/** The description of a sandbox: what generators may know about the data. */
export function describeSandbox(sandbox: Sandbox): SandboxDescription {
  return { tables: sandbox.tables.map((t) => ({ name: t.name, description: t.description, columns: t.columns })) };
}

/**
 * `splitplane catalog check`: load a catalog (tables.yaml and metrics.yaml), check it against the
 * warehouse's information schema, and say what a model would see.
 *
 * Problems (each one listed; any one makes the check fail):
 *   - a file that does not parse, or that splitplane refuses (parseTableRegistry, parseCatalog);
 *   - a scope not confirmed (serve refuses it);
 *   - a raw table, column or scope column that is not in the warehouse;
 *   - a column whose warehouse type is not compatible with the declared one (src/init/types.ts);
 *   - a scope column that is not an integer (scope IDs are bound as BIGINT);
 *   - a directory table or column that is not there, a role that is not text, an active flag
 *     that is not a boolean.
 * Warnings (said, not failing): rawTables naming a table
 * the schema does not hold or leaving one out.
 *
 * What a model sees is printed with logical names only (tables, columns, types, descriptions,
 * measures and dimensions): never a raw table name or a scope column.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SplitplaneError } from '../errors.js';
import { parseTableRegistry, type TableRegistry } from '../schema/tables.js';
import { parseCatalog, type Catalog } from '../semantic/catalog.js';
import { BadInput } from './errors.js';
import { confirmedCopy } from './init.js';
import type { Introspector } from './introspect.js';
import { compatible, isInteger, mapType, type RawColumn } from './types.js';

export interface CheckResult {
  /** What a model would see, one line each. */
  readonly view: readonly string[];
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/** The two files of a catalog: `path` is the catalog folder, or its metrics.yaml (tables.yaml beside it). */
export function catalogPaths(path: string): { readonly tables: string; readonly metrics: string } {
  const folder = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  return folder
    ? { tables: join(path, 'tables.yaml'), metrics: join(path, 'metrics.yaml') }
    : { tables: join(dirname(path), 'tables.yaml'), metrics: path };
}

function readYaml(path: string, problems: string[]): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BadInput(`no catalog file at ${path}`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    problems.push(`${path}: not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    return undefined;
  }
}

/** The problems of an SP_ERR_CONFIG, one each (its detail is `source: a; b; c`). */
function configProblems(e: unknown): string[] {
  if (e instanceof SplitplaneError && e.code === 'SP_ERR_CONFIG' && e.detail) {
    const m = /^([^:]+): (.*)$/s.exec(e.detail);
    return m ? m[2]!.split('; ').map((p) => `${m[1]}: ${p}`) : [e.detail];
  }
  throw e;
}

/** Load the catalog at `path` and check it against `intro`'s `schema`. Throws BadInput when a file is not there. */
export async function checkCatalog(path: string, intro: Introspector, schema: string): Promise<CheckResult> {
  const files = catalogPaths(path);
  const problems: string[] = [];
  const warnings: string[] = [];
  const rawTables = readYaml(files.tables, problems);
  const rawMetrics = readYaml(files.metrics, problems);
  if (problems.length) return { view: [], problems, warnings };

  // Unconfirmed scopes are a problem of their own; the rest of the registry is checked as if confirmed.
  const tablesObj = (rawTables ?? {}) as { tables?: Record<string, { scope?: { confirmed?: unknown } }> };
  for (const [name, t] of Object.entries(tablesObj.tables ?? {})) {
    if (t.scope?.confirmed === false)
      problems.push(
        `${files.tables}: table ${name}: its scope is not confirmed (serve refuses it: check the tenant, business and unit columns, then set confirmed: true)`,
      );
  }
  let registry: TableRegistry;
  try {
    registry = parseTableRegistry(confirmedCopy(rawTables), files.tables);
  } catch (e) {
    return { view: [], problems: [...problems, ...configProblems(e)], warnings };
  }
  let catalog: Catalog | undefined;
  try {
    catalog = parseCatalog(rawMetrics, registry, files.metrics);
  } catch (e) {
    problems.push(...configProblems(e));
  }

  // The warehouse.
  const present = await intro.tableNames(schema);
  const presentLower = new Map(present.map((n) => [n.toLowerCase(), n]));
  const d = registry.directory;
  const needed = [
    ...new Set([
      ...Object.values(registry.tables).map((t) => t.raw),
      d.admins.table,
      d.businesses.table,
      d.grants.table,
    ]),
  ];
  const described = new Map(
    (
      await intro.columns(
        schema,
        needed.map((n) => presentLower.get(n.toLowerCase()) ?? n),
      )
    ).map((t) => [t.name.toLowerCase(), t]),
  );
  const where = `schema ${schema} of ${intro.where}`;
  const columnOf = (raw: string, column: string): RawColumn | undefined =>
    described.get(raw.toLowerCase())?.columns.find((c) => c.name.toLowerCase() === column.toLowerCase());
  const tableThere = (raw: string): boolean => presentLower.has(raw.toLowerCase());

  for (const [name, t] of Object.entries(registry.tables)) {
    if (!tableThere(t.raw)) {
      problems.push(`table ${name}: its raw table ${t.raw} is not in ${where}`);
      continue;
    }
    for (const [col, spec] of Object.entries(t.columns)) {
      const c = columnOf(t.raw, col);
      if (!c) {
        problems.push(`column ${name}.${col}: ${t.raw} has no column ${col}`);
        continue;
      }
      const m = mapType(c);
      if ('unsupported' in m)
        problems.push(`column ${name}.${col}: declared ${spec.type}, the warehouse has ${m.unsupported}`);
      else if (!compatible(spec.type, m.type))
        problems.push(`column ${name}.${col}: declared ${spec.type}, the warehouse has ${c.dataType} (${m.type})`);
    }
    for (const [role, col] of Object.entries(t.scope)) {
      if (col === undefined) continue;
      const c = columnOf(t.raw, col);
      if (!c) problems.push(`table ${name}: its ${role} scope column ${col} is not a column of ${t.raw}`);
      else if (!isIntegerColumn(c))
        problems.push(
          `table ${name}: its ${role} scope column ${t.raw}.${col} is ${c.dataType}: scope IDs are bound as BIGINT, so it must be an integer`,
        );
    }
  }
  const directoryColumns: [string, string, string, ((c: RawColumn) => string | undefined)?][] = [
    ['admins', d.admins.table, d.admins.id],
    ['admins', d.admins.table, d.admins.tenant],
    ['admins', d.admins.table, d.admins.business],
    ['admins', d.admins.table, d.admins.role, (c) => (typeOf(c) === 'VARCHAR' ? undefined : 'text')],
    ['admins', d.admins.table, d.admins.active, (c) => (typeOf(c) === 'BOOLEAN' ? undefined : 'a boolean')],
    ['businesses', d.businesses.table, d.businesses.id],
    ['businesses', d.businesses.table, d.businesses.tenant],
    ['grants', d.grants.table, d.grants.admin],
    ['grants', d.grants.table, d.grants.unit],
  ];
  const missingDirectory = new Set<string>();
  for (const [what, table, column, expect] of directoryColumns) {
    if (!tableThere(table)) {
      if (!missingDirectory.has(table)) problems.push(`directory.${what}: table ${table} is not in ${where}`);
      missingDirectory.add(table);
      continue;
    }
    const c = columnOf(table, column);
    if (!c) problems.push(`directory.${what}: ${table} has no column ${column}`);
    else {
      const wanted = expect?.(c);
      if (wanted)
        problems.push(`directory.${what}: ${table}.${column} is ${c.dataType}; the directory reads it as ${wanted}`);
    }
  }
  const listed = new Set(registry.rawTables.map((n) => n.toLowerCase()));
  const gone = registry.rawTables.filter((n) => !tableThere(n));
  const unlisted = present.filter((n) => !listed.has(n.toLowerCase()));
  if (gone.length) warnings.push(`rawTables names tables that are not in ${where}: ${gone.join(', ')}`);
  if (unlisted.length)
    warnings.push(`tables of ${where} missing from rawTables (names a query must never reach): ${unlisted.join(', ')}`);

  return { view: modelView(registry, catalog), problems, warnings };
}

function typeOf(c: RawColumn): string | undefined {
  const m = mapType(c);
  return 'type' in m ? m.type : undefined;
}

function isIntegerColumn(c: RawColumn): boolean {
  const t = typeOf(c);
  return t !== undefined && isInteger(t);
}

/** What a model sees of the catalog: logical names, types and descriptions; no raw name, no scope column. */
export function modelView(registry: TableRegistry, catalog: Catalog | undefined): string[] {
  const out: string[] = [];
  const tables = Object.entries(registry.tables);
  out.push(`What a model sees (${tables.length} table${tables.length === 1 ? '' : 's'}):`);
  for (const [name, t] of tables) {
    out.push(`  ${name}: ${t.description}`);
    const width = Math.max(...Object.keys(t.columns).map((c) => c.length));
    const typeWidth = Math.max(...Object.values(t.columns).map((c) => c.type.length));
    for (const [col, c] of Object.entries(t.columns))
      out.push(`    ${col.padEnd(width)}  ${c.type.padEnd(typeWidth)}  ${c.description}`);
  }
  if (catalog) {
    out.push(`Measures (${catalog.metrics.length}):`);
    for (const m of catalog.metrics)
      out.push(`  ${m.id}: ${m.label} (${m.table}${m.internal ? ', internal' : ''}): ${m.description}`);
    out.push(`Dimensions (${catalog.dimensions.length}):`);
    for (const dim of catalog.dimensions)
      out.push(
        `  ${dim.id}: ${dim.label} (${dim.kind === 'time' ? `time, by ${dim.grain}` : `${dim.table}.${dim.column}`})`,
      );
  }
  return out;
}

/**
 * The table registry, read from the catalog (catalog/tables.yaml): each
 * logical table a policy may expose, the raw warehouse table behind it, the
 * columns it can carry and the raw columns that scope its rows; the grant
 * unit (what an admin is granted a list of); the directory tables; every raw
 * table name. The policy chooses which tables and columns a role sees; this
 * registry says how to build them. Raw names never leave the sandbox builder.
 *
 * Validated strictly when loaded: a name that is not plain ASCII, a column
 * type splitplane cannot bind, a scope column that is not confirmed, a grant
 * unit whose table does not carry it, a logical name that is also a raw name:
 * each fails the boot with every problem named.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { deepFreeze } from '../util/freeze.js';

/** A column a sandbox table may expose. */
export interface SandboxColumnSpec {
  readonly type: string;
  readonly description: string;
}

/** How one logical table is built from the warehouse. */
export interface SandboxTableSpec {
  readonly raw: string;
  readonly description: string;
  /** Raw columns that carry the scope. `unit` is absent for tables scoped per business only. */
  readonly scope: { readonly tenant: string; readonly business: string; readonly unit?: string | undefined };
  readonly columns: Readonly<Record<string, SandboxColumnSpec>>;
  /** Words of a question that point at this table when its name is not used (src/generate/schema-router.ts). */
  readonly words: readonly string[];
  /** Tables this one needs beside it to be useful to a model (its join partners). */
  readonly partners: readonly string[];
}

/**
 * What a policy grants: an admin is granted a list of these. The names are the policy's: a decision
 * says `<plural>_granted`, or lists `<plural>`, and filters the unit's table with `<name>_filters`.
 */
export interface GrantUnit {
  readonly name: string;
  readonly plural: string;
  /** The logical table that lists the units, and its key column. */
  readonly table: string;
  readonly key: string;
}

/** The raw tables and columns of the directory: admins, their businesses, and their grants. */
export interface DirectorySpec {
  readonly admins: {
    readonly table: string;
    readonly id: string;
    readonly tenant: string;
    readonly business: string;
    readonly role: string;
    readonly active: string;
  };
  readonly businesses: { readonly table: string; readonly id: string; readonly tenant: string };
  readonly grants: { readonly table: string; readonly admin: string; readonly unit: string };
}

/** The validated, frozen registry. */
export interface TableRegistry {
  readonly tables: Readonly<Record<string, SandboxTableSpec>>;
  readonly grantUnit: GrantUnit;
  readonly directory: DirectorySpec;
  /** Every raw table name in the warehouse, exposed or not (for forbidden-name checks). */
  readonly rawTables: readonly string[];
}

/** Column types splitplane can expose, bind and compare. */
export const COLUMN_TYPES = [
  'BIGINT',
  'INTEGER',
  'SMALLINT',
  'DOUBLE',
  'VARCHAR',
  'DATE',
  'TIMESTAMP',
  'BOOLEAN',
] as const;
const DECIMAL = /^DECIMAL\((\d{1,2}),(\d{1,2})\)$/;

/** Logical names: what a model and a policy see. Lower case ASCII, so a name never needs quoting. */
const logical = z
  .string()
  .max(63)
  .regex(/^[a-z][a-z0-9_]*$/, 'a logical name is lower case ASCII letters, digits and _');
/** Raw names: the warehouse's own, ASCII identifiers only (no quoting games, no look-alike letters). */
const raw = z
  .string()
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a raw name is an ASCII identifier');
const columnType = z.string().refine((t) => (COLUMN_TYPES as readonly string[]).includes(t) || DECIMAL.test(t), {
  error: `a column type is one of ${COLUMN_TYPES.join(', ')} or DECIMAL(p,s)`,
});

const TableSchema = z
  .object({
    raw,
    description: z.string().min(1).max(500),
    scope: z
      .object({ tenant: raw, business: raw, unit: raw.optional(), confirmed: z.boolean().default(true) })
      .strict(),
    columns: z.record(logical, z.object({ type: columnType, description: z.string().min(1).max(500) }).strict()),
    words: z.array(z.string().min(1).max(40)).default([]),
    partners: z.array(logical).default([]),
  })
  .strict();

const RegistrySchema = z
  .object({
    version: z.literal(1),
    grantUnit: z.object({ name: logical, plural: logical, table: logical, key: logical }).strict(),
    directory: z
      .object({
        admins: z.object({ table: raw, id: raw, tenant: raw, business: raw, role: raw, active: raw }).strict(),
        businesses: z.object({ table: raw, id: raw, tenant: raw }).strict(),
        grants: z.object({ table: raw, admin: raw, unit: raw }).strict(),
      })
      .strict(),
    rawTables: z.array(raw).default([]),
    tables: z.record(logical, TableSchema),
  })
  .strict();

/** Words a logical name may not take: the decision's own fields, and names SQL reads as something else. */
const RESERVED = new Set([
  'select',
  'from',
  'where',
  'with',
  'table',
  'tables',
  'join',
  'group',
  'order',
  'user',
  'role',
  'allow',
  'masks',
  'row_filters',
  'tenant_id',
  'business_id',
  'admin_id',
]);

/** Validate a registry object; throws SP_ERR_CONFIG naming every problem found. */
export function parseTableRegistry(rawInput: unknown, source = 'catalog/tables.yaml'): TableRegistry {
  const r = RegistrySchema.safeParse(rawInput);
  if (!r.success) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${source}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
  }
  const c = r.data;
  const problems: string[] = [];
  const names = Object.keys(c.tables);
  if (names.length === 0) problems.push('no table');
  if (names.length > 200) problems.push(`${names.length} tables: at most 200 may be exposed`);
  const rawTables = new Set([
    ...c.rawTables,
    ...Object.values(c.tables).map((t) => t.raw),
    c.directory.admins.table,
    c.directory.businesses.table,
    c.directory.grants.table,
  ]);
  const lowerRaw = new Set([...rawTables].map((t) => t.toLowerCase()));
  for (const [name, t] of Object.entries(c.tables)) {
    if (RESERVED.has(name)) problems.push(`table ${name}: a reserved name`);
    if (lowerRaw.has(name))
      problems.push(`table ${name}: also the name of a raw table (the guard must tell them apart)`);
    if (!t.scope.confirmed)
      problems.push(
        `table ${name}: its scope columns are not confirmed (check tenant ${t.scope.tenant}, business ${t.scope.business}${t.scope.unit ? `, ${c.grantUnit.name} ${t.scope.unit}` : ''} and set confirmed: true)`,
      );
    for (const col of Object.keys(t.columns))
      if (RESERVED.has(col) && col !== 'role') problems.push(`column ${name}.${col}: a reserved name`);
    for (const p of t.partners)
      if (!Object.hasOwn(c.tables, p)) problems.push(`table ${name}: partner ${p} is not a table`);
    if (Object.keys(t.columns).length === 0) problems.push(`table ${name}: no column`);
  }
  const unit = c.grantUnit;
  const unitTable = Object.hasOwn(c.tables, unit.table) ? c.tables[unit.table] : undefined;
  if (unit.name === unit.plural) problems.push('grantUnit: name and plural must differ');
  if (['tenant', 'business', 'admin', 'user', 'company'].includes(unit.name))
    problems.push(`grantUnit: ${unit.name} names a part of the identity`);
  if (RESERVED.has(unit.plural) || RESERVED.has(`${unit.plural}_granted`))
    problems.push(`grantUnit: ${unit.plural} is a reserved name`);
  if (!unitTable) problems.push(`grantUnit: table ${unit.table} is not a table`);
  else {
    if (!Object.hasOwn(unitTable.columns, unit.key))
      problems.push(`grantUnit: ${unit.table} has no column ${unit.key}`);
    if (unitTable.scope.unit !== unit.key)
      problems.push(`grantUnit: ${unit.table} must be scoped by its key ${unit.key} (scope.unit)`);
  }
  if (problems.length) throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${problems.join('; ')}` });
  return deepFreeze({
    tables: Object.fromEntries(
      Object.entries(c.tables).map(([name, t]) => [
        name,
        {
          raw: t.raw,
          description: t.description,
          scope: {
            tenant: t.scope.tenant,
            business: t.scope.business,
            ...(t.scope.unit ? { unit: t.scope.unit } : {}),
          },
          columns: t.columns,
          words: t.words,
          partners: t.partners,
        },
      ]),
    ),
    grantUnit: unit,
    directory: c.directory,
    rawTables: [...rawTables],
  });
}

/** Load and validate the registry file. */
export function loadTableRegistry(path: string): TableRegistry {
  let rawInput: unknown;
  try {
    rawInput = parseYaml(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `cannot read the table registry ${path}`, cause });
  }
  return parseTableRegistry(rawInput, path);
}

/**
 * A sandbox table by name, or undefined: own entries only, so a name a decision or a catalog
 * supplies (`constructor`, `__proto__`) never reaches the prototype chain.
 */
export function sandboxTable(registry: TableRegistry, name: string): SandboxTableSpec | undefined {
  return Object.hasOwn(registry.tables, name) ? registry.tables[name] : undefined;
}

/** A column of a sandbox table by name, or undefined (own entries only, as sandboxTable). */
export function sandboxColumn(registry: TableRegistry, table: string, column: string): SandboxColumnSpec | undefined {
  const t = sandboxTable(registry, table);
  return t && Object.hasOwn(t.columns, column) ? t.columns[column] : undefined;
}

/** The decision and data field names the policy speaks for this registry's grant unit. */
export function unitFields(unit: GrantUnit): {
  readonly granted: string;
  readonly list: string;
  readonly filters: string;
} {
  return { granted: `${unit.plural}_granted`, list: unit.plural, filters: `${unit.name}_filters` };
}

/**
 * `splitplane init`'s guesses: from the tables and columns of a warehouse's information schema
 * (never a row of data), a starting domain description for a person to review. Every rule is
 * listed in {@link GUESS_RULES}, which the command prints and the written files repeat:
 *
 *   1. Tenant column: the first of TENANT_NAMES found in any table (or --tenant-column).
 *   2. Business column: the first of BUSINESS_NAMES found (or --business-column).
 *   3. Admins (the directory): a table with an admin or user ID (ADMIN_NAMES), both scope columns,
 *      a role column (ROLE_NAMES, or *_role) and an active flag (ACTIVE_NAMES). Businesses: the table keyed
 *      by the business column that carries the tenant column.
 *   4. Grant unit: the key of a table that a grants table references, a grants table being one
 *      with the admin column and exactly one other ID column (apart from the scope columns); or
 *      --unit TABLE.COLUMN. A table's key is <singular of its name>_id (fact_/dim_ and such
 *      prefixes dropped; the last word alone also counts: menu_items -> item_id), else `id`, else
 *      its first column when that is an ID (not the tenant's) that no other table is keyed by.
 *   5. Exposed tables: every other table with both scope columns; scoped per unit when it carries
 *      the unit's key, else per business only. Tables without them are not exposed (only named in
 *      rawTables). EVERY SCOPE IS WRITTEN `confirmed: false`: serve refuses the registry until a
 *      person sets each to true; init never writes `confirmed: true`.
 *   6. Joins: a column <x>_id of a table that is the key of another exposed table.
 *   7. Fact tables: exposed tables with a DATE or TIMESTAMP column that no table joins to; the
 *      others are dimension tables. A fact table's time column: the first DATE/TIMESTAMP column,
 *      one named *_date or date preferred, then *_at, *_time, *_ts.
 *   8. Measures: the sum of each numeric column of a fact table that is not an ID (not id, not
 *      *_id), and a row count per fact table. Dimensions: the VARCHAR columns of dimension tables.
 *   9. Logical names (what a model sees): the raw name in lower case without a fact_/dim_/...
 *      prefix; `my_` in front when that is a raw table's name too (the guard must tell them apart)
 *      or a reserved word. Column names are the raw ones: a column whose name is not lower-case
 *      ASCII, or is a reserved word, is skipped (and said so), as is a column of a type splitplane
 *      cannot bind.
 *
 * Bad input is a BadInput (exit 2) naming what to do: no tenant-like or business-like column, no
 * admins, businesses or grants table, a grant unit without an integer key, no fact table.
 */
import { BadInput } from './errors.js';
import {
  ASCII_IDENT,
  isInteger,
  isNumeric,
  isTemporal,
  LOGICAL,
  mapType,
  type RawColumn,
  type RawTable,
} from './types.js';

/** The rules above, one line each, as the command prints them. */
export const GUESS_RULES: readonly string[] = [
  'tenant column: the first of tenant_id, tenant, org_id, organization_id, organisation_id, account_id, customer_id, client_id found in any table (or --tenant-column)',
  'business column: the first of business_id, workspace_id, company_id, brand_id, merchant_id found (or --business-column)',
  'admins: a table with an admin or user ID (admin_id, user_id, member_id, employee_id), both scope columns, a role (role, role_name, *_role) and an active flag (active, is_active, enabled, is_enabled); businesses: the table keyed by the business column',
  "grant unit: the key of the table a grants table references (a grants table has the admin column and exactly one other ID column), or --unit TABLE.COLUMN; a table's key is <singular of its name>_id (fact_/dim_ prefixes dropped), else id, else its first column when that is an ID no other table is keyed by",
  "scope: every other table with both scope columns is exposed, per unit when it has the unit's key, else per business only; each scope is written confirmed: false (serve refuses it until a person sets true)",
  'joins: a column <x>_id that is the key of another exposed table',
  'fact tables: a DATE or TIMESTAMP column and no table joins to them (its time column: *_date or date first, then *_at, *_time, *_ts); the others are dimension tables',
  'measures: the sum of each numeric non-ID column of a fact table, and a row count per fact table; dimensions: the VARCHAR columns of dimension tables',
  'names: the raw table name in lower case without fact_/dim_/... (my_ in front when that is a raw name too, or reserved); columns keep their names, and one that is not lower-case ASCII, is reserved or has a type splitplane cannot bind is skipped',
];

/** Why a TIMESTAMP time column needs a look (said by init and by catalog check). */

export const TENANT_NAMES = [
  'tenant_id',
  'tenant',
  'org_id',
  'organization_id',
  'organisation_id',
  'account_id',
  'customer_id',
  'client_id',
] as const;
export const BUSINESS_NAMES = ['business_id', 'workspace_id', 'company_id', 'brand_id', 'merchant_id'] as const;
const ADMIN_NAMES = ['admin_id', 'user_id', 'member_id', 'employee_id'];
/** Role columns: these, or any name ending in _role (member_role). */
const ROLE_NAMES = ['role', 'role_name'];
const ACTIVE_NAMES = ['active', 'is_active', 'enabled', 'is_enabled'];
/** Prefixes a warehouse puts on table names that mean nothing to the people who ask. */
const PREFIX = /^(fact|fct|dim|tbl|raw|stg|src|f|d|t)_(?=[a-z])/;
/** A column that names the row (a dimension called after its table: projects.name is "project"). */
const NAME_COLUMNS = new Set(['name', 'title', 'label', 'display_name']);
const MONEY = /(amount|price|cost|revenue|sales|fee|spend|paid|usd|dollars)/;

/**
 * Names a logical table or column may not take. The table registry's own (src/schema/tables.ts:
 * the decision's fields and words SQL reads as something else), and the SQL words the directory
 * query quotes (src/warehouse/directory-query.ts): a model's SQL would have to quote them too.
 * parseTableRegistry, run on every file init writes, catches a difference with the registry's.
 */
export const RESERVED = new Set([
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
  'all',
  'and',
  'as',
  'by',
  'case',
  'cast',
  'check',
  'column',
  'default',
  'desc',
  'distinct',
  'else',
  'end',
  'having',
  'in',
  'is',
  'limit',
  'not',
  'null',
  'offset',
  'on',
  'or',
  'then',
  'to',
  'union',
  'using',
  'when',
]);
/** `role` is reserved for tables, not for columns (the registry allows a column called role). */
const RESERVED_COLUMN = new Set([...RESERVED].filter((w) => w !== 'role'));

export interface GuessOptions {
  readonly tenantColumn?: string | undefined;
  readonly businessColumn?: string | undefined;
  /** The grant unit's table and key column (raw names), when the grants table does not say. */
  readonly unit?: { readonly table: string; readonly column: string } | undefined;
}

/** What was read: the schema's table names and the columns of the tables asked for. */
export interface IntrospectedSchema {
  readonly engine: string;
  readonly where: string;
  readonly schema: string;
  /** The schema splitplane's engine reads raw tables from, when it is another one. */
  readonly servedSchema?: string | undefined;
  /** Every table name of the schema (rawTables). */
  readonly allTables: readonly string[];
  /** The tables described (the whole schema, or --tables). */
  readonly tables: readonly RawTable[];
}

export interface ColumnDraft {
  readonly name: string;
  readonly type: string;
  readonly description: string;
}

export interface TableDraft {
  readonly logical: string;
  readonly raw: string;
  /** The logical name without `my_`, as words: "projects", "daily sales". */
  readonly noun: string;
  /** One of them: "project". */
  readonly thing: string;
  readonly description: string;
  readonly scope: { readonly tenant: string; readonly business: string; readonly unit?: string | undefined };
  readonly columns: readonly ColumnDraft[];
  readonly key: string | undefined;
  readonly kind: 'fact' | 'dimension';
  readonly time: string | undefined;
  /** Other DATE/TIMESTAMP columns a fact table could be measured over. */
  readonly otherTimes: readonly string[];
  /** Logical target table -> the column (same name on both sides). */
  readonly joins: Readonly<Record<string, string>>;
  readonly words: readonly string[];
}

export interface MetricDraft {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly table: string;
  readonly aggregate: 'sum' | 'count';
  readonly expr: string;
  readonly format: 'currency' | 'integer' | 'decimal';
  readonly synonyms: readonly string[];
}

export interface DimensionDraft {
  readonly id: string;
  readonly label: string;
  readonly plural: string;
  readonly kind: 'attribute' | 'time';
  readonly table?: string;
  readonly column?: string;
  readonly key?: string | undefined;
  readonly grain?: 'day' | 'week' | 'month';
  readonly synonyms: readonly string[];
}

/** Everything init writes, and what it says about it. */
export interface InitPlan {
  readonly source: { readonly engine: string; readonly where: string; readonly schema: string };
  readonly tenantColumn: string;
  readonly businessColumn: string;
  readonly grantUnit: { readonly name: string; readonly plural: string; readonly table: string; readonly key: string };
  readonly directory: {
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
  };
  readonly rawTables: readonly string[];
  readonly tables: readonly TableDraft[];
  /** Logical table -> its one-letter alias in the semantic catalog (tables not in the catalog are absent). */
  readonly aliases: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricDraft[];
  readonly dimensions: readonly DimensionDraft[];
  /** The guesses, one line each (printed, and the basis of the TO REVIEW comments). */
  readonly guesses: readonly string[];
  /** What was left out because of bad input (non-ASCII or reserved names, unsupported types): exit 2. */
  readonly skipped: readonly string[];
}

const lower = (s: string): string => s.toLowerCase();
const words = (name: string): string => name.split('_').filter(Boolean).join(' ');

/** The singular of an English plural, well enough for a name a person then reviews. */
export function singular(word: string): string {
  if (/[^aeiou]ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|sh|ch|x|z)es$/.test(word)) return word.slice(0, -2);
  if (/[^su]s$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The name without a warehouse prefix, lower case, as a logical name could be. */
function baseName(raw: string): string {
  const l = lower(raw).replace(/^_+/, '');
  const stripped = l.replace(PREFIX, '');
  return (stripped || l).slice(0, 56);
}

/** Key candidates of a table: <singular>_id, <singular of the last word>_id, id. */
function keyCandidates(raw: string): string[] {
  const base = baseName(raw);
  const parts = base.split('_');
  const last = parts[parts.length - 1] ?? base;
  const whole = [...parts.slice(0, -1), singular(last)].join('_');
  return [...new Set([`${whole}_id`, `${singular(last)}_id`, 'id'])];
}

interface Indexed {
  readonly raw: RawTable;
  /** Lower-case column name -> the column. */
  readonly byLower: ReadonlyMap<string, RawColumn>;
  /** Its key: by its name (keyCandidates), else by position (see guess). */
  key: RawColumn | undefined;
}

function index(t: RawTable): Indexed {
  const byLower = new Map<string, RawColumn>();
  for (const c of t.columns) if (!byLower.has(lower(c.name))) byLower.set(lower(c.name), c);
  const key = keyCandidates(t.name)
    .map((k) => byLower.get(k))
    .find((c) => c !== undefined);
  return { raw: t, byLower, key };
}

/** Guess the domain description of `input`. Throws BadInput when a required piece cannot be found. */
export function guess(input: IntrospectedSchema, opts: GuessOptions = {}): InitPlan {
  const guesses: string[] = [];
  const skipped: string[] = [];
  if (input.servedSchema !== undefined && input.servedSchema !== input.schema) {
    guesses.push(
      `WARNING: read schema ${input.schema}, but splitplane's ${input.engine} engine reads raw tables from schema ${input.servedSchema}: serve these tables from there`,
    );
  }
  const ascii = (n: string): boolean => ASCII_IDENT.test(n) && n.length <= 128;

  for (const t of input.tables)
    if (!ascii(t.name))
      skipped.push(
        `table ${JSON.stringify(t.name)}: not an ASCII identifier (rename it, or expose it through a view with a plain name)`,
      );
  const tables = input.tables.filter((t) => ascii(t.name)).map(index);
  const byName = new Map(tables.map((t) => [lower(t.raw.name), t]));
  const has = (t: Indexed, col: string): boolean => t.byLower.has(lower(col));

  // 1, 2. The scope columns.
  const scopeColumn = (
    given: string | undefined,
    candidates: readonly string[],
    what: string,
    flag: string,
    not?: string,
  ): string => {
    if (given !== undefined) {
      if (!tables.some((t) => has(t, given))) throw new BadInput(`no table has a column ${given} (${flag})`);
      guesses.push(`${what} column: ${lower(given)} (${flag})`);
      return lower(given);
    }
    const found = candidates.find((c) => c !== not && tables.some((t) => has(t, c)));
    if (!found) {
      throw new BadInput(`no column looks like a ${what} ID (${candidates.join(', ')}); name it with ${flag}`);
    }
    const n = tables.filter((t) => has(t, found)).length;
    guesses.push(
      `${what} column: ${found} (the first of ${candidates.join(', ')} found; in ${n} of ${tables.length} tables)`,
    );
    return found;
  };
  const tenant = scopeColumn(opts.tenantColumn, TENANT_NAMES, 'tenant', '--tenant-column');
  const business = scopeColumn(opts.businessColumn, BUSINESS_NAMES, 'business', '--business-column', tenant);
  if (tenant === business)
    throw new BadInput(
      `the tenant and business columns are both ${tenant}: name them with --tenant-column and --business-column`,
    );
  const scoped = (t: Indexed): boolean => has(t, tenant) && has(t, business);
  // Keys by position: a table whose name says nothing of its key (prj_master, ws_directory) is keyed by
  // its first column when that is an ID (not the tenant's) no other table is keyed by; two such tables
  // claiming the same column both get none.
  const namedKeys = new Set(tables.flatMap((t) => (t.key ? [lower(t.key.name)] : [])));
  const byPosition = new Map<string, Indexed[]>();
  for (const t of tables) {
    const first = t.raw.columns[0];
    if (
      t.key ||
      !first ||
      !/_id$/.test(lower(first.name)) ||
      lower(first.name) === tenant ||
      namedKeys.has(lower(first.name))
    )
      continue;
    byPosition.set(lower(first.name), [...(byPosition.get(lower(first.name)) ?? []), t]);
  }
  for (const claims of byPosition.values()) if (claims.length === 1) claims[0]!.key = claims[0]!.raw.columns[0];
  const col = (t: Indexed, name: string): string => t.byLower.get(lower(name))!.name;

  // 3. The directory: admins and businesses.
  const roleOf = (t: Indexed): RawColumn | undefined =>
    t.raw.columns.find((c) => ROLE_NAMES.includes(lower(c.name))) ??
    t.raw.columns.find((c) => /_role$/.test(lower(c.name)));
  const adminsCandidates = tables
    .filter(
      (t) =>
        scoped(t) &&
        ADMIN_NAMES.some((a) => has(t, a)) &&
        roleOf(t) !== undefined &&
        ACTIVE_NAMES.some((a) => has(t, a)),
    )
    .sort(
      (a, b) =>
        Number(ADMIN_NAMES.includes(lower(b.key?.name ?? ''))) - Number(ADMIN_NAMES.includes(lower(a.key?.name ?? ''))),
    );
  const adminsT = adminsCandidates[0];
  if (!adminsT) {
    throw new BadInput(
      `no admins table: splitplane needs a table of the people who ask, with an ID (${ADMIN_NAMES.join(', ')}), the ${tenant} and ${business} columns, a role (${ROLE_NAMES.join(', ')}) and an active flag (${ACTIVE_NAMES.join(', ')})` +
        (input.tables.length < input.allTables.length ? '; if it is left out by --tables, name it there too' : ''),
    );
  }
  const adminId = ADMIN_NAMES.includes(lower(adminsT.key?.name ?? ''))
    ? adminsT.key!.name
    : col(
        adminsT,
        ADMIN_NAMES.find((a) => has(adminsT, a))!,
      );
  const admins = {
    table: adminsT.raw.name,
    id: adminId,
    tenant: col(adminsT, tenant),
    business: col(adminsT, business),
    role: roleOf(adminsT)!.name,
    active: col(
      adminsT,
      ACTIVE_NAMES.find((a) => has(adminsT, a))!,
    ),
  };
  const businessesT = tables.find(
    (t) =>
      t !== adminsT &&
      has(t, tenant) &&
      (lower(t.key?.name ?? '') === business ||
        keyCandidates(t.raw.name)[0] === business ||
        keyCandidates(t.raw.name)[1] === business),
  );
  if (!businessesT) {
    throw new BadInput(
      `no businesses table: splitplane needs a table of the businesses, keyed by ${business} and carrying ${tenant} (the directory checks that an admin's business belongs to its tenant)`,
    );
  }
  const businesses = {
    table: businessesT.raw.name,
    id: has(businessesT, business) ? col(businessesT, business) : businessesT.key!.name,
    tenant: col(businessesT, tenant),
  };
  guesses.push(
    `admins: ${admins.table} (id ${admins.id}, role ${admins.role}, active ${admins.active}); businesses: ${businesses.table} (id ${businesses.id})`,
  );
  if (adminsCandidates.length > 1)
    guesses.push(
      `also looks like an admins table: ${adminsCandidates
        .slice(1)
        .map((t) => t.raw.name)
        .join(', ')}`,
    );

  // 4. The grant unit and the grants table.
  const adminLower = lower(admins.id);
  let unitT: Indexed | undefined;
  let unitKey: string;
  let grantsT: Indexed | undefined;
  if (opts.unit) {
    const u = opts.unit;
    unitT = byName.get(lower(u.table));
    if (!unitT) throw new BadInput(`--unit ${u.table}.${u.column}: no table ${u.table} in schema ${input.schema}`);
    if (!has(unitT, u.column))
      throw new BadInput(`--unit ${u.table}.${u.column}: ${unitT.raw.name} has no column ${u.column}`);
    unitKey = col(unitT, u.column);
    grantsT = tables.find((t) => t !== unitT && t !== adminsT && has(t, adminLower) && has(t, unitKey));
    if (!grantsT)
      throw new BadInput(
        `no grants table: splitplane needs a table of what each admin is granted, with the columns ${admins.id} and ${unitKey}`,
      );
    guesses.push(`grant unit: ${unitT.raw.name}.${unitKey} (--unit); grants: ${grantsT.raw.name}`);
  } else {
    const found: { grants: Indexed; unit: Indexed; column: RawColumn }[] = [];
    for (const g of tables) {
      if (g === adminsT || !has(g, adminLower)) continue;
      // Its ID columns other than the admin's, the scope's and its own key (id, <grant>_id). Not the
      // last word's key: in member_channels, channel_id is what is granted, not the table's own key.
      const own = keyCandidates(g.raw.name).slice(0, 1).concat('id');
      const ids = g.raw.columns.filter(
        (c) => ![adminLower, tenant, business, ...own].includes(lower(c.name)) && /_id$/.test(lower(c.name)),
      );
      if (ids.length !== 1) continue;
      const target = tables.find(
        (t) => t !== g && t !== adminsT && t.key !== undefined && lower(t.key.name) === lower(ids[0]!.name),
      );
      if (target) found.push({ grants: g, unit: target, column: ids[0]! });
    }
    const first = found[0];
    if (!first) {
      throw new BadInput(
        `no grants table found (a table with ${admins.id} and one other ID column, the key of the table it grants): name the grant unit with --unit TABLE.COLUMN`,
      );
    }
    grantsT = first.grants;
    unitT = first.unit;
    unitKey = first.unit.key!.name;
    guesses.push(
      `grant unit: ${unitT.raw.name}.${unitKey}, from the grants table ${grantsT.raw.name} (${admins.id} -> ${first.column.name})`,
    );
    if (found.length > 1)
      guesses.push(
        `also looks like a grants table: ${found
          .slice(1)
          .map((f) => `${f.grants.raw.name} (-> ${f.unit.raw.name})`)
          .join(', ')}; choose with --unit TABLE.COLUMN`,
      );
  }
  const unitType = mapType(unitT.byLower.get(lower(unitKey))!);
  if (!('type' in unitType) || !isInteger(unitType.type)) {
    throw new BadInput(
      `the grant unit's key ${unitT.raw.name}.${unitKey} is ${unitT.byLower.get(lower(unitKey))!.dataType}: splitplane binds unit IDs as BIGINT, so it needs an integer column`,
    );
  }
  if (!scoped(unitT))
    throw new BadInput(
      `the grant unit's table ${unitT.raw.name} has no ${has(unitT, tenant) ? business : tenant} column: every exposed table carries both scope columns`,
    );
  if (!LOGICAL.test(unitKey) || RESERVED_COLUMN.has(unitKey))
    throw new BadInput(
      `the grant unit's key ${unitT.raw.name}.${unitKey} is not a lower-case, unreserved name: expose the table through a view that renames it`,
    );
  const grants = { table: grantsT.raw.name, admin: col(grantsT, adminLower), unit: col(grantsT, unitKey) };
  const unitLower = lower(unitKey);

  // 5, 9. The exposed tables, their logical names and columns.
  const directoryTables = new Set([adminsT, businessesT, grantsT]);
  const rawLower = new Set([...input.allTables, ...input.tables.map((t) => t.name)].map(lower));
  const used = new Set<string>();
  const logicalName = (raw: string): string => {
    const base = baseName(raw).replace(/[^a-z0-9_]/g, '_');
    let name = base;
    if (RESERVED.has(name) || rawLower.has(name) || used.has(name) || !LOGICAL.test(name)) name = `my_${base}`;
    for (let i = 2; rawLower.has(name) || used.has(name); i++) name = `my_${base}_${i}`;
    used.add(name);
    return name;
  };
  const notExposed: string[] = [];
  const intScope = new Set<string>();
  interface Building {
    t: Indexed;
    logical: string;
    columns: { name: string; type: string }[];
    scope: { tenant: string; business: string; unit?: string };
  }
  const building: Building[] = [];
  // The unit's table first: its logical name is the one the grant unit is called by.
  for (const t of [unitT, ...tables.filter((x) => x !== unitT)]) {
    if (directoryTables.has(t)) continue;
    if (!scoped(t)) {
      notExposed.push(`${t.raw.name} (no ${has(t, tenant) ? business : tenant} column)`);
      continue;
    }
    const columns: { name: string; type: string }[] = [];
    for (const c of t.raw.columns) {
      const l = lower(c.name);
      if (l === tenant || l === business) {
        const m = mapType(c);
        if (!('type' in m) || !isInteger(m.type)) intScope.add(`${t.raw.name}.${c.name} (${c.dataType})`);
        continue; // the scope columns are the sandbox's, never a column a model sees
      }
      const where = `column ${t.raw.name}.${ascii(c.name) ? c.name : JSON.stringify(c.name)}`;
      if (!ascii(c.name)) skipped.push(`${where}: not an ASCII identifier`);
      else if (!LOGICAL.test(c.name) || c.name.length > 63)
        skipped.push(
          `${where}: not a lower-case name (a model sees column names as they are; expose it under one through a view)`,
        );
      else if (RESERVED_COLUMN.has(c.name))
        skipped.push(
          `${where}: a reserved name (a model's SQL would read it as a keyword or a decision field; rename it through a view)`,
        );
      else {
        const m = mapType(c);
        if ('unsupported' in m) skipped.push(`${where}: ${m.unsupported}`);
        else columns.push({ name: c.name, type: m.type });
      }
    }
    if (columns.length === 0) {
      notExposed.push(`${t.raw.name} (no column left to expose)`);
      continue;
    }
    const scope = {
      tenant: col(t, tenant),
      business: col(t, business),
      ...(has(t, unitLower) ? { unit: col(t, unitLower) } : {}),
    };
    building.push({ t, logical: logicalName(t.raw.name), columns, scope });
  }
  if (notExposed.length) guesses.push(`not exposed (only listed in rawTables): ${notExposed.join(', ')}`);
  if (intScope.size)
    guesses.push(
      `WARNING: scope columns that are not integers (splitplane binds scope IDs as BIGINT; convert them through a view): ${[...intScope].join(', ')}`,
    );
  const renamed = building.filter((b) => b.logical !== baseName(b.t.raw.name));
  if (renamed.length)
    guesses.push(
      `renamed (a raw table's name too, or reserved): ${renamed.map((b) => `${b.t.raw.name} -> ${b.logical}`).join(', ')}`,
    );

  // 6. Joins: <x>_id that is another exposed table's key (an exposed column there).
  const keyOf = (b: Building): string | undefined =>
    b.t.key && b.columns.some((c) => c.name === b.t.key!.name) ? b.t.key.name : undefined;
  const joins = new Map<Building, Record<string, string>>();
  const referenced = new Set<Building>();
  for (const b of building) {
    const j: Record<string, string> = {};
    for (const c of b.columns) {
      if (!/_id$/.test(c.name) || c.name === keyOf(b)) continue;
      const target = building.find((d) => d !== b && keyOf(d) === c.name);
      if (target) {
        j[target.logical] = c.name;
        referenced.add(target);
      }
    }
    joins.set(b, j);
  }

  // 7. Fact and dimension tables; a fact table's time column.
  // A DATE first (what an index or a partition usually covers); a TIMESTAMP is read by its date.
  const types = new Map(building.flatMap((b) => b.columns.map((c) => [`${b.logical}.${c.name}`, c.type] as const)));
  const timeRank = (table: string, n: string): number =>
    (types.get(`${table}.${n}`) === 'DATE' ? 0 : 10) +
    (/(^|_)date$/.test(n) ? 0 : /_(at|time|ts|timestamp)$/.test(n) ? 1 : 2);
  const drafts: TableDraft[] = building.map((b) => {
    const temporal = b.columns.filter((c) => isTemporal(c.type)).map((c) => c.name);
    const ordered = [...temporal].sort((x, y) => timeRank(b.logical, x) - timeRank(b.logical, y));
    const kind = temporal.length > 0 && !referenced.has(b) ? 'fact' : 'dimension';
    const noun = words(b.logical.replace(/^my_/, ''));
    const nounWords = noun.split(' ');
    const thing = [...nounWords.slice(0, -1), singular(nounWords[nounWords.length - 1] ?? noun)].join(' ');
    const key = keyOf(b);
    const j = joins.get(b) ?? {};
    const describe = (c: { name: string }): string => {
      const target = Object.entries(j).find(([, k]) => k === c.name)?.[0];
      if (target) {
        const d = building.find((x) => x.logical === target)!;
        return `The ${singularNoun(d.logical)} (joins ${target}.${c.name}).`;
      }
      if (c.name === key) return `${capital(thing)} identifier.`;
      return `${capital(words(c.name))}.`;
    };
    return {
      logical: b.logical,
      raw: b.t.raw.name,
      noun,
      thing,
      description: kind === 'fact' ? `${capital(noun)}, one row per ${thing}.` : `The ${noun}.`,
      scope: b.scope,
      columns: b.columns.map((c) => ({ ...c, description: describe(c) })),
      key,
      kind,
      time: kind === 'fact' ? ordered[0] : undefined,
      otherTimes: kind === 'fact' ? ordered.slice(1) : [],
      joins: j,
      words: [...new Set([noun, thing].filter((w) => w.length >= 1 && w.length <= 40))],
    };
  });
  const facts = drafts.filter((d) => d.kind === 'fact');
  if (facts.length === 0) {
    throw new BadInput(
      `no fact table (an exposed table with a DATE or TIMESTAMP column that no table joins to): the semantic catalog needs at least one measure over time` +
        (drafts.length
          ? ` (exposed: ${drafts.map((d) => d.raw).join(', ')})`
          : ` (no table has both ${tenant} and ${business})`),
    );
  }
  const dims = drafts.filter((d) => d.kind === 'dimension');
  guesses.push(
    `tables: ${drafts.map((d) => `${d.logical} (${d.kind}${d.time ? `, time ${d.time}` : ''}, ${d.scope.unit ? `per ${singularNoun(unitT.raw.name)}` : 'per business only'})`).join(', ')}`,
  );
  const joinLines = drafts.flatMap((d) => Object.entries(d.joins).map(([t, c]) => `${d.logical}.${c} -> ${t}`));
  guesses.push(`joins: ${joinLines.length ? joinLines.join(', ') : 'none'}`);
  for (const f of facts)
    if (f.otherTimes.length)
      guesses.push(`${f.logical}: measured over ${f.time}; also a date or time: ${f.otherTimes.join(', ')}`);

  // The semantic catalog's aliases: fact tables share one, each other table has its own letter.
  const aliases: Record<string, string> = {};
  const letters = 'abcdeghijklmnopqrstuvwxyz'.split('');
  for (const f of facts) aliases[f.logical] = 'f';
  const droppedDims: string[] = [];
  for (const d of dims) {
    const letter = letters.shift();
    if (letter) aliases[d.logical] = letter;
    else droppedDims.push(d.logical);
  }
  if (droppedDims.length)
    guesses.push(`not in the semantic catalog (one letter per table, 25 at most): ${droppedDims.join(', ')}`);
  const inCatalog = (t: string): boolean => aliases[t] !== undefined;

  // 8. Measures and dimensions, each word claimed once.
  const claimed = new Set<string>();
  const ids = new Set<string>();
  const claim = (...phrases: string[]): string[] => {
    const out: string[] = [];
    for (const p of phrases) {
      const w = p
        .replace(/[^a-z0-9 ]/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 60)
        .trim();
      if (w.length < 2 || !/^[a-z0-9]/.test(w) || claimed.has(w)) continue;
      claimed.add(w);
      out.push(w);
    }
    return out;
  };
  const uniqueId = (...candidates: string[]): string => {
    for (const c of candidates) if (!ids.has(c) && LOGICAL.test(c)) return (ids.add(c), c);
    const base = candidates[candidates.length - 1]!;
    let i = 2;
    while (ids.has(`${base}_${i}`)) i++;
    ids.add(`${base}_${i}`);
    return `${base}_${i}`;
  };
  const metrics: MetricDraft[] = [];
  for (const f of facts) {
    const base = f.logical.replace(/^my_/, '');
    for (const c of f.columns) {
      if (!isNumeric(c.type) || c.name === 'id' || /_id$/.test(c.name)) continue;
      const label = words(c.name);
      const synonyms = claim(label, `${f.noun} ${label}`, `total ${label}`);
      metrics.push({
        id: uniqueId(c.name, `${base}_${c.name}`),
        label,
        description: `Total ${label} (the sum over ${f.noun}).`,
        table: f.logical,
        aggregate: 'sum',
        expr: c.name,
        format: isInteger(c.type) ? 'integer' : MONEY.test(c.name) ? 'currency' : 'decimal',
        synonyms: synonyms.length ? synonyms : claim(`${f.logical} ${c.name}`),
      });
    }
    metrics.push({
      id: uniqueId(`${base}_count`, `${f.logical}_count`),
      label: `number of ${f.noun}`,
      description: `Number of ${f.noun} (rows).`,
      table: f.logical,
      aggregate: 'count',
      expr: f.key ?? f.time!,
      format: 'integer',
      synonyms: claim(`number of ${f.noun}`, `${f.noun} count`, `${f.thing} count`),
    });
  }
  const dimensions: DimensionDraft[] = [];
  for (const d of dims) {
    if (!inCatalog(d.logical)) continue;
    const thingId = d.thing.replace(/ /g, '_');
    for (const c of d.columns) {
      if (c.type !== 'VARCHAR' || c.name === d.key) continue;
      const named = NAME_COLUMNS.has(c.name);
      const label = named ? d.thing : `${d.thing} ${words(c.name)}`;
      const synonyms = claim(label, ...(named ? [] : [words(c.name)]));
      if (!synonyms.length) continue;
      dimensions.push({
        id: uniqueId(named ? thingId : `${thingId}_${c.name}`, `${d.logical}_${c.name}`),
        label,
        plural: named ? d.noun : pluralOf(label),
        kind: 'attribute',
        table: d.logical,
        column: c.name,
        key: d.key,
        synonyms,
      });
    }
  }
  for (const grain of ['day', 'week', 'month'] as const) {
    const synonyms = claim(grain, ...(grain === 'day' ? ['date'] : []));
    if (synonyms.includes(grain) && !ids.has(grain)) {
      ids.add(grain);
      dimensions.push({ id: grain, label: grain, plural: `${grain}s`, kind: 'time', grain, synonyms });
    }
  }
  guesses.push(
    `measures: ${metrics.map((m) => (m.aggregate === 'sum' ? `${m.id} (sum of ${m.table}.${m.expr})` : `${m.id} (rows of ${m.table})`)).join(', ')}`,
  );
  guesses.push(
    `dimensions: ${
      dimensions
        .filter((d) => d.kind === 'attribute')
        .map((d) => `${d.id} (${d.table}.${d.column})`)
        .join(', ') || 'none'
    }; time: day, week, month`,
  );

  const unitTable = drafts.find((d) => d.raw === unitT.raw.name)!;
  const bare = unitTable.logical.replace(/^my_/, '');
  const plural = RESERVED.has(bare) || RESERVED.has(`${bare}_granted`) ? unitTable.logical : bare;
  const unitName = singular(plural) === plural ? plural : singular(plural);
  const grantUnit = {
    name: unitName,
    plural: unitName === plural ? `${plural}s` : plural,
    table: unitTable.logical,
    key: unitKey,
  };

  return {
    source: { engine: input.engine, where: input.where, schema: input.schema },
    tenantColumn: tenant,
    businessColumn: business,
    grantUnit,
    directory: { admins, businesses, grants },
    rawTables: [...new Set([...input.allTables, ...input.tables.map((t) => t.name)])].filter(ascii).sort(),
    tables: drafts,
    aliases,
    metrics,
    dimensions,
    guesses,
    skipped,
  };
}

/** The plural of a label's last word, well enough for a person to review. */
export function pluralOf(label: string): string {
  if (/[^aeiou]y$/.test(label)) return `${label.slice(0, -1)}ies`;
  if (/(s|sh|ch|x|z)$/.test(label)) return `${label}es`;
  return `${label}s`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function singularNoun(name: string): string {
  const w = words(baseName(name).replace(/^my_/, '')).split(' ');
  return [...w.slice(0, -1), singular(w[w.length - 1] ?? '')].join(' ');
}

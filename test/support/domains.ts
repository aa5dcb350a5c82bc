/**
 * The domains the security proofs run over (test/security/): the restaurant demo (catalog/,
 * policies/splitplane.rego) and the Tracklane project-tracking example (examples/projects/).
 *
 * A domain fixture holds what the proofs need from the catalog and the policy's world, and one thing
 * they must NOT take from either: each role's **independent access statement**, the oracle's own
 * account of what a persona may see, as raw tables cut down in the oracle's own SQL (columns, masks
 * written as expressions, row filters, unit filters, the grant). It is written here by reading the
 * policy and restating it, never by calling the sandbox builder, the policy or the registry's scope
 * columns, so that a wrong registry, policy adapter or sandbox builder makes the differential fail.
 *
 *   - the catalog (registry), the policy's wasm and the warehouse file (made once per test run by
 *     test/support/global-setup.ts and handed out with vitest's inject);
 *   - the oracle's today (each example's pinned clock) and the mask secret of demo mode;
 *   - personas with a role the oracle knows; the statement per role, per engine (DuckDB, PostgreSQL);
 *   - the service configuration that serves the domain (for the attack corpora).
 */
import { createHmac } from 'node:crypto';
import { inject } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadCatalog, type Catalog } from '../../src/semantic/catalog.js';
import type { TableRegistry } from '../../src/schema/tables.js';
import { text } from '../../src/util/text.js';

/** The engine an oracle statement is written for. */
export type OracleEngine = 'duckdb' | 'postgres';

/** A persona for the oracle: IDs, and the role as the oracle knows it (not read from the directory). */
export interface Persona {
  readonly name: string;
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  readonly role: string;
}

/** A table as the oracle builds it: select items (a mask is an expression AS the column), and extra row conditions. */
export type OracleTable = { raw: string; columns: string[]; perUnit: boolean; where?: string[] };

/** What a persona may see, in the oracle's own words. */
export interface AccessStatement {
  /** The raw columns that hold the tenant, the business and the grant unit, as the oracle reads the warehouse. */
  readonly scope: { readonly tenant: string; readonly business: string; readonly unit: string };
  /** SQL listing the persona's granted units (one column). */
  grants(engine: OracleEngine, persona: Persona): string;
  /** The persona's tables: logical name -> how the oracle cuts it from the raw table. */
  tables(engine: OracleEngine, persona: Persona): Record<string, OracleTable>;
}

/** A raw table where the oracle reads it: the attached file on DuckDB, schema `warehouse` on PostgreSQL. */
export const rawIn = (engine: OracleEngine, t: string): string =>
  engine === 'duckdb' ? `src.main.${t}` : `warehouse.${t}`;

export interface Domain {
  readonly name: 'restaurant' | 'projects';
  readonly catalog: Catalog;
  readonly registry: TableRegistry;
  readonly policyWasm: string;
  /** The warehouse file of this test run (global setup). Call inside a test file's hooks or tests. */
  warehouse(): string;
  /** The oracle's today: the domain's pinned clock. */
  readonly today: string;
  /** The keyed-hash mask secret (demo mode's default in src/server/services.ts, so services and the policy agree). */
  readonly maskSecret: string;
  readonly personas: readonly Persona[];
  readonly access: AccessStatement;
  /** Generated candidates per persona in CI (the differential property). */
  readonly casesPerPersona: number;
  /** Not vacuous: at least this share of the candidates ran and compared equal, for this persona. */
  minCompared(persona: Persona): number;
  /** Configuration overrides serving this domain (merged over test/support/harness.ts's testConfig). */
  serviceConfig(): Record<string, unknown>;
  /** The signing key that may act for every tenant of the domain. */
  readonly signingKey: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A key limited to some tenants, and a persona of a tenant it may not act for. */
  readonly scopedKey: {
    readonly key: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly foreign: Persona;
  };
  /** A question the domain's catalog answers (the request that carries a hostile candidate). */
  readonly question: string;
}

/** Monday to Sunday of the week before `today`'s (as the pinned clocks' "last week"). */
export function lastWeek(today: string): { from: string; to: string } {
  const d = new Date(`${today}T00:00:00Z`);
  const monday = new Date(d);
  monday.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7) - 7);
  const sunday = new Date(monday);
  sunday.setUTCDate(monday.getUTCDate() + 6);
  return { from: monday.toISOString().slice(0, 10), to: sunday.toISOString().slice(0, 10) };
}

/** The demo mode's mask secret (src/server/services.ts, policyOptions). */
const DEMO_MASK_SECRET = 'splitplane-demo-mask-key';

/** The oracle's own derivation of a (tenant, business)'s keyed-hash key: HMAC-SHA256 of the two IDs under the secret. */
export function oracleMaskKey(secret: string, tenantId: string, businessId: string): string {
  return createHmac('sha256', secret).update(`splitplane/mask-key/v1:${tenantId}:${businessId}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// The restaurant demo. Its statement is the one physical-sandbox.ts had (moved here, unchanged).

/** The demo's today (config/demo.yaml's clock): the contractor's window is the 90 days before it. */
const RESTAURANT_TODAY = '2026-11-18';

const RESTAURANT_PERSONAS: readonly Persona[] = [
  { name: 'franchise owner 7042', tenantId: '12', businessId: '628', adminId: '7042', role: 'franchise_owner' },
  { name: 'brand manager 7001', tenantId: '12', businessId: '628', adminId: '7001', role: 'brand_manager' },
  {
    name: 'brand manager 5401 of another tenant',
    tenantId: '31',
    businessId: '544',
    adminId: '5401',
    role: 'brand_manager',
  },
  {
    name: 'admin 7099 with zero locations',
    tenantId: '12',
    businessId: '628',
    adminId: '7099',
    role: 'franchise_owner',
  },
  {
    name: 'regional director 7101 (IL and WI stores)',
    tenantId: '12',
    businessId: '628',
    adminId: '7101',
    role: 'regional_director',
  },
  {
    name: 'operations analyst 7102 (e-mails masked)',
    tenantId: '12',
    businessId: '628',
    adminId: '7102',
    role: 'operations_analyst',
  },
  { name: 'contractor 7103 (last 90 days)', tenantId: '12', businessId: '628', adminId: '7103', role: 'contractor' },
];

const SALES = ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'];
const ITEM_SALES = ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'];

/** The oracle's own SQL for what differs between the engines: where the raw tables are, and the filters and masks. */
interface RestaurantSql {
  raw(table: string): string;
  readonly last90Days: string;
  readonly partialEmail: string;
  readonly roundedCost: string;
}
const RESTAURANT_SQL: Record<OracleEngine, RestaurantSql> = {
  duckdb: {
    raw: (t) => rawIn('duckdb', t),
    last90Days: `business_date >= DATE '${RESTAURANT_TODAY}' - INTERVAL 90 DAY`,
    partialEmail: `regexp_replace(manager_email, '^(.)[^@]*(@.*)$', '\\1***\\2') AS manager_email`,
    roundedCost: 'round(CAST(unit_cost AS DOUBLE), 0) AS unit_cost',
  },
  postgres: {
    raw: (t) => rawIn('postgres', t),
    last90Days: `business_date >= DATE '${RESTAURANT_TODAY}' - 90`,
    partialEmail: `regexp_replace(manager_email, '^(.)[^@]*(@.*)$', '\\1***\\2') AS manager_email`,
    // unit_cost is NUMERIC(8,2): rounded exactly (half away from zero), then a double like the mask's.
    roundedCost: 'CAST(round(unit_cost, 0) AS double precision) AS unit_cost',
  },
};

/** What each role may see, written out independently of policies/splitplane.rego. */
function restaurantColumns(sql: RestaurantSql): Record<string, Record<string, OracleTable>> {
  const IL_WI = `location_id IN (SELECT location_id FROM ${sql.raw('dim_locations')} WHERE business_id = 628 AND state IN ('IL', 'WI'))`;
  const LAST_90_DAYS = sql.last90Days;
  return {
    franchise_owner: {
      daily_sales: {
        raw: 'fact_daily_sales',
        columns: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'],
        perUnit: true,
      },
      item_sales: {
        raw: 'fact_item_sales',
        columns: ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'],
        perUnit: true,
      },
      locations: {
        raw: 'dim_locations',
        columns: ['location_id', 'name', 'city', 'state', 'opened_on'],
        perUnit: true,
      },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price'], perUnit: false },
    },
    brand_manager: {
      daily_sales: {
        raw: 'fact_daily_sales',
        columns: ['location_id', 'business_date', 'net_sales_amount', 'order_count', 'guest_count'],
        perUnit: true,
      },
      item_sales: {
        raw: 'fact_item_sales',
        columns: ['location_id', 'business_date', 'item_id', 'quantity', 'net_amount'],
        perUnit: true,
      },
      locations: {
        raw: 'dim_locations',
        columns: ['location_id', 'name', 'city', 'state', 'opened_on', 'manager_email'],
        perUnit: true,
      },
      menu_items: {
        raw: 'dim_menu_items',
        columns: ['item_id', 'name', 'category', 'price', 'unit_cost'],
        perUnit: false,
      },
    },
    regional_director: {
      daily_sales: { raw: 'fact_daily_sales', columns: SALES, perUnit: true, where: [IL_WI] },
      item_sales: { raw: 'fact_item_sales', columns: ITEM_SALES, perUnit: true, where: [IL_WI] },
      locations: {
        raw: 'dim_locations',
        columns: ['location_id', 'name', 'city', 'state', 'opened_on', 'manager_email'],
        perUnit: true,
        where: [`state IN ('IL', 'WI')`],
      },
      menu_items: {
        raw: 'dim_menu_items',
        columns: ['item_id', 'name', 'category', 'price', 'unit_cost'],
        perUnit: false,
      },
    },
    operations_analyst: {
      daily_sales: { raw: 'fact_daily_sales', columns: SALES, perUnit: true },
      locations: {
        raw: 'dim_locations',
        columns: ['location_id', 'name', 'city', 'state', 'opened_on', sql.partialEmail],
        perUnit: true,
      },
      menu_items: {
        raw: 'dim_menu_items',
        columns: ['item_id', 'name', 'category', 'price', sql.roundedCost],
        perUnit: false,
      },
    },
    contractor: {
      daily_sales: { raw: 'fact_daily_sales', columns: SALES, perUnit: true, where: [LAST_90_DAYS] },
      item_sales: { raw: 'fact_item_sales', columns: ITEM_SALES, perUnit: true, where: [LAST_90_DAYS] },
      locations: { raw: 'dim_locations', columns: ['location_id', 'name', 'city', 'state'], perUnit: true },
      menu_items: { raw: 'dim_menu_items', columns: ['item_id', 'name', 'category', 'price'], perUnit: false },
    },
  };
}

const RESTAURANT_CATALOG = loadCatalog('catalog');

export const RESTAURANT: Domain = {
  name: 'restaurant',
  catalog: RESTAURANT_CATALOG,
  registry: RESTAURANT_CATALOG.schema,
  policyWasm: 'policies/build/policy.wasm',
  warehouse: () => inject('demoDb'),
  today: RESTAURANT_TODAY,
  maskSecret: DEMO_MASK_SECRET,
  personas: RESTAURANT_PERSONAS,
  access: {
    scope: { tenant: 'tenant_id', business: 'business_id', unit: 'location_id' },
    grants: (engine, p) =>
      `SELECT location_id FROM ${rawIn(engine, 'admin_location_grants')} WHERE admin_id = ${Number(p.adminId)}`,
    tables: (engine, p) => statementOf(restaurantColumns(RESTAURANT_SQL[engine]), p),
  },
  casesPerPersona: 2_000,
  // The operations analyst has no item_sales: the candidates that name it are refused. The contractor
  // sees fewer columns: more candidates name one and fail to bind on both sides.
  minCompared: (p) => (p.role === 'operations_analyst' || p.role === 'contractor' ? 0.3 : 0.4),
  serviceConfig: () => ({}),
  signingKey: {
    accessKeyId: 'SPDEMOKEY0000000001',
    secretAccessKey: 'splitplane-demo-secret-do-not-use-in-production',
  },
  scopedKey: {
    key: { accessKeyId: 'SPDEMOKEY0000000012', secretAccessKey: 'splitplane-demo-secret-tenant-12-only' },
    foreign: RESTAURANT_PERSONAS[2]!,
  },
  question: 'What was the total sales amount last week?',
};

// ---------------------------------------------------------------------------------------------
// Tracklane (examples/projects/): restated from examples/projects/policy/splitplane.rego by reading
// it, in this file's own SQL over the raw tables of examples/projects/generate.ts.

/** examples/projects/config.yaml's clock (a Wednesday); the finance analyst's window is the 90 days before it. */
const PROJECTS_TODAY = '2026-03-11';

const PROJECTS_PERSONAS: readonly Persona[] = [
  {
    name: 'project lead 9002 (three projects and a stray grant)',
    tenantId: '101',
    businessId: '2001',
    adminId: '9002',
    role: 'project_lead',
  },
  { name: 'workspace admin 9001', tenantId: '101', businessId: '2001', adminId: '9001', role: 'workspace_admin' },
  {
    name: 'workspace admin 9501 of another organisation',
    tenantId: '202',
    businessId: '3001',
    adminId: '9501',
    role: 'workspace_admin',
  },
  {
    name: 'project lead 9007 with no project',
    tenantId: '101',
    businessId: '2001',
    adminId: '9007',
    role: 'project_lead',
  },
  {
    name: 'finance analyst 9003 (billing of 90 days, masks)',
    tenantId: '101',
    businessId: '2001',
    adminId: '9003',
    role: 'finance_analyst',
  },
  {
    name: 'portfolio viewer 9004 (active projects, users hashed)',
    tenantId: '101',
    businessId: '2001',
    adminId: '9004',
    role: 'portfolio_viewer',
  },
  {
    name: 'project lead 9502 of another organisation',
    tenantId: '202',
    businessId: '3001',
    adminId: '9502',
    role: 'project_lead',
  },
];

const EVENTS = ['event_id', 'project_id', 'user_id', 'occurred_at', 'kind', 'duration_ms'];
const BILLING = ['project_id', 'team_id', 'billed_on', 'billable_hours', 'invoiced_usd'];

interface ProjectsSql {
  raw(table: string): string;
  readonly last90Days: string;
  readonly partialEmail: string;
  readonly roundedCost: string;
  /** The user ID as a keyed hash: SHA-256 (hex) of the key followed by the decimal ID. */
  hashedUser(key: string): string;
}
const PROJECTS_SQL: Record<OracleEngine, ProjectsSql> = {
  duckdb: {
    raw: (t) => rawIn('duckdb', t),
    last90Days: `billed_on >= DATE '${PROJECTS_TODAY}' - INTERVAL 90 DAY`,
    partialEmail: `regexp_replace(lead_email, '^(.)[^@]*(@.*)$', '\\1***\\2') AS lead_email`,
    roundedCost: 'round(CAST(cost_per_hour AS DOUBLE), 0) AS cost_per_hour',
    hashedUser: (key) => `sha256('${key}' || CAST(user_id AS VARCHAR)) AS user_id`,
  },
  postgres: {
    raw: (t) => rawIn('postgres', t),
    last90Days: `billed_on >= DATE '${PROJECTS_TODAY}' - 90`,
    partialEmail: `regexp_replace(lead_email, '^(.)[^@]*(@.*)$', '\\1***\\2') AS lead_email`,
    roundedCost: 'CAST(round(cost_per_hour, 0) AS double precision) AS cost_per_hour',
    hashedUser: (key) => `encode(sha256(convert_to('${key}' || CAST(user_id AS text), 'UTF8')), 'hex') AS user_id`,
  },
};

/** What each Tracklane role may see (examples/projects/policy/splitplane.rego, restated). */
function projectsColumns(
  sql: ProjectsSql,
  p: Persona,
  maskSecret = DEMO_MASK_SECRET,
): Record<string, Record<string, OracleTable>> {
  const ACTIVE = `project_id IN (SELECT project_id FROM ${sql.raw('prj_master')} WHERE workspace_id = ${Number(p.businessId)} AND status = 'active')`;
  return {
    // Every project of the workspace, every column.
    workspace_admin: {
      events: { raw: 'evt_log', columns: EVENTS, perUnit: true },
      billing: { raw: 'bill_ledger', columns: BILLING, perUnit: true },
      projects: {
        raw: 'prj_master',
        columns: ['project_id', 'title', 'team_id', 'status', 'client', 'kicked_off', 'lead_email'],
        perUnit: true,
      },
      teams: { raw: 'tm_roster', columns: ['team_id', 'team_name', 'department', 'cost_per_hour'], perUnit: false },
    },
    // The granted projects; no internal costs, no e-mails.
    project_lead: {
      events: { raw: 'evt_log', columns: EVENTS, perUnit: true },
      billing: { raw: 'bill_ledger', columns: BILLING, perUnit: true },
      projects: {
        raw: 'prj_master',
        columns: ['project_id', 'title', 'team_id', 'status', 'client', 'kicked_off'],
        perUnit: true,
      },
      teams: { raw: 'tm_roster', columns: ['team_id', 'team_name', 'department'], perUnit: false },
    },
    // Billing of the last 90 days only, no events; leads' e-mails partly hidden, team costs rounded to dollars.
    finance_analyst: {
      billing: { raw: 'bill_ledger', columns: BILLING, perUnit: true, where: [sql.last90Days] },
      projects: {
        raw: 'prj_master',
        columns: ['project_id', 'title', 'team_id', 'status', 'client', sql.partialEmail],
        perUnit: true,
      },
      teams: { raw: 'tm_roster', columns: ['team_id', 'team_name', 'department', sql.roundedCost], perUnit: false },
    },
    // Active projects only (in every table that carries a project); users as a keyed hash.
    portfolio_viewer: {
      events: {
        raw: 'evt_log',
        columns: EVENTS.map((c) =>
          c === 'user_id' ? sql.hashedUser(oracleMaskKey(maskSecret, p.tenantId, p.businessId)) : c,
        ),
        perUnit: true,
        where: [ACTIVE],
      },
      billing: { raw: 'bill_ledger', columns: BILLING, perUnit: true, where: [ACTIVE] },
      projects: {
        raw: 'prj_master',
        columns: ['project_id', 'title', 'team_id', 'status', 'client', 'kicked_off'],
        perUnit: true,
        where: [`status = 'active'`],
      },
      teams: { raw: 'tm_roster', columns: ['team_id', 'team_name', 'department'], perUnit: false },
    },
  };
}

const PROJECTS_CATALOG = loadCatalog('examples/projects/catalog');

/** Tracklane as a deployment whose mask secret is `maskSecret` (a rotated key): its policy and its oracle both use it. */
export function projectsWithMaskSecret(maskSecret: string): Domain {
  return {
    ...PROJECTS,
    maskSecret,
    access: {
      ...PROJECTS.access,
      tables: (engine, p) => statementOf(projectsColumns(PROJECTS_SQL[engine], p, maskSecret), p),
    },
  };
}

export const PROJECTS: Domain = {
  name: 'projects',
  catalog: PROJECTS_CATALOG,
  registry: PROJECTS_CATALOG.schema,
  policyWasm: 'examples/projects/policy/policy.wasm',
  warehouse: () => inject('projectsDb'),
  today: PROJECTS_TODAY,
  maskSecret: DEMO_MASK_SECRET,
  personas: PROJECTS_PERSONAS,
  access: {
    scope: { tenant: 'org_id', business: 'workspace_id', unit: 'project_id' },
    // A grant counts for an active member of the persona's own organisation and workspace (the stray
    // grant to another workspace's project is dropped by the workspace condition on every table).
    grants: (engine, p) =>
      `SELECT g.project_id FROM ${rawIn(engine, 'acl_project_access')} g JOIN ${rawIn(engine, 'acl_members')} m ON m.member_id = g.member_id ` +
      `WHERE g.member_id = ${Number(p.adminId)} AND m.org_id = ${Number(p.tenantId)} AND m.workspace_id = ${Number(p.businessId)} AND m.is_active`,
    tables: (engine, p) => statementOf(projectsColumns(PROJECTS_SQL[engine], p), p),
  },
  casesPerPersona: 500,
  // The finance analyst has no events (refused); the project leads and the portfolio viewer miss
  // columns (costs, e-mails): candidates naming them fail to bind on both sides.
  minCompared: (p) => (p.role === 'workspace_admin' ? 0.4 : 0.3),
  serviceConfig: () => ({
    signing: { credentialsFile: 'examples/projects/credentials.json' },
    clock: { today: PROJECTS_TODAY },
    policy: { wasmPath: 'examples/projects/policy/policy.wasm' },
    catalog: { path: 'examples/projects/catalog' },
    demo: { generateIfMissing: false, enabled: false },
  }),
  signingKey: {
    accessKeyId: 'SPDEMOKEYTRACKLANE01',
    secretAccessKey: 'tracklane-example-secret-do-not-use-in-production',
  },
  scopedKey: {
    key: { accessKeyId: 'SPDEMOKEYTRACKLANE02', secretAccessKey: 'tracklane-example-secret-globex-202-only' },
    foreign: PROJECTS_PERSONAS[0]!,
  },
  question: 'How much did we invoice last month?',
};

export const DOMAINS: readonly Domain[] = [RESTAURANT, PROJECTS];

function statementOf(byRole: Record<string, Record<string, OracleTable>>, p: Persona): Record<string, OracleTable> {
  if (!Object.hasOwn(byRole, p.role)) throw new Error(`the oracle has no statement for role ${p.role}`);
  return byRole[p.role]!;
}

// ---------------------------------------------------------------------------------------------
// Values from the data: literals for generated candidates, and the corpus's out-of-scope IDs.

/** Values sampled from a domain's warehouse (deterministically: ordered queries, no random sampling). */
export interface DomainData {
  /** ID literals in and out of every persona's scope: units of several businesses, other keys, the identities' own IDs, 0, -1. */
  readonly ids: readonly string[];
  /** Text literals (frequent values of the first persona's business, and of another business), SQL-quoted. */
  readonly texts: readonly string[];
  /** LIKE patterns, SQL-quoted. */
  readonly likes: readonly string[];
  /** DATE literals around the domain's today and before its data. */
  readonly dates: readonly string[];
  /** Another tenant than the first persona's: a business of it, its units, and the business's name. */
  readonly other: {
    readonly tenantId: string;
    readonly businessId: string;
    readonly units: readonly string[];
    readonly businessName: string;
  };
  /** The first persona's granted units, and units of its own business it was not granted. */
  readonly granted: readonly string[];
  readonly sameBusinessNotGranted: readonly string[];
  /** A raw table no role sees that holds e-mail addresses (personal data), and that column. */
  readonly secret: { readonly table: string; readonly column: string };
}

const cache = new Map<string, Promise<DomainData>>();

/** Sample the domain's warehouse (once per file and domain). */
export function domainData(domain: Domain): Promise<DomainData> {
  const path = domain.warehouse();
  let p = cache.get(path);
  if (!p) {
    p = sample(domain, path);
    cache.set(path, p);
  }
  return p;
}

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const isIdColumn = (name: string, type: string): boolean =>
  /_id$/.test(name) && /^(BIGINT|INTEGER|SMALLINT)$/.test(type);

async function sample(domain: Domain, path: string): Promise<DomainData> {
  const reg = domain.registry;
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  const rows = async (sql: string): Promise<string[][]> =>
    ((await conn.runAndReadAll(sql)).getRowsJson() as unknown[][]).map((r) =>
      r.map((v) => (v === null ? '' : text(v))),
    );
  try {
    await conn.run(`ATTACH '${path.replaceAll("'", "''")}' AS w (READ_ONLY)`);
    const first = domain.personas[0]!;
    const unitTable = reg.tables[reg.grantUnit.table]!;
    const key = reg.grantUnit.key;
    const ut = `w.main.${unitTable.raw}`;
    const g = reg.directory.grants;
    const granted = (
      await rows(
        `SELECT DISTINCT ${g.unit} FROM w.main.${g.table} WHERE ${g.admin} = ${Number(first.adminId)} AND ${g.unit} IN (SELECT ${key} FROM ${ut} WHERE ${unitTable.scope.business} = ${Number(first.businessId)}) ORDER BY 1`,
      )
    ).map((r) => r[0]!);
    const sameBusinessNotGranted = (
      await rows(
        `SELECT ${key} FROM ${ut} WHERE ${unitTable.scope.business} = ${Number(first.businessId)} AND ${key} NOT IN (SELECT ${g.unit} FROM w.main.${g.table} WHERE ${g.admin} = ${Number(first.adminId)}) ORDER BY ${key} LIMIT 2`,
      )
    ).map((r) => r[0]!);
    // Another tenant: a persona's of another tenant if there is one, else the business with the most units of another tenant.
    const otherPersona = domain.personas.find((p) => p.tenantId !== first.tenantId);
    const [otherTenantId, otherBusinessId] = otherPersona
      ? [otherPersona.tenantId, otherPersona.businessId]
      : (
          await rows(
            `SELECT ${unitTable.scope.tenant}, ${unitTable.scope.business} FROM ${ut} WHERE ${unitTable.scope.tenant} <> ${Number(first.tenantId)} GROUP BY ALL ORDER BY COUNT(*) DESC, 2 LIMIT 1`,
          )
        )[0]!;
    const otherUnits = (
      await rows(
        `SELECT ${key} FROM ${ut} WHERE ${unitTable.scope.business} = ${otherBusinessId} ORDER BY ${key} LIMIT 3`,
      )
    ).map((r) => r[0]!);
    // The business's name: the first text column of the directory's businesses table.
    const b = reg.directory.businesses;
    const [nameCol] = (
      await rows(
        `SELECT column_name FROM information_schema.columns WHERE table_catalog = 'w' AND table_name = '${b.table}' AND data_type = 'VARCHAR' ORDER BY ordinal_position LIMIT 1`,
      )
    ).map((r) => r[0]!);
    const businessName = nameCol
      ? ((await rows(`SELECT ${nameCol} FROM w.main.${b.table} WHERE ${b.id} = ${otherBusinessId}`))[0]?.[0] ?? '')
      : '';
    // The secret: an unexposed raw table with an e-mail column.
    const exposed = new Set([
      ...Object.values(reg.tables).map((t) => t.raw),
      reg.directory.admins.table,
      reg.directory.businesses.table,
      reg.directory.grants.table,
    ]);
    const hidden = reg.rawTables.filter((t) => !exposed.has(t));
    const emails = await rows(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = 'w' AND column_name LIKE '%email%' AND table_name IN (${hidden.map(quote).join(', ')}) ORDER BY table_name, ordinal_position LIMIT 1`,
    );
    const secret = emails[0] ? { table: emails[0][0]!, column: emails[0][1]! } : { table: hidden[0]!, column: '*' };

    // ID literals.
    const ids = new Set<string>();
    const firstUnits = (
      await rows(
        `SELECT MIN(${key}), MAX(${key}) FROM ${ut} WHERE ${unitTable.scope.business} = ${Number(first.businessId)}`,
      )
    )[0]!;
    for (const v of [
      ...granted.slice(0, 2),
      ...sameBusinessNotGranted.slice(0, 1),
      firstUnits[1]!,
      ...otherUnits.slice(0, 2),
    ])
      ids.add(v);
    for (const [, t] of Object.entries(reg.tables)) {
      for (const [c, spec] of Object.entries(t.columns)) {
        if (c === key || !isIdColumn(c, spec.type)) continue;
        const [lo] = (
          await rows(`SELECT MIN(${c}) FROM w.main.${t.raw} WHERE ${t.scope.business} = ${Number(first.businessId)}`)
        )[0]!;
        const [other] = (
          await rows(`SELECT MIN(${c}) FROM w.main.${t.raw} WHERE ${t.scope.business} = ${otherBusinessId}`)
        )[0]!;
        if (lo) ids.add(lo);
        if (other) ids.add(other);
      }
    }
    for (const p of domain.personas) for (const v of [p.tenantId, p.businessId]) ids.add(v);
    ids.add(first.adminId);
    ids.add('0');
    ids.add('-1');

    // Text literals: the most frequent value of each text column in the first persona's business, the smallest in the other business.
    const texts = new Set<string>(["''"]);
    for (const t of Object.values(reg.tables)) {
      for (const [c, spec] of Object.entries(t.columns)) {
        if (spec.type !== 'VARCHAR') continue;
        const mine = await rows(
          `SELECT ${c} FROM w.main.${t.raw} WHERE ${t.scope.business} = ${Number(first.businessId)} AND ${c} IS NOT NULL GROUP BY ${c} ORDER BY COUNT(*) DESC, ${c} LIMIT 1`,
        );
        const theirs = await rows(
          `SELECT MIN(${c}) FROM w.main.${t.raw} WHERE ${t.scope.business} = ${otherBusinessId}`,
        );
        for (const v of [mine[0]?.[0], theirs[0]?.[0]]) if (v && !v.includes('@')) texts.add(quote(v));
      }
    }
    const initials = [...texts].map((t) => t.slice(1, 2)).filter((c) => /[A-Za-z]/.test(c));
    const likes = [
      ...new Set([`'${initials[0] ?? 'C'}%'`, `'%${initials[1]?.toLowerCase() ?? 'a'}%'`, "'%a%'", "'_%'", "'%1%'"]),
    ];
    const day = (n: number): string => {
      const d = new Date(`${domain.today}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + n);
      return `DATE '${d.toISOString().slice(0, 10)}'`;
    };
    const dates = [day(-9), day(-3), day(-140), day(-320), "DATE '2020-01-01'"];
    return {
      ids: [...ids],
      texts: [...texts],
      likes,
      dates,
      other: { tenantId: otherTenantId!, businessId: otherBusinessId!, units: otherUnits, businessName },
      granted,
      sameBusinessNotGranted,
      secret,
    };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

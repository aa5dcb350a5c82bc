/**
 * The Tracklane example warehouse: a deterministic, seeded project-tracking
 * SaaS database generated with DuckDB SQL (examples/projects/catalog names its
 * tables). Organisations (tenants) own workspaces (businesses); a workspace has
 * teams (scoped per workspace only) and projects (the grant unit); members are
 * granted projects. Two fact tables: `evt_log`, one row per product event with
 * a TIMESTAMP spread over the whole day (events late in the evening included,
 * on purpose), and `bill_ledger`, billable hours per project, team and weekday
 * (a DATE).
 *
 * Randomness is DuckDB's hash() of (keys, seed), never random(): the same seed
 * gives the same data on every machine and thread count (with the pinned DuckDB).
 *
 * Run it: `npx tsx examples/projects/generate.ts [path]` (default var/projects.duckdb).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

export const PROJECTS_DATA_VERSION = '1';
export const PROJECTS_SEED = 7;

/** The scenario the example data guarantees (IDs, dates), for tests, the eval file and the README. */
export const PROJECTS_SCENARIO = {
  /** The pinned clock of examples/projects/config.yaml: a Wednesday. "last week" is 2026-03-02..2026-03-08. */
  today: '2026-03-11',
  lastWeek: { from: '2026-03-02', to: '2026-03-08' },
  /** The first day with data (events and billing), 200 days before today; the last is yesterday. */
  firstDay: '2025-08-23',
  /** Org 101 (Acme Cloud), workspace 2001 (Acme Platform): 120 projects. */
  workspaceAdmin: { tenantId: '101', businessId: '2001', adminId: '9001', projectCount: 120 },
  /** A project lead granted three projects of 2001: Ember Migration and Iris Migration (active), Meridian Migration (archived, silent since 2026-01-01) (and, by a directory mistake, one of workspace 2002, which never counts). */
  projectLead: {
    tenantId: '101',
    businessId: '2001',
    adminId: '9002',
    projects: ['2001005', '2001009', '2001013'],
    strayGrant: '2002005',
  },
  /** Finance: every project of 2001, billing of the last 90 days only (from 2025-12-11), e-mails masked, costs rounded. */
  financeAnalyst: { tenantId: '101', businessId: '2001', adminId: '9003', billingFrom: '2025-12-11' },
  /** Portfolio: every project of 2001 granted, narrowed by the policy to the active ones; user IDs hashed. */
  portfolioViewer: { tenantId: '101', businessId: '2001', adminId: '9004' },
  /** A project lead with no project: answers are empty, never someone else's. */
  noProjects: { tenantId: '101', businessId: '2001', adminId: '9007' },
  /** An inactive member (refused). */
  inactive: { tenantId: '101', businessId: '2001', adminId: '9008' },
  /** Another organisation: Globex (202), workspace 3001 (Globex Delivery), 80 projects. */
  otherOrgAdmin: { tenantId: '202', businessId: '3001', adminId: '9501', projectCount: 80 },
  /** A project lead of the other organisation, granted two projects: Ember Migration (the title of one of 9002's) and Keystone Migration. */
  otherOrgLead: { tenantId: '202', businessId: '3001', adminId: '9502', projects: ['3001005', '3001011'] },
} as const;

/** Options for {@link generateProjectsWarehouse}. */
export interface GenerateProjectsOptions {
  readonly path: string;
  readonly seed?: number;
  /** Called with a line per table written. */
  readonly progress?: (line: string) => void;
}

/** Generate the example warehouse into `path` (written to a temporary file, then renamed). */
export async function generateProjectsWarehouse(opts: GenerateProjectsOptions): Promise<{ path: string; ms: number }> {
  const started = performance.now();
  const seed = opts.seed ?? PROJECTS_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 1_000_000) throw new Error('seed must be an integer 0..1000000');
  mkdirSync(dirname(opts.path), { recursive: true });
  const tmp = `${opts.path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  const instance = await DuckDBInstance.create(tmp, { threads: '2' });
  const conn = await instance.connect();
  const say = opts.progress ?? ((): void => {});
  try {
    for (const stmt of projectsSql(seed)) {
      await conn.run(stmt);
      const table = /^CREATE TABLE (\w+)/.exec(stmt)?.[1];
      if (table) say(`${table} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  renameSync(tmp, opts.path);
  if (existsSync(`${tmp}.wal`)) rmSync(`${tmp}.wal`);
  return { path: opts.path, ms: performance.now() - started };
}

/** The generator's SQL, statement by statement. */
export function projectsSql(seed: number): string[] {
  const { today, firstDay } = PROJECTS_SCENARIO;
  const lead = PROJECTS_SCENARIO.projectLead;
  const otherLead = PROJECTS_SCENARIO.otherOrgLead;
  return [
    // h(a, b, c) -> [0, 1): DuckDB's hash() of BIGINTs (no per-process seed, so identical on every run
    // and machine with the pinned DuckDB); a linear hash of the keys, as the restaurant's, came out visibly
    // correlated over these keys (hours of the day, event kinds).
    `CREATE TEMP MACRO h(a, b, c) AS (hash(CAST(a AS BIGINT), CAST(b AS BIGINT), CAST(c AS BIGINT), CAST(${seed} AS BIGINT)) % 1000000007) / 1000000007.0`,
    `CREATE TABLE tracklane_meta AS SELECT * FROM (VALUES ('data_version', '${PROJECTS_DATA_VERSION}'), ('seed', '${seed}'), ('today', '${today}')) t(key, value)`,
    `CREATE TABLE org_registry AS SELECT * FROM (VALUES
       (101, 'Acme Cloud', 'acme.example'), (202, 'Globex Consulting', 'globex.example'),
       (303, 'Initrode Labs', 'initrode.example'), (404, 'Hooli Studio', 'hooli.example')
     ) t(org_id, org_name, email_domain)`,
    `CREATE TABLE ws_directory AS SELECT * FROM (VALUES
       (2001, 101, 'Acme Platform', 120), (2002, 101, 'Acme Services', 60), (2003, 101, 'Acme Labs', 25),
       (3001, 202, 'Globex Delivery', 80), (3002, 202, 'Globex Internal', 20),
       (4001, 303, 'Initrode Research', 40), (5001, 404, 'Hooli Design', 30)
     ) t(workspace_id, org_id, workspace_name, project_count)`,
    `CREATE TEMP TABLE team_names AS SELECT * FROM (VALUES
       (1, 'Platform', 'Engineering'), (2, 'Mobile', 'Engineering'), (3, 'Design Systems', 'Design'),
       (4, 'Analytics', 'Data'), (5, 'Delivery', 'Consulting'), (6, 'Quality', 'Engineering')
     ) t(k, team_name, department)`,
    // Scoped per workspace only (no project column).
    `CREATE TABLE tm_roster AS
       SELECT w.workspace_id * 10 + n.k AS team_id, w.org_id, w.workspace_id, n.team_name, n.department,
              CAST(55 + 40 * h(w.workspace_id, n.k, 1) AS DECIMAL(8, 2)) AS cost_per_hour,
              CAST(110 + 90 * h(w.workspace_id, n.k, 2) AS DECIMAL(8, 2)) AS bill_rate
       FROM ws_directory w, team_names n`,
    `CREATE TEMP TABLE codenames AS SELECT * FROM (VALUES
       (0, 'Atlas'), (1, 'Beacon'), (2, 'Comet'), (3, 'Delta'), (4, 'Ember'), (5, 'Falcon'), (6, 'Granite'),
       (7, 'Harbor'), (8, 'Iris'), (9, 'Juniper'), (10, 'Keystone'), (11, 'Lumen'), (12, 'Meridian'),
       (13, 'Nimbus'), (14, 'Orion'), (15, 'Pioneer'), (16, 'Quartz'), (17, 'Redwood'), (18, 'Summit'), (19, 'Tundra')
     ) t(k, codename)`,
    `CREATE TEMP TABLE work_kinds AS SELECT * FROM (VALUES
       (0, 'Migration'), (1, 'Redesign'), (2, 'Rollout'), (3, 'Audit'), (4, 'Integration'), (5, 'Launch')
     ) t(k, work)`,
    `CREATE TEMP TABLE clients AS SELECT * FROM (VALUES
       (0, 'Initech'), (1, 'Umbrella'), (2, 'Stark Industries'), (3, 'Wayne Enterprises'), (4, 'Cyberdyne'),
       (5, 'Soylent'), (6, 'Vandelay'), (7, 'Wonka'), (8, 'Tyrell'), (9, 'Massive Dynamic')
     ) t(k, client)`,
    // Project IDs are workspace_id * 1000 + n; titles are unique within a workspace (20 codenames x 6 kinds),
    // and the same titles recur in other workspaces and organisations (a name never identifies a scope).
    `CREATE TABLE prj_master AS
       SELECT w.workspace_id * 1000 + g.n AS project_id, w.org_id, w.workspace_id,
              c.codename || ' ' || k.work AS title,
              w.workspace_id * 10 + 1 + CAST(floor(6 * h(w.workspace_id, g.n, 3)) AS INTEGER) AS team_id,
              CASE WHEN h(w.workspace_id, g.n, 4) < 0.70 THEN 'active' WHEN h(w.workspace_id, g.n, 4) < 0.85 THEN 'paused' ELSE 'archived' END AS status,
              cl.client,
              DATE '2023-01-02' + CAST(floor(h(w.workspace_id, g.n, 5) * 900) AS INTEGER) AS kicked_off,
              'lead.' || (w.workspace_id * 1000 + g.n) || '@' || o.email_domain AS lead_email
       FROM ws_directory w JOIN org_registry o USING (org_id), LATERAL range(1, w.project_count + 1) g(n),
            codenames c, work_kinds k, clients cl
       WHERE c.k = (g.n - 1) % 20 AND k.k = ((g.n - 1) // 20) % 6
         AND cl.k = CAST(floor(10 * h(w.workspace_id, g.n, 6)) AS INTEGER)
       ORDER BY project_id`,
    `CREATE TEMP TABLE days AS
       SELECT CAST(DATE '${firstDay}' + INTERVAL (g) DAY AS DATE) AS d FROM range(0, DATE '${today}' - DATE '${firstDay}') r(g)`,
    // People: 40 per workspace; each project is worked on by about eight of them (overlapping), so the
    // active users of several projects are fewer than the sum of each project's.
    `CREATE TABLE usr_accounts AS
       SELECT w.workspace_id * 100 + g.k AS user_id, w.org_id, w.workspace_id,
              'user' || (w.workspace_id * 100 + g.k) || '@' || o.email_domain AS email
       FROM ws_directory w JOIN org_registry o USING (org_id), range(1, 41) g(k)`,
    // Events: up to 14 candidate slots per project and day, kept with a probability that depends on the
    // project, the weekday and its status (archived projects fall silent in 2026, paused ones in February).
    // The time of day is uniform over 24 hours.
    `CREATE TABLE evt_log AS
       WITH slots AS (
         SELECT p.org_id, p.workspace_id, p.project_id, p.status, d.d, s.s,
                CAST(d.d - DATE '2000-01-01' AS BIGINT) AS dn
         FROM prj_master p, days d, range(0, 14) s(s)
         WHERE (p.status = 'active' OR (p.status = 'paused' AND d.d < DATE '2026-02-01') OR (p.status = 'archived' AND d.d < DATE '2026-01-01'))
       ), kept AS (
         SELECT *, h(project_id, dn, s + 100) AS r FROM slots
         WHERE h(project_id, dn, s) < (0.15 + 0.35 * h(project_id, 0, 7)) * CASE WHEN dayofweek(d) IN (0, 6) THEN 0.3 ELSE 1.0 END
       )
       SELECT row_number() OVER (ORDER BY project_id, d, s) AS event_id, org_id, workspace_id, project_id,
              workspace_id * 100 + 1 + CAST((project_id % 1000) * 3 + floor(8 * h(project_id, dn, s + 200)) AS BIGINT) % 40 AS user_id,
              CAST(d AS TIMESTAMP) + to_seconds(CAST(floor(86400 * h(project_id, dn, s + 300)) AS BIGINT)) AS occurred_at,
              CASE WHEN r < 0.25 THEN 'task_created' WHEN r < 0.45 THEN 'task_completed' WHEN r < 0.70 THEN 'comment'
                   WHEN r < 0.90 THEN 'time_logged' WHEN r < 0.95 THEN 'file_uploaded' ELSE 'review' END AS kind,
              CAST(CASE WHEN r >= 0.70 AND r < 0.90 THEN 900000 + floor(13500000 * h(project_id, dn, s + 400)) ELSE 0 END AS BIGINT) AS duration_ms
       FROM kept
       ORDER BY org_id, workspace_id, project_id, occurred_at`,
    // Billing: weekdays only, for projects at work that day; mostly the project's own team, sometimes another.
    `CREATE TABLE bill_ledger AS
       WITH rows AS (
         SELECT p.org_id, p.workspace_id, p.project_id, d.d AS billed_on, CAST(d.d - DATE '2000-01-01' AS BIGINT) AS dn,
                CASE WHEN h(p.project_id, CAST(d.d - DATE '2000-01-01' AS BIGINT), 501) < 0.2
                     THEN p.workspace_id * 10 + 1 + CAST(floor(6 * h(p.project_id, CAST(d.d - DATE '2000-01-01' AS BIGINT), 502)) AS INTEGER)
                     ELSE p.team_id END AS team_id
         FROM prj_master p, days d
         WHERE dayofweek(d.d) NOT IN (0, 6)
           AND (p.status = 'active' OR (p.status = 'paused' AND d.d < DATE '2026-02-01') OR (p.status = 'archived' AND d.d < DATE '2026-01-01'))
           AND h(p.project_id, CAST(d.d - DATE '2000-01-01' AS BIGINT), 500) < 0.7
       )
       SELECT r.org_id, r.workspace_id, r.project_id, r.team_id, r.billed_on,
              CAST(round(0.5 + 7.5 * h(r.project_id, r.dn, 503), 2) AS DECIMAL(10, 2)) AS billable_hours,
              CAST(round(round(0.5 + 7.5 * h(r.project_id, r.dn, 503), 2) * t.bill_rate, 2) AS DECIMAL(12, 2)) AS invoiced_usd
       FROM rows r JOIN tm_roster t USING (team_id)
       ORDER BY r.org_id, r.workspace_id, r.project_id, r.billed_on`,
    `CREATE TABLE acl_members AS
       WITH pinned AS (
         SELECT * FROM (VALUES
           (9001, 101, 2001, 'workspace_admin', TRUE), (9002, 101, 2001, 'project_lead', TRUE),
           (9003, 101, 2001, 'finance_analyst', TRUE), (9004, 101, 2001, 'portfolio_viewer', TRUE),
           (9007, 101, 2001, 'project_lead', TRUE), (9008, 101, 2001, 'project_lead', FALSE),
           (9501, 202, 3001, 'workspace_admin', TRUE), (9502, 202, 3001, 'project_lead', TRUE)
         ) t(member_id, org_id, workspace_id, member_role, is_active)
       ), generic AS ( -- one workspace admin per other workspace, and a lead for every four projects of each
         SELECT w.workspace_id * 100 + 1 AS member_id, w.org_id, w.workspace_id, 'workspace_admin' AS member_role, TRUE AS is_active
         FROM ws_directory w WHERE w.workspace_id NOT IN (2001, 3001)
         UNION ALL
         SELECT w.workspace_id * 100 + 1 + k.k, w.org_id, w.workspace_id, 'project_lead', TRUE
         FROM ws_directory w, LATERAL range(1, CAST(ceil(w.project_count / 4.0) AS BIGINT) + 1) k(k)
       )
       SELECT member_id, org_id, workspace_id, member_role, 'Member ' || member_id AS display_name, is_active
       FROM (SELECT * FROM pinned UNION ALL SELECT * FROM generic)
       ORDER BY member_id`,
    `CREATE TABLE acl_project_access AS
       SELECT m.member_id, p.project_id FROM acl_members m JOIN prj_master p USING (workspace_id)
       WHERE m.member_role IN ('workspace_admin', 'finance_analyst', 'portfolio_viewer')
       UNION ALL
       SELECT ${lead.adminId}, project_id FROM prj_master WHERE project_id IN (${lead.projects.join(', ')})
       UNION ALL -- a stray grant to another workspace's project: the directory must never count it
       SELECT ${lead.adminId}, ${lead.strayGrant}
       UNION ALL
       SELECT 9008, project_id FROM prj_master WHERE project_id IN (2001001, 2001002)
       UNION ALL
       SELECT ${otherLead.adminId}, project_id FROM prj_master WHERE project_id IN (${otherLead.projects.join(', ')})
       UNION ALL -- generic leads: four consecutive projects each
       SELECT m.member_id, p.project_id FROM acl_members m JOIN prj_master p USING (workspace_id)
       WHERE m.member_role = 'project_lead' AND m.member_id NOT IN (9002, 9007, 9008, 9502)
         AND (p.project_id % 1000 - 1) // 4 = m.member_id - m.workspace_id * 100 - 2
       ORDER BY 1, 2`,
  ];
}

// Run as a script: generate into the path given (default var/projects.duckdb).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = resolve(process.argv[2] ?? 'var/projects.duckdb');
  const { ms } = await generateProjectsWarehouse({
    path,
    progress: (l) => process.stderr.write(`projects example: ${l}\n`),
  });
  process.stderr.write(`projects example: wrote ${path} in ${(ms / 1000).toFixed(1)} s\n`);
}

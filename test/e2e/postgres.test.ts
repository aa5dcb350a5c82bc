/**
 * The PostgreSQL warehouse with row-level security as a second wall: the
 * scenario answers as on DuckDB, and with the guard bypassed on purpose the
 * database alone still returns only the admin's rows, leaks nothing through
 * errors, cannot have its scope widened, keeps pooled connections clean and
 * hides statistics. Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database
 * `test`); outside CI the suite skips with a message when it is not there.
 *
 * The security corpora run here too, on the one loaded warehouse (loadPostgres drops and recreates
 * the `warehouse` schema, so a second test file loading it at the same time would pull it from under
 * this one): the MCP run_query attack corpus (test/security/agent-corpus.ts) for the franchise owner
 * and the filtered and masked personas, and the differential property for 7101, 7102 and 7103 (fewer
 * cases than on DuckDB: test/security/differential.ts), both against the PostgreSQL form of the
 * physical sandbox; and keyed-hash masks, keyed per tenant and business.
 *
 * The Tracklane example (examples/projects/) runs the same two corpora, after the restaurant's, in a
 * database of its own (`splitplane_projects`, created here: loadPostgres always fills schema
 * `warehouse`), with row-level security written from its catalog, against the PostgreSQL form of its
 * physical sandbox (test/support/domains.ts). In CI (CI=true) these tests must run; elsewhere they skip
 * with a message when nothing listens on 127.0.0.1:5432.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import pg from 'pg';
import { verifyPostgresAudit } from '../../src/audit/postgres-sink.js';
import { loadPostgres } from '../../src/demo/load-postgres.js';
import { guardCandidate } from '../../src/guard/guard.js';
import { loadOpaWasmPolicy } from '../../src/policy/opa-wasm.js';
import { buildSandbox } from '../../src/sandbox/sandbox.js';
import type { EngineConnector } from '../../src/engines/engine.js';
import { openPostgres } from '../../src/engines/postgres/connector.js';
import {
  ask,
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  OTHER_TENANT_ADMIN,
  startTestService,
  portOpen,
  type TestService,
} from '../support/harness.js';
import { sandboxProbe } from '../../src/sandbox/statement.js';
import { agentCorpusSuite, agentPersonas } from '../security/agent-corpus.js';
import { CASES_PER_PERSONA, checkPersona, DEEP, domainCandidates, seedFor } from '../security/differential.js';
import { domainData, PROJECTS, RESTAURANT } from '../support/domains.js';
import {
  buildPhysicalSandbox,
  buildPostgresPhysicalSandbox,
  normalise,
  PERSONAS,
} from '../security/physical-sandbox.js';
import { DEMO_REGISTRY } from '../support/demo-catalog.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
const up = await portOpen('127.0.0.1', 5432);
if (!up && process.env['CI'] !== 'true') {
  console.warn(
    'SKIPPED PostgreSQL tests: nothing listens on 127.0.0.1:5432. Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  );
}

const SCOPE_7042 = { tenantId: '12', businessId: '628', units: ['628017', '628123'] };
/**
 * Generated candidates per filtered or masked persona on PostgreSQL: fewer than on DuckDB (each one
 * materialises the persona's sandbox under row-level security), the same fixed seeds; deep mode and
 * SPLITPLANE_PROPERTY_RUNS as on DuckDB.
 */
const PG_CASES_PER_PERSONA = DEEP ? CASES_PER_PERSONA : Math.min(CASES_PER_PERSONA, 100);

describe.skipIf(!up && process.env['CI'] !== 'true')('PostgreSQL with row-level security', () => {
  let urls: { readerUrl: string; directoryUrl: string };
  let svc: TestService;
  let raw: EngineConnector;

  beforeAll(async () => {
    urls = await loadPostgres(inject('demoDb'), ADMIN_URL, DEMO_REGISTRY);
    svc = await startTestService(
      {},
      {
        warehouse: {
          engine: 'postgres',
          postgres: { url: urls.readerUrl, directoryUrl: urls.directoryUrl, poolSize: 2 },
        },
      },
    );
    raw = await openPostgres({ url: urls.readerUrl, directoryUrl: urls.directoryUrl, poolSize: 1 });
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await raw?.close();
  });

  describe('the scenario answers as on DuckDB', () => {
    it('$84,000.00 for the franchise owner and $9,200,000.00 for the brand manager', async () => {
      const a = await ask(svc.app, FRANCHISE_OWNER, 'What was the total sales amount last week?');
      const b = await ask(svc.app, BRAND_MANAGER, 'What was the total sales amount last week?');
      expect(a.body['answer']).toBe(
        'Your total sales amount for last week (2026-11-09 to 2026-11-15) across your 2 locations was $84,000.00.',
      );
      expect(b.body['answer']).toBe(
        'Your total sales amount for last week (2026-11-09 to 2026-11-15) across your 200 locations was $9,200,000.00.',
      );
      expect(a.body['sql']).toBe(
        `SELECT SUM("m"."net_sales_amount") AS "net_sales_amount" FROM "daily_sales" AS "m" WHERE "m"."business_date" BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`,
      );
    });

    it('clarification, unsupported and business 544 behave the same', async () => {
      expect((await ask(svc.app, FRANCHISE_OWNER, 'What were total sales last week?')).body['status']).toBe(
        'clarification',
      );
      expect(
        (await ask(svc.app, FRANCHISE_OWNER, 'Show me everything you have on all the businesses')).body['status'],
      ).toBe('unsupported');
      const denied = await ask(svc.app, FRANCHISE_OWNER, 'total sales amount last quarter for business 544');
      expect(denied.body['code']).toBe('SP_ERR_OUT_OF_SCOPE_REFERENCE');
    });

    it.each([
      ['regional director 7101', '7101'],
      ['operations analyst 7102', '7102'],
      ['contractor 7103', '7103'],
    ])(
      'applies the row filters and masks of %s as on DuckDB, with every value bound (gold: the physical sandbox)',
      async (_name, adminId) => {
        const persona = PERSONAS.find((p) => p.adminId === adminId)!;
        const physical = await buildPhysicalSandbox(inject('demoDb'), persona);
        const { policy, connector } = svc.services.deps;
        try {
          const scope = await policy.decide({
            tenantId: '12',
            businessId: '628',
            adminId,
            role: '',
            accessKeyId: '',
            sessionKey: '',
          });
          const sandbox = buildSandbox(scope, connector.dialect, DEMO_REGISTRY);
          expect(sandbox.cteSql).not.toMatch(/'IL'|'WI'|2026-08-20/);
          const queries = [
            `SELECT CAST(SUM(net_sales_amount) AS VARCHAR) AS s, COUNT(DISTINCT location_id) AS n FROM daily_sales WHERE business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`,
            'SELECT CAST(MIN(business_date) AS VARCHAR) AS first_day, COUNT(*) AS n FROM daily_sales',
            'SELECT state, COUNT(*) AS n FROM locations GROUP BY state ORDER BY state',
            ...(adminId === '7102'
              ? [
                  'SELECT DISTINCT manager_email FROM locations',
                  'SELECT SUM(unit_cost) AS c, COUNT(DISTINCT unit_cost) AS d FROM menu_items',
                ]
              : []),
          ];
          for (const sql of queries) {
            const guarded = await guardCandidate(sql, { sandbox, engine: connector.check });
            const got = await connector.execute(guarded.sql, {
              timeoutMs: 10_000,
              rowCap: 1_000,
              scope,
              bindings: sandbox.bindings,
            });
            const gold = await physical.run(sql, 1_000);
            expect(
              normalise(
                got.columns.map((c) => c.name),
                got.rows,
                1_000,
              ),
              sql,
            ).toEqual(gold);
          }
        } finally {
          await physical.close();
        }
      },
    );

    it('breakdowns by city and top stores come back with PostgreSQL types as strings', async () => {
      const res = await ask(svc.app, BRAND_MANAGER, 'sales amount in Chicago last week by city');
      expect(res.body['rows']).toEqual([['Chicago', '84000.00']]);
    });
  });

  describe('the guard bypassed on purpose: the database alone', () => {
    const run = (sql: string, scope?: typeof SCOPE_7042) =>
      raw.execute(sql, { timeoutMs: 5_000, rowCap: 10_000, ...(scope ? { scope } : {}) });

    it("returns only 7042's rows from SELECT * on a raw table", async () => {
      const r = await run('SELECT DISTINCT location_id FROM warehouse.fact_daily_sales ORDER BY 1', SCOPE_7042);
      expect(r.rows).toEqual([['628017'], ['628123']]);
    });

    it("enforces the grant, not the policy's finer filters: those are the sandbox's alone (README: the second wall)", async () => {
      // 7101 is granted all 200 stores and narrowed to IL and WI by a location filter in the sandbox.
      const all = await raw.execute('SELECT COUNT(*) FROM warehouse.dim_locations', {
        timeoutMs: 5_000,
        rowCap: 10,
        scope: { tenantId: '12', businessId: '628', units: svc.services.deps.directory().admins.get('7101')!.units },
      });
      expect(all.rows).toEqual([['200']]);
    });

    it('returns no rows at all when the scope settings are missing (never all rows)', async () => {
      expect((await run('SELECT COUNT(*) FROM warehouse.fact_daily_sales')).rows).toEqual([['0']]);
      expect((await run('SELECT COUNT(*) FROM warehouse.dim_menu_items')).rows).toEqual([['0']]);
    });

    it('refuses tables the query role was never granted (customers, admins, grants)', async () => {
      for (const t of ['customers', 'dim_admins', 'admin_location_grants']) {
        await expect(run(`SELECT * FROM warehouse.${t}`, SCOPE_7042)).rejects.toMatchObject({
          code: 'SP_ERR_EXECUTION_FAILED',
        });
      }
    });

    it("does not evaluate a failing cast on another tenant's row (no value in an error, no existence oracle)", async () => {
      const cast = await run(
        'SELECT COUNT(*) FROM warehouse.dim_locations WHERE CASE WHEN location_id = 544001 THEN CAST(name AS INTEGER) ELSE 0 END = 0',
        SCOPE_7042,
      );
      expect(cast.rows).toEqual([['2']]);
      const division = await run(
        'SELECT COUNT(*) FROM warehouse.fact_daily_sales WHERE 1 / (CASE WHEN location_id = 544001 THEN 0 ELSE 1 END) = 1',
        SCOPE_7042,
      );
      expect(division.rows).toEqual([['766']]);
      // The same probe on an in-scope row does fail: the engine evaluates it, and only there.
      await expect(
        run('SELECT COUNT(*) FROM warehouse.dim_locations WHERE CAST(name AS INTEGER) = 0', SCOPE_7042),
      ).rejects.toMatchObject({ code: 'SP_ERR_EXECUTION_FAILED' });
    });

    it('cannot widen its own scope with set_config()', async () => {
      await expect(run("SELECT set_config('splitplane.units', '544001', true)", SCOPE_7042)).rejects.toMatchObject({
        code: 'SP_ERR_EXECUTION_FAILED',
      });
    });

    it('leaves nothing on a pooled connection for the next request', async () => {
      // One connection in this pool: the second query runs on the same session as the first.
      await run('SELECT COUNT(*) FROM warehouse.fact_daily_sales', SCOPE_7042);
      expect((await run("SELECT COALESCE(current_setting('splitplane.tenant_id', true), '') AS t")).rows).toEqual([
        [''],
      ]);
    });

    it("cannot read table statistics (they hold other tenants' values)", async () => {
      await expect(
        run("SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'dim_locations'", SCOPE_7042),
      ).rejects.toMatchObject({ code: 'SP_ERR_EXECUTION_FAILED' });
    });

    it("resolves functions in pg_catalog only: an overload on the reader's search_path does not run", async () => {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      try {
        // "$user" is first on the default search_path: a schema named after the reader role.
        await admin.query('CREATE SCHEMA IF NOT EXISTS splitplane_reader');
        await admin.query('GRANT USAGE ON SCHEMA splitplane_reader TO splitplane_reader');
        await admin.query(
          "CREATE OR REPLACE FUNCTION splitplane_reader.upper(character varying) RETURNS text LANGUAGE sql AS $$ SELECT 'shadowed'::text $$",
        );
        expect((await run("SELECT upper(CAST('a' AS varchar)) AS u", SCOPE_7042)).rows).toEqual([['A']]);
      } finally {
        await admin.query('DROP SCHEMA IF EXISTS splitplane_reader CASCADE');
        await admin.end();
      }
    });

    it('stops a runaway query with statement_timeout', async () => {
      await expect(
        raw.execute(
          'SELECT COUNT(*) FROM warehouse.fact_daily_sales a, warehouse.fact_daily_sales b, warehouse.fact_daily_sales c',
          { timeoutMs: 300, rowCap: 1, scope: { ...SCOPE_7042, units: [...SCOPE_7042.units] } },
        ),
      ).rejects.toMatchObject({ code: 'SP_ERR_EXECUTION_TIMEOUT' });
    });
  });

  describe('the audit trail in PostgreSQL', () => {
    const AUDITOR = 'postgres://splitplane_auditor@127.0.0.1:5432/test';
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        return await c.query(sql);
      } finally {
        await c.end();
      }
    };

    it('two replicas extend one chain; verify passes; the writer role cannot change it', async () => {
      await admin('TRUNCATE splitplane_audit');
      const a = await startTestService({}, { audit: { sink: 'postgres', postgresUrl: AUDITOR } });
      const b = await startTestService({}, { audit: { sink: 'postgres', postgresUrl: AUDITOR } });
      try {
        await Promise.all(
          [1, 2, 3].flatMap(() => [
            ask(a.app, FRANCHISE_OWNER, 'What was the total sales amount last week?'),
            ask(b.app, BRAND_MANAGER, 'What was the total sales amount last week?'),
          ]),
        );
      } finally {
        await a.close();
        await b.close();
      }
      expect(await verifyPostgresAudit(AUDITOR)).toMatchObject({ ok: true, events: 6 });
      const writer = new pg.Client({ connectionString: AUDITOR });
      await writer.connect();
      try {
        await expect(writer.query('UPDATE splitplane_audit SET line = line')).rejects.toThrow(/permission denied/);
        await expect(writer.query('DELETE FROM splitplane_audit')).rejects.toThrow(/permission denied/);
      } finally {
        await writer.end();
      }
    });

    it('names an edited row and a deleted row', async () => {
      await admin(
        `UPDATE splitplane_audit SET line = replace(line, '"statusCode":200', '"statusCode":201') WHERE seq = 3`,
      );
      expect(await verifyPostgresAudit(AUDITOR)).toMatchObject({
        ok: false,
        seq: 3,
        problem: expect.stringContaining('edited'),
      });
      await admin('DELETE FROM splitplane_audit WHERE seq = 3');
      expect(await verifyPostgresAudit(AUDITOR)).toMatchObject({
        ok: false,
        seq: 4,
        problem: expect.stringContaining('missing'),
      });
    });
  });

  describe('the guard on PostgreSQL: its own parser has the last word', () => {
    it('accepts sandbox SQL and rejects what PostgreSQL reads as outside the sandbox', async () => {
      const scope = await svc.services.policy.decide({
        ...FRANCHISE_OWNER,
        role: '',
        accessKeyId: 'k',
        sessionKey: '',
      });
      const sandbox = buildSandbox(scope, raw.dialect, DEMO_REGISTRY);
      const ok = await guardCandidate('SELECT SUM(net_sales_amount) AS s FROM daily_sales', {
        sandbox,
        engine: raw.check,
      });
      expect(ok.sql).toContain('"warehouse"."fact_daily_sales"');
      expect(
        (await raw.execute(ok.sql, { timeoutMs: 5_000, rowCap: 10, scope: SCOPE_7042, bindings: sandbox.bindings }))
          .rows,
      ).toHaveLength(1);
      const spec = { cteSql: sandbox.cteSql, names: [...sandbox.names] };
      const expected = raw.check.readSandbox(await raw.engineParse(sandboxProbe(sandbox.cteSql)), spec);
      for (const tail of [
        'SELECT * FROM customers',
        'SELECT * FROM warehouse.daily_sales',
        'SELECT * FROM generate_series(1, 10)',
        "SELECT set_config('a', 'b', true)",
        'SELECT (SELECT COUNT(*) FROM dim_admins) FROM daily_sales',
      ]) {
        const tree = await raw.engineParse(`WITH ${sandbox.cteSql}\n${tail}`);
        expect(() => raw.check.check(tree, { sql: '', candidateCtes: [], body: tail }, expected), tail).toThrow(
          expect.objectContaining({ code: 'SP_ERR_GUARD_ENGINE_MISMATCH' }),
        );
      }
    });
  });
  describe('keyed-hash masks on PostgreSQL: one key per tenant and business', () => {
    it("hashes a Brownie's category (Desserts in both tenants) differently for another tenant, alike within one business, as SHA-256 of the scope's key and the value", async () => {
      const SECRET = 'pg-mask-secret-5b2e7c-that-must-never-be-seen';
      const { connector } = svc.services;
      const policy = await loadOpaWasmPolicy(svc.config.policy.wasmPath, svc.services.deps.directory(), DEMO_REGISTRY, {
        today: () => '2026-11-18',
        maskKey: SECRET,
      });
      // No demo role has a keyed hash: every decision that exposes menu_items.category gets one, before the adapter checks it.
      const rawDecision = policy.rawDecision.bind(policy);
      policy.rawDecision = (identity) => {
        const d = rawDecision(identity) as { tables?: Record<string, string[]>; masks?: Record<string, unknown> };
        return d.tables?.['menu_items']?.includes('category')
          ? { ...d, masks: { ...d.masks, menu_items: { category: { kind: 'hash' } } } }
          : d;
      };
      const hashOf = async (who: {
        tenantId: string;
        businessId: string;
        adminId: string;
      }): Promise<{ hash: unknown; key: string }> => {
        const scope = await policy.decide({ ...who, role: '', accessKeyId: '', sessionKey: '' });
        const mask = scope.masks?.['menu_items']?.['category'];
        const key = mask?.kind === 'hash' ? mask.key : '';
        const sandbox = buildSandbox(scope, connector.dialect, DEMO_REGISTRY);
        expect(sandbox.cteSql).not.toContain(key);
        expect(sandbox.cteSql).not.toContain(SECRET);
        const guarded = await guardCandidate("SELECT category FROM menu_items WHERE name = 'Brownie'", {
          sandbox,
          engine: connector.check,
        });
        const r = await connector.execute(guarded.sql, {
          timeoutMs: 10_000,
          rowCap: 10,
          scope,
          bindings: sandbox.bindings,
        });
        expect(r.rows).toHaveLength(1);
        return { hash: r.rows[0]![0], key };
      };
      const owner = await hashOf(FRANCHISE_OWNER); // 12/628
      const manager = await hashOf(BRAND_MANAGER); // 12/628
      const other = await hashOf(OTHER_TENANT_ADMIN); // 31/544
      const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
      expect(owner.hash).toBe(sha256(`${owner.key}Desserts`));
      expect(other.hash).toBe(sha256(`${other.key}Desserts`));
      expect(manager.hash).toBe(owner.hash);
      expect(other.hash).not.toBe(owner.hash);
      expect([owner.key, other.key]).not.toContain(SECRET);
    });
  });

  describe('a compromised agent on PostgreSQL: the attack corpus through run_query', () => {
    agentCorpusSuite({
      warehouse: () => ({
        engine: 'postgres',
        postgres: { url: urls.readerUrl, directoryUrl: urls.directoryUrl, poolSize: 2 },
      }),
      physical: (persona) => buildPostgresPhysicalSandbox(ADMIN_URL, persona),
      differs: {
        'quoted-sandbox-case': {
          expect: { reject: 'SP_ERR_GUARD_ENGINE_MISMATCH' },
          why: 'PostgreSQL folds only unquoted names: "DAILY_SALES" names no sandbox table, and the guard\'s check with its parser refuses it (DuckDB reads it as daily_sales)',
        },
      },
      mayTimeOut: {
        'correlated-scalar':
          "PostgreSQL runs the correlated subquery once per store over the materialised sandbox (200 stores x 76,600 rows for 7102): seconds on a loaded machine, past the corpus's 1 s limit",
        'correlated-in':
          'the same: the correlated IN is checked once per row of daily_sales (76,600 for 7102) over the materialised locations',
      },
    });
  });

  describe('the differential property on PostgreSQL: no SQL returns more than the physical sandbox holds', () => {
    for (const [i, persona] of PERSONAS.entries()) {
      if (!['regional_director', 'operations_analyst', 'contractor'].includes(persona.role)) continue;
      it(`${persona.name}: ${PG_CASES_PER_PERSONA} generated candidates`, { timeout: 3_600_000 }, async () => {
        const physical = await buildPostgresPhysicalSandbox(ADMIN_URL, persona);
        try {
          const started = performance.now();
          const { policy, connector } = svc.services.deps;
          const tally = await checkPersona(
            persona,
            { policy, connector, physical, registry: DEMO_REGISTRY, candidates: await domainCandidates(RESTAURANT) },
            seedFor(i),
            PG_CASES_PER_PERSONA,
          );
          console.log(
            `PostgreSQL, ${persona.name}: ${JSON.stringify(tally)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
          );
          expect(tally.rejected + tally.equalRows + tally.bothErrored + tally.timedOut).toBe(PG_CASES_PER_PERSONA);
          // Not vacuous, with the DuckDB suite's bounds (differential.ts).
          expect(tally.equalRows).toBeGreaterThan(
            PG_CASES_PER_PERSONA * (persona.role === 'regional_director' ? 0.4 : 0.3),
          );
          expect(tally.rejected).toBeGreaterThan(0);
        } finally {
          await physical.close();
        }
      });
    }
  });
});

const PROJECTS_URL = 'postgres://postgres@127.0.0.1:5432/splitplane_projects';
const PROJECTS_DATA = up ? await domainData(PROJECTS) : undefined;

describe.skipIf(!up && process.env['CI'] !== 'true')(
  'PostgreSQL with row-level security: the Tracklane example (a database of its own)',
  () => {
    let urls: { readerUrl: string; directoryUrl: string };
    let svc: TestService;

    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      try {
        const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'splitplane_projects'");
        if (exists.rowCount === 0) await admin.query('CREATE DATABASE splitplane_projects');
      } finally {
        await admin.end();
      }
      urls = await loadPostgres(PROJECTS.warehouse(), PROJECTS_URL, PROJECTS.registry);
      svc = await startTestService(
        {},
        {
          ...PROJECTS.serviceConfig(),
          warehouse: {
            engine: 'postgres',
            postgres: { url: urls.readerUrl, directoryUrl: urls.directoryUrl, poolSize: 2 },
          },
        },
      );
    }, 120_000);
    afterAll(async () => {
      await svc?.close();
    });

    describe('a compromised agent on PostgreSQL: the attack corpus through run_query', () => {
      agentCorpusSuite(
        {
          warehouse: () => ({
            engine: 'postgres',
            postgres: { url: urls.readerUrl, directoryUrl: urls.directoryUrl, poolSize: 2 },
          }),
          physical: (persona) => buildPostgresPhysicalSandbox(PROJECTS_URL, persona, PROJECTS),
          differs: {
            'quoted-sandbox-case': {
              expect: { reject: 'SP_ERR_GUARD_ENGINE_MISMATCH' },
              why: 'PostgreSQL folds only unquoted names: "EVENTS" (or "BILLING") names no sandbox table, and the guard\'s check with its parser refuses it (DuckDB reads it as the table)',
            },
          },
          // The portfolio viewer's keyed hash of every event's user (237,000 rows) makes its sandbox seconds to
          // build on PostgreSQL on a loaded machine (the full suite): 6 in-scope cases hit a 1 s limit there.
          queryTimeoutMs: 10_000,
          mayTimeOut: {
            'correlated-scalar':
              "PostgreSQL runs the correlated subquery once per project over the materialised sandbox: seconds on a loaded machine for the workspace-wide personas, past the corpus's 1 s limit",
            'correlated-in':
              'the same: the correlated IN is checked once per row of the fact table over the materialised projects',
          },
        },
        PROJECTS,
        PROJECTS_DATA,
      );
    });

    describe('the differential property on PostgreSQL: no SQL returns more than the physical sandbox holds', () => {
      for (const [i, persona] of PROJECTS.personas.entries()) {
        if (!agentPersonas(PROJECTS).includes(persona)) continue;
        it(`${persona.name}: ${PG_CASES_PER_PERSONA} generated candidates`, { timeout: 3_600_000 }, async () => {
          const physical = await buildPostgresPhysicalSandbox(PROJECTS_URL, persona, PROJECTS);
          try {
            const started = performance.now();
            const { policy, connector } = svc.services.deps;
            const tally = await checkPersona(
              persona,
              {
                policy,
                connector,
                physical,
                registry: PROJECTS.registry,
                candidates: await domainCandidates(PROJECTS),
              },
              seedFor(i, PROJECTS),
              PG_CASES_PER_PERSONA,
            );
            console.log(
              `PostgreSQL, projects, ${persona.name}: ${JSON.stringify(tally)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
            );
            expect(tally.rejected + tally.equalRows + tally.bothErrored + tally.timedOut).toBe(PG_CASES_PER_PERSONA);
            expect(tally.equalRows).toBeGreaterThan(PG_CASES_PER_PERSONA * PROJECTS.minCompared(persona));
            expect(tally.rejected).toBeGreaterThan(0);
          } finally {
            await physical.close();
          }
        });
      }
    });
  },
);

/**
 * `splitplane policy explain` and `splitplane policy test`: what a policy author runs before
 * deploying. Both use the service's own stages (the compiled policy, the directory, the sandbox
 * builder, the guard's check of the sandbox on the engine), so what they print is what would run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { openEngine, type EngineConnector } from '../engine-registry.js';
import { asSplitplaneError } from '../errors.js';
import { guardCandidate } from '../guard/guard.js';
import type { Identity } from '../identity/identity.js';
import { loadOpaWasmPolicy, type ReloadablePolicyEngine } from '../policy/opa-wasm.js';
import type { RowFilter, Scope } from '../policy/scope.js';
import { buildSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { policyOptions } from '../server/services.js';
import { loadDirectory } from '../warehouse/directory-query.js';
import { loadCatalog, metricById, unitDimension, type Catalog } from '../semantic/catalog.js';
import { benchmarkVocabulary } from '../benchmark/vocabulary.js';
import { BUSINESS_GROUPING } from '../policy/scope.js';
import type { TableRegistry } from '../schema/tables.js';
import { ensureDemoWarehouse } from '../demo/generate.js';
import { PROJECT_ROOT } from './common.js';
import { loadConfig } from './load-config.js';

type Out = (line: string) => void;

async function open(config: Config): Promise<{
  connector: EngineConnector;
  policy: ReloadablePolicyEngine;
  registry: TableRegistry;
  catalog: Catalog;
  close: () => Promise<void>;
}> {
  const catalog = loadCatalog(config.catalog.path);
  const registry = catalog.schema;
  const connector = await openEngine(config.warehouse, registry);
  try {
    const directory = await loadDirectory(connector, registry);
    const policy = await loadOpaWasmPolicy(config.policy.wasmPath, directory, registry, {
      ...policyOptions(config),
      cacheDecisions: false,
      // As the service opens it: benchmark grants checked against the catalog's vocabulary.
      benchmarks: benchmarkVocabulary(catalog),
    });
    return { connector, policy, registry, catalog, close: () => connector.close() };
  } catch (err) {
    await connector.close();
    throw err;
  }
}

const asIdentity = (ids: { tenantId: string; businessId: string; adminId: string }): Identity => ({
  ...ids,
  role: '',
  accessKeyId: '',
  sessionKey: `${ids.tenantId}/${ids.businessId}/${ids.adminId}`,
});

function describeFilter(f: RowFilter): string {
  const v = f.values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x)));
  const op = { eq: '=', ne: '<>', gte: '>=', lte: '<=', in: 'in', not_in: 'not in', between: 'between' }[f.op];
  return f.op === 'between'
    ? `${f.column} between ${v[0]} and ${v[1]}`
    : f.op === 'in' || f.op === 'not_in'
      ? `${f.column} ${op} (${v.join(', ')})`
      : `${f.column} ${op} ${v[0]}`;
}

/** The sandbox's parameters as the engine binds them; the mask key is never printed. */
function describeParams(scope: Scope, sandbox: Sandbox, connector: EngineConnector): string[] {
  const keys = new Set(
    Object.values(scope.masks ?? {}).flatMap((m) =>
      Object.values(m).flatMap((x) => (x.kind === 'hash' ? [x.key] : [])),
    ),
  );
  return sandbox.bindings.map((p, i) => {
    if (typeof p === 'string') {
      const placeholder = connector.dialect.scopeParam(p, i + 1);
      const value =
        p === 'sp_tenant'
          ? scope.tenantId
          : p === 'sp_business'
            ? scope.businessId
            : `[${scope.units.length} IDs${scope.units.length ? `: ${scope.units.slice(0, 5).join(', ')}${scope.units.length > 5 ? ', ...' : ''}` : ''}]`;
      return `  ${placeholder} = ${value}`;
    }
    const placeholder = connector.dialect.refine?.valueParam(p.name, i + 1, p.type) ?? p.name;
    const shown =
      typeof p.value === 'string' && keys.has(p.value) ? '<the mask key, not shown>' : JSON.stringify(p.value);
    return `  ${placeholder} = ${shown} (${p.type})`;
  });
}

/** Print the decision, the scope and the sandbox CTEs of one admin. Exit 0 allowed, 1 denied or invalid. */
export async function policyExplain(
  config: Config,
  ids: { tenantId: string; businessId: string; adminId: string },
  json: boolean,
  out: Out,
): Promise<number> {
  const { connector, policy, registry, catalog, close } = await open(config);
  const unit = registry.grantUnit;
  try {
    const identity = asIdentity(ids);
    const raw = policy.rawDecision(identity);
    let scope: Scope;
    let sandbox: Sandbox;
    let inSandbox: number;
    try {
      scope = await policy.decide(identity);
      sandbox = buildSandbox(scope, connector.dialect, registry);
      // The sandbox as the engine reads it (the guard's own check), and how many grant units it holds.
      const table = sandbox.tables.find((t) => t.columns.some((c) => c.name === unit.key))?.name;
      const counted = table
        ? await guardCandidate(
            `SELECT COUNT(DISTINCT ${unit.key}) AS n FROM ${table === unit.table || !sandbox.names.has(unit.table) ? table : unit.table}`,
            { sandbox, engine: connector.check },
          )
        : undefined;
      inSandbox = counted
        ? Number(
            (await connector.execute(counted.sql, { timeoutMs: 30_000, rowCap: 1, scope, bindings: sandbox.bindings }))
              .rows[0]?.[0] ?? 0,
          )
        : 0;
    } catch (err) {
      const e = asSplitplaneError(err);
      if (json) out(JSON.stringify({ decision: raw, refused: { code: e.code, detail: e.message } }, null, 2));
      else {
        out(`decision (as the policy returned it):\n${JSON.stringify(raw, null, 2)}`);
        out(`\nrefused: ${e.code}: ${e.message}`);
      }
      return 1;
    }
    if (json) {
      out(
        JSON.stringify(
          {
            decision: raw,
            scope: { ...withoutUnits(scope), [unit.plural]: scope.units.length, masks: redactKeys(scope) },
            [`${unit.plural}InSandbox`]: inSandbox,
            sandbox: {
              cteSql: sandbox.cteSql,
              parameters: describeParams(scope, sandbox, connector).map((l) => l.trim()),
            },
          },
          null,
          2,
        ),
      );
      return 0;
    }
    out(`decision (as the policy returned it):\n${JSON.stringify(raw, null, 2)}`);
    out(
      `\nscope of tenant ${scope.tenantId}, business ${scope.businessId}, admin ${scope.adminId} (role ${scope.role}):`,
    );
    out(
      `  ${unit.plural}: ${scope.units.length} granted${scope.unitFilters?.length ? `; kept by ${scope.unitFilters.map(describeFilter).join(' and ')}` : ''}; ${inSandbox} in the sandbox`,
    );
    for (const t of sandbox.tables) {
      out(
        `  ${t.name}: ${t.columns.map((c) => (scope.masks?.[t.name]?.[c.name] ? `${c.name} [masked: ${scope.masks[t.name]![c.name]!.kind}]` : c.name)).join(', ')}`,
      );
      for (const f of scope.filters?.[t.name] ?? []) out(`    rows where ${describeFilter(f)}`);
    }
    out(`\ncomparisons with peers (benchmarks):`);
    for (const line of describeBenchmarks(scope, catalog)) out(`  ${line}`);
    out(`\nsandbox CTEs, as they run on ${connector.dialect.displayName}:\nWITH ${sandbox.cteSql}`);
    out(`\nparameters:\n${describeParams(scope, sandbox, connector).join('\n')}`);
    return 0;
  } finally {
    await close();
  }
}

/** What the scope's benchmark grants let this person compare, one line per grant. */
function describeBenchmarks(scope: Scope, catalog: Catalog): string[] {
  const units = unitDimension(catalog)?.plural ?? catalog.schema.grantUnit.plural;
  if (!scope.benchmarks?.length) return ['none: every comparison with peers is refused (SP_ERR_BENCHMARK_NOT_GRANTED)'];
  return scope.benchmarks.map((g) => {
    const measures = g.measures.map((m) => metricById(catalog, m)?.label ?? m).join(', ');
    const groups = g.groups
      .map((x) =>
        x === BUSINESS_GROUPING
          ? 'across the whole business'
          : `within each ${catalog.dimensions.find((d) => d.id === x)?.label ?? x} of their own ${units}`,
      )
      .join('; ');
    return `${measures}: ${groups}; per ${unitDimension(catalog)?.label ?? 'unit'}, over one whole ended month, released only for a group of at least ${g.k} other ${units} with data (their count as a band), their own ${units} ${g.includeSelf ? 'counted in' : 'left out of'} the peer figures`;
  });
}

/** The scope without its list of granted IDs (the count is shown under the grant unit's plural). */
function withoutUnits(scope: Scope): Omit<Scope, 'units'> {
  const { units: _units, ...rest } = scope;
  return rest;
}

function redactKeys(scope: Scope): unknown {
  return Object.fromEntries(
    Object.entries(scope.masks ?? {}).map(([t, m]) => [
      t,
      Object.fromEntries(Object.entries(m).map(([c, x]) => [c, x.kind === 'hash' ? { kind: 'hash' } : x])),
    ]),
  );
}

/**
 * `opa test` on the policy's tests, then every registered admin's decision compiled: decided,
 * built into a sandbox, and the sandbox read by the engine as the guard reads it. Exit 0 when all
 * pass (a denial is a decision, and passes), 1 when a test fails or a decision does not compile,
 * 3 when the opa CLI is missing.
 */
export async function policyTest(config: Config, projectRoot: string, out: Out): Promise<number> {
  const script = join(projectRoot, 'scripts/policy.sh');
  if (existsSync(script)) {
    const r = spawnSync('bash', [script, 'test', config.policy.source], { encoding: 'utf8' });
    out((r.stdout + r.stderr).trim().split('\n').slice(-1)[0] ?? '');
    if (r.status === 3) {
      out('opa is not installed: see scripts/policy.sh for the pinned version');
      return 3;
    }
    if (r.status !== 0) return 1;
  }
  const { connector, policy, registry, close } = await open(config);
  try {
    const directory = await loadDirectory(connector, registry);
    let allowed = 0;
    let denied = 0;
    const broken: string[] = [];
    for (const admin of directory.admins.values()) {
      const identity = asIdentity(admin);
      try {
        const scope = await policy.decide(identity);
        const sandbox = buildSandbox(scope, connector.dialect, registry);
        await guardCandidate(`SELECT 1 AS compiled FROM ${sandbox.tables[0]!.name} LIMIT 1`, {
          sandbox,
          engine: connector.check,
        });
        allowed++;
      } catch (err) {
        const e = asSplitplaneError(err);
        if (e.code === 'SP_ERR_POLICY_DENIED') denied++;
        else
          broken.push(
            `  admin ${admin.adminId} (tenant ${admin.tenantId}, business ${admin.businessId}, role ${admin.role}): ${e.code}: ${e.message}`,
          );
      }
    }
    out(
      `decisions: ${directory.admins.size} registered admins, ${allowed} compiled, ${denied} denied, ${broken.length} did not compile`,
    );
    for (const b of broken) out(b);
    return broken.length ? 1 : 0;
  } finally {
    await close();
  }
}

const stdoutLine: Out = (l) => process.stdout.write(`${l}\n`);

/** `splitplane policy explain`: resolves with the exit code. */
export async function explainCommand(o: {
  tenant: string;
  business: string;
  admin: string;
  config?: string;
  json: boolean;
}): Promise<number> {
  const config = loadConfig(o.config);
  await ensureDemoWarehouse(config);
  return policyExplain(config, { tenantId: o.tenant, businessId: o.business, adminId: o.admin }, o.json, stdoutLine);
}

/** `splitplane policy test`: resolves with the exit code. */
export async function testCommand(o: { config?: string }): Promise<number> {
  const config = loadConfig(o.config);
  await ensureDemoWarehouse(config);
  return policyTest(config, PROJECT_ROOT, stdoutLine);
}

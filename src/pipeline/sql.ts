/** Layer 3: the scope and its sandbox; generate, guard, execute; and the pipeline's own guarded reads. */
import type { RequestTrace } from '../audit/trace.js';
import { asSplitplaneError, isGuardCode, SplitplaneError } from '../errors.js';
import type { GenerateInput, Generator } from '../generate/generator.js';
import { guardCandidate, type GuardedSql } from '../guard/guard.js';
import type { Identity } from '../identity/identity.js';
import type { Scope } from '../policy/scope.js';
import { buildSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { unitsDigest } from '../warehouse/bindings.js';
import type { QueryResult } from '../warehouse/connector.js';
import { checkScope } from './checks.js';
import type { PipelineDeps } from './deps.js';

/** What the SQL stages work with: the caller's sandbox and scope, the services, the trace, the request's deadline. */
/** What guarding and running SQL needs of the services. */
export type SqlDeps = Pick<PipelineDeps, 'connector' | 'limits'>;

export interface SqlContext {
  readonly sandbox: Sandbox;
  readonly scope: Scope;
  readonly deps: SqlDeps;
  readonly trace: RequestTrace;
  readonly signal: AbortSignal;
}

/** The policy's decision for the verified identity (about that identity, or denied) and the CTEs pre-filtered to it. */
export async function scopeAndSandbox(
  identity: Identity,
  deps: Pick<PipelineDeps, 'policy' | 'connector' | 'catalog'>,
  trace: RequestTrace,
  signal: AbortSignal,
): Promise<{ scope: Scope; sandbox: Sandbox }> {
  const scope = await trace.stage('policy', async () =>
    checkScope(await deps.policy.decide(identity, signal), identity),
  );
  const sandbox = await trace.stage('sandbox', () => buildSandbox(scope, deps.connector.dialect, deps.catalog.schema));
  const plural = deps.catalog.schema.grantUnit.plural;
  trace.note({
    scope: {
      [plural]: scope.units.length,
      [`${plural}Digest`]: unitsDigest(scope.units),
      tables: sandbox.tables.map((t) => t.name),
    },
  });
  return { scope, sandbox };
}

/**
 * Generate, guard and execute. A model gets one repair round after a guard rejection or an engine
 * error, told only the stable code (engine text can quote rows outside the sandbox); the compiler
 * gets none (`repairable` false).
 */
export async function generateGuardExecute(
  generator: Generator,
  input: GenerateInput,
  c: SqlContext & { readonly repairable: boolean },
): Promise<{ guarded: GuardedSql; rows: QueryResult }> {
  const { trace, signal } = c;
  let previous: GenerateInput['previous'];
  for (let round = 1; ; round++) {
    const candidate = await trace.stage('generate', () =>
      generator.generate(previous ? { ...input, previous } : input, signal),
    );
    trace.note({ generator: candidate.generator });
    try {
      return await guardExecute(candidate.sql, c);
    } catch (err) {
      const e = asSplitplaneError(err);
      const canRepair = isGuardCode(e.code) || e.code === 'SP_ERR_EXECUTION_FAILED';
      if (!canRepair || !c.repairable || round >= 2) throw e;
      trace.mark(`round${round}`, e.code);
      trace.unmark('execute');
      previous = { sql: candidate.sql, code: e.code };
    }
  }
}

/** Guard one SQL over the sandbox and run it locked down, with the deployment's row cap and timeout. */
export async function guardExecute(sql: string, c: SqlContext): Promise<{ guarded: GuardedSql; rows: QueryResult }> {
  const { sandbox, scope, deps, trace, signal } = c;
  const guarded = await trace.stage('guard', () => guardCandidate(sql, { sandbox, engine: deps.connector.check }));
  trace.note({ sql: guarded.sql });
  // The scope also goes to the engine, for engines that enforce it a second time (PostgreSQL RLS).
  const rows: QueryResult & { readonly cache?: 'hit' | 'miss' } = await trace.stage('execute', () =>
    deps.connector.execute(guarded.sql, { signal, ...deps.limits, scope, bindings: sandbox.bindings }),
  );
  trace.note({ cache: rows.cache ?? 'off' });
  return { guarded, rows };
}

/** Grant-unit counts of sandboxes whose decision filters the units (a sandbox lives until the directory changes). */
const counted = new WeakMap<Sandbox, number>();

/**
 * How many grant units (the catalog's: stores, accounts...) the caller's sandbox holds: the grant's
 * size, or, when the decision's unit filters narrow the grant, the units that remain, counted over
 * the sandbox itself (an answer must not say "your 200" of a sandbox that holds 8).
 */
export async function unitsInScope(
  scope: Scope,
  sandbox: Sandbox,
  deps: SqlDeps & Pick<PipelineDeps, 'catalog'>,
  signal: AbortSignal,
): Promise<number> {
  if (!scope.unitFilters?.length) return scope.units.length;
  const hit = counted.get(sandbox);
  if (hit !== undefined) return hit;
  const unit = deps.catalog.schema.grantUnit;
  // The unit's own table first, then any table of the sandbox that carries the unit's key.
  const candidates = [unit.table, ...sandbox.tables.map((t) => t.name).filter((n) => n !== unit.table)];
  const table = candidates.find((t) =>
    sandbox.tables.some((x) => x.name === t && x.columns.some((c) => c.name === unit.key)),
  );
  if (!table)
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', {
      detail: `${unit.name} filters on a sandbox without ${unit.name} IDs`,
    });
  const r = await guardedReader(
    sandbox,
    scope,
    deps,
    signal,
  )(`SELECT COUNT(DISTINCT ${unit.key}) AS n FROM ${table}`, 1);
  const n = Number(r.rows[0]?.[0] ?? 0);
  counted.set(sandbox, n);
  return n;
}

/** Guard and run one SQL of our own over the sandbox (the value index, the coverage), with its own row cap. */
export function guardedReader(
  sandbox: Sandbox,
  scope: Scope,
  deps: SqlDeps,
  signal: AbortSignal,
): (sql: string, rowCap: number) => Promise<QueryResult> {
  return async (sql, rowCap) => {
    const guarded = await guardCandidate(sql, { sandbox, engine: deps.connector.check });
    return deps.connector.execute(guarded.sql, {
      signal,
      timeoutMs: deps.limits.timeoutMs,
      rowCap,
      scope,
      bindings: sandbox.bindings,
    });
  };
}

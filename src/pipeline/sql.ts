/** Layer 3 after the sandbox: generate, guard, execute; and the pipeline's own guarded reads. */
import type { RequestTrace } from '../audit/trace.js';
import { asSplitplaneError, isGuardCode } from '../errors.js';
import type { GenerateInput, Generator } from '../generate/generator.js';
import { guardCandidate, type GuardedSql } from '../guard/guard.js';
import type { Scope } from '../policy/scope.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { QueryResult } from '../warehouse/connector.js';
import type { PipelineDeps } from './deps.js';

/**
 * Generate, guard and execute. A model gets one repair round after a guard rejection or an engine
 * error, told only the stable code (engine text can quote rows outside the sandbox); the compiler
 * gets none (`repairable` false).
 */
export async function generateGuardExecute(
  generator: Generator,
  input: GenerateInput,
  c: { readonly sandbox: Sandbox; readonly scope: Scope; readonly deps: PipelineDeps; readonly trace: RequestTrace; readonly signal: AbortSignal; readonly repairable: boolean },
): Promise<{ guarded: GuardedSql; rows: QueryResult }> {
  const { sandbox, scope, deps, trace, signal } = c;
  let previous: GenerateInput['previous'];
  for (let round = 1; ; round++) {
    const candidate = await trace.stage('generate', () => generator.generate(previous ? { ...input, previous } : input, signal));
    trace.note({ generator: candidate.generator });
    try {
      const guarded = await trace.stage('guard', () => guardCandidate(candidate.sql, { sandbox, engine: deps.connector.check }));
      trace.note({ sql: guarded.sql });
      // The scope also goes to the engine, for engines that enforce it a second time (PostgreSQL RLS).
      const rows = await trace.stage('execute', () => deps.connector.execute(guarded.sql, { signal, ...deps.limits, scope, bindings: sandbox.bindings }));
      return { guarded, rows };
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

/** Guard and run one SQL of our own over the sandbox (the value index, the coverage), with its own row cap. */
export function guardedReader(sandbox: Sandbox, scope: Scope, deps: PipelineDeps, signal: AbortSignal): (sql: string, rowCap: number) => Promise<QueryResult> {
  return async (sql, rowCap) => {
    const guarded = await guardCandidate(sql, { sandbox, engine: deps.connector.check });
    return deps.connector.execute(guarded.sql, { signal, timeoutMs: deps.limits.timeoutMs, rowCap, scope, bindings: sandbox.bindings });
  };
}

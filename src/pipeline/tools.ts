/**
 * The MCP tools other than `ask`, beside the pipeline they share: `list_metrics`, `describe_data` and
 * `run_query`. Each call is one audited request (src/audit/audited.ts): the registered admin bound
 * from the verified caller, the rate limits on that identity, then the tool; one audit event with the
 * tool's name. The MCP route only wires the SDK's transport to these.
 */
import { randomUUID } from 'node:crypto';
import { audited, requestDeadline, type AuditedDeps } from '../audit/audited.js';
import { RequestTrace } from '../audit/trace.js';
import { verifiedIdentity, type Identity } from '../identity/identity.js';
import { describeSandbox } from '../sandbox/sandbox.js';
import { publicMetrics } from '../semantic/catalog.js';
import type { PipelineDeps } from './deps.js';
import { guardExecute, scopeAndSandbox, unitsInScope } from './sql.js';

/** Who calls, as the route knows it: the identity bound on demand, the rate limits, the address. */
export interface ToolCaller {
  readonly bind: () => Identity;
  readonly limit: (identity: Identity) => unknown;
  readonly clientAddress?: string;
}

/** A tool's output: the body handed to the agent, and whether it is an error. */
export interface ToolOutput {
  readonly body: object;
  readonly isError: boolean;
}

type ToolRun = (identity: Identity, trace: RequestTrace) => Promise<object>;

/** Run one tool call as an audited request. */
export async function callTool(name: string, caller: ToolCaller, deps: AuditedDeps, run: ToolRun): Promise<ToolOutput> {
  const trace = new RequestTrace(
    randomUUID(),
    { verified: false },
    {
      url: '/mcp',
      clientAddress: caller.clientAddress,
    },
  );
  trace.note({ tool: name });
  const r = await audited(
    trace,
    deps,
    async () => {
      const identity = await trace.stage('identity', caller.bind);
      trace.note({ identity: verifiedIdentity(identity) });
      await trace.stage('limits', () => caller.limit(identity));
      return { statusCode: 200, body: await run(identity, trace) };
    },
    // A tool's output is not an answer of the service's own: the event reads 200 as answered.
    (ok) => ({ statusCode: ok.statusCode, body: { status: 'answered' } }),
  );
  return { body: r.body, isError: r.statusCode !== 200 };
}

/** `list_metrics`: the catalog's metrics and dimensions, what can be asked. */
export function listMetrics(deps: Pick<PipelineDeps, 'catalog'>): ToolRun {
  return async () => ({
    metrics: publicMetrics(deps.catalog).map((m) => ({ id: m.id, label: m.label, description: m.description })),
    dimensions: deps.catalog.dimensions.map((d) => ({ id: d.id, kind: d.kind })),
  });
}

/** `describe_data`: the caller's own sandbox, as a generator sees it (never raw names or IDs). */
export function describeData(deps: Pick<PipelineDeps, 'policy' | 'connector' | 'catalog' | 'limits'>): ToolRun {
  return async (identity, trace) =>
    describeSandbox((await scopeAndSandbox(identity, deps, trace, requestDeadline(deps.limits))).sandbox);
}

/** `run_query`: the agent's own SQL over the caller's sandbox, through the same guard, engine, row cap and audit. */
export function runQuery(
  deps: Pick<PipelineDeps, 'policy' | 'connector' | 'catalog' | 'limits'>,
  sql: string,
): ToolRun {
  return async (identity, trace) => {
    const signal = requestDeadline(deps.limits);
    const { scope, sandbox } = await scopeAndSandbox(identity, deps, trace, signal);
    trace.note({ generator: 'agent' });
    const { guarded, rows } = await guardExecute(sql, { scope, sandbox, deps, trace, signal });
    trace.note({ rowCount: rows.rows.length });
    return {
      requestId: trace.requestId,
      columns: rows.columns,
      rows: rows.rows,
      ...(rows.truncated ? { truncated: true } : {}),
      sql: guarded.candidate,
      scope: {
        businessId: scope.businessId,
        [deps.catalog.schema.grantUnit.plural]: await unitsInScope(scope, sandbox, deps, signal),
        tables: sandbox.tables.map((t) => t.name),
      },
    };
  };
}

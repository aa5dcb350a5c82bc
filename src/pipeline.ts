/**
 * The orchestrator: runs the stages in order for one request and records one
 * audit event, whatever happens. Each stage is a typed function in its own
 * folder; this file only sequences them, checks their contracts and turns the
 * outcome into a response. Deny is the default: any throw ends the request
 * without data.
 */
import type { AuditEvent, AuditSink, LayerOutcome } from './audit/audit.js';
import { asSplitplaneError, SplitplaneError, type ErrorBody } from './errors.js';
import type { Generator } from './generate/generator.js';
import { guardCandidate } from './guard/guard.js';
import { answerSentence } from './answer/answer.js';
import { ID_PATTERN } from './identity/ask-body.js';
import type { Directory } from './identity/directory.js';
import { authenticate, type Identity } from './identity/identity.js';
import type { ReceivedRequest, VerifierOptions } from './identity/sigv4.js';
import { analyzeQuestion, type Choice, type Reference } from './intent/analyze.js';
import type { Catalog } from './intent/catalog.js';
import type { PolicyEngine, Scope } from './policy/scope.js';
import { buildSandbox, describeSandbox } from './sandbox/sandbox.js';
import type { ResultColumn, WarehouseConnector, Cell } from './warehouse/connector.js';

/** Everything a request needs, built once at start-up. */
export interface PipelineDeps {
  readonly verifier: VerifierOptions;
  readonly directory: () => Directory;
  readonly catalog: Catalog;
  readonly today: () => string;
  readonly policy: PolicyEngine;
  readonly connector: WarehouseConnector;
  readonly generator: Generator;
  readonly audit: AuditSink;
  readonly limits: { readonly timeoutMs: number; readonly rowCap: number };
  /** Where engine errors and other details go (never the client). */
  readonly log: (msg: string, detail: Record<string, unknown>) => void;
}

/** A successful /v1/ask body. */
export interface AskResponse {
  readonly requestId: string;
  readonly status: 'answered' | 'clarification' | 'unsupported';
  readonly answer: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Cell[])[];
  readonly sql: string | null;
  readonly scope: { readonly businessId: string; readonly locations: number; readonly tables: readonly string[] } | null;
  readonly truncated?: boolean;
  readonly choices?: readonly Choice[];
  readonly metrics?: readonly { readonly id: string; readonly label: string; readonly description: string }[];
}

/** The pipeline's result: an HTTP status and a body. */
export interface PipelineResult {
  readonly statusCode: number;
  readonly body: AskResponse | ErrorBody;
}

/** Run one /v1/ask request through every layer. */
export async function runAsk(req: ReceivedRequest, requestId: string, deps: PipelineDeps): Promise<PipelineResult> {
  const started = performance.now();
  const layers: Record<string, LayerOutcome> = {};
  const ev: { -readonly [K in keyof AuditEvent]?: AuditEvent[K] } = { requestId, identity: claimedIds(req.body) };
  const signal = AbortSignal.timeout(deps.limits.timeoutMs + 1_000);
  let result: PipelineResult;
  try {
    // 1 identity
    layers['identity'] = 'rejected';
    const { identity, question } = await authenticate(req, deps.verifier, deps.directory());
    layers['identity'] = 'ok';
    ev.identity = { ...pick(identity), accessKeyId: identity.accessKeyId, verified: true };
    ev.question = question;

    // 2 intent (before any data is touched)
    const intent = analyzeQuestion(question, deps.catalog, deps.today());
    layers['intent'] = intent.kind === 'metric' ? 'ok' : intent.kind;
    denyForeignReferences(intent.references, identity, undefined, ev);
    if (intent.kind !== 'metric') {
      result = refusal(requestId, intent);
    } else {
      // 3 policy -> scope
      layers['policy'] = 'rejected';
      const scope = await deps.policy.decide(identity, signal);
      checkScope(scope, identity);
      layers['policy'] = 'ok';
      denyForeignReferences(intent.references, identity, scope, ev);
      // 4 sandbox
      const sandbox = buildSandbox(scope, deps.connector.dialect);
      ev.scope = { locations: scope.locations.length, tables: sandbox.tables.map((t) => t.name) };
      layers['sandbox'] = 'ok';
      // 5 generate (sees only the sandbox description)
      const candidate = await deps.generator.generate(
        { intent, question, sandbox: describeSandbox(sandbox), dialect: deps.connector.dialect },
        signal,
      );
      ev.generator = candidate.generator;
      layers['generate'] = 'ok';
      // 6 guard
      layers['guard'] = 'rejected';
      const guarded = await guardCandidate(candidate.sql, { sandbox, connector: deps.connector });
      layers['guard'] = 'ok';
      ev.sql = guarded.sql;
      // 7 execute
      layers['execute'] = 'rejected';
      const rows = await deps.connector.execute(guarded.sql, { signal, ...deps.limits });
      layers['execute'] = 'ok';
      ev.rowCount = rows.rows.length;
      // 8 answer
      result = {
        statusCode: 200,
        body: {
          requestId,
          status: 'answered',
          answer: answerSentence(intent, rows, scope.locations.length),
          columns: rows.columns,
          rows: rows.rows,
          sql: guarded.candidate,
          scope: { businessId: scope.businessId, locations: scope.locations.length, tables: sandbox.tables.map((t) => t.name) },
          ...(rows.truncated ? { truncated: true } : {}),
        },
      };
    }
  } catch (err) {
    const e = asSplitplaneError(err);
    for (const [k, v] of Object.entries(layers)) if (v === 'rejected') layers[k] = e.code;
    deps.log('request failed', { requestId, code: e.code, detail: e.message, cause: describeCause(e.cause) });
    ev.errorCode = e.code;
    result = { statusCode: e.statusCode, body: e.toBody(requestId) };
  }

  const body = result.body;
  const event: AuditEvent = {
    ...(ev as Pick<AuditEvent, 'requestId' | 'identity'>),
    ...ev,
    time: new Date().toISOString(),
    layers,
    outcome: 'status' in body ? body.status : result.statusCode >= 500 ? 'error' : 'rejected',
    statusCode: result.statusCode,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
  try {
    await deps.audit.append(event);
  } catch (cause) {
    deps.log('audit write failed', { requestId, cause: describeCause(cause) });
    const e = new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE', { cause });
    return { statusCode: e.statusCode, body: e.toBody(requestId) };
  }
  return result;
}

function refusal(requestId: string, intent: Exclude<ReturnType<typeof analyzeQuestion>, { kind: 'metric' }>): PipelineResult {
  const base = { requestId, status: intent.kind, answer: intent.message, columns: [], rows: [], sql: null, scope: null } as const;
  return {
    statusCode: 200,
    body: intent.kind === 'clarification' ? { ...base, choices: intent.choices } : { ...base, metrics: intent.metrics },
  };
}

/** The policy's scope must be about the verified identity; anything else is a broken policy. */
function checkScope(scope: Scope, identity: Identity): void {
  if (scope.tenantId !== identity.tenantId || scope.businessId !== identity.businessId || scope.adminId !== identity.adminId) {
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope is about another identity' });
  }
}

/** Deny a question that names a tenant, business, admin or (once the scope is known) location outside it. */
function denyForeignReferences(
  refs: readonly Reference[],
  identity: Identity,
  scope: Scope | undefined,
  ev: { outOfScopeReferences?: AuditEvent['outOfScopeReferences'] },
): void {
  const foreign = refs.filter((r) => {
    if (r.kind === 'tenant') return r.id !== identity.tenantId;
    if (r.kind === 'business') return r.id !== identity.businessId;
    if (r.kind === 'admin') return r.id !== identity.adminId;
    return scope !== undefined && !scope.locations.includes(r.id);
  });
  if (foreign.length === 0) return;
  ev.outOfScopeReferences = foreign;
  throw new SplitplaneError('SP_ERR_OUT_OF_SCOPE_REFERENCE', { detail: foreign.map((r) => `${r.kind} ${r.id}`).join(', ') });
}

function pick(i: Identity): { tenantId: string; businessId: string; adminId: string } {
  return { tenantId: i.tenantId, businessId: i.businessId, adminId: i.adminId };
}

/** The IDs a rejected request claimed, for forensics: only well-formed IDs, marked unverified. */
function claimedIds(body: Buffer): AuditEvent['identity'] {
  try {
    const v = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const id = (k: string): Record<string, string> =>
      typeof v[k] === 'string' && ID_PATTERN.test(v[k] as string) ? { [k]: v[k] as string } : {};
    return { ...id('tenantId'), ...id('businessId'), ...id('adminId'), verified: false };
  } catch {
    return { verified: false };
  }
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

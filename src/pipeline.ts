/**
 * The orchestrator: runs the stages in order for one request and records one
 * audit event, whatever happens. Each stage is a typed function in its own
 * folder; this file only sequences them, checks their contracts and turns the
 * outcome into a response. Deny is the default: any throw ends the request
 * without data.
 */
import { answerFor, freeFormSentence, numbersComeFromRows } from './answer/answer.js';
import { markStoppedLayers, recordOrFailClosed, type AuditEvent, type AuditSink, type LayerOutcome } from './audit/audit.js';
import type { ConversationStore } from './conversation/store.js';
import type { FeedbackStore } from './feedback/feedback.js';
import { asSplitplaneError, isGuardCode, SplitplaneError, type ErrorBody } from './errors.js';
import type { Candidate, GenerateInput, Generator } from './generate/generator.js';
import { guardCandidate, type GuardedSql } from './guard/guard.js';
import { ID_PATTERN } from './ids.js';
import type { Directory } from './identity/directory.js';
import { authenticate, type Identity } from './identity/identity.js';
import type { ReceivedRequest, VerifierOptions } from './identity/sigv4.js';
import { needsValues, readQuestion, refuseEarly, understand, type Choice, type Clarification, type Intent, type Reference, type Unsupported } from './intent/analyze.js';
import { fillWithModel } from './intent/model-fill.js';
import type { Draft } from './intent/parse.js';
import type { LlmClient } from './llm/llm-client.js';
import { summaryPrompt } from './llm/prompt.js';
import type { PolicyEngine, Scope } from './policy/scope.js';
import type { Catalog } from './semantic/catalog.js';
import { interpretationOf, type Interpretation } from './semantic/describe.js';
import { checkCoverage } from './semantic/coverage.js';
import type { CoverageLoader, ValueLoader } from './semantic/value-loader.js';
import type { ValueIndex } from './semantic/values.js';
import { unwritableFilter, type SemanticQuery } from './semantic/query.js';
import { buildSandbox, describeSandbox, type Sandbox } from './sandbox/sandbox.js';
import { locationsDigest } from './warehouse/bindings.js';
import type { EngineConnector } from './engines/engine.js';
import type { Cell, QueryResult, ResultColumn } from './warehouse/connector.js';

/** Everything a request needs, built once at start-up. */
export interface PipelineDeps {
  readonly verifier: VerifierOptions;
  readonly directory: () => Directory;
  readonly catalog: Catalog;
  readonly today: () => string;
  readonly policy: PolicyEngine;
  readonly connector: EngineConnector;
  /** The deterministic generator for semantic queries (the compiler). */
  readonly generator: Generator;
  /** The caller's nameable values (store names, cities, items), read through the guard, cached per scope. */
  readonly values: ValueLoader;
  /** The first and last day of the caller's data per fact table, cached per scope. */
  readonly coverage: CoverageLoader;
  /** The model, when one is configured: classifies off-catalog questions, writes their SQL, may word answers. */
  readonly model?: { readonly llm: LlmClient; readonly generator: Generator; readonly maxTokens: number };
  readonly conversations: ConversationStore;
  readonly feedback: FeedbackStore;
  readonly audit: AuditSink;
  readonly limits: { readonly timeoutMs: number; readonly rowCap: number };
  /** Where engine errors and other details go (never the client). */
  readonly log: (msg: string, detail: Record<string, unknown>) => void;
}

/** A successful /v1/ask body. */
export interface AskResponse {
  readonly requestId: string;
  readonly conversationId: string;
  readonly status: 'answered' | 'clarification' | 'unsupported';
  readonly answer: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Cell[])[];
  readonly sql: string | null;
  readonly scope: { readonly businessId: string; readonly locations: number; readonly tables: readonly string[] } | null;
  /** What the question was understood as: the semantic query (null for model SQL) and one readable line. */
  readonly interpretation?: Interpretation;
  /** The one figure to show in large type, when the answer is one number. */
  readonly headline?: string | null;
  readonly truncated?: boolean;
  /** What the figures cover when the period starts before the caller's data does (also appended to `answer`). */
  readonly notes?: readonly string[];
  /** Words of the question that could not be placed (clarifications). */
  readonly unplaced?: readonly string[];
  readonly choices?: readonly Choice[];
  readonly metrics?: readonly { readonly id: string; readonly label: string; readonly description: string }[];
}

/** The pipeline's result: an HTTP status, a body and any extra headers (Retry-After). */
export interface PipelineResult {
  readonly statusCode: number;
  readonly body: AskResponse | ErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

type MutableEvent = { -readonly [K in keyof AuditEvent]?: AuditEvent[K] };

/**
 * Run one /v1/ask request through every layer. `limit` runs right after layer 1 with the verified
 * identity (rate limits keyed on who really asked).
 */
export async function runAsk(
  req: ReceivedRequest,
  requestId: string,
  deps: PipelineDeps,
  limit?: (identity: Identity) => Promise<void>,
): Promise<PipelineResult> {
  const started = performance.now();
  const layers: Record<string, LayerOutcome> = {};
  const ev: MutableEvent = { requestId, identity: claimedIds(req.body) };
  const signal = AbortSignal.timeout(deps.limits.timeoutMs * 3 + 30_000);
  let result: PipelineResult;
  try {
    // 1 identity
    layers['identity'] = 'rejected';
    const { identity, question, conversationId } = await authenticate(req, deps.verifier, deps.directory());
    layers['identity'] = 'ok';
    ev.identity = { ...pick(identity), accessKeyId: identity.accessKeyId, verified: true };
    ev.question = question;
    layers['limits'] = 'rejected';
    await limit?.(identity);
    layers['limits'] = 'ok';
    const conversation = deps.conversations.open(conversationId, identity.sessionKey);
    const previous = conversation.turns.findLast((t) => t.query)?.query;
    const today = deps.today();

    // 2 intent, first pass: the catalog alone; refusals that need no data happen here
    layers['intent'] = 'rejected';
    const draft = readQuestion(question, deps.catalog, today);
    denyForeignReferences(draft.references, identity, undefined, undefined, ev);
    const early = refuseEarly(question, draft, deps.catalog, previous);
    const askModel = early?.kind === 'unsupported' && deps.model !== undefined && !draft.time.invalid;
    if (early && !askModel) {
      layers['intent'] = early.kind;
      deps.conversations.record(conversation, { question, sql: null });
      result = refusal(requestId, conversation.id, early, deps.model !== undefined);
    } else {
      layers['intent'] = 'ok';
      // 3 policy -> scope
      layers['policy'] = 'rejected';
      const scope = await deps.policy.decide(identity, signal);
      checkScope(scope, identity);
      layers['policy'] = 'ok';
      // 4 sandbox
      const sandbox = buildSandbox(scope, deps.connector.dialect);
      ev.scope = { locations: scope.locations.length, locationsDigest: locationsDigest(scope.locations), tables: sandbox.tables.map((t) => t.name) };
      layers['sandbox'] = 'ok';
      const described = describeSandbox(sandbox);
      // 2 intent, second pass: names in the question matched against the caller's own values
      let values: ValueIndex | undefined;
      if (needsValues(draft) || askModel) {
        layers['values'] = 'rejected';
        values = await deps.values(scope, described, (sql, rowCap) => runGuarded(sql, sandbox, scope, deps, signal, rowCap));
        layers['values'] = 'ok';
      }
      denyForeignReferences(draft.references, identity, scope, values, ev);
      let intent = await secondPass(question, draft, { deps, today, previous, values, signal, askModel });
      // A value the engine cannot write is asked about; so is a comparison against days the caller
      // has no data for; a period starting before the data is answered with a note saying so.
      let coverageNote: string | undefined;
      const unwritable = intent.kind === 'query' ? unwritableFilter(intent.query, deps.catalog, (v) => deps.connector.dialect.writesText(v)) : undefined;
      if (unwritable) intent = { kind: 'clarification', message: unwritable.message, choices: [], references: intent.references };
      else if (intent.kind === 'query') {
        const coverage = await deps.coverage(scope, described, (sql, rowCap) => runGuarded(sql, sandbox, scope, deps, signal, rowCap));
        const verdict = checkCoverage(intent.query, deps.catalog, coverage);
        if (verdict.kind === 'refuse') intent = { kind: 'clarification', message: verdict.message, choices: verdict.choices, references: intent.references };
        else if (verdict.kind === 'note') coverageNote = verdict.note;
      }
      layers['intent'] = intent.kind === 'query' || intent.kind === 'freeform' ? 'ok' : intent.kind;
      if (intent.kind === 'clarification' || intent.kind === 'unsupported') {
        deps.conversations.record(conversation, { question, sql: null });
        result = refusal(requestId, conversation.id, intent, deps.model !== undefined);
      } else {
        // 5-7 generate (sees only the sandbox description), guard, execute; one repair round for a model
        const generator = intent.kind === 'query' ? deps.generator : deps.model!.generator;
        const input: GenerateInput = {
          intent,
          question,
          sandbox: described,
          dialect: deps.connector.dialect,
          history: conversation.turns,
          examples: deps.feedback.examplesFor(identity.sessionKey, scope),
        };
        const { guarded, rows } = await generateGuardExecute(generator, input, sandbox, scope, deps, layers, ev, signal, intent.kind !== 'query');
        ev.rowCount = rows.rows.length;
        // 8 answer
        const interpretation: Interpretation =
          intent.kind === 'query'
            ? interpretationOf(intent.query, deps.catalog, scope.locations.length)
            : { query: null, text: `a query the language model wrote for your question · your ${scope.locations.length} location${scope.locations.length === 1 ? '' : 's'}` };
        ev.interpretation = interpretation.text;
        const said =
          intent.kind === 'query'
            ? answerFor(intent.query, rows, deps.catalog, scope.locations.length)
            : { answer: await freeFormAnswer(question, rows, deps, signal), headline: null };
        const spoken = coverageNote ? { ...said, answer: `${said.answer} ${coverageNote}` } : said;
        deps.conversations.record(conversation, { question, sql: guarded.candidate, ...(intent.kind === 'query' ? { query: intent.query } : {}) });
        deps.feedback.remember(requestId, identity.sessionKey, scope, question, guarded.candidate);
        result = {
          statusCode: 200,
          body: {
            requestId,
            conversationId: conversation.id,
            status: 'answered',
            answer: spoken.answer,
            headline: spoken.headline,
            interpretation,
            ...(coverageNote ? { notes: [coverageNote] } : {}),
            columns: rows.columns,
            rows: rows.rows,
            sql: guarded.candidate,
            scope: { businessId: scope.businessId, locations: scope.locations.length, tables: sandbox.tables.map((t) => t.name) },
            ...(rows.truncated ? { truncated: true } : {}),
          },
        };
      }
    }
  } catch (err) {
    const e = asSplitplaneError(err);
    markStoppedLayers(layers, e.code);
    deps.log('request failed', { requestId, code: e.code, detail: e.message, cause: describeCause(e.cause) });
    ev.errorCode = e.code;
    result = {
      statusCode: e.statusCode,
      body: e.toBody(requestId),
      ...(e.retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(e.retryAfterSeconds) } }),
    };
  }

  const body = result.body;
  const event: AuditEvent = {
    ...ev,
    requestId,
    identity: ev.identity ?? { verified: false },
    time: new Date().toISOString(),
    layers,
    outcome: 'status' in body ? body.status : result.statusCode >= 500 ? 'error' : 'rejected',
    statusCode: result.statusCode,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
  return recordOrFailClosed(deps.audit, event, result, (cause) => deps.log('audit write failed', { requestId, cause: describeCause(cause) }));
}

/**
 * Layers 5-7. A model gets one repair round after a guard rejection or an engine error, told only
 * the stable code (engine text can quote rows outside the sandbox); the catalog generator gets none.
 */
async function generateGuardExecute(
  generator: Generator,
  input: GenerateInput,
  sandbox: Sandbox,
  scope: Scope,
  deps: PipelineDeps,
  layers: Record<string, LayerOutcome>,
  ev: MutableEvent,
  signal: AbortSignal,
  repairable: boolean,
): Promise<{ guarded: GuardedSql; rows: QueryResult }> {
  const rounds = repairable ? 2 : 1;
  let previous: GenerateInput['previous'];
  for (let round = 1; ; round++) {
    layers['generate'] = 'rejected';
    const candidate: Candidate = await generator.generate(previous ? { ...input, previous } : input, signal);
    ev.generator = candidate.generator;
    layers['generate'] = 'ok';
    try {
      layers['guard'] = 'rejected';
      const guarded = await guardCandidate(candidate.sql, { sandbox, engine: deps.connector.check });
      layers['guard'] = 'ok';
      ev.sql = guarded.sql;
      layers['execute'] = 'rejected';
      // The scope also goes to the engine, for engines that enforce it a second time (PostgreSQL RLS).
      const rows = await deps.connector.execute(guarded.sql, { signal, ...deps.limits, scope, bindings: sandbox.bindings });
      layers['execute'] = 'ok';
      return { guarded, rows };
    } catch (err) {
      const e = asSplitplaneError(err);
      const canRepair = isGuardCode(e.code) || e.code === 'SP_ERR_EXECUTION_FAILED';
      if (!canRepair || round >= rounds) throw e;
      layers[`round${round}`] = e.code;
      delete layers['execute'];
      previous = { sql: candidate.sql, code: e.code };
    }
  }
}

/** A model may word the answer from in-scope rows; a sentence with a number not in the rows is discarded. */
async function freeFormAnswer(question: string, rows: QueryResult, deps: PipelineDeps, signal: AbortSignal): Promise<string> {
  const fallback = freeFormSentence(question, rows);
  if (!deps.model || rows.rows.length === 0 || rows.rows.length > 50) return fallback;
  try {
    const res = await deps.model.llm.complete(summaryPrompt(question, rows.columns.map((c) => c.name), rows.rows, 200), signal);
    const sentence = res.text.trim().split('\n')[0]!.slice(0, 500);
    return sentence && numbersComeFromRows(sentence, rows) ? sentence : fallback;
  } catch {
    return fallback;
  }
}

function refusal(requestId: string, conversationId: string, intent: Clarification | Unsupported, haveModel: boolean): PipelineResult {
  const base = { requestId, conversationId, status: intent.kind, columns: [], rows: [], sql: null, scope: null } as const;
  if (intent.kind === 'clarification') {
    return { statusCode: 200, body: { ...base, answer: intent.message, choices: intent.choices, ...(intent.unplaced ? { unplaced: intent.unplaced } : {}) } };
  }
  const note = haveModel ? '' : ' Questions beyond these metrics need a language model, which this deployment does not have configured.';
  return { statusCode: 200, body: { ...base, answer: `${intent.message}${note}`, metrics: intent.metrics } };
}

/** The policy's scope must be about the verified identity; anything else is a broken policy. */
function checkScope(scope: Scope, identity: Identity): void {
  if (scope.tenantId !== identity.tenantId || scope.businessId !== identity.businessId || scope.adminId !== identity.adminId) {
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope is about another identity' });
  }
}

/**
 * Deny a question that names a tenant, business, admin or (once the scope is known) location outside
 * it. A location number is in scope when it is a granted location ID or the number of a granted
 * store ("store 17" for "Chicago #17").
 */
function denyForeignReferences(refs: readonly Reference[], identity: Identity, scope: Scope | undefined, values: ValueIndex | undefined, ev: MutableEvent): void {
  const foreign = refs.filter((r) => {
    if (r.kind === 'tenant') return r.id !== identity.tenantId;
    if (r.kind === 'business') return r.id !== identity.businessId;
    if (r.kind === 'admin') return r.id !== identity.adminId;
    return scope !== undefined && !scope.locations.includes(r.id) && (values?.numbered('location', r.id).length ?? 0) === 0;
  });
  if (foreign.length === 0) return;
  ev.outOfScopeReferences = foreign;
  throw new SplitplaneError('SP_ERR_OUT_OF_SCOPE_REFERENCE', { detail: foreign.map((r) => `${r.kind} ${r.id}`).join(', ') });
}

/** The second pass, and the model when the parser could not place every word. */
async function secondPass(
  question: string,
  draft: Draft,
  c: {
    deps: PipelineDeps;
    today: string;
    previous: SemanticQuery | undefined;
    values: ValueIndex | undefined;
    signal: AbortSignal;
    askModel: boolean;
  },
): Promise<Intent> {
  const { deps } = c;
  const parsed = c.askModel
    ? undefined
    : understand(question, draft, { catalog: deps.catalog, today: c.today, ...(c.values ? { values: c.values } : {}), ...(c.previous ? { previous: c.previous } : {}) });
  const unplaced = parsed?.kind === 'clarification' && parsed.unplaced !== undefined;
  if (!deps.model || !c.values || (parsed && !unplaced)) return parsed!;
  return fillWithModel(
    deps.model.llm,
    question,
    { catalog: deps.catalog, today: c.today, values: c.values, references: draft.references, maxTokens: deps.model.maxTokens, draft, ...(c.previous ? { previous: c.previous } : {}) },
    c.signal,
  );
}

/** Guard and run one SQL of our own over the sandbox (the value index), with its own row cap. */
async function runGuarded(sql: string, sandbox: Sandbox, scope: Scope, deps: PipelineDeps, signal: AbortSignal, rowCap: number): Promise<QueryResult> {
  const guarded = await guardCandidate(sql, { sandbox, engine: deps.connector.check });
  return deps.connector.execute(guarded.sql, { signal, timeoutMs: deps.limits.timeoutMs, rowCap, scope, bindings: sandbox.bindings });
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

/**
 * The orchestrator: one /v1/ask request through every stage, in order, and
 * one audit event whatever happens. Each stage is a typed function in its own
 * folder; the trace (src/audit/trace.ts) records each stage's outcome and
 * time and turns a throw into that stage's stable code. Deny is the default:
 * any throw ends the request without data.
 *
 *   layer 1  identity, limits           who is asking, verified; rate limits on that identity
 *   layer 2  intent (first pass)        the question against the catalog alone
 *   layer 3  policy, sandbox            the Rego decision; CTEs pre-filtered to it
 *   layer 2  values, intent (second)    the question against the caller's own values and data
 *   layer 3  generate, guard, execute   SQL over the sandbox only, checked, run locked down
 *            answer                     the sentence and headline from the rows
 *
 * A comparison with peers ("how do my sales compare with the brand average") leaves after layer 1 for
 * src/pipeline/benchmark.ts: the policy's benchmark grant, the benchmark compiler, no model.
 */
import { audited, requestDeadline } from './audit/audited.js';
import { RequestTrace, type EventFacts } from './audit/trace.js';
import type { GenerateInput } from './generate/generator.js';
import type { PendingClarification } from './conversation/store.js';
import { authenticate, verifiedIdentity, type Identity, type IdentityResult } from './identity/identity.js';
import type { ReceivedRequest } from './identity/sigv4.js';
import { needsValues, readQuestion } from './intent/analyze.js';
import { completeClarification, otherChoice } from './intent/clarification.js';
import { leansOnEarlier, rankedMembers } from './intent/follow-up.js';
import { claimedIds, denyForeignReferences } from './pipeline/checks.js';
import type { PipelineDeps, PipelineResult } from './pipeline/deps.js';
import { firstPass, secondPass } from './pipeline/intent.js';
import { answered, refusal } from './pipeline/respond.js';
import { benchmarkTurn } from './pipeline/benchmark.js';
import { benchmarkAsked, benchmarkFollowUp } from './benchmark/intent.js';
import { generateGuardExecute, guardedReader, unitsInScope, scopeAndSandbox } from './pipeline/sql.js';
import { describeSandbox } from './sandbox/sandbox.js';
import { FORGET_CHOICES } from './conversation/choices.js';
import { unitDimension } from './semantic/catalog.js';

export type { AskResponse, PipelineDeps, PipelineResult } from './pipeline/deps.js';

/** How a route runs a question through the pipeline. */
export interface AskOptions {
  /** Runs right after layer 1 with the verified identity (rate limits keyed on who really asked). */
  readonly limit?: (identity: Identity) => Promise<void>;
  /**
   * Layer 1 for a caller verified at the route's own door (an MCP call: the token or signature was
   * verified for the HTTP request, the question comes from the tool's input); still a stage, still
   * bound to a registered admin at the time of the call. Default: the signed /v1/ask body.
   */
  readonly identify?: () => IdentityResult | Promise<IdentityResult>;
  /** Facts the route adds to the event (the MCP tool's name). */
  readonly facts?: EventFacts;
}

/** "forget my choices": the person's remembered meanings cleared, said and audited; no data is read. */
async function forgetChoices(
  owner: string,
  requestId: string,
  conversationId: string,
  deps: PipelineDeps,
  trace: RequestTrace,
): Promise<PipelineResult> {
  const forgot = await trace.stage('intent', () => deps.choices.forget(owner));
  trace.note({ choices: { forgot } });
  const answer =
    forgot === 0
      ? 'You had no remembered choices.'
      : `Done: I forgot ${forgot} remembered choice${forgot === 1 ? '' : 's'}; I will ask again what such words mean.`;
  return {
    statusCode: 200,
    body: {
      requestId,
      conversationId,
      status: 'answered',
      answer,
      headline: null,
      columns: [],
      rows: [],
      sql: null,
      scope: null,
    },
  };
}

/** Run one question through every layer; one audit event whatever happens. */
export async function runAsk(
  req: ReceivedRequest,
  requestId: string,
  deps: PipelineDeps,
  o: AskOptions = {},
): Promise<PipelineResult> {
  const trace = new RequestTrace(requestId, claimedIds(req.body), req);
  if (o.facts) trace.note(o.facts);
  return audited(trace, deps, () => ask(req, requestId, deps, trace, o));
}

async function ask(
  req: ReceivedRequest,
  requestId: string,
  deps: PipelineDeps,
  trace: RequestTrace,
  o: AskOptions,
): Promise<PipelineResult> {
  const signal = requestDeadline(deps.limits);
  // layer 1
  const { identity, question, conversationId } = await trace.stage('identity', () =>
    o.identify ? o.identify() : authenticate(req, deps.verifier, deps.directory()),
  );
  trace.note({ identity: verifiedIdentity(identity), question });
  await trace.stage('limits', () => o.limit?.(identity));
  const conversation = await deps.conversations.open(conversationId, identity.sessionKey);
  const today = deps.today();
  // "forget my choices": every remembered meaning of this person cleared; they are asked again.
  if (FORGET_CHOICES.test(question)) return forgetChoices(identity.sessionKey, requestId, conversation.id, deps, trace);
  // A reply to a clarification completes the question it asked about (src/intent/clarification.ts).
  const pending = conversation.turns.at(-1)?.pending;
  const completed = pending && completeClarification(question, pending, deps.catalog, today);
  // "and the count?" after an answer that chose "the amount": the other choice, as a follow-up.
  const alternatives = conversation.turns.at(-1)?.alternatives;
  const understood =
    completed || (alternatives && otherChoice(question, alternatives, deps.catalog, today)) || question;
  // A follow-up builds on the last turn only if it was answered (a completed clarification: on the turn before it).
  const base = completed ? conversation.turns.at(-2) : conversation.turns.at(-1);
  const history = conversation.turns.flatMap((t) => (t.query ? [t.query] : []));
  // What this person chose words to mean: read only for a question with such a word (no store round trip otherwise).
  const choices = readQuestion(understood, deps.catalog, today).ambiguous.length
    ? await deps.choices.get(identity.sessionKey)
    : {};
  const context = {
    question: understood,
    identity,
    today,
    previous: base?.query,
    history,
    lastUnanswered: base !== undefined && base.sql === null,
    members: base?.members,
    choices,
  };
  // A measure picked in reply to "which sales?" is remembered for this person (and audited).
  const picked =
    completed && pending.ambiguous
      ? pending.choices.find((c) => c.question === completed && c.metric !== undefined)
      : undefined;
  const chose = picked && pending?.ambiguous ? { term: pending.ambiguous, metric: picked.metric! } : undefined;
  if (chose) {
    await deps.choices.set(identity.sessionKey, chose.term, chose.metric);
    trace.note({ choices: { chose } });
  }
  let term: string | undefined;
  let ambiguousTerm: string | undefined;
  const refuse = async (
    intent: Parameters<typeof refusal>[2],
    still?: PendingClarification,
  ): Promise<PipelineResult> => {
    const asks = intent.kind === 'clarification' && intent.choices.length > 0;
    const waiting =
      still ??
      (asks
        ? {
            question: understood,
            message: intent.message,
            choices: intent.choices,
            ...(term ? { term } : {}),
            ...(ambiguousTerm && intent.choices.some((c) => c.metric) ? { ambiguous: ambiguousTerm } : {}),
          }
        : undefined);
    await deps.conversations.record(conversation, {
      question: understood,
      sql: null,
      ...(waiting ? { pending: waiting } : {}),
    });
    return refusal(requestId, conversation.id, intent, deps.model !== undefined);
  };

  // "how many guests did that store have?" after a clarification nobody answered: that store is
  // not known yet, so the clarification is asked again rather than guessed.
  if (pending && !completed && leansOnEarlier(question, deps.catalog)) {
    return refuse(
      {
        kind: 'clarification',
        message: `Your earlier question is still open. ${pending.message}`,
        choices: pending.choices,
        references: [],
      },
      pending,
    );
  }

  // "how do my sales compare with the brand average": a comparison with peers (src/pipeline/benchmark.ts);
  // "and in September?" right after one: that comparison again, with what the follow-up changes.
  const priorBenchmark = conversation.turns.at(-1)?.benchmark;
  const benchmark = benchmarkAsked(understood, deps.catalog, today)
    ? understood
    : priorBenchmark && benchmarkFollowUp(understood, priorBenchmark, deps.catalog, today);
  if (benchmark)
    return benchmarkTurn({
      question: benchmark,
      requestId,
      conversation,
      identity,
      today,
      deps,
      trace,
      signal,
      refuse,
    });

  // layer 2, first pass: refusals that need no data end here
  const first = await trace.stage(
    'intent',
    () => firstPass(context, deps, trace),
    (f) => f.refusal?.kind ?? 'ok',
  );
  term = first.draft.ambiguous[0]?.raw;
  ambiguousTerm = first.draft.ambiguous[0]?.term;
  if (first.refusal) return refuse(first.refusal);

  // layer 3: the scope, and the sandbox built from it
  const { scope, sandbox } = await scopeAndSandbox(identity, deps, trace, signal);
  const described = describeSandbox(sandbox);
  const read = guardedReader(sandbox, scope, deps, signal);

  // layer 2, second pass: names in the question matched against the caller's own values and data
  const wantValues = needsValues(first.draft) || first.askModel;
  const values = wantValues ? await trace.stage('values', () => deps.values(scope, described, read)) : undefined;
  denyForeignReferences(first.draft.references, identity, trace, scope, values, unitDimension(deps.catalog)?.id);
  const { intent, coverageNote } = await trace.stage(
    'intent',
    () =>
      secondPass(context, first.draft, {
        deps,
        scope,
        sandbox: described,
        values,
        askModel: first.askModel,
        read,
        signal,
      }),
    (r) => (r.intent.kind === 'query' || r.intent.kind === 'freeform' ? 'ok' : r.intent.kind),
  );
  if (intent.kind === 'clarification' || intent.kind === 'unsupported') return refuse(intent);
  if (intent.kind === 'query' && intent.remembered)
    trace.note({ choices: { ...(chose ? { chose } : {}), used: intent.remembered } });

  // layer 3: SQL over the sandbox only (the compiler, or the model), guarded, run
  const input: GenerateInput = {
    intent,
    question: understood,
    sandbox: described,
    dialect: deps.connector.dialect,
    history: conversation.turns,
    examples: await deps.feedback.examplesFor(identity.sessionKey, scope),
  };
  const generator = intent.kind === 'query' ? deps.generator : deps.model!.generator;
  const ran = await generateGuardExecute(generator, input, {
    sandbox,
    scope,
    deps,
    trace,
    signal,
    repairable: intent.kind !== 'query',
  });

  // the answer, from the rows
  const units = await unitsInScope(scope, sandbox, deps, signal);
  const result = await answered(
    understood,
    intent,
    { ...ran, coverageNote },
    { requestId, conversationId: conversation.id, scope, sandbox, units, deps, trace, signal },
  );
  const members = intent.kind === 'query' ? rankedMembers(intent.query, ran.rows, deps.catalog) : undefined;
  await deps.conversations.record(conversation, {
    question: understood,
    sql: ran.guarded.candidate,
    ...(intent.kind === 'query' ? { query: intent.query } : {}),
    ...(members ? { members } : {}),
    ...(completed ? { alternatives: pending.choices } : {}),
  });
  await deps.feedback.remember(requestId, identity.sessionKey, scope, understood, ran.guarded.candidate);
  return result;
}

/** Layer 2 in the pipeline: the first pass on the catalog alone, the second with the caller's own data. */
import type { RequestTrace } from '../audit/trace.js';
import type { RankedMembers } from '../conversation/store.js';
import type { Choices } from '../conversation/choices.js';
import type { Identity } from '../identity/identity.js';
import {
  readQuestion,
  refuseEarly,
  understand,
  type Clarification,
  type Intent,
  type Unsupported,
} from '../intent/analyze.js';
import { wouldFollowUp } from '../intent/follow-up.js';
import { fillWithModel } from '../intent/model-fill.js';
import { outsideHistory } from '../intent/tense.js';
import type { Draft } from '../intent/parse.js';
import type { Scope } from '../policy/scope.js';
import type { SandboxDescription } from '../sandbox/sandbox.js';
import { checkCoverage } from '../semantic/coverage.js';
import { unwritableFilter, type SemanticQuery } from '../semantic/query.js';
import { compileQuery } from '../semantic/compile.js';
import type { ValueIndex } from '../semantic/values.js';
import type { QueryResult } from '../warehouse/connector.js';
import { denyForeignReferences } from './checks.js';
import type { PipelineDeps } from './deps.js';

/** What the question is so far. */
export interface Context {
  readonly question: string;
  readonly identity: Identity;
  readonly today: string;
  /** The conversation's last query, for follow-ups ("and the week before?"). */
  readonly previous: SemanticQuery | undefined;
  /** Every answered query of the conversation, oldest first ("both cities together" reads them). */
  readonly history: readonly SemanticQuery[];
  /** The conversation's last turn was not answered (a refusal, or a clarification this turn did not answer). */
  readonly lastUnanswered: boolean;
  /** The members the last answer ranked, for "that store". */
  readonly members: RankedMembers | undefined;
  /** What this person chose words to mean before ("sales" -> sales amount). */
  readonly choices: Choices;
}

const UNANSWERED =
  'Your last question was not answered, so I cannot tell what this one builds on. Please ask it in full, with the measure and the period.';

/**
 * The first pass: the catalog alone. A refusal that needs no data (a clarification, an unsupported
 * question with no model to ask) is the answer; IDs of another tenant, business or admin are denied.
 */
export function firstPass(
  c: Context,
  deps: Pick<PipelineDeps, 'catalog' | 'model'>,
  trace: RequestTrace,
): { draft: Draft; askModel: boolean; refusal?: Clarification | Unsupported } {
  const draft = readQuestion(c.question, deps.catalog, c.today);
  denyForeignReferences(draft.references, c.identity, trace);
  // After an unanswered turn, a follow-up would build on a question the person did not see answered.
  if (c.lastUnanswered && wouldFollowUp(c.question, draft, deps.catalog) && !outsideHistory(c.question, c.today)) {
    return {
      draft,
      askModel: false,
      refusal: { kind: 'clarification', message: UNANSWERED, choices: [], references: draft.references },
    };
  }
  const early = refuseEarly(c.question, draft, deps.catalog, c.previous, c.today, c.choices);
  const askModel = early?.kind === 'unsupported' && deps.model !== undefined && !draft.time.invalid;
  return early && !askModel ? { draft, askModel, refusal: early } : { draft, askModel };
}

/**
 * The second pass, with the caller's values: the parser, and the model when the parser could not
 * place every word. Then what the engine and the data allow: a value the engine cannot write is
 * asked about; so is a comparison against days the caller has no data for; a period starting
 * before the data is answered with a note saying so.
 */
export async function secondPass(
  c: Context,
  draft: Draft,
  x: {
    readonly deps: Pick<PipelineDeps, 'catalog' | 'connector' | 'coverage' | 'model'>;
    readonly scope: Scope;
    readonly sandbox: SandboxDescription;
    readonly values: ValueIndex | undefined;
    readonly askModel: boolean;
    readonly read: (sql: string, rowCap: number) => Promise<QueryResult>;
    readonly signal: AbortSignal;
  },
): Promise<{ intent: Intent; coverageNote?: string }> {
  const { deps } = x;
  const intent = await understood(c, draft, x);
  if (intent.kind === 'clarification') return { intent: openChoices(intent, deps, x.sandbox) };
  if (intent.kind !== 'query') return { intent };
  const unwritable = unwritableFilter(intent.query, deps.catalog, (v) => deps.connector.dialect.writesText(v));
  if (unwritable)
    return {
      intent: { kind: 'clarification', message: unwritable.message, choices: [], references: intent.references },
    };
  const verdict = checkCoverage(intent.query, deps.catalog, await deps.coverage(x.scope, x.sandbox, x.read));
  if (verdict.kind === 'refuse')
    return {
      intent: {
        kind: 'clarification',
        message: verdict.message,
        choices: verdict.choices,
        references: intent.references,
      },
    };
  return verdict.kind === 'note' ? { intent, coverageNote: verdict.note } : { intent };
}

/**
 * A clarification offers only the measures this caller's policy opens (the compiler can write them
 * over this sandbox); when it opens none of them, it says so instead of offering a 403.
 */
function openChoices(
  c: Clarification,
  deps: Pick<PipelineDeps, 'catalog' | 'connector'>,
  sandbox: SandboxDescription,
): Clarification {
  const open = (metric: string): boolean => {
    try {
      compileQuery(
        { measures: [metric], dimensions: [], filters: [], time: { from: '2000-01-01', to: '2000-01-01', label: '' } },
        deps.catalog,
        sandbox,
        deps.connector.dialect,
      );
      return true;
    } catch {
      return false;
    }
  };
  const choices = c.choices.filter((choice) => choice.metric === undefined || open(choice.metric));
  if (choices.length === c.choices.length) return c;
  const closed = c.choices.filter((choice) => !choices.includes(choice)).map((choice) => choice.label);
  const note = `${closed.join(' and ')} ${closed.length === 1 ? 'is' : 'are'} not open to you under your access policy.`;
  return {
    ...c,
    message: choices.length ? `${c.message} (${note})` : `${c.message} None of these can be answered for you: ${note}`,
    choices,
  };
}

async function understood(
  c: Context,
  draft: Draft,
  x: {
    readonly deps: Pick<PipelineDeps, 'catalog' | 'model'>;
    readonly values: ValueIndex | undefined;
    readonly askModel: boolean;
    readonly signal: AbortSignal;
  },
): Promise<Intent> {
  const { deps, values } = x;
  const previous = c.previous ? { previous: c.previous } : {};
  const parsed = x.askModel
    ? undefined
    : understand(c.question, draft, {
        catalog: deps.catalog,
        today: c.today,
        ...(values ? { values } : {}),
        ...previous,
        history: c.history,
        ...(c.members ? { members: c.members } : {}),
        choices: c.choices,
      });
  const unplaced = parsed?.kind === 'clarification' && parsed.unplaced !== undefined;
  if (!deps.model || !values || (parsed && !unplaced)) return parsed!;
  return fillWithModel(
    deps.model.llm,
    c.question,
    {
      catalog: deps.catalog,
      today: c.today,
      values,
      references: draft.references,
      maxTokens: deps.model.maxTokens,
      draft,
      ...previous,
    },
    x.signal,
  );
}

/** The pipeline's answers: an answered body from rows, a refusal that is an answer, an error. */
import type { RequestTrace } from '../audit/trace.js';
import { answerFor, freeFormSentence, numbersComeFromRows } from '../answer/answer.js';
import type { GuardedSql } from '../guard/guard.js';
import type { Clarification, Intent, Unsupported } from '../intent/analyze.js';
import { summaryPrompt } from '../llm/prompt.js';
import type { Scope } from '../policy/scope.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { interpretationOf, type Interpretation } from '../semantic/describe.js';
import { metricById, unitCount } from '../semantic/catalog.js';
import { labelColumns } from '../answer/columns.js';
import type { QueryResult } from '../warehouse/connector.js';
import type { PipelineDeps, PipelineResult } from './deps.js';

/** The answered body: the sentence (and headline) from the rows, what the question was understood as, the rows. */
export async function answered(
  question: string,
  intent: Extract<Intent, { kind: 'query' | 'freeform' }>,
  ran: { readonly guarded: GuardedSql; readonly rows: QueryResult; readonly coverageNote: string | undefined },
  c: {
    readonly requestId: string;
    readonly conversationId: string;
    readonly scope: Scope;
    readonly sandbox: Sandbox;
    readonly units: number;
    readonly deps: Pick<PipelineDeps, 'catalog' | 'model'>;
    readonly trace: RequestTrace;
    readonly signal: AbortSignal;
  },
): Promise<PipelineResult> {
  const { rows, guarded, coverageNote } = ran;
  const n = c.units;
  const read =
    intent.kind === 'query' ? interpretationOf(intent.query, c.deps.catalog, n, intent.inherited) : undefined;
  const remembered =
    intent.kind === 'query'
      ? (intent.remembered ?? []).map((r) => ({ ...r, label: metricById(c.deps.catalog, r.metric)?.label ?? r.metric }))
      : [];
  const interpretation: Interpretation = read
    ? {
        ...read,
        text: `${read.text}${remembered.map((r) => ` · "${r.term}" = ${r.label}, as you chose ("forget my choices" to be asked again)`).join('')}`,
      }
    : {
        query: null,
        text: `a query the language model wrote for your question · your ${unitCount(c.deps.catalog, n)}`,
      };
  const provenance = intent.kind === 'query' ? 'catalog' : 'model';
  c.trace.note({ rowCount: rows.rows.length, interpretation: interpretation.text, provenance });
  const said =
    intent.kind === 'query'
      ? answerFor(intent.query, rows, c.deps.catalog, n)
      : { answer: await freeFormAnswer(question, rows, c.deps, c.signal), headline: null };
  return {
    statusCode: 200,
    body: {
      requestId: c.requestId,
      conversationId: c.conversationId,
      status: 'answered',
      answer: coverageNote ? `${said.answer} ${coverageNote}` : said.answer,
      headline: said.headline,
      interpretation,
      ...(coverageNote ? { notes: [coverageNote] } : {}),
      // Catalog answers label their columns from the catalog; model SQL keeps its own names.
      columns: intent.kind === 'query' ? labelColumns(intent.query, rows.columns, c.deps.catalog) : rows.columns,
      rows: rows.rows,
      sql: guarded.candidate,
      provenance,
      ...(remembered.length ? { remembered } : {}),
      scope: {
        businessId: c.scope.businessId,
        [c.deps.catalog.schema.grantUnit.plural]: n,
        tables: c.sandbox.tables.map((t) => t.name),
      },
      ...(rows.truncated ? { truncated: true } : {}),
    },
  };
}

/** A clarifying question or the list of metrics: an answer, not an error. */
export function refusal(
  requestId: string,
  conversationId: string,
  intent: Clarification | Unsupported,
  haveModel: boolean,
): PipelineResult {
  const base = {
    requestId,
    conversationId,
    status: intent.kind,
    columns: [],
    rows: [],
    sql: null,
    scope: null,
  } as const;
  if (intent.kind === 'clarification') {
    return {
      statusCode: 200,
      body: {
        ...base,
        answer: intent.message,
        choices: intent.choices,
        ...(intent.unplaced ? { unplaced: intent.unplaced } : {}),
      },
    };
  }
  const note = haveModel
    ? ''
    : ' Questions beyond these metrics need a language model, which this deployment does not have configured.';
  return { statusCode: 200, body: { ...base, answer: `${intent.message}${note}`, metrics: intent.metrics } };
}

/** A model may word the answer from in-scope rows; a sentence with a number not in the rows is discarded. */
async function freeFormAnswer(
  question: string,
  rows: QueryResult,
  deps: Pick<PipelineDeps, 'model'>,
  signal: AbortSignal,
): Promise<string> {
  const fallback = freeFormSentence(question, rows);
  if (!deps.model || rows.rows.length === 0 || rows.rows.length > 50) return fallback;
  try {
    const res = await deps.model.llm.complete(
      summaryPrompt(
        question,
        rows.columns.map((c) => c.name),
        rows.rows,
        200,
      ),
      signal,
    );
    const sentence = res.text.trim().split('\n')[0]!.slice(0, 500);
    return sentence && numbersComeFromRows(sentence, rows) ? sentence : fallback;
  } catch {
    return fallback;
  }
}

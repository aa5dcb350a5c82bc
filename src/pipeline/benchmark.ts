/**
 * A peer benchmark question through the layers (issue 38): identity and limits have run; here the
 * policy decides the scope and its benchmark grants (layer 3), the question is read as a benchmark
 * against the catalog and those grants (layer 2: an ask-back when it cannot be), and the benchmark
 * compiler (src/benchmark/) runs one comparison per measure. No model and no sandbox query: the
 * only SQL is the compiler's, built from the registry and the verified scope, and only its released
 * figures leave the engine. The answer says what was compared with what, under which rules; the
 * audit event records the grant's terms, each group's release and band, and the SQL that ran.
 */
import type { RequestTrace } from '../audit/trace.js';
import type { Conversation, Turn } from '../conversation/store.js';
import { benchmarkColumns, groupSentence } from '../answer/benchmark.js';
import { benchmarkTerms, requireBenchmarkGrant, runBenchmark } from '../benchmark/benchmark.js';
import { readBenchmark } from '../benchmark/intent.js';
import type { Identity } from '../identity/identity.js';
import type { Clarification, Unsupported } from '../intent/analyze.js';
import { BUSINESS_GROUPING } from '../policy/scope.js';
import { metricById, unitDimension } from '../semantic/catalog.js';
import type { Cell } from '../warehouse/connector.js';
import type { BenchmarkView, PipelineDeps, PipelineResult } from './deps.js';
import { scopeAndSandbox } from './sql.js';

export interface BenchmarkTurn {
  readonly question: string;
  readonly requestId: string;
  readonly conversation: Conversation;
  readonly identity: Identity;
  readonly today: string;
  readonly deps: PipelineDeps;
  readonly trace: RequestTrace;
  readonly signal: AbortSignal;
  /** Answers an ask-back and records it as the conversation's turn (its choices complete it). */
  readonly refuse: (intent: Clarification | Unsupported) => Promise<PipelineResult>;
}

/** Run a benchmark question (the caller checked benchmarkAsked). */
export async function benchmarkTurn(t: BenchmarkTurn): Promise<PipelineResult> {
  const { deps, trace, signal, identity } = t;
  const { catalog } = deps;
  // layer 3: the scope and its grants. No grant, no benchmark (403, said and audited).
  const { scope } = await scopeAndSandbox(identity, deps, trace, signal);
  await trace.stage('generate', () => requireBenchmarkGrant(scope));
  // layer 2: what is compared, against the catalog and the grants; an ask-back otherwise.
  const reading = await trace.stage(
    'intent',
    () => readBenchmark(t.question, catalog, t.today, scope.benchmarks),
    (r) => (r?.kind === 'benchmark' ? 'ok' : 'clarification'),
  );
  if (reading?.kind !== 'benchmark')
    return t.refuse(
      reading ?? {
        kind: 'clarification',
        message: 'Which measure and which month do you want to compare with peers?',
        choices: [],
        references: [],
      },
    );
  const ask = reading;
  // The terms (and a refusal naming what the grants leave out) before anything runs.
  const terms = await trace.stage('generate', () =>
    ask.measures.map((measure) =>
      benchmarkTerms(scope, catalog, { measure, grouping: ask.grouping, from: ask.from, to: ask.to }),
    ),
  );
  const sql: string[] = [];
  const reads: ('hit' | 'miss' | undefined)[] = [];
  const k = Math.max(...terms.map((x) => x.k));
  const includeSelf = terms.every((x) => x.includeSelf);
  const asked = {
    measures: ask.measures,
    grouping: ask.grouping,
    ...(ask.groups.length ? { named: ask.groups.map((g) => g.value) } : {}),
    from: ask.from,
    to: ask.to,
    k,
    includeSelf,
  };
  // Audited before anything runs (a run that fails still leaves what was asked and the text that ran).
  trace.note({ provenance: 'benchmark', benchmark: { ...asked, groups: [] } });
  const runs = await trace.stage('execute', () =>
    Promise.all(
      ask.measures.map(async (measure) => ({
        measure,
        results: await runBenchmark(
          deps.connector,
          scope,
          { measure, grouping: ask.grouping, from: ask.from, to: ask.to },
          {
            catalog,
            today: t.today,
            timeoutMs: deps.limits.timeoutMs,
            signal,
            onSql: (s) => {
              sql.push(s);
              trace.note({ sql: sql.join(';\n') });
            },
            onCache: (c) => reads.push(c),
          },
        ),
      })),
    ),
  );
  // Groups the question named: those only, and only when each holds one of the caller's own units.
  const named = new Set(ask.groups.map((g) => g.value));
  const shown = runs.map((r) => ({
    ...r,
    results: named.size ? r.results.filter((g) => named.has(g.group)) : r.results,
  }));
  trace.note({
    // Every read a hit: `hit`; any read by the warehouse: `miss`; no cache: `off`.
    cache: reads.includes(undefined) ? 'off' : reads.every((c) => c === 'hit') ? 'hit' : 'miss',
    benchmark: {
      ...asked,
      groups: shown.flatMap((r) =>
        r.results.map((g) => ({
          measure: r.measure,
          group: g.group,
          released: g.released,
          ...(g.band ? { band: g.band } : {}),
          ...(g.released ? {} : { rule: g.reason?.includes('other groups') ? 'complement' : 'under_k' }),
        })),
      ),
    },
  });
  // Nothing could be released: an answer without a figure that says why (not an error), recorded as the turn.
  // What the turn remembers for a follow-up ("and in September?").
  const remembered: Turn['benchmark'] = {
    measures: ask.measures,
    grouping: ask.grouping,
    groups: ask.groups,
    from: ask.from,
  };
  const nothingReleased = async (answer: string, view?: BenchmarkView): Promise<PipelineResult> => {
    await deps.conversations.record(t.conversation, {
      question: t.question,
      sql: null,
      benchmark: remembered,
    } satisfies Turn);
    return {
      statusCode: 200,
      body: {
        requestId: t.requestId,
        conversationId: t.conversation.id,
        status: 'unsupported',
        answer,
        columns: [],
        rows: [],
        sql: null,
        scope: null,
        provenance: 'benchmark',
        ...(view ? { benchmark: view } : {}),
      },
    };
  };
  const units = unitDimension(catalog)?.plural ?? catalog.schema.grantUnit.plural;
  const groupWord = catalog.dimensions.find((d) => d.id === ask.grouping);
  const mine = [...new Set(runs.flatMap((r) => r.results.map((g) => g.group)))];
  const foreign = ask.groups.filter((g) => !mine.includes(g.value));
  if (foreign.length)
    return nothingReleased(
      `You have no ${units} in ${foreign.map((g) => g.text).join(' or ')}: a comparison with peers is made within the ${groupWord?.plural ?? 'groups'} of your own ${units}${mine.length ? ` (${mine.join(', ')})` : ''}.`,
    );
  const released = shown.flatMap((r) => r.results.filter((g) => g.released).map((g) => ({ measure: r.measure, g })));
  const rules =
    `Peers are the ${units} outside your access that had data in ${ask.month}; a group is shown only when it has at least ${k} of them, ` +
    `its size only as a band, and your own ${units} are ${includeSelf ? 'counted in' : 'left out of'} the peer figures.`;
  const sentences = shown.flatMap((r) => r.results.map((g) => groupSentence(catalog, ask, r.measure, g)));
  const month = ask.defaultMonth ? `${ask.month} (the last whole month)` : ask.month;
  const interpretation = {
    query: null,
    text: `a comparison with peers · ${ask.measures.map((m) => metricById(catalog, m)?.label ?? m).join(', ')} per ${unitDimension(catalog)?.label ?? 'unit'} · ${month} · ${ask.grouping === BUSINESS_GROUPING ? 'the whole business' : `by ${groupWord?.label ?? ask.grouping}`} · at least ${k} peers`,
  };
  trace.note({ rowCount: released.length, interpretation: interpretation.text });
  const view: BenchmarkView = {
    month: ask.month,
    k,
    groups: shown.flatMap((r) =>
      r.results.map((g) => ({
        measure: r.measure,
        label: metricById(catalog, r.measure)?.label ?? r.measure,
        format: metricById(catalog, r.measure)?.format ?? 'decimal',
        group: g.group,
        released: g.released,
        ...(g.reason ? { reason: g.reason } : {}),
        ...(g.band ? { band: g.band } : {}),
        ...(g.yourValue !== undefined ? { yourValue: g.yourValue } : {}),
        ...(g.peerAverage !== undefined ? { peerAverage: g.peerAverage } : {}),
        ...(g.peerMedian !== undefined ? { peerMedian: g.peerMedian } : {}),
        ...(g.yourPercentile !== undefined ? { yourPercentile: g.yourPercentile } : {}),
      })),
    ),
  };
  if (!released.length) return nothingReleased(`${sentences.join(' ')} ${rules}`, view);
  const rows: (readonly Cell[])[] = released.map(({ measure, g }) => [
    ...(ask.grouping === BUSINESS_GROUPING ? [] : [g.group]),
    metricById(catalog, measure)?.label ?? measure,
    g.yourUnits ?? 0,
    g.yourValue ?? null,
    g.peerAverage ?? null,
    g.peerMedian ?? null,
    g.yourPercentile ?? null,
    g.band ?? null,
  ]);
  // The turn keeps no SQL: a benchmark's text names raw tables, and a turn's SQL reaches a model's prompt.
  await deps.conversations.record(t.conversation, {
    question: t.question,
    sql: null,
    benchmark: remembered,
  } satisfies Turn);
  const readAs = ask.readAs
    ? ` ("${ask.readAs.term}" read as the ${metricById(catalog, ask.readAs.metric)?.label ?? ask.readAs.metric}, the only meaning that can be compared with peers.)`
    : '';
  return {
    statusCode: 200,
    body: {
      requestId: t.requestId,
      conversationId: t.conversation.id,
      status: 'answered',
      answer: `${month.replace(/^./, (c) => c.toUpperCase())}: ${sentences.join(' ')} ${rules}${readAs}`,
      headline: null,
      interpretation,
      columns: benchmarkColumns(catalog, ask),
      rows,
      sql: null,
      provenance: 'benchmark',
      benchmark: view,
      scope: {
        businessId: scope.businessId,
        [catalog.schema.grantUnit.plural]: scope.units.length,
        tables: [],
      },
    },
  };
}

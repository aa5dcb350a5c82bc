/**
 * `splitplane eval`: every question through the full pipeline (in process or
 * a running server), its answer compared with gold computed independently from
 * the raw tables. Per question: right, refused (a clarification, an unsupported
 * list or a denial where an answer was expected: honest, not right), or WRONG
 * (a number that is not the gold one, or a number where none should be).
 */
import { sameRows, type Value } from './compare.js';
import type { EvalFile, EvalTurn, Expectation, Persona } from './file.js';
import type { GoldDatabase } from './gold.js';
import { text } from '../util/text.js';

/** Sends one question as a persona, optionally continuing a conversation. */
export interface Asker {
  ask(
    persona: Persona,
    question: string,
    conversationId?: string,
  ): Promise<{ statusCode: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export type Verdict = 'right' | 'refused' | 'WRONG';

export interface TurnResult {
  readonly id: string;
  readonly turn: number;
  readonly persona: string;
  readonly category: string;
  readonly question: string;
  readonly expect: Expectation;
  readonly verdict: Verdict;
  /** What came back: answered / clarification / unsupported / the error code. */
  readonly got: string;
  readonly detail?: string;
  readonly interpretation?: string;
}

export interface EvalReport {
  readonly summary: {
    readonly questions: number;
    readonly right: number;
    readonly refused: number;
    readonly wrong: number;
    readonly rightRate: number;
  };
  readonly byCategory: Readonly<Record<string, { right: number; refused: number; wrong: number }>>;
  readonly results: readonly TurnResult[];
}

/** Run every entry. */
export async function runEval(
  file: EvalFile,
  asker: Asker,
  gold: GoldDatabase,
  onResult?: (r: TurnResult) => void,
): Promise<EvalReport> {
  const results: TurnResult[] = [];
  // A clarification answered in one entry is remembered for that person: every entry starts with no
  // remembered choice, so the person is asked to forget them before the next entry of theirs.
  const chose = new Set<string>();
  for (const entry of file.entries) {
    const persona = file.personas[entry.persona]!;
    if (chose.delete(entry.persona)) await asker.ask(persona, 'forget my choices', undefined);
    let conversationId: string | undefined;
    let lastStatus: unknown;
    for (const [k, t] of entry.turns.entries()) {
      const res = await asker.ask(persona, t.question, conversationId);
      if (typeof res.body['conversationId'] === 'string') conversationId = res.body['conversationId'];
      if (lastStatus === 'clarification') chose.add(entry.persona);
      lastStatus = res.body['status'];
      const r = await judge(t, res, async (sql) => gold.run(persona, file.personas, sql));
      const result: TurnResult = {
        id: entry.id,
        turn: k + 1,
        persona: entry.persona,
        category: entry.category,
        question: t.question,
        expect: t.expect,
        ...r,
        ...(typeof (res.body['interpretation'] as { text?: unknown } | undefined)?.text === 'string'
          ? { interpretation: (res.body['interpretation'] as { text: string }).text }
          : {}),
      };
      results.push(result);
      onResult?.(result);
    }
  }
  const count = (v: Verdict, rs: readonly TurnResult[]): number => rs.filter((r) => r.verdict === v).length;
  const byCategory: Record<string, { right: number; refused: number; wrong: number }> = {};
  for (const c of new Set(results.map((r) => r.category))) {
    const rs = results.filter((r) => r.category === c);
    byCategory[c] = { right: count('right', rs), refused: count('refused', rs), wrong: count('WRONG', rs) };
  }
  const right = count('right', results);
  return {
    summary: {
      questions: results.length,
      right,
      refused: count('refused', results),
      wrong: count('WRONG', results),
      rightRate: results.length ? right / results.length : 0,
    },
    byCategory,
    results,
  };
}

/** One turn's verdict. */
export async function judge(
  t: EvalTurn,
  res: { statusCode: number; body: Record<string, unknown> },
  gold: (sql: string) => Promise<readonly (readonly Value[])[]>,
): Promise<{ verdict: Verdict; got: string; detail?: string }> {
  const status = typeof res.body['status'] === 'string' ? res.body['status'] : undefined;
  const got = res.statusCode === 200 && status ? status : `${res.statusCode} ${text(res.body['code'])}`.trim();
  const answered = res.statusCode === 200 && status === 'answered';
  if (t.expect !== 'answer') {
    if (answered)
      return {
        verdict: 'WRONG',
        got,
        detail: 'answered with a number where the service should have asked back or refused',
      };
    const right =
      t.expect === 'refusal' ||
      (t.expect === 'clarification' && status === 'clarification') ||
      (t.expect === 'unsupported' && status === 'unsupported') ||
      (t.expect === 'denied' && res.statusCode === 403);
    return { verdict: right ? 'right' : 'refused', got };
  }
  if (!answered)
    return {
      verdict: 'refused',
      got,
      ...(typeof res.body['answer'] === 'string' ? { detail: res.body['answer'] } : {}),
    };
  const expected = t.rows ?? (await gold(t.gold!));
  const rows = res.body['rows'] as Value[][];
  if (sameRows(rows, expected, t.ordered)) return { verdict: 'right', got };
  // Still WRONG; the note separates "every gold figure is there, beside others" from a different number.
  const besides = sameRows(rows, expected, t.ordered, true)
    ? 'every gold figure is in the answer, beside extra figures: '
    : '';
  return {
    verdict: 'WRONG',
    got,
    detail: `${besides}rows ${JSON.stringify(rows.slice(0, 5))}${rows.length > 5 ? ` (+${rows.length - 5})` : ''} vs gold ${JSON.stringify(expected.slice(0, 5))}${expected.length > 5 ? ` (+${expected.length - 5})` : ''}`,
  };
}

/**
 * The evaluation file (YAML): personas, and questions with what the answer must
 * be. Validated strictly; a bad file fails before anything is asked.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const id = z.string().regex(/^[1-9][0-9]{0,17}$/);
const Expect = z.enum(['answer', 'clarification', 'unsupported', 'denied', 'refusal']);

const Turn = z
  .object({
    question: z.string().min(1).max(2_000),
    expect: Expect,
    gold: z.string().min(1).optional(),
    rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))).optional(),
    ordered: z.boolean().default(false),
  })
  .strict()
  .refine((t) => t.expect !== 'answer' || t.gold !== undefined || t.rows !== undefined, { message: 'an answer needs gold SQL or rows' });

const Entry = z.union([
  z.object({ id: z.string().min(1), persona: z.string(), category: z.string(), turns: z.array(Turn).min(1) }).strict(),
  z
    .object({
      id: z.string().min(1),
      persona: z.string(),
      category: z.string(),
      question: z.string().min(1).max(2_000),
      expect: Expect,
      gold: z.string().min(1).optional(),
      rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))).optional(),
      ordered: z.boolean().default(false),
    })
    .strict(),
]);

const EvalSchema = z
  .object({
    version: z.literal(1),
    today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    personas: z.record(
      z.string(),
      z
        .object({
          tenantId: id,
          businessId: id,
          adminId: id,
          // What the persona's access rules narrow, in the evaluator's own terms (gold.ts applies them with its own SQL).
          states: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1).optional(),
          salesFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
        })
        .strict(),
    ),
    questions: z.array(Entry).min(1),
  })
  .strict();

export type Expectation = z.infer<typeof Expect>;

/** One question of a conversation (a plain question is a conversation of one). */
export interface EvalTurn {
  readonly question: string;
  readonly expect: Expectation;
  readonly gold?: string;
  readonly rows?: readonly (readonly (string | number | null)[])[];
  readonly ordered: boolean;
}

export interface EvalEntry {
  readonly id: string;
  readonly persona: string;
  readonly category: string;
  readonly turns: readonly EvalTurn[];
}

export interface Persona {
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  /** Only stores in these states (a regional director's rule). */
  readonly states?: readonly string[] | undefined;
  /** Only sales rows on or after this date (a contractor's window). */
  readonly salesFrom?: string | undefined;
}

export interface EvalFile {
  readonly today: string;
  readonly personas: Readonly<Record<string, Persona>>;
  readonly entries: readonly EvalEntry[];
}

/** Read and validate an evaluation file; throws an Error naming every problem. */
export function loadEvalFile(path: string): EvalFile {
  const r = EvalSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!r.success) throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const f = r.data;
  const ids = new Set<string>();
  const entries: EvalEntry[] = f.questions.map((q) => {
    if (ids.has(q.id)) throw new Error(`${path}: question id ${q.id} appears twice`);
    ids.add(q.id);
    if (!f.personas[q.persona]) throw new Error(`${path}: ${q.id} names unknown persona ${q.persona}`);
    if ('turns' in q) return { id: q.id, persona: q.persona, category: q.category, turns: q.turns.map(turn) };
    return { id: q.id, persona: q.persona, category: q.category, turns: [turn(q)] };
  });
  return { today: f.today, personas: f.personas, entries };
}

function turn(t: { question: string; expect: Expectation; gold?: string | undefined; rows?: (string | number | null)[][] | undefined; ordered: boolean }): EvalTurn {
  return { question: t.question, expect: t.expect, ordered: t.ordered, ...(t.gold ? { gold: t.gold } : {}), ...(t.rows ? { rows: t.rows } : {}) };
}

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
  .refine((t) => t.expect !== 'answer' || t.gold !== undefined || t.rows !== undefined, {
    error: 'an answer needs gold SQL or rows',
  });

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

/** A narrowing filter of a persona: `column op values`, values as the column stores them (text, a date as YYYY-MM-DD, a number). */
const GoldFilter = z
  .object({
    column: z.string().regex(/^[a-z][a-z0-9_]*$/),
    op: z.enum(['eq', 'in', 'gte', 'lte']),
    values: z.array(z.union([z.string().max(200), z.number()])).min(1),
  })
  .strict();
export type GoldFilter = z.infer<typeof GoldFilter>;

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
          // What the persona's access rules narrow, in the evaluator's own terms (gold.ts applies them with its own SQL):
          // filters over the grant unit's table, and over other tables, by their catalog (= raw column) names.
          unitFilters: z.array(GoldFilter).min(1).optional(),
          rowFilters: z.record(z.string(), z.array(GoldFilter).min(1)).optional(),
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
  /** Only the granted units these filters keep (over the grant unit's table: a regional director's states). */
  readonly unitFilters?: readonly GoldFilter[] | undefined;
  /** Only the rows these filters keep, per logical table (a contractor's window). */
  readonly rowFilters?: Readonly<Record<string, readonly GoldFilter[]>> | undefined;
}

export interface EvalFile {
  readonly today: string;
  readonly personas: Readonly<Record<string, Persona>>;
  readonly entries: readonly EvalEntry[];
}

/** Read and validate an evaluation file; throws an Error naming every problem. */
export function loadEvalFile(path: string): EvalFile {
  const r = EvalSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!r.success)
    throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
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

function turn(t: {
  question: string;
  expect: Expectation;
  gold?: string | undefined;
  rows?: (string | number | null)[][] | undefined;
  ordered: boolean;
}): EvalTurn {
  return {
    question: t.question,
    expect: t.expect,
    ordered: t.ordered,
    ...(t.gold ? { gold: t.gold } : {}),
    ...(t.rows ? { rows: t.rows } : {}),
  };
}

/**
 * Is the service's answer the gold answer? Columns are matched by their values
 * (not by name or position), rows as a set unless the question ranks. Numbers
 * are equal when they differ by at most half a unit of the answer's last
 * decimal (the answer may round an unrounded gold ratio, never change a sum).
 */
export type Value = string | number | boolean | null;

function numeric(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(v)) return Number(v);
  return undefined;
}

function decimals(v: Value): number {
  const t = String(v);
  if (/e/i.test(t)) return 12;
  const i = t.indexOf('.');
  return i < 0 ? 0 : t.length - i - 1;
}

/** One answer cell against one gold cell. */
export function sameValue(answer: Value, gold: Value): boolean {
  if (answer === null || gold === null) return answer === gold;
  const a = numeric(answer);
  const g = numeric(gold);
  if (a !== undefined && g !== undefined) return Math.abs(a - g) <= 0.5 * 10 ** -decimals(answer) + 1e-9 * Math.abs(g);
  const norm = (v: Value): string =>
    String(v)
      .replace(/ 00:00:00(\.0+)?$/, '')
      .trim();
  return norm(answer) === norm(gold);
}

/**
 * Whether `answer` rows equal `gold` rows, up to a column permutation (and row order unless `ordered`).
 * `extraFigures` lets extra numeric columns through: never a verdict of right, only the evaluator's
 * note that every gold figure was found beside figures the question's writer did not ask for.
 */
export function sameRows(
  answer: readonly (readonly Value[])[],
  gold: readonly (readonly Value[])[],
  ordered: boolean,
  extraFigures = false,
): boolean {
  if (answer.length !== gold.length) return false;
  const width = gold[0]?.length ?? 0;
  // The answer may carry label columns beyond gold's (the name of the one store a follow-up narrowed
  // to, beside its number), never fewer columns and never an extra figure: every gold column must be
  // found among them, row by row.
  const answerWidth = answer[0]?.length ?? 0;
  if (answer.some((r) => r.length !== answerWidth || r.length < width) && gold.length > 0) return false;
  if (gold.length === 0) return true;
  // Candidate answer columns for each gold column: same values in the same order (ordered) or as a multiset.
  const column = (rows: readonly (readonly Value[])[], i: number): Value[] => rows.map((r) => r[i] ?? null);
  const fits = (ac: Value[], gc: Value[]): boolean => {
    if (ordered) return ac.every((v, k) => sameValue(v, gc[k]!));
    const left = [...gc];
    return ac.every((v) => {
      const k = left.findIndex((g) => sameValue(v, g));
      if (k < 0) return false;
      left.splice(k, 1);
      return true;
    });
  };
  const candidates = Array.from({ length: width }, (_, g) =>
    Array.from({ length: answerWidth }, (_, a) => a).filter((a) => fits(column(answer, a), column(gold, g))),
  );
  const used = new Set<number>();
  const map: number[] = [];
  const rowsMatch = (): boolean => {
    const mapped = answer.map((r) => map.map((a) => r[a] ?? null));
    if (ordered) return mapped.every((r, k) => r.every((v, i) => sameValue(v, gold[k]![i]!)));
    const left = [...gold];
    return mapped.every((r) => {
      const k = left.findIndex((g) => r.every((v, i) => sameValue(v, g[i]!)));
      if (k < 0) return false;
      left.splice(k, 1);
      return true;
    });
  };
  // Columns the answer has beyond gold may only be labels (text that is not a number): a name, never a figure.
  const extraAreLabels = (): boolean =>
    Array.from({ length: answerWidth }, (_, a) => a)
      .filter((a) => !used.has(a))
      .every((a) => answer.every((r) => typeof r[a] === 'string' && !/^-?\d+(?:\.\d+)?$/.test(r[a])));
  const assign = (g: number): boolean => {
    if (g === width) return rowsMatch() && (extraFigures || extraAreLabels());
    for (const a of candidates[g]!) {
      if (used.has(a)) continue;
      used.add(a);
      map.push(a);
      if (assign(g + 1)) return true;
      map.pop();
      used.delete(a);
    }
    return false;
  };
  return assign(0);
}

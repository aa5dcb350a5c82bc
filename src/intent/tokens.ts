/**
 * Words of a question, and who has placed each one. Every recogniser claims
 * the tokens it understood; the parser may answer only when every token is
 * claimed or is a filler word, so nothing a user typed is silently dropped.
 *
 * Recognisers match regular expressions over `text()`: the normalised
 * tokens joined by single spaces, with claimed tokens replaced by a mark no
 * pattern matches, so two recognisers can never read the same word.
 */

/** One token of the question. */
export interface Token {
  /** As typed. */
  readonly raw: string;
  /** Lower case, accents folded, apostrophes dropped ("What's" -> "whats", "Crème" -> "creme"). */
  readonly norm: string;
  /** Offsets in the question. */
  readonly start: number;
  readonly end: number;
}

const TOKEN =
  /(\d{4}-\d{1,2}-\d{1,2})|(\d{1,2}\/\d{1,2}(?:\/\d{2,4})?)|(#\s?\d+)|(\$?\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|k)?%?)|([\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['\u2019][\p{L}\p{M}]+)*)|(%|&|,|\+)|(!=|<>|\u2260|(?<![\p{L}\p{N}])-(?=\p{L}))|([<>=~^*|\\]+)/gu;

/**
 * Split a question into tokens. Sentence punctuation (. ? ! : ; quotes, brackets, a dash between
 * words) separates tokens and is dropped; operator symbols are kept as tokens.
 */
export function tokenize(question: string, shorthand: Readonly<Record<string, string>> = {}): Token[] {
  const text = question.normalize('NFKC');
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const raw = m[0];
    const start = m.index;
    let norm = fold(raw);
    if (m[3] !== undefined) norm = `#${raw.replace(/[#\s]/g, '')}`;
    else if (m[4] !== undefined) norm = raw.replace(/[$,]/g, '').toLowerCase();
    else if (raw === '%') norm = 'percent';
    else if (raw === '&' || raw === '+') norm = 'and';
    // "!= Chicago", "≠ Chicago", "-Chicago": an exclusion, read as the word "excluding" would be.
    else if (m[7] !== undefined) norm = 'excluding';
    // Other operators ("> 1000", "= Chicago", "<= 5") are kept as words nothing places, so the
    // question is asked back instead of being answered without them.
    else if (m[8] !== undefined) norm = raw;
    // A catalog's shop talk ("mtd") is read as the words it stands for ("month to date"): one token
    // whose words the recognisers match from its start.
    norm = (Object.hasOwn(shorthand, norm) ? shorthand[norm] : undefined) ?? ABBREVIATIONS[norm] ?? norm;
    out.push({ raw, norm, start, end: start + raw.length });
  }
  return out;
}

/** Common abbreviations, read as the word they stand for. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  avg: 'average',
  qty: 'quantity',
  pct: 'percent',
  wk: 'week',
  wks: 'weeks',
  yr: 'year',
  yrs: 'years',
  mth: 'month',
  mths: 'months',
  yest: 'yesterday',
  tues: 'tuesday',
  thurs: 'thursday',
  vs: 'vs',
  versus: 'vs',
  '&': 'and',
  no: 'no',
};

/** Lower case with accents folded and apostrophes removed. */
export function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/(?<=s)['\u2019]s\b/g, '') // "Dallas's" is Dallas (the plural rule keeps a double s)
    .replace(/['\u2019]/g, '');
}

/** What a claimed token was understood as. */
export type Claim =
  | 'time'
  | 'compare'
  | 'derive'
  | 'measure'
  | 'ambiguous'
  | 'rank'
  | 'dimension'
  | 'filter'
  | 'reference'
  | 'cue'
  | 'filler'
  | 'subject'
  | 'hint';

const MARK = '\u00b7';

/** Whole-word global versions of the recognisers' patterns, compiled once each. */
const compiled = new Map<string, RegExp>();
function wrapped(pattern: RegExp): RegExp {
  let re = compiled.get(pattern.source);
  if (!re) {
    re = new RegExp(`(?<![^ ])(?:${pattern.source})(?![^ ])`, 'g');
    if (compiled.size < 5_000) compiled.set(pattern.source, re);
  }
  re.lastIndex = 0;
  return re;
}

/** The tokens of one question and their claims. */
export class Tokens {
  readonly list: readonly Token[];
  readonly #claims: (Claim | undefined)[];

  constructor(
    readonly question: string,
    shorthand?: Readonly<Record<string, string>>,
  ) {
    this.list = tokenize(question, shorthand);
    this.#claims = this.list.map(() => undefined);
  }

  get length(): number {
    return this.list.length;
  }

  claimOf(i: number): Claim | undefined {
    return this.#claims[i];
  }

  isFree(i: number): boolean {
    return i >= 0 && i < this.list.length && this.#claims[i] === undefined;
  }

  claim(from: number, to: number, what: Claim): void {
    for (let i = from; i < to; i++) this.#claims[i] = what;
  }

  /** The joined text the recognisers match, and where each token starts in it. */
  text(): { text: string; starts: number[] } {
    const starts: number[] = [];
    let text = '';
    this.list.forEach((t, i) => {
      if (i > 0) text += ' ';
      starts.push(text.length);
      text += this.#claims[i] === undefined ? t.norm : MARK;
    });
    return { text, starts };
  }

  /**
   * Every match of `pattern` (without flags; whole words only) over unclaimed tokens, as token
   * ranges with the match's groups, in order, not overlapping. The caller claims what it keeps.
   */
  find(pattern: RegExp): { from: number; to: number; groups: (string | undefined)[] }[] {
    const { text, starts } = this.text();
    const re = wrapped(pattern);
    const out: { from: number; to: number; groups: (string | undefined)[] }[] = [];
    for (const m of text.matchAll(re)) {
      if (m[0].length === 0) continue;
      const from = starts.indexOf(m.index);
      const endAt = m.index + m[0].length;
      let to = from;
      while (to < starts.length && starts[to]! < endAt) to++;
      if (from < 0 || out.some((o) => from < o.to && to > o.from)) continue;
      out.push({ from, to, groups: m.slice(1) });
    }
    return out;
  }

  /** The question as typed, from token `from` to token `to` (exclusive). */
  raw(from: number, to: number): string {
    if (to <= from) return '';
    return this.question.normalize('NFKC').slice(this.list[from]!.start, this.list[to - 1]!.end);
  }

  /** The question with every claimed token blanked out (same offsets), for a date library to read. */
  unclaimedText(): string {
    const q = this.question.normalize('NFKC').split('');
    this.list.forEach((t, i) => {
      if (this.#claims[i] !== undefined) for (let k = t.start; k < t.end; k++) q[k] = ' ';
    });
    return q.join('');
  }

  /** Token indices covering the character range [start, end), when it falls on token boundaries. */
  tokensAt(start: number, end: number): { from: number; to: number } | undefined {
    const from = this.list.findIndex((t) => t.start >= start && t.start < end);
    if (from < 0) return undefined;
    let to = from;
    while (to < this.list.length && this.list[to]!.end <= end) to++;
    if (to === from) return undefined;
    return { from, to };
  }
}

/**
 * Layer 2, second pass: the mentions of the first pass matched against the
 * caller's own values (src/semantic/values.ts). A mention is placed only by
 * an exact match (after case, accents and plurals) of the whole phrase, of
 * each item of a list ("Austin and Dallas"), or of a sequence of values with
 * fillers between; anything left over is reported, never guessed.
 */
import type { Catalog } from '../semantic/catalog.js';
import type { QueryFilter } from '../semantic/query.js';
import { matchKey, type ValueIndex, type ValueMatch } from '../semantic/values.js';
import { FILLER, LIST_JOINERS } from './lexicon.js';
import type { Mention } from './parse.js';

/** The outcome of matching every mention. */
export interface Resolution {
  readonly filters: readonly QueryFilter[];
  /** Words that match nothing the caller may see, as typed. */
  readonly unplaced: readonly string[];
  /** A phrase that names values of several dimensions ("New York": a city and a state). */
  readonly ambiguous?: { readonly text: string; readonly options: readonly ValueMatch[] };
  /** One list naming values of different kinds ("Chicago and Texas"), which one filter cannot say. */
  readonly mixed?: string;
  /** Mentions and the values they matched, in order (for "Austin vs Dallas"). */
  readonly matched: readonly { readonly mention: Mention; readonly values: readonly ValueMatch[] }[];
}

/** Match every mention against the index. */
export function resolveMentions(mentions: readonly Mention[], catalog: Catalog, index: ValueIndex): Resolution {
  const unplaced: string[] = [];
  const matched: { mention: Mention; values: ValueMatch[] }[] = [];
  let ambiguous: Resolution['ambiguous'];
  let mixed: string | undefined;
  for (const m of mentions) {
    // "Kansas City", "Oklahoma City": the dimension's own word is part of the name. The phrase with it
    // is tried first, so the hint's dimension is not lost to another reading ("Kansas": the state).
    const named = m.hint !== undefined && m.number === undefined ? withDimensionWord(m, catalog, index) : undefined;
    const r = named ? { values: [named], unplaced: [] } : resolveOne(m, index);
    unplaced.push(...r.unplaced);
    if (r.values.length === 0) continue;
    // A value that is several things at once: a hint picks one, or the caller is asked.
    const values: ValueMatch[] = [];
    for (const options of r.values) {
      const hinted = m.hint ? options.filter((o) => o.dimension === m.hint) : options;
      const pool = hinted.length ? hinted : options;
      const dims = [...new Set(pool.map((o) => o.dimension))];
      if (dims.length > 1) ambiguous ??= { text: m.text, options: pool };
      else values.push(...pool);
    }
    if (new Set(values.map((v) => v.dimension)).size > 1 && !m.negated) mixed ??= m.text;
    matched.push({ mention: m, values });
  }
  // One filter per (dimension, kept or excluded); values of several mentions add up.
  const groups = new Map<string, { dimension: string; negated: boolean; values: string[] }>();
  for (const { mention, values } of matched) {
    for (const v of values) {
      const key = `${v.dimension}\u0000${mention.negated}`;
      const g = groups.get(key) ?? { dimension: v.dimension, negated: mention.negated, values: [] };
      if (!g.values.includes(v.value)) g.values.push(v.value);
      groups.set(key, g);
    }
  }
  const order = catalog.dimensions.map((d) => d.id);
  const filters = [...groups.values()]
    .sort((a, b) => order.indexOf(a.dimension) - order.indexOf(b.dimension) || Number(a.negated) - Number(b.negated))
    .map((g): QueryFilter => {
      // A name the engine's SQL text cannot carry (accents; an apostrophe where the dialect writes no quote) is filtered
      // by its keys, when the dimension has them.
      const keys = g.values.every(index.writesText) ? undefined : g.values.flatMap((v) => index.keysOf(g.dimension, v));
      return {
        dimension: g.dimension,
        op: g.negated ? 'not_in' : g.values.length === 1 ? 'eq' : 'in',
        values: g.values,
        ...(keys && keys.length ? { keys } : {}),
      };
    });
  return { filters, unplaced, ...(ambiguous ? { ambiguous } : {}), ...(mixed ? { mixed } : {}), matched };
}

/** Values for one mention: a list of alternatives per value found, and the words left over. */
function resolveOne(m: Mention, index: ValueIndex): { values: ValueMatch[][]; unplaced: string[] } {
  if (m.number !== undefined) {
    const byKey = m.hint ? index.withKey(m.hint, m.number) : undefined;
    const numbered = m.hint ? index.numbered(m.hint, m.number) : [];
    const names = byKey ? [byKey] : numbered;
    if (names.length === 1) return { values: [[{ dimension: m.hint!, value: names[0]! }]], unplaced: [] };
    return { values: [], unplaced: [m.text] };
  }
  const whole = lookup(m.text, m.words, index);
  // A short code typed in lower case is also an everyday word ("up or down", "oh and guests", "id like"):
  // it names the value ("OR", "OH", "ID") only in capitals (in a question not all in capitals: the parser's
  // `codes`), next to its dimension, or after a word that
  // introduces a place ("in oh", "vs ca"). Otherwise a joiner or filler is the parser's own word, and any
  // other word is reported as not understood, never read as a filter.
  if (
    whole.length &&
    m.words.length === 1 &&
    EVERYDAY_SHORT_WORDS.has(m.words[0] ?? '') &&
    m.codes[0] !== true &&
    !m.hint &&
    !CODE_CUES.has(m.before ?? '')
  ) {
    const words = whole.filter((v) => !isShortCode(v.value));
    if (words.length === 0)
      return {
        values: [],
        unplaced: LIST_JOINERS.has(m.text.toLowerCase()) || FILLER.has(m.text.toLowerCase()) ? [] : [m.text],
      };
    return { values: [words], unplaced: [] };
  }
  if (whole.length) return { values: [whole], unplaced: [] };
  // Greedy, longest first, over the words; fillers and list words between values are fine.
  const words = m.words;
  const values: ValueMatch[][] = [];
  const unplaced: string[] = [];
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    if ((LIST_JOINERS.has(w) || FILLER.has(w)) && m.codes[i] !== true) {
      i++;
      continue;
    }
    let found: ValueMatch[] = [];
    let len = 0;
    for (let n = Math.min(index.maxWords + 1, words.length - i); n >= 1; n--) {
      const phrase = words.slice(i, i + n);
      const hits = lookup(phrase.join(' '), phrase, index);
      if (hits.length) {
        found = hits;
        len = n;
        break;
      }
    }
    if (len === 0) {
      unplaced.push(w);
      i++;
    } else {
      values.push(found);
      i += len;
    }
  }
  return { values, unplaced: unplaced.length ? [rawWords(m.text, unplaced)] : [] };
}

/** Words after which a lower-case short code names a place: "in oh", "for la", "vs ca", "excluding tx". */
const CODE_CUES: ReadonlySet<string> = new Set([
  'in',
  'for',
  'at',
  'from',
  'across',
  'vs',
  'and',
  'or',
  'excluding',
  'except',
  'without',
  'than',
  'between',
  'to',
  'not',
  'but',
  'outside',
  'inside',
]);

/** Everyday English words that are also two-letter codes (states, countries): read as a code only when cued. */
const EVERYDAY_SHORT_WORDS: ReadonlySet<string> = new Set(
  'oh ok hi me or in id la pa ma de al co am as at be by do go he if is it my no of on so to up us we an'.split(' '),
);

/** A stored value written as a short code in capitals ("OR", "ID"). */
function isShortCode(value: string): boolean {
  return value.length <= 2 && /^[A-Z]+$/.test(value);
}

function lookup(text: string, words: readonly string[], index: ValueIndex): ValueMatch[] {
  const direct = index.lookup(text);
  if (direct.length) return [...direct];
  // "#17" alone, or "the Chicago #17 store": a store number.
  if (words.length === 1 && /^#\d+$/.test(words[0]!)) {
    const hits = index.numberedAny(words[0]!.slice(1));
    if (hits.length === 1) return [...hits];
  }
  return [];
}

/** The unplaced words as the user typed them (case and accents kept where we can find them). */
function rawWords(text: string, words: readonly string[]): string {
  const typed = text.split(/\s+/);
  const out = words.map((w) => typed.find((t) => matchKey(t) === matchKey(w)) ?? w);
  return out.join(' ');
}

/** The mention's text joined with its hint dimension's own words, when that names a value of the dimension. */
function withDimensionWord(m: Mention, catalog: Catalog, index: ValueIndex): ValueMatch[] | undefined {
  const d = catalog.dimensions.find((x) => x.id === m.hint);
  if (!d) return undefined;
  for (const w of new Set([d.label.toLowerCase(), ...d.synonyms])) {
    for (const phrase of [`${m.text} ${w}`, `${w} ${m.text}`]) {
      const hits = index.lookup(phrase).filter((v) => v.dimension === d.id);
      if (hits.length) return [...hits];
    }
  }
  return undefined;
}

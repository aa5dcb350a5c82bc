/**
 * Typos, never answered silently: a word nothing placed that is one or two letters away from a word
 * of the catalog (a measure's, a dimension's) or of the calendar becomes a one-click "Did you mean
 * ...?" clarification naming it. The corrected question is asked again from the start, so it is
 * read like any other; nothing is guessed.
 */
import { catalogPhrases, type Catalog } from '../semantic/catalog.js';
import { FILLER, MONTHS } from './lexicon.js';

/** Calendar words people mistype ("wek", "yesterdy", "mnth"). */
const CALENDAR = [
  'yesterday',
  'today',
  'week',
  'weeks',
  'month',
  'months',
  'quarter',
  'year',
  'weekend',
  'last',
  'this',
  'days',
  ...MONTHS,
];

const vocabularies = new WeakMap<Catalog, ReadonlySet<string>>();

/** Every single word a catalog phrase or the calendar is made of (lower case, letters only, 4 letters or more). */
function vocabulary(catalog: Catalog): ReadonlySet<string> {
  let hit = vocabularies.get(catalog);
  if (!hit) {
    const phrases = [...catalogPhrases(catalog), ...CALENDAR];
    hit = new Set(phrases.flatMap((p) => p.toLowerCase().split(/\s+/)).filter((w) => /^[a-z]{4,}$/.test(w)));
    vocabularies.set(catalog, hit);
  }
  return hit;
}

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps: "slaes" -> "sales" is 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * For each word of `words` that is not a word of the vocabulary (nor a filler, nor a plural of one), its
 * one closest word with the same first letter, when there is exactly one at the smallest distance (at
 * most 1 for words of up to 7 letters, 2 for longer ones).
 */
export function corrections(
  words: readonly string[],
  catalog: Catalog,
): readonly { readonly word: string; readonly suggestion: string }[] {
  const vocab = vocabulary(catalog);
  const out: { word: string; suggestion: string }[] = [];
  for (const raw of words) {
    const word = raw.toLowerCase();
    if (!/^[a-z]{3,}$/.test(word) || vocab.has(word) || FILLER.has(word)) continue;
    // A plural or singular of a known word is a word, not a typo ("businesses" is not "business" misspelt).
    if (vocab.has(word.replace(/e?s$/, '')) || vocab.has(`${word}s`) || vocab.has(`${word}es`)) continue;
    // One letter off for a word of up to 7 letters, two for a longer one; and the first letter kept
    // (people rarely mistype it): "profit" is not a misspelt "product", nor "double" one of "outlet".
    const limit = word.length <= 7 ? 1 : 2;
    let best = limit + 1;
    let found: string[] = [];
    for (const v of vocab) {
      if (Math.abs(v.length - word.length) > limit || v[0] !== word[0]) continue;
      const dist = editDistance(word, v);
      if (dist > limit) continue;
      if (dist < best) [best, found] = [dist, [v]];
      else if (dist === best) found.push(v);
    }
    if (found.length === 1) out.push({ word: raw, suggestion: found[0]! });
  }
  return out;
}

/** The question with each corrected word replaced (whole words only). */
export function corrected(
  question: string,
  fixes: readonly { readonly word: string; readonly suggestion: string }[],
): string {
  return fixes.reduce((q, f) => q.replace(new RegExp(`\\b${f.word}\\b`, 'i'), f.suggestion), question);
}

/**
 * A clarification is a turn. Its reply (the button's re-worded question, or a word typed: "the
 * amount", "units please", "5", "the city") completes the question that was asked about, with every
 * other part it had (its period, its breakdown, its filters); the conversation then continues from
 * the completed question. A reply that picks nothing is a question of its own.
 */
import type { Catalog } from '../semantic/catalog.js';
import { metricById } from '../semantic/catalog.js';
import type { PendingClarification } from '../conversation/store.js';
import { readQuestion } from './analyze.js';
import { leansOnEarlier } from './follow-up.js';
import { numberOf } from './lexicon.js';

/** Words a reply may carry besides the choice it picks ("the amount please", "I meant the city"). */
const REPLY_FILLER = new Set([
  'the',
  'a',
  'an',
  'please',
  'pls',
  'i',
  'mean',
  'meant',
  'want',
  'wanted',
  'one',
  'just',
  'yes',
  'yeah',
  'ok',
  'okay',
  'thanks',
  'thank',
  'you',
  'that',
  'it',
  'is',
  'was',
  'would',
  'like',
  'go',
  'with',
  'use',
  'option',
  'oh',
  'sorry',
  'by',
  'in',
  'number',
]);

const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The completed question the reply picks, or undefined when the reply is a question of its own. */
export function completeClarification(
  reply: string,
  pending: PendingClarification,
  catalog: Catalog,
  todayIso: string,
): string | undefined {
  const r = norm(reply);
  if (!r) return undefined;
  // The button: a choice's question, or its label, as sent.
  const exact = pending.choices.find((c) => norm(c.question) === r || norm(c.label) === r);
  if (exact) return exact.question;

  // Words of one choice's label only ("amount", "the count", "5", "top 5", "the city").
  const words = r
    .split(' ')
    .map((w) => String(numberOf(w) ?? w))
    .filter((w) => !REPLY_FILLER.has(w));
  if (words.length > 0) {
    // A choice's label, and for a measure its synonyms ("per day": average daily sales; "dollars": sales amount).
    const fits = pending.choices.filter((c) => {
      const label = new Set(norm(c.label).split(' '));
      if (words.every((w) => label.has(w))) return true;
      const m = c.metric ? metricById(catalog, c.metric) : undefined;
      return (
        m !== undefined &&
        m.synonyms.some((syn) => {
          const own = new Set(norm(syn).split(' '));
          return words.every((w) => own.has(w));
        })
      );
    });
    if (fits.length === 1) return fits[0]!.question;
  }

  const draft = readQuestion(reply, catalog, todayIso);
  // A reply is short and picks; a question that names its own subject, ranking or period is a question of its own.
  const statesMore =
    r.split(' ').length > 6 ||
    draft.time.spans.length > 0 ||
    draft.time.relative !== undefined ||
    draft.dimensions.length > 0 ||
    draft.subjects.length > 0 ||
    draft.rank !== undefined ||
    draft.mentions.length > 0 ||
    draft.references.length > 0 ||
    draft.filters.length > 0;
  if (statesMore || draft.ambiguous.length > 0) return undefined;

  // "how many orders was that?" leans on an answer; a reply does not.
  if (leansOnEarlier(reply, catalog)) return undefined;
  // A measure named ("units please", "number of orders", "dollars"): that choice, or the question with it.
  const measures = draft.measures.length ? draft.measures : draft.implied ? [draft.implied] : [];
  if (measures.length === 1) {
    const id = measures[0]!;
    const chosen = pending.choices.find((c) => c.metric === id);
    if (chosen) return chosen.question;
    const label = metricById(catalog, id)?.label;
    if (!label || !pending.choices.some((c) => c.metric !== undefined)) return undefined;
    const base = pending.question.replace(/[?.!\s]+$/, '');
    if (pending.term) {
      const i = base.toLowerCase().indexOf(pending.term.toLowerCase());
      if (i >= 0) return `${base.slice(0, i)}${label}${base.slice(i + pending.term.length)}`;
    }
    return `${base} by ${label}`;
  }
  return undefined;
}

/** A follow-up opener: "and", "what about", "now", "how about". */
const OPENER = /^\s*(?:and|what about|how about|now|ok|okay|then)\b[\s,]*/i;

/**
 * "and the count?" right after an answer that completed a clarification: the other measure it
 * offered, as a follow-up the parser reads ("and sales count"); undefined when it names none.
 */
export function otherChoice(
  question: string,
  alternatives: PendingClarification['choices'],
  catalog: Catalog,
  todayIso: string,
): string | undefined {
  if (!OPENER.test(question)) return undefined;
  const rest = question.replace(OPENER, '');
  const picked = completeClarification(rest, { question: '', message: '', choices: alternatives }, catalog, todayIso);
  const chosen = alternatives.find((c) => c.question === picked && c.metric !== undefined);
  const label = chosen?.metric ? metricById(catalog, chosen.metric)?.label : undefined;
  return label ? `and ${label}?` : undefined;
}

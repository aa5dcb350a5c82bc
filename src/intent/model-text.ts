/**
 * A model's words never reach a person unchecked. When the model asks back, splitplane writes the
 * message and the choices itself, from parts it has checked (catalog measures and dimensions, the
 * caller's own values; src/intent/model-fill.ts). The one piece of the model's own wording that may
 * pass is a short free-text question, and only if it is plain words: no digits (no made-up figures,
 * no IDs, no store numbers), no markup, no code, no links, no SQL, and only words of the caller's
 * question, of the catalog or of the plain vocabulary of a question back. Anything else is dropped
 * and splitplane's own message is used instead. This applies to model-written text only, never to
 * splitplane's own messages.
 */
import { catalogPhrases, type Catalog } from '../semantic/catalog.js';
import { WEEKDAYS } from '../semantic/query.js';
import { singular } from '../semantic/values.js';

/** The longest free-text question a model may have passed on. */
export const MAX_MODEL_QUESTION = 120;

/** Words that read as SQL, or as a figure spelled out, in a sentence meant for a person: never shown. */
const FORBIDDEN_WORDS = new Set([
  'select',
  'from',
  'where',
  'insert',
  'update',
  'delete',
  'drop',
  'union',
  'join',
  'truncate',
  'alter',
  'exec',
  'execute',
  'grant',
  'hundred',
  'thousand',
  'million',
  'billion',
  'trillion',
  'percent',
]);

/**
 * The words a question back needs besides the caller's own and the catalog's: no nouns that could
 * name a made-up store, measure, figure, site or instruction ("sign in again", "profit margin").
 */
const QUESTION_WORDS = new Set(
  `a an the do does did you your we our us i me my mean meant want wanted like would should could can is are was were be been being
   it its this that these those which what who whom whose how why when many much or and nor of for in on at by to with per about
   only just all each every both either neither one some any other another same more most less least fewer than as please rather
   instead there they them their not no yes so such also too very well if but whether kind sort type part whole overall total
   separately together combined breakdown broken down split out up compare compared comparing comparison versus vs against
   number numbers count amount value values measure measures metric figure period periods time day days week weeks month months
   quarter quarters year years date dates today yesterday last previous prior current this past recent recently same since until
   during between before after within through daily weekly monthly yearly average sum top bottom best worst highest lowest most
   rank ranked ranking order include including included exclude excluding excluded only specific specifically exactly instead
   clarify confirm check mind meaning talking asking ask asked looking look see show shown tell know sure unsure unclear word words
   phrase term here mentioned said wrote meaning question answer interested either whether looking`
    .split(/\s+/)
    .filter(Boolean),
);

/** Contraction pieces once apostrophes split a word ("don't": "don", "t"). */
const CONTRACTIONS = new Set([
  's',
  't',
  're',
  've',
  'll',
  'd',
  'm',
  'don',
  'didn',
  'doesn',
  'isn',
  'aren',
  'wasn',
  'weren',
  'won',
  'wouldn',
  'couldn',
  'shouldn',
]);

/** Letters, single spaces and basic punctuation only. ASCII letters: no look-alike letters of other scripts. */
const PLAIN = /^[A-Za-z ,.?'-]+$/;

const wordsOf = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
const norm = (w: string): string => singular(w.toLowerCase());

const catalogWords = new WeakMap<Catalog, ReadonlySet<string>>();

/** The words of the catalog's measures, dimensions, weekdays and named days, singular. */
function wordsOfCatalog(catalog: Catalog): ReadonlySet<string> {
  let words = catalogWords.get(catalog);
  if (!words) {
    const phrases = [...catalogPhrases(catalog), ...catalog.namedDays.flatMap((n) => n.words), ...WEEKDAYS];
    words = new Set(phrases.flatMap(wordsOf).map(norm));
    catalogWords.set(catalog, words);
  }
  return words;
}

/**
 * The model's free-text question as it may be shown, or undefined when it fails the check: at most
 * {@link MAX_MODEL_QUESTION} characters of letters, spaces and `,.?'-`; no link (a dot between
 * letters, "www", "http"), no SQL keyword or magnitude word; and every word one of the caller's
 * question, of the catalog, or of the plain words of a question back.
 */
export function plainModelQuestion(text: unknown, asked: string, catalog: Catalog): string | undefined {
  if (typeof text !== 'string') return undefined;
  // Typographic apostrophes and quotes are the only characters rewritten (to '), and runs of
  // spaces become one; everything else must already be plain.
  const s = text
    .replace(/[\u2018\u2019\u201c\u201d"]/g, "'")
    .replace(/[ \t]+/g, ' ')
    .trim();
  if (s.length < 3 || s.length > MAX_MODEL_QUESTION || !PLAIN.test(s)) return undefined;
  // A link without its scheme: "evil.example", "www". A sentence's own full stop is followed by a space.
  if (/[A-Za-z-]\.[A-Za-z]/.test(s) || /\b(?:www|https?)\b/i.test(s)) return undefined;
  // "--" starts an SQL comment; "''" closes a string literal.
  if (s.includes('--') || s.includes("''")) return undefined;
  const words = wordsOf(s);
  if (words.length === 0 || words.some((w) => FORBIDDEN_WORDS.has(w))) return undefined;
  const own = new Set(wordsOf(asked).map(norm));
  const known = wordsOfCatalog(catalog);
  const fits = (w: string): boolean =>
    QUESTION_WORDS.has(w) || CONTRACTIONS.has(w) || own.has(norm(w)) || known.has(norm(w));
  return words.every(fits) ? s : undefined;
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}`;
}

/**
 * The parser's own words: the short, explicit list of filler words that may
 * be left unplaced, the cue words that introduce filters, number words and
 * calendar names. Everything domain-specific (measures, dimensions, values)
 * lives in the catalog instead.
 */

/**
 * Words that carry no meaning for the query on their own. A question may be answered only when
 * every word is placed by a recogniser or is one of these. Keep this list short: a word added here
 * is a word the parser may ignore.
 */
export const FILLER: ReadonlySet<string> = new Set([
  // questions and requests
  'what',
  'whats',
  'hows',
  'wheres',
  'which',
  'who',
  'how',
  'much',
  'many',
  'show',
  'give',
  'tell',
  'list',
  'get',
  'find',
  'display',
  'see',
  'pull',
  'let',
  'know',
  'please',
  'pls',
  'can',
  'could',
  'would',
  'will',
  'you',
  'me',
  'us',
  'i',
  'we',
  'hi',
  'hey',
  'thanks',
  'thank',
  'need',
  'want',
  'like',
  'look',
  'looking',
  'check',
  'quick',
  'up',
  // being and doing
  'is',
  'are',
  'was',
  'were',
  'take',
  'took',
  'be',
  'been',
  'being',
  'do',
  'did',
  'does',
  'done',
  'doing',
  'have',
  'has',
  'had',
  'got',
  'get',
  'ring',
  'rang',
  'rung',
  'serve',
  'served',
  'generate',
  'generated',
  'come',
  'came',
  'saw',
  'move',
  'moved',
  'gets',
  'run',
  'ran',
  'record',
  'recorded',
  'make',
  'made',
  'making',
  // articles, pronouns, prepositions, conjunctions
  'the',
  'a',
  'an',
  'my',
  'our',
  'your',
  'its',
  'it',
  'their',
  'that',
  'this',
  'these',
  'those',
  'them',
  'they',
  'there',
  'here',
  'of',
  'for',
  'on',
  'at',
  'to',
  'and',
  'with',
  'from',
  'during',
  'over',
  'within',
  'throughout',
  'about',
  'as',
  'so',
  'far',
  'than',
  'then',
  'now',
  'also',
  'ok',
  'okay',
  'just',
  'only',
  'please',
  'by',
  'per',
  // quantity words that do not change the aggregate
  'total',
  'totals',
  'overall',
  'combined',
  'altogether',
  'together',
  'all',
  'whole',
  'entire',
  'full',
  'sum',
  'number',
  'numbers',
  'figure',
  'figures',
  'data',
  'stats',
  'value',
  'report',
  'summary',
  'brand',
  'company',
  'chain',
  'both',
  'each',
  'every',
  'across',
  'exactly',
  'in',
  'into',
  'out',
  'amount',
  'one',
  'ones',
  'look',
  'break',
  'breakdown',
  'down',
  'split',
  'again',
  'please',
  'too',
  'well',
  'instead',
  'same',
  'thing',
  'one',
  'ones',
  'how',
  'about',
  'kind',
  'sort',
  'approx',
  'approximately',
  'around',
  'between',
  'since',
  's',
  'system',
  'systemwide',
  'network',
  'portfolio',
  'everywhere',
  'different',
  'question',
  'another',
  'separate',
  'unrelated',
  ',',
  '?',
  // acknowledgements that open a next question ("fine, total revenue last week")
  'fine',
  'great',
  'cool',
  'perfect',
  'nice',
  'awesome',
  'alright',
  'sure',
  'yes',
  'yeah',
  // ownership said twice ("my own stores")
  'own',
]);

/** Words that open a follow-up: "and the week before?", "what about Dallas?", "now guests". */
export const FOLLOW_UP_START =
  /^(?:and|what about|how about|same|now|also|instead|just|only|but|vs|versus|compared|what if)\b/;

/** Cue words before a value that keep it ("in Chicago") or exclude it ("excluding Chicago"). */
export const POSITIVE_CUES = /(?:in|at|for|from|within|of|only|just|to)/;
export const NEGATIVE_CUES =
  /(?:excluding|exclude|excludes|except(?: for)?|without|not including|other than|but not|apart from|aside from|leaving out|leave out|minus|outside(?: of)?|not in|not at|ex|excl|besides|not counting|but|not)/;

/** Words joining values in a list: "Chicago and Dallas", "Austin, Dallas or Houston". */
export const LIST_JOINERS: ReadonlySet<string> = new Set(['and', 'or', ',', 'nor', 'plus', 'also']);

/** Number words up to twenty. */
export const NUMBER_WORDS: Readonly<Record<string, number>> = Object.freeze({
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  couple: 2,
  pair: 2,
  single: 1,
});

/** A number as digits or words, for patterns. */
export const NUMBER = `(?:\\d{1,3}|${Object.keys(NUMBER_WORDS).join('|')})`;

/** The value of a number token. */
export function numberOf(word: string): number | undefined {
  if (/^\d+$/.test(word)) return Number(word);
  return NUMBER_WORDS[word];
}

export const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
export const MONTH_ABBREVIATIONS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
export const WEEKDAY_WORDS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
export const WEEKDAY_ABBREVIATIONS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Month name or abbreviation -> 0..11. */
export function monthIndex(word: string): number | undefined {
  const w = word.replace(/\.$/, '');
  const i = MONTHS.indexOf(w);
  if (i >= 0) return i;
  const j = MONTH_ABBREVIATIONS.indexOf(w.slice(0, 3));
  return j >= 0 && (w.length === 3 || w === 'sept') ? j : undefined;
}

/** Weekday name (singular or plural, or abbreviation) -> ISO 1..7. */
export function weekdayNumber(word: string): number | undefined {
  const w = word.replace(/s$/, '');
  const i = WEEKDAY_WORDS.indexOf(w);
  if (i >= 0) return i + 1;
  const j = WEEKDAY_ABBREVIATIONS.indexOf(w);
  return j >= 0 ? j + 1 : undefined;
}

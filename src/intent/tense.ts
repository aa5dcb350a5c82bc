/**
 * Questions the history cannot answer, recognised before anything else: the future ("what will it
 * be this Saturday?", "forecast next month") and causes ("why did it drop?"). No forecast measure
 * exists and the rows hold no reasons, so each is refused with a message saying so: never answered
 * with a past period that the words happen to resemble.
 */
import { isoWeekday } from './calendar.js';
import { WEEKDAY_WORDS } from './lexicon.js';

/** Words that put a question in the future; "will you ..." is a request, not a tense. */
const FUTURE =
  /\b(?:will(?! (?:you|u|ya)\b)|won'?t|going to|gonna|forecasts?|forecasted|predict(?:ed|ion|ions)?|projections?|projected|expect(?:ed|ing)? (?:to|it|them|us|we)|outlook|tomorrow|upcoming|next (?:week|month|quarter|year|weekend|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|(?:this )?coming (?:week|month|quarter|year|weekend|(?:mon|tues|wednes|thurs|fri|satur|sun)day))\b/i;

/** "why", "what caused", "the reason": a cause, which no row records. */
const WHY =
  /^\s*(?:so )?why\b|\b(?:why (?:did|do|does|is|are|was|were|has|have|would)|what caused|what made|reasons? (?:for|why)|explain why)\b/i;

/** "this Saturday" / "this weekend" said on a day before it: a day still to come. */
function weekdayStillToCome(question: string, todayIso: string): boolean {
  const today = isoWeekday(todayIso);
  const m = /\bthis (monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)\b/i.exec(question);
  if (!m) return false;
  const word = m[1]!.toLowerCase();
  const day = word === 'weekend' ? 6 : WEEKDAY_WORDS.indexOf(word) + 1;
  return day > today;
}

/** Why the question cannot be answered from history, or undefined when it can. */
export function outsideHistory(question: string, todayIso: string): string | undefined {
  if (WHY.test(question)) {
    return 'I can show what happened, not why: the data holds the measures, not their causes. Try comparing the period with the one before, broken down, to see where it changed.';
  }
  if (FUTURE.test(question) || weekdayStillToCome(question, todayIso)) {
    return 'I can only answer about days that have already happened: there is no forecast measure. Ask about a past period instead (for example the same day last week).';
  }
  return undefined;
}

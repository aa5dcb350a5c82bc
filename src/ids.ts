/**
 * The one rule for an ID anywhere in splitplane (tenant, business, admin,
 * location): a decimal string. The request body, the directory, the policy's
 * decision, the bound scope and the feedback store all check it here.
 */

/** IDs are decimal strings without leading zeros, at most 18 digits (fits BIGINT). */
export const ID_PATTERN = /^[1-9][0-9]{0,17}$/;

/** Frozen lists already found well-formed: a 10,000-ID grant is tested once, not at every layer and query. */
const wellFormedLists = new WeakSet<readonly string[]>();

/** Whether every entry is an ID (ID_PATTERN); remembered for frozen lists, which cannot change. */
export function idsWellFormed(list: readonly string[]): boolean {
  if (wellFormedLists.has(list)) return true;
  if (!list.every((v) => ID_PATTERN.test(v))) return false;
  if (Object.isFrozen(list)) wellFormedLists.add(list);
  return true;
}

/**
 * The words of one domain that the intent stage speaks, taken from its catalog (never written in
 * code): the dimension that names the grant unit's rows and the words that introduce its number
 * ("store 17"), the lists a clarification offers ("a store, city, state, menu item or category"),
 * what can be ranked, the measures offered when a question names none. Computed once per catalog.
 */
import { metricById, publicMetrics, unitDimension, type AttributeDimension, type Catalog } from './catalog.js';

export interface DomainWords {
  /** The dimension whose rows are the grant unit's ("location" in the demo), if the catalog has one. */
  readonly unitDimension: string | undefined;
  /** Words that introduce a grant unit's number or ID ("store 17", "location 628017"). */
  readonly unitWords: readonly string[];
  /** "a store, city, state, menu item or category": every attribute dimension, as a list with "or". */
  readonly attributes: string;
  /** "stores, cities, states, days, menu items or categories": what a ranking can rank. */
  readonly rankables: string;
  /** "two cities, or two states": an example of one kind of value at a time. */
  readonly oneKindExample: string;
  /** The measures offered when a question names none (the catalog's `headline`, else its first three). */
  readonly headline: readonly string[];
  /** Nouns of the members a follow-up can point back at ("that store", "those items"). */
  readonly memberNouns: readonly string[];
  /** "stores, cities or items": what a person names in a question (catalog wording.values, else the attribute plurals). */
  readonly values: string;
  /** "stores, cities, states or menu items": what a breakdown can be by (attribute plurals). */
  readonly breakdowns: string;
}

const cache = new WeakMap<Catalog, DomainWords>();

export function domainWords(catalog: Catalog): DomainWords {
  const hit = cache.get(catalog);
  if (hit) return hit;
  const unit = unitDimension(catalog);
  const attrs = catalog.dimensions.filter((d): d is AttributeDimension => d.kind === 'attribute');
  const onUnit = attrs.filter((d) => d.table === catalog.schema.grantUnit.table);
  const others = attrs.filter((d) => d.table !== catalog.schema.grantUnit.table);
  const finest = catalog.dimensions.find((d) => d.kind === 'time' && d.grain === 'day');
  const grouped = attrs.filter((d) => d.members !== undefined);
  const words: DomainWords = Object.freeze({
    unitDimension: unit?.id,
    unitWords: Object.freeze([
      ...new Set(
        [catalog.schema.grantUnit.name, ...(unit ? [unit.label, ...unit.synonyms] : [])].filter((w) =>
          /^[a-z]+$/.test(w),
        ),
      ),
    ]),
    attributes: orList(attrs.map((d) => d.label)),
    rankables: orList([...onUnit, ...(finest ? [finest] : []), ...others].map((d) => d.plural)),
    oneKindExample:
      grouped.length >= 2
        ? `two ${grouped[0]!.plural}, or two ${grouped[1]!.plural}`
        : `two ${(grouped[0] ?? attrs[0])?.plural ?? 'values'} of one kind`,
    headline: Object.freeze(
      (catalog.headline.length
        ? catalog.headline
        : publicMetrics(catalog)
            .slice(0, 3)
            .map((m) => m.id)
      ).filter((id) => metricById(catalog, id) !== undefined),
    ),
    values: catalog.wording.values ?? orList(attrs.filter((d) => d.values === 'data').map((d) => d.plural)),
    breakdowns: orList(attrs.map((d) => d.label)),
    memberNouns: Object.freeze([
      ...new Set(attrs.flatMap((d) => [d.label, ...d.synonyms.filter((s) => !s.includes(' '))])),
    ]),
  });
  cache.set(catalog, words);
  return words;
}

/** "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

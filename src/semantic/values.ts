/**
 * The values a caller may name: store names and numbers, cities, states, menu
 * items and categories, read from the caller's OWN sandbox (through the guard
 * and the engine, like any query), plus the catalog's vocabularies (state
 * names for state codes). A question can only ever be matched to values the
 * asker may see; a value of someone else's store is simply unknown.
 */
import type { QueryResult } from '../warehouse/connector.js';
import type { AttributeDimension, Catalog } from './catalog.js';
import { isPlainText } from './query.js';

/** A value a phrase can mean. */
export interface ValueMatch {
  readonly dimension: string;
  /** The stored value (what the data holds, what a filter compares with). */
  readonly value: string;
}

/** Lower case, accents folded, punctuation to spaces, each word singular: the form phrases are matched in. */
export function matchKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(singular)
    .join(' ');
}

/** A crude singular: enough to let "burgers" find "Burgers" and "Fries" find "fries". */
export function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** The index of one caller's nameable values. */
export class ValueIndex {
  readonly #byKey = new Map<string, ValueMatch[]>();
  /** `dimension\u0000n` -> values whose name ends in "#n" ("Chicago #17" is store 17). */
  readonly #numbers = new Map<string, string[]>();
  /** `dimension\u0000key` -> value (location ID 628017 is "Chicago #17"). */
  readonly #keys = new Map<string, string>();
  /** `dimension\u0000value` -> its keys (a name two stores share has two). */
  readonly #valueKeys = new Map<string, string[]>();
  /** The longest phrase, in words: bounds the matcher's window. */
  maxWords = 1;
  /** False when a table had more rows than the index reads (answers then ask back rather than guess). */
  complete = true;

  /** @param writesText whether the engine's SQL can carry a value as text (else it is filtered by key). */
  constructor(readonly writesText: (value: string) => boolean = isPlainText) {}

  /** Add a phrase for a value. */
  add(phrase: string, match: ValueMatch): void {
    const key = matchKey(phrase);
    if (!key) return;
    const list = this.#byKey.get(key) ?? [];
    if (!list.some((m) => m.dimension === match.dimension && m.value === match.value)) list.push(match);
    this.#byKey.set(key, list);
    this.maxWords = Math.max(this.maxWords, key.split(' ').length);
  }

  /** A value's number (`#17` in "Chicago #17") and its key, for "store 17" and "location 628017". */
  addKeyed(dimension: string, value: string, key: string | undefined): void {
    const number = /#\s*(\d+)\s*$/.exec(value)?.[1];
    if (number) {
      const k = `${dimension}\u0000${number}`;
      this.#numbers.set(k, [...new Set([...(this.#numbers.get(k) ?? []), value])]);
    }
    if (key !== undefined) {
      this.#keys.set(`${dimension}\u0000${key}`, value);
      const k = `${dimension}\u0000${value}`;
      this.#valueKeys.set(k, [...new Set([...(this.#valueKeys.get(k) ?? []), key])]);
    }
  }

  /** The keys of a value (the item IDs of "Crème Brûlée"), for filtering on what SQL text can carry. */
  keysOf(dimension: string, value: string): readonly string[] {
    return this.#valueKeys.get(`${dimension}\u0000${value}`) ?? [];
  }

  /** What a phrase can mean, on every dimension. */
  lookup(phrase: string): readonly ValueMatch[] {
    return this.#byKey.get(matchKey(phrase)) ?? [];
  }

  /** The values of a dimension numbered n ("store 17"). */
  numbered(dimension: string, n: string): readonly string[] {
    return this.#numbers.get(`${dimension}\u0000${n.replace(/^0+(?=\d)/, '')}`) ?? [];
  }

  /** The values of any dimension numbered n. */
  numberedAny(n: string): readonly ValueMatch[] {
    const key = n.replace(/^0+(?=\d)/, '');
    return [...this.#numbers.entries()]
      .filter(([k]) => k.endsWith(`\u0000${key}`))
      .flatMap(([k, values]) => values.map((value) => ({ dimension: k.split('\u0000')[0]!, value })));
  }

  /** The value with this key (a location ID), when it is in scope. */
  withKey(dimension: string, key: string): string | undefined {
    return this.#keys.get(`${dimension}\u0000${key}`);
  }
}

/** One query per table with nameable values: the columns to read and the dimensions they feed. */
export interface ValueQuery {
  readonly table: string;
  readonly sql: string;
  readonly dimensions: readonly AttributeDimension[];
  readonly key: string | undefined;
}

/** The most rows the index reads per table. */
export const VALUE_ROWS = 20_000;

/**
 * The queries that read a caller's values: for each catalog table with `values: data` dimensions,
 * the exposed columns of those dimensions (and the store key, for location IDs). `exposed` says
 * which columns the caller's sandbox has.
 */
export function valueQueries(
  catalog: Catalog,
  exposed: (table: string, column: string) => boolean,
  quote: (s: string) => string,
): ValueQuery[] {
  const byTable = new Map<string, AttributeDimension[]>();
  for (const d of catalog.dimensions) {
    if (d.kind !== 'attribute' || d.values !== 'data' || !exposed(d.table, d.column)) continue;
    byTable.set(d.table, [...(byTable.get(d.table) ?? []), d]);
  }
  return [...byTable.entries()].map(([table, dims]) => {
    const a = catalog.tables[table]!.alias;
    const keyDim = dims.find((d) => d.key !== undefined && exposed(table, d.key));
    const key = keyDim?.key;
    const cols = [...new Set([...(key ? [key] : []), ...dims.map((d) => d.column)])];
    return {
      table,
      sql: `SELECT DISTINCT ${cols.map((c) => `${a}.${quote(c)} AS ${quote(c)}`).join(', ')} FROM ${quote(table)} AS ${a}`,
      dimensions: dims,
      key,
    };
  });
}

/** Build the index from the results of {@link valueQueries}, plus the catalog's vocabularies. */
export function buildValueIndex(
  catalog: Catalog,
  results: readonly { readonly query: ValueQuery; readonly rows: QueryResult }[],
  writesText: (value: string) => boolean = isPlainText,
): ValueIndex {
  const index = new ValueIndex((v) => isPlainText(v) && writesText(v));
  for (const { query, rows } of results) {
    if (rows.truncated) index.complete = false;
    const at = (name: string): number => rows.columns.findIndex((c) => c.name === name);
    for (const row of rows.rows) {
      for (const d of query.dimensions) {
        const v = row[at(d.column)];
        if (typeof v !== 'string' || v.length === 0) continue;
        index.add(v, { dimension: d.id, value: v });
        const k = d.key !== undefined && d.key === query.key ? row[at(d.key)] : undefined;
        index.addKeyed(d.id, v, k === undefined || k === null ? undefined : String(k));
      }
    }
  }
  // Vocabularies and known values apply whether or not the caller has such a value: "Texas" means
  // TX and "Dallas" is a city for everyone (the answer is then "no data", not "unknown word").
  for (const d of catalog.dimensions) {
    if (d.kind !== 'attribute') continue;
    for (const v of d.known ?? []) index.add(v, { dimension: d.id, value: v });
    if (!d.vocabulary) continue;
    for (const [stored, words] of Object.entries(d.vocabulary)) {
      index.add(stored, { dimension: d.id, value: stored });
      for (const w of words) index.add(w, { dimension: d.id, value: stored });
    }
  }
  return index;
}

/**
 * Which days the caller's own data covers, per fact table, and what that
 * means for a query: a period that starts before the first day is answered
 * with a note saying what it covers; a comparison against a period the data
 * does not fully cover is refused, because its change would be an artefact
 * of missing rows ("year to date vs last year: +1,700 %"), not of trading.
 *
 * Read through the same guard and engine as any other SQL (one MIN/MAX per
 * fact table over the caller's sandbox) and cached per scope.
 */
import { metricById, type Catalog } from './catalog.js';
import { questionFor } from './describe.js';
import type { SemanticQuery } from './query.js';

/** First and last day with rows, per fact table; undefined when the caller has no rows there. */
export type Coverage = ReadonlyMap<string, { readonly first: string; readonly last: string } | undefined>;

/** One MIN/MAX query per fact table the sandbox exposes with its date column. */
export function coverageQueries(
  catalog: Catalog,
  exposed: (table: string, column: string) => boolean,
  quote: (s: string) => string,
): { readonly table: string; readonly sql: string }[] {
  return Object.entries(catalog.tables)
    .filter(([table, t]) => t.time !== undefined && exposed(table, t.time))
    .map(([table, t]) => {
      const col = `${t.alias}.${quote(t.time!)}`;
      return {
        table,
        sql: `SELECT MIN(${col}) AS ${quote('first_day')}, MAX(${col}) AS ${quote('last_day')} FROM ${quote(table)} AS ${t.alias}`,
      };
    });
}

/** A date cell as YYYY-MM-DD, or undefined. */
export function dayOf(cell: unknown): string | undefined {
  if (cell instanceof Date) return cell.toISOString().slice(0, 10);
  if (typeof cell === 'string' && /^\d{4}-\d{2}-\d{2}/.test(cell)) return cell.slice(0, 10);
  return undefined;
}

/** What the data's coverage means for a query. */
export type CoverageVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'note'; readonly note: string }
  | {
      readonly kind: 'refuse';
      readonly message: string;
      readonly choices: readonly { readonly label: string; readonly question: string }[];
    };

/** Check a query's period and comparison period against the coverage of its measures' tables. */
export function checkCoverage(query: SemanticQuery, catalog: Catalog, coverage: Coverage): CoverageVerdict {
  const tables = [
    ...new Set(query.measures.map((m) => metricById(catalog, m)?.table).filter((t): t is string => t !== undefined)),
  ];
  const notes: string[] = [];
  for (const table of tables) {
    if (!coverage.has(table)) continue;
    const c = coverage.get(table);
    if (!c) continue; // no rows at all: the answer itself says there is no data
    const what = `data for ${query.measures
      .map((m) => metricById(catalog, m)!)
      .filter((m) => m.table === table)
      .map((m) => m.label)
      .join(' and ')}`;
    const prev = query.compare?.range;
    if (prev && prev.from < c.first) {
      const { compare: _c, order, limit, ...rest } = query;
      const alone: SemanticQuery = {
        ...rest,
        ...(order && order.by === 'value' ? { order, ...(limit !== undefined ? { limit } : {}) } : {}),
      };
      return {
        kind: 'refuse',
        message:
          `Your ${what} starts on ${c.first}, so ${prev.label}, ${prev.from} to ${prev.to}, is ${prev.to < c.first ? 'not covered' : 'only partly covered'}: ` +
          `a change against it would show missing data, not trading. Compare periods from ${c.first} on, or ask for ${query.time.label} alone.`,
        choices: [{ label: `${query.time.label} alone`, question: questionFor(alone, catalog) }],
      };
    }
    if (query.time.from < c.first) {
      notes.push(
        query.time.to < c.first
          ? `Your ${what} starts on ${c.first}: there is none for ${query.time.from} to ${query.time.to}.`
          : `Your ${what} starts on ${c.first}: this covers ${c.first} to ${query.time.to}, not from ${query.time.from}.`,
      );
    }
  }
  return notes.length ? { kind: 'note', note: notes.join(' ') } : { kind: 'ok' };
}

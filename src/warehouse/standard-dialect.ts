/**
 * The parts of a dialect most SQL engines spell alike: double-quoted
 * identifiers, ISO dates, single-quoted text with '' for a quote, integer IDs.
 * An engine's dialect (src/engines/<name>/dialect.ts) starts from this and
 * overrides what its engine spells differently.
 */
import { ID_PATTERN } from '../ids.js';
import type { Dialect } from './connector.js';

const IDENT = /^[a-z_][a-z0-9_]*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A lower-case SQL identifier (the only kind the sandbox builder and the generators render). */
export function plainIdent(name: string): string {
  if (!IDENT.test(name)) throw new Error(`refusing to render identifier ${JSON.stringify(name)}`);
  return name;
}

/** Everything of a Dialect but its name, raw-table naming and scope parameters. */
export const standardDialect = Object.freeze({
  quoteIdent: (name: string): string => `"${plainIdent(name)}"`,
  idLiteral(id: string): string {
    if (!ID_PATTERN.test(id)) throw new Error('refusing to render an ID that is not a decimal string');
    return id;
  },
  dateLiteral(isoDate: string): string {
    if (!ISO_DATE.test(isoDate) || Number.isNaN(Date.parse(`${isoDate}T00:00:00Z`))) {
      throw new Error('refusing to render an invalid date');
    }
    return `DATE '${isoDate}'`;
  },
  // The guard refuses non-ASCII text and backslashes (parsers disagree on them); so does this.
  writesText: (value: string): boolean => /^[\x20-\x5b\x5d-\x7e]{1,100}$/.test(value),
  textLiteral(value: string): string {
    if (!standardDialect.writesText(value))
      throw new Error('refusing to render a text literal outside printable ASCII');
    return `'${value.replaceAll("'", "''")}'`;
  },
  isoWeekday: (dateSql: string): string => `date_part('isodow', ${dateSql})`,
  // MATERIALIZED: the sandbox rows are computed before any candidate predicate
  // runs, so a failing cast in the candidate never sees an out-of-scope row.
  cteFence: 'MATERIALIZED',
  textType: 'VARCHAR',
} satisfies Omit<Dialect, 'name' | 'displayName' | 'rawTable' | 'scopeParam' | 'inBoundList'>);

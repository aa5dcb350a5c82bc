/** The DuckDB dialect: double-quoted identifiers, main-schema raw tables, materialised sandbox CTEs. */
import { ID_PATTERN } from '../identity/ask-body.js';
import type { Dialect } from './connector.js';

const IDENT = /^[a-z_][a-z0-9_]*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const duckdbDialect: Dialect = Object.freeze({
  name: 'duckdb',
  parserDatabase: 'postgresql',
  sqlifyDatabase: 'postgresql',
  quoteIdent(name: string): string {
    if (!IDENT.test(name)) throw new Error(`refusing to render identifier ${JSON.stringify(name)}`);
    return `"${name}"`;
  },
  rawTable(name: string): string {
    return `"main".${duckdbDialect.quoteIdent(name)}`;
  },
  // Named parameters; the location list is one LIST(BIGINT) parameter.
  scopeParam: (name: string) => `$${name}`,
  inBoundList: (column: string, list: string) => `list_contains(${list}, ${column})`,
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
    if (!duckdbDialect.writesText(value)) throw new Error('refusing to render a text literal outside printable ASCII');
    return `'${value.replaceAll("'", "''")}'`;
  },
  isoWeekday(dateSql: string): string {
    return `date_part('isodow', ${dateSql})`;
  },
  // MATERIALIZED: the sandbox rows are computed before any candidate predicate
  // runs, so a failing cast in the candidate never sees an out-of-scope row.
  cteFence: 'MATERIALIZED',
} as const);

/**
 * The Databricks SQL dialect. Raw tables are three-part names
 * `catalog`.`schema`.`table`, only ever inside the sandbox CTEs; every ID the
 * sandbox builder renders is a named parameter (:sp_tenant, :sp_business,
 * :sp_units, the last a JSON array as text, since the client binds no
 * arrays). There is no Databricks parser to cross-check with locally, so
 * candidates are held to a stricter text: no backticks, no double quotes
 * (Databricks reads "x" as a string), no `$` (variable substitution), no `:`
 * (parameter markers, `::` casts), no backslash, no three-part names.
 */
import type { Dialect } from '../../warehouse/connector.js';
import { plainIdent, standardDialect } from '../../warehouse/standard-dialect.js';

/** Text a Databricks literal may carry (see writesText). */
const PLAIN_TEXT = /^[A-Za-z0-9 #&.,()/-]{1,100}$/;

export function databricksDialect(catalog: string, schema: string): Dialect {
  for (const part of [catalog, schema]) plainIdent(part);
  return Object.freeze({
    ...standardDialect,
    name: 'databricks',
    displayName: 'Databricks SQL',
    // Validated lower-case identifiers need no quotes, and candidates may not contain backticks.
    quoteIdent: plainIdent,
    rawTable: (name: string): string => `\`${catalog}\`.\`${schema}\`.\`${plainIdent(name)}\``,
    scopeParam: (name: string) => `:${name}`,
    // The client binds no arrays: the location list is one STRING parameter holding a JSON array of IDs.
    inBoundList: (column: string, list: string) => `array_contains(from_json(${list}, 'ARRAY<BIGINT>'), ${column})`,
    // Spark SQL has no escape that the candidate text allows ('' would be two adjacent literals,
    // concatenated; a backslash is refused): literals are plain words, other values go by key.
    writesText: (value: string): boolean => PLAIN_TEXT.test(value),
    textLiteral(value: string): string {
      if (!PLAIN_TEXT.test(value)) throw new Error('refusing to render a text literal on Databricks');
      return `'${value}'`;
    },
    isoWeekday: (dateSql: string) => `date_part('DAYOFWEEK_ISO', ${dateSql})`,
    // Spark SQL has no MATERIALIZED; the second wall on Databricks is grants and Unity Catalog row filters.
    cteFence: '',
    textType: 'STRING',
  });
}

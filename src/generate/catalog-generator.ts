/**
 * The deterministic generator: catalog intent -> SQL over the sandbox CTEs.
 * It refuses (SP_ERR_POLICY_DENIED) when the intent needs a table or column
 * the sandbox does not expose, rather than writing SQL that would fail.
 */
import { SplitplaneError } from '../errors.js';
import type { Candidate, GenerateInput, Generator } from './generator.js';

const ALIAS: Readonly<Record<string, string>> = { locations: 'l', menu_items: 'i' };
const JOIN_KEY: Readonly<Record<string, string>> = { locations: 'location_id', menu_items: 'item_id' };

export const catalogGenerator: Generator = {
  name: 'catalog',
  async generate({ intent, sandbox, dialect }: GenerateInput): Promise<Candidate> {
    if (intent.kind !== 'metric') throw new SplitplaneError('SP_ERR_INTERNAL', { detail: 'the catalog generator takes catalog intents only' });
    const { metric, range, groupBy, rank } = intent;
    const fact = sandbox.tables.find((t) => t.name === metric.table);
    if (!fact || !fact.columns.some((c) => c.name === 'business_date')) {
      throw new SplitplaneError('SP_ERR_POLICY_DENIED', { detail: `metric table ${metric.table} not in the sandbox` });
    }
    const q = (s: string): string => dialect.quoteIdent(s);
    const from = [`${q(metric.table)} AS m`];
    const joins = new Set<string>();
    const needs = (table: string, column: string, what: string): void => {
      const joined = sandbox.tables.find((t) => t.name === table);
      if (!joined || !joined.columns.some((c) => c.name === column)) {
        throw new SplitplaneError('SP_ERR_POLICY_DENIED', { detail: `${what} not in the sandbox` });
      }
      if (joins.has(table)) return;
      joins.add(table);
      const key = JOIN_KEY[table]!;
      const alias = ALIAS[table]!;
      from.push(`JOIN ${q(table)} AS ${alias} ON ${alias}.${q(key)} = m.${q(key)}`);
    };
    if (groupBy?.join) needs(groupBy.join, groupBy.column.split('.')[1]!, `dimension ${groupBy.id}`);
    const conditions = [`m.business_date BETWEEN ${dialect.dateLiteral(range.from)} AND ${dialect.dateLiteral(range.to)}`];
    for (const f of intent.filters) {
      needs('locations', f.dimension, `filter on ${f.dimension}`);
      conditions.push(`l.${q(f.dimension)} = ${dialect.textLiteral(f.value)}`);
    }
    const value = q(metric.id);
    const where = conditions.join(' AND ');
    if (!groupBy) return { sql: `SELECT ${metric.sql} AS ${value} FROM ${from.join(' ')} WHERE ${where}`, generator: this.name };
    const dim = q(groupBy.id);
    const order = rank ? `ORDER BY ${value} ${rank.order === 'asc' ? 'ASC' : 'DESC'}, ${dim} ASC LIMIT ${rank.limit}` : `ORDER BY ${dim} ASC`;
    return {
      sql: `SELECT ${groupBy.column} AS ${dim}, ${metric.sql} AS ${value} FROM ${from.join(' ')} WHERE ${where} GROUP BY ${groupBy.column} ${order}`,
      generator: this.name,
    };
  },
};

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
    const { metric, range, groupBy, rank } = intent;
    const fact = sandbox.tables.find((t) => t.name === metric.table);
    if (!fact || !fact.columns.some((c) => c.name === 'business_date')) {
      throw new SplitplaneError('SP_ERR_POLICY_DENIED', { detail: `metric table ${metric.table} not in the sandbox` });
    }
    const q = (s: string): string => dialect.quoteIdent(s);
    const from = [`${q(metric.table)} AS m`];
    if (groupBy?.join) {
      const joined = sandbox.tables.find((t) => t.name === groupBy.join);
      const column = groupBy.column.split('.')[1];
      if (!joined || !joined.columns.some((c) => c.name === column)) {
        throw new SplitplaneError('SP_ERR_POLICY_DENIED', { detail: `dimension ${groupBy.id} not in the sandbox` });
      }
      const key = JOIN_KEY[groupBy.join]!;
      const alias = ALIAS[groupBy.join]!;
      from.push(`JOIN ${q(groupBy.join)} AS ${alias} ON ${alias}.${q(key)} = m.${q(key)}`);
    }
    const value = q(metric.id);
    const where = `m.business_date BETWEEN ${dialect.dateLiteral(range.from)} AND ${dialect.dateLiteral(range.to)}`;
    if (!groupBy) return { sql: `SELECT ${metric.sql} AS ${value} FROM ${from.join(' ')} WHERE ${where}`, generator: this.name };
    const dim = q(groupBy.id);
    const order = rank ? `ORDER BY ${value} ${rank.order === 'asc' ? 'ASC' : 'DESC'}, ${dim} ASC LIMIT ${rank.limit}` : `ORDER BY ${dim} ASC`;
    return {
      sql: `SELECT ${groupBy.column} AS ${dim}, ${metric.sql} AS ${value} FROM ${from.join(' ')} WHERE ${where} GROUP BY ${groupBy.column} ${order}`,
      generator: this.name,
    };
  },
};

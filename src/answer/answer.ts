/**
 * The plain-language answer. Every figure in the sentence is read from the
 * result rows (which are already in scope); nothing is invented. Decimal
 * values arrive as strings and are formatted without going through floats.
 */
import type { MetricIntent } from '../intent/analyze.js';
import type { Cell, QueryResult } from '../warehouse/connector.js';

/** Format a value as the metric's format says. */
export function formatValue(value: Cell, format: 'currency' | 'integer' | 'decimal'): string {
  if (value === null) return 'no data';
  const text = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return text;
  const negative = text.startsWith('-');
  const [intPart = '0', frac = ''] = text.replace('-', '').split('.');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = negative ? '-' : '';
  if (format === 'currency') return `${sign}$${grouped}.${roundCents(frac)}`;
  if (format === 'integer') return `${sign}${grouped}${frac && /[1-9]/.test(frac) ? `.${frac}` : ''}`;
  return `${sign}${grouped}${frac ? `.${frac}` : ''}`;
}

function roundCents(frac: string): string {
  // DECIMAL(…,2) sums already have two places; pad or cut (never round through a float).
  return (frac + '00').slice(0, 2);
}

/** The answer sentence for a metric intent and its rows. */
export function answerSentence(intent: MetricIntent, result: QueryResult, locationCount: number): string {
  const { metric, range, groupBy, rank } = intent;
  const where = intent.filters.length ? `, in ${intent.filters.map((f) => f.value).join(', ')},` : '';
  const scope = `across your ${locationCount} location${locationCount === 1 ? '' : 's'}${where}`;
  const period = `${range.label} (${range.from} to ${range.to})`;
  if (!groupBy) {
    const v = result.rows[0]?.[0] ?? null;
    if (v === null) return `There is no ${metric.label} data ${scope} for ${period}.`;
    return `Your total ${metric.label} for ${period} ${scope} was ${formatValue(v, metric.format)}.`;
  }
  if (result.rows.length === 0) return `There is no ${metric.label} data ${scope} for ${period}.`;
  if (rank) {
    const lead = result.rows
      .map((r) => `${String(r[0])} (${formatValue(r[1] ?? null, metric.format)})`)
      .join(', ');
    const word = rank.order === 'asc' ? 'lowest' : 'highest';
    return rank.limit === 1
      ? `The ${groupBy.label} with the ${word} ${metric.label} for ${period} ${scope} was ${lead}.`
      : `The ${rank.limit} ${groupBy.label}s with the ${word} ${metric.label} for ${period} ${scope}: ${lead}.`;
  }
  const more = result.truncated ? ' (truncated)' : '';
  return `${cap(metric.label)} by ${groupBy.label} for ${period} ${scope}: ${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${more}.`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

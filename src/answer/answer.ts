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

/**
 * True when every number in a model-written sentence is a value from the rows
 * (as written there, or with thousands separators, a $ sign or rounded to
 * cents), the row count, or part of a date that appears in the rows. A
 * sentence that fails is replaced by the deterministic one.
 */
export function numbersComeFromRows(sentence: string, result: QueryResult): boolean {
  const allowed = new Set<string>([String(result.rows.length)]);
  for (const row of result.rows) {
    for (const cell of row) {
      if (cell === null) continue;
      const text = String(cell);
      for (const part of text.split(/[^0-9.]+/)) if (part) allowed.add(strip(part));
      if (/^-?\d+(\.\d+)?$/.test(text)) {
        allowed.add(strip(text));
        allowed.add(strip(Number(text).toFixed(2)));
        allowed.add(strip(String(Math.round(Number(text)))));
      }
    }
  }
  // A minus sign right after a digit is a date or range separator, not a sign.
  const numbers = sentence.match(/(?<!\d)-?\$?\d[\d,]*(?:\.\d+)?/g) ?? [];
  return numbers.every((n) => allowed.has(strip(n.replace(/[$,]/g, ''))));
}

function strip(n: string): string {
  return n.includes('.') ? n.replace(/\.?0+$/, '') : n;
}

/** The deterministic sentence for a free-form answer. */
export function freeFormSentence(question: string, result: QueryResult): string {
  const n = result.rows.length;
  if (n === 1 && result.columns.length === 1) return `${result.columns[0]!.name}: ${String(result.rows[0]![0])}.`;
  return `Found ${n} row${n === 1 ? '' : 's'}${result.truncated ? ' (truncated)' : ''} for "${question.trim()}".`;
}

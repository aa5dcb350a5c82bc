/** Result cells for every engine: JSON-safe, exact for wide numbers, dates as the engine wrote them. */
import type { Cell } from './connector.js';
import { text } from '../util/text.js';

/** A driver's value as a Cell: BIGINT and DECIMAL as strings (no precision lost), a Date as YYYY-MM-DD. */
export function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return text(v);
}

/**
 * Reads the SQL out of a model's answer: a fenced ```sql block, a JSON object
 * with an "sql" field, or a bare SELECT/WITH. Anything else is
 * SP_ERR_LLM_BAD_RESPONSE. What comes out is only a candidate for the guard.
 */
import { SplitplaneError } from '../errors.js';

export function extractSql(text: string): string {
  const fenced = /```(?:sql|SQL)?[ \t]*\r?\n([\s\S]*?)```/.exec(text);
  if (fenced?.[1]?.trim()) return clean(fenced[1]);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const obj = JSON.parse(trimmed) as { sql?: unknown };
      if (typeof obj.sql === 'string' && obj.sql.trim()) return clean(obj.sql);
    } catch {
      // not JSON: fall through
    }
  }
  if (/^(select|with)\b/i.test(trimmed)) return clean(trimmed);
  throw new SplitplaneError('SP_ERR_LLM_BAD_RESPONSE', { detail: 'no SQL in the model output' });
}

function clean(sql: string): string {
  return sql.trim().replace(/;\s*$/, '');
}

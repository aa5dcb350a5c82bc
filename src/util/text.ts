/**
 * Any value as text for a message or a cell: a string as it is, a number, boolean or bigint as
 * written, an Error by its message, an object by its own toString (a driver's DECIMAL value prints
 * its digits) or else as JSON, never as "[object Object]". Null and undefined are the empty string.
 */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return v.message;
  if (typeof v === 'symbol') return v.description ?? '';
  if (typeof v === 'function') return v.name;
  const own: unknown = (v as { toString?: unknown }).toString;
  if (typeof own === 'function' && own !== Object.prototype.toString) return String((own as () => unknown).call(v));
  return JSON.stringify(v);
}

import { redactSecrets } from './redact.js';
import { text } from './text.js';

/**
 * An error's cause, for the log (never the client): every link of its cause chain (the audit
 * sink's own cause, a database's duplicate key, a refused connection), with passwords in URLs
 * replaced.
 */
export function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  const links: string[] = [];
  for (let c: unknown = cause, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    links.push(c instanceof Error ? `${c.name}: ${c.message}` : text(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  return redactSecrets(links.join(' <- '));
}

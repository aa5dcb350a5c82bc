/**
 * The two ways `splitplane init` and `splitplane catalog check` stop before they are done (the
 * CLI turns them into its exit codes: 2 and 3). Defined here, not in src/cli/, so that src/init/
 * imports nothing of the CLI.
 */

import { text } from '../util/text.js';

/** The input cannot be used as it is: a missing tenant column, too many tables, a folder that holds a catalog. Exit 2. */
export class BadInput extends Error {
  override readonly name = 'BadInput';
}

/** The warehouse cannot be reached or opened. Exit 3. */
export class WarehouseUnreachable extends Error {
  override readonly name = 'WarehouseUnreachable';
}

/** The message of an error and its causes, one line (a driver's own text included: it names what failed). */
export function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const m = text(e);
    if (m && !parts.includes(m)) parts.push(m.split('\n')[0]!);
    e = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

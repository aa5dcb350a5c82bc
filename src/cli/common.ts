/**
 * What every command shares and the CLI's entry point may load before it knows which command runs:
 * node built-ins only (the entry point imports nothing heavy, so --help and --version are fast).
 */
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exit codes, documented in the README ("The command line"). */
export const EXIT = Object.freeze({ ok: 0, refused: 1, usage: 2, unavailable: 3 });

/** The project this CLI belongs to (src/cli/ or dist/cli/ two levels down): its default config is found here. */
export const PROJECT_ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A usage error found once a command runs (a file its configuration names does not exist, say):
 * printed as one line, exit 2. Argument values are checked when the arguments are parsed.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A store or server the command needs cannot be reached (a refused connection, say): exit 3. */
export class Unavailable extends Error {
  override readonly name = 'Unavailable';
}

/** A line on stderr, for progress and notes; stdout carries results only. */
export function note(line: string): void {
  process.stderr.write(`splitplane: ${line}\n`);
}

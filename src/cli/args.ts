/** Argument checks, run while the arguments are parsed: a bad value is a usage error (exit 2), not a failure deep inside. */
import { statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** An integer in [min, max] (the generator's own limits, so a bad value is a usage error, not a failure). */
export function integer(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** An absolute URL with one of the protocols. */
function url(name: string, protocols: readonly string[]): (v: string) => string {
  return (v) => {
    let u: URL | undefined;
    try {
      u = new URL(v);
    } catch {
      // not a URL
    }
    if (!u || !protocols.includes(u.protocol))
      throw new InvalidArgumentError(`${name} must be a URL starting ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return v;
  };
}
export const httpUrl = url('--url', ['http:', 'https:']);
export const postgresUrl = (name: string): ((v: string) => string) => url(name, ['postgres:', 'postgresql:']);

/** A file that is there (a missing one is a usage error, not an ENOENT from deep inside). */
export function existingFile(what: string): (v: string) => string {
  return (v) => {
    if (!statSync(v, { throwIfNoEntry: false })?.isFile()) throw new InvalidArgumentError(`no ${what} file at ${v}`);
    return v;
  };
}
export const configFile = existingFile('config');

/** An ASCII identifier (a schema, table or column name). */
export const ident =
  (name: string) =>
  (v: string): string => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) throw new InvalidArgumentError(`${name} must be an ASCII identifier`);
    return v;
  };

#!/usr/bin/env node
/**
 * The splitplane CLI (commander: sub-commands, --help on each, --version).
 *
 *   splitplane serve [--config FILE]
 *   splitplane ask --tenant T --business B --admin A [--url URL] [--config FILE] [--json] "question"
 *   splitplane demo generate [--path FILE] [--seed N] [--scale N] [--layout sorted|random]
 *   splitplane demo load-postgres [--url URL] [--path FILE]
 *   splitplane audit verify [--file FILE | --postgres URL | --config FILE]
 *   splitplane policy explain --tenant T --business B --admin A [--config FILE] [--json]
 *   splitplane policy test [--config FILE]
 *   splitplane eval FILE [--url URL] [--config FILE] [--warehouse FILE] [--report FILE] [--verbose]
 *   splitplane init (--duckdb FILE | --postgres URL | --config FILE) [--schema S] [--tables a,b] [--out DIR] [--force]
 *                   [--tenant-column C] [--business-column C] [--unit TABLE.COLUMN]
 *   splitplane catalog check [--config FILE | --catalog DIR (--duckdb FILE | --postgres URL)] [--schema S]
 *
 * Exit codes: 0 answered (or done), 1 refused or denied (a clarification, an unsupported question,
 * a 4xx; a broken audit chain; a WRONG eval answer), 2 usage (a missing or bad argument: a value
 * that does not parse, a file that is not there, an audit file that is not there), 3 service
 * unavailable (a 5xx, or the server, or the PostgreSQL of `audit verify`, cannot be reached).
 * Results go to stdout, errors and denials to stderr.
 *
 * This file and commands/ (one declaration per command) import only node built-ins, commander and
 * args.ts: each command's code (the warehouse, the server, the policy engine) is loaded by its
 * action, when it runs, so --help, --version and a usage error answer at once. Argument values are
 * checked by args.ts while the arguments are parsed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { SplitplaneError } from '../errors.js';
import { EXIT, PROJECT_ROOT, Unavailable, UsageError } from './common.js';
import { register as ask } from './commands/ask.js';
import { register as audit } from './commands/audit.js';
import { register as catalog } from './commands/catalog.js';
import { register as demo } from './commands/demo.js';
import { register as evaluation } from './commands/eval.js';
import { register as init } from './commands/init.js';
import { register as policy } from './commands/policy.js';
import { register as serve } from './commands/serve.js';

/** The commands, in the order --help lists them: one file each under commands/, their code loaded when they run. */
const COMMANDS = [serve, ask, demo, audit, policy, evaluation, init, catalog] as const;

export { EXIT } from './common.js';

/** The exit code of the action that ran (-1: keep running, the service). */
let code: number = EXIT.ok;
const exit = (c: number): void => {
  code = c;
};

function program(): Command {
  const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const cli = new Command('splitplane')
    .description(
      'Plain-English analytics over a shared warehouse, each answer computed only from rows the asker may see.',
    )
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (t) => process.stderr.write(t), writeOut: (t) => process.stdout.write(t) })
    .exitOverride();
  for (const register of COMMANDS) register(cli, exit);
  return cli;
}

/** Runs the CLI; resolves with the exit code (-1: keep running, the service). */
async function main(argv: readonly string[]): Promise<number> {
  const cli = program();
  for (const c of allCommands(cli)) c.exitOverride().configureOutput({ writeErr: (t) => process.stderr.write(t) });
  try {
    await cli.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; a bad or missing argument is a usage error (2).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  return code;
}

function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap((x) => allCommands(x))];
}

main(process.argv.slice(2)).then(
  (c) => {
    if (c >= 0) process.exitCode = c;
  },
  (err: unknown) => {
    const msg =
      err instanceof SplitplaneError
        ? `${err.code}: ${err.detail ?? err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    process.stderr.write(`splitplane: ${msg}\n`);
    process.exitCode =
      err instanceof UsageError
        ? EXIT.usage
        : err instanceof Unavailable ||
            (err instanceof SplitplaneError &&
              (err.code === 'SP_ERR_WAREHOUSE_UNAVAILABLE' || err.code === 'SP_ERR_AUDIT_UNAVAILABLE'))
          ? EXIT.unavailable
          : EXIT.refused;
  },
);

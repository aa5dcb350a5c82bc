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
 * This file imports only node built-ins and commander: each command's code (the warehouse, the
 * server, the policy engine) is loaded by its action, when it runs, so --help, --version and a
 * usage error answer at once. Argument values are checked here, while the arguments are parsed.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SplitplaneError } from '../errors.js';
import { EXIT, PROJECT_ROOT, Unavailable, UsageError } from './common.js';

export { EXIT } from './common.js';

/** An integer in [min, max] (the generator's own limits, so a bad value is a usage error, not a failure). */
function integer(name: string, min: number, max: number): (v: string) => number {
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
const httpUrl = url('--url', ['http:', 'https:']);
const postgresUrl = (name: string): ((v: string) => string) => url(name, ['postgres:', 'postgresql:']);

/** A file that is there (a missing one is a usage error, not an ENOENT from deep inside). */
function existingFile(what: string): (v: string) => string {
  return (v) => {
    if (!statSync(v, { throwIfNoEntry: false })?.isFile()) throw new InvalidArgumentError(`no ${what} file at ${v}`);
    return v;
  };
}
const configFile = existingFile('config');

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
  cli
    .command('serve')
    .description('run the service (config/demo.yaml by default: the embedded DuckDB demo)')
    .option('--config <file>', 'configuration file (YAML or JSON)', configFile)
    .action(async (o: { config?: string }) => exit(await (await import('./serve.js')).serve(o)));
  cli
    .command('ask')
    .description('ask a question as (tenant, business, admin), signed, through every layer')
    .requiredOption('--tenant <id>', 'tenant ID')
    .requiredOption('--business <id>', 'business ID')
    .requiredOption('--admin <id>', 'admin ID')
    .option('--url <url>', 'a running server (default: in process, over the configured warehouse)', httpUrl)
    .option('--config <file>', 'configuration file', configFile)
    .option('--json', 'print the response body as JSON', false)
    .argument('<question...>', 'the question, in plain English')
    .action(async (question: string[], o: import('./ask.js').AskOptions) =>
      exit(await (await import('./ask.js')).ask(question.join(' '), o)),
    );
  const demo = cli.command('demo').description('demo data');
  demo
    .command('generate')
    .description('write the demo warehouse (DuckDB)')
    .option('--path <file>', 'where (default: warehouse.duckdb.path of the config)')
    .option('--seed <n>', 'random seed (0 to 1000000)', integer('--seed', 0, 1_000_000))
    .option('--scale <n>', 'size factor (1 to 58)', integer('--scale', 1, 58))
    .option('--layout <layout>', 'sorted or random', (v) => {
      if (v !== 'sorted' && v !== 'random') throw new InvalidArgumentError('--layout is sorted or random');
      return v;
    })
    .option('--config <file>', 'configuration file', configFile)
    .action(
      async (o: { path?: string; seed?: number; scale?: number; layout?: 'sorted' | 'random'; config?: string }) =>
        exit(await (await import('./demo.js')).demoGenerate(o)),
    );
  demo
    .command('load-postgres')
    .description('copy the demo warehouse into PostgreSQL with row-level security')
    .option('--url <url>', 'an owner connection', postgresUrl('--url'), 'postgres://postgres@127.0.0.1:5432/test')
    .option('--path <file>', 'the DuckDB demo file (generated when absent)')
    .option('--config <file>', 'configuration file', configFile)
    .action(async (o: { url: string; path?: string; config?: string }) =>
      exit(await (await import('./demo.js')).demoLoadPostgres(o)),
    );
  cli
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('recompute the hash chain; name the first edited, missing or reordered event')
    .option('--file <file>', 'a JSON-lines audit file')
    .option('--postgres <url>', 'the splitplane_audit table at this PostgreSQL URL', postgresUrl('--postgres'))
    .option('--config <file>', 'configuration file (its audit sink)', configFile)
    .action(async (o: { file?: string; postgres?: string; config?: string }) =>
      exit(await (await import('./audit.js')).auditVerify(o)),
    );
  const policy = cli.command('policy').description('the access policy, for policy authors');
  policy
    .command('explain')
    .description("print an admin's decision, scope and sandbox CTEs (with their parameters) exactly as they would run")
    .requiredOption('--tenant <id>', 'tenant ID')
    .requiredOption('--business <id>', 'business ID')
    .requiredOption('--admin <id>', 'admin ID')
    .option('--config <file>', 'configuration file', configFile)
    .option('--json', 'print JSON', false)
    .action(async (o: { tenant: string; business: string; admin: string; config?: string; json: boolean }) =>
      exit(await (await import('./policy.js')).explainCommand(o)),
    );
  policy
    .command('test')
    .description("run the policy's opa tests, then compile every registered admin's decision into a sandbox")
    .option('--config <file>', 'configuration file', configFile)
    .action(async (o: { config?: string }) => exit(await (await import('./policy.js')).testCommand(o)));
  cli
    .command('eval')
    .description('the accuracy evaluation: questions with gold answers computed from the raw tables')
    .argument('<file>', 'question file (YAML)', existingFile('eval'))
    .option('--url <url>', 'a running server (default: in process)', httpUrl)
    .option('--config <file>', 'configuration file', configFile)
    .option('--warehouse <file>', 'the DuckDB file gold answers are computed from')
    .option('--report <file>', 'where the JSON report goes', 'var/eval-report.json')
    .option('--verbose', 'print every answer, not only the ones that are not right', false)
    .action(async (file: string, o: import('./eval.js').EvalOptions) =>
      exit(await (await import('./eval.js')).evaluate(file, o)),
    );
  // init and catalog check (docs/init.md): the warehouse by --duckdb, --postgres or --config (Databricks: --config only).
  const ident =
    (name: string) =>
    (v: string): string => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) throw new InvalidArgumentError(`${name} must be an ASCII identifier`);
      return v;
    };
  cli
    .command('init')
    .description(
      "write a starting catalog, policy and eval skeleton from a warehouse's information schema (every guess marked TO REVIEW)",
    )
    .option('--duckdb <file>', 'a DuckDB file (opened read-only)', existingFile('DuckDB'))
    .option('--postgres <url>', 'a PostgreSQL URL', postgresUrl('--postgres'))
    .option('--config <file>', 'the warehouse of this configuration (Databricks: this way only)', configFile)
    .option(
      '--schema <name>',
      "the schema to read (default: the engine's: DuckDB main, PostgreSQL warehouse)",
      ident('--schema'),
    )
    .option('--tables <list>', `only these tables, comma-separated (needed above 200 tables)`, (v) =>
      v.split(',').map((t) => ident('--tables')(t.trim())),
    )
    .option('--out <dir>', 'where catalog/, policies/ and eval/ are written', '.')
    .option('--force', 'replace a catalog already in --out', false)
    .option('--tenant-column <name>', 'the tenant ID column (when no column looks like one)', ident('--tenant-column'))
    .option('--business-column <name>', 'the business ID column', ident('--business-column'))
    .option('--unit <table.column>', 'what admins are granted: a table and its key column', (v) => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(v);
      if (!m) throw new InvalidArgumentError('--unit is TABLE.COLUMN');
      return { table: m[1]!, column: m[2]! };
    })
    .action(async (o: import('./init.js').InitCommandOptions) => exit(await (await import('./init.js')).init(o)));
  cli
    .command('catalog')
    .description('the catalog (tables.yaml and metrics.yaml)')
    .command('check')
    .description('check every table and column of a catalog against the warehouse, and print what a model sees')
    .option('--config <file>', 'configuration file (its catalog and warehouse)', configFile)
    .option('--catalog <path>', 'the catalog folder (or its metrics.yaml)')
    .option('--duckdb <file>', 'a DuckDB file (opened read-only)', existingFile('DuckDB'))
    .option('--postgres <url>', 'a PostgreSQL URL', postgresUrl('--postgres'))
    .option('--schema <name>', "the schema of the raw tables (default: the engine's)", ident('--schema'))
    .action(async (o: import('./catalog.js').CatalogCheckOptions) =>
      exit(await (await import('./catalog.js')).catalogCheck(o)),
    );
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

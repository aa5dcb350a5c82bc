/** `splitplane init`: a starting catalog, policy and eval skeleton from a warehouse (docs/init.md). Only the declaration: the command's code loads when it runs. */
import { InvalidArgumentError, type Command } from 'commander';
import { configFile, existingFile, ident, postgresUrl } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
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
    .action(async (o: import('../init.js').InitCommandOptions) => exit(await (await import('../init.js')).init(o)));
}

/** `splitplane catalog check`: a catalog against the warehouse (docs/init.md). Only the declaration: the command's code loads when it runs. */
import type { Command } from 'commander';
import { configFile, existingFile, ident, postgresUrl } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
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
    .action(async (o: import('../catalog.js').CatalogCheckOptions) =>
      exit(await (await import('../catalog.js')).catalogCheck(o)),
    );
}

/** `splitplane demo generate` and `demo load-postgres`: the demo warehouse. Only the declaration: the command's code loads when it runs. */
import { InvalidArgumentError, type Command } from 'commander';
import { configFile, integer, postgresUrl } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
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
        exit(await (await import('../demo.js')).demoGenerate(o)),
    );
  demo
    .command('load-postgres')
    .description('copy the demo warehouse into PostgreSQL with row-level security')
    .option('--url <url>', 'an owner connection', postgresUrl('--url'), 'postgres://postgres@127.0.0.1:5432/test')
    .option('--path <file>', 'the DuckDB demo file (generated when absent)')
    .option('--config <file>', 'configuration file', configFile)
    .action(async (o: { url: string; path?: string; config?: string }) =>
      exit(await (await import('../demo.js')).demoLoadPostgres(o)),
    );
}

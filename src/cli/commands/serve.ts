/** `splitplane serve`: the service. Only the declaration: the command's code loads when it runs. */
import type { Command } from 'commander';
import { configFile } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
  cli
    .command('serve')
    .description('run the service (config/demo.yaml by default: the embedded DuckDB demo)')
    .option('--config <file>', 'configuration file (YAML or JSON)', configFile)
    .action(async (o: { config?: string }) => exit(await (await import('../serve.js')).serve(o)));
}

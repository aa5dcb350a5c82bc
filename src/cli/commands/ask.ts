/** `splitplane ask`: one question as (tenant, business, admin), signed, through every layer. Only the declaration: the command's code loads when it runs. */
import type { Command } from 'commander';
import { configFile, httpUrl } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
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
    .action(async (question: string[], o: import('../ask.js').AskOptions) =>
      exit(await (await import('../ask.js')).ask(question.join(' '), o)),
    );
}

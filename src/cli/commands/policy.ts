/** `splitplane policy explain` and `policy test`: for policy authors. Only the declaration: the command's code loads when it runs. */
import type { Command } from 'commander';
import { configFile } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
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
      exit(await (await import('../policy.js')).explainCommand(o)),
    );
  policy
    .command('test')
    .description("run the policy's opa tests, then compile every registered admin's decision into a sandbox")
    .option('--config <file>', 'configuration file', configFile)
    .action(async (o: { config?: string }) => exit(await (await import('../policy.js')).testCommand(o)));
}

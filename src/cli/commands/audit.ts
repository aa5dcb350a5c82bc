/** `splitplane audit verify`: the hash chain of the audit trail. Only the declaration: the command's code loads when it runs. */
import type { Command } from 'commander';
import { configFile, postgresUrl } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
  cli
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('recompute the hash chain; name the first edited, missing or reordered event')
    .option('--file <file>', 'a JSON-lines audit file')
    .option('--postgres <url>', 'the splitplane_audit table at this PostgreSQL URL', postgresUrl('--postgres'))
    .option('--config <file>', 'configuration file (its audit sink)', configFile)
    .action(async (o: { file?: string; postgres?: string; config?: string }) =>
      exit(await (await import('../audit.js')).auditVerify(o)),
    );
}

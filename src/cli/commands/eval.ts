/** `splitplane eval`: the accuracy evaluation. Only the declaration: the command's code loads when it runs. */
import type { Command } from 'commander';
import { configFile, existingFile, httpUrl } from '../args.js';

export function register(cli: Command, exit: (code: number) => void): void {
  cli
    .command('eval')
    .description('the accuracy evaluation: questions with gold answers computed from the raw tables')
    .argument('<file>', 'question file (YAML)', existingFile('eval'))
    .option('--url <url>', 'a running server (default: in process)', httpUrl)
    .option('--config <file>', 'configuration file', configFile)
    .option('--warehouse <file>', 'the DuckDB file gold answers are computed from')
    .option('--report <file>', 'where the JSON report goes', 'var/eval-report.json')
    .option('--verbose', 'print every answer, not only the ones that are not right', false)
    .action(async (file: string, o: import('../eval.js').EvalOptions) =>
      exit(await (await import('../eval.js')).evaluate(file, o)),
    );
}

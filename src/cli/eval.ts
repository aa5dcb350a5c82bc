/**
 * `splitplane eval`: the accuracy evaluation. In process by default (the configured warehouse, the
 * clock pinned to the file's "today", rate limits lifted, audit events in a temporary file so a
 * running server's trail is not touched), or against a running server with --url. Exit 1 on any
 * WRONG answer.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { httpAsker, inProcessAsker } from '../eval/askers.js';
import { loadEvalFile } from '../eval/file.js';
import { GoldDatabase } from '../eval/gold.js';
import { loadCatalog } from '../semantic/catalog.js';
import { runEval, type Asker, type EvalReport } from '../eval/run.js';
import { generateDemoWarehouse } from '../demo/generate.js';
import { EXIT, note } from './common.js';
import { clientCredential, loadConfig } from './load-config.js';

export interface EvalOptions {
  readonly url?: string;
  readonly config?: string;
  readonly warehouse?: string;
  readonly report: string;
  readonly verbose: boolean;
}

export async function evaluate(path: string, values: EvalOptions): Promise<number> {
  const file = loadEvalFile(path);
  const config = loadConfig(values.config);
  const warehouse = values.warehouse ?? config.warehouse.duckdb.path;
  if (!values.url && config.demo.generateIfMissing && !existsSync(warehouse))
    await generateDemoWarehouse({ path: warehouse, progress: note });
  const credential = (tenantId: string) => clientCredential(config, tenantId);
  let asker: Asker;
  if (values.url) {
    if (config.clock.today !== file.today)
      process.stderr.write(
        `note: ${path} is written for today = ${file.today}; the server answers with its own clock\n`,
      );
    asker = httpAsker(values.url, config, credential);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'splitplane-eval-'));
    const lifted = { max: 1_000_000, windowMs: 60_000 };
    asker = await inProcessAsker(
      {
        ...config,
        mode: 'demo',
        clock: { today: file.today },
        audit: { ...config.audit, sink: 'file', file: join(dir, 'audit.jsonl') },
        feedback: { ...config.feedback, file: join(dir, 'feedback.jsonl') },
        rateLimit: { ...config.rateLimit, perAdmin: lifted, perTenant: lifted },
        demo: { ...config.demo, generateIfMissing: false },
      },
      credential,
    );
    process.stderr.write(`in process over ${warehouse}; audit events of this run: ${join(dir, 'audit.jsonl')}\n`);
  }
  const gold = await GoldDatabase.open(warehouse, file.personas, loadCatalog(config.catalog.path).schema);
  let report: EvalReport;
  try {
    report = await runEval(file, asker, gold, (r) => {
      if (values.verbose || r.verdict !== 'right') {
        process.stdout.write(
          `${r.verdict.padEnd(7)} ${`${r.id}${r.turn > 1 ? `#${r.turn}` : ''}`.padEnd(22)} ${r.question}\n`,
        );
        if (r.verdict !== 'right')
          process.stdout.write(`        expected ${r.expect}, got ${r.got}${r.detail ? `: ${r.detail}` : ''}\n`);
        if (r.interpretation && r.verdict === 'WRONG')
          process.stdout.write(`        understood: ${r.interpretation}\n`);
      }
    });
  } finally {
    gold.close();
    await asker.close();
  }
  mkdirSync(dirname(resolvePath(values.report)), { recursive: true });
  writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
  const s = report.summary;
  process.stdout.write(
    `\n${s.questions} questions: ${s.right} right (${(100 * s.rightRate).toFixed(1)}%), ${s.refused} clarified or refused, ${s.wrong} WRONG\n`,
  );
  for (const [c, v] of Object.entries(report.byCategory))
    process.stdout.write(`  ${c.padEnd(14)} right ${v.right}, refused ${v.refused}, WRONG ${v.wrong}\n`);
  const limited = report.results.filter((r) => r.got.startsWith('429')).length;
  if (limited > 0)
    process.stderr.write(
      `note: ${limited} answers were 429 SP_ERR_RATE_LIMITED: with --url the server's rate limits apply (rateLimit.perAdmin, 60 a minute by default); raise them on the server for an evaluation run\n`,
    );
  process.stdout.write(`report: ${values.report}\n`);
  return s.wrong > 0 ? EXIT.refused : EXIT.ok;
}

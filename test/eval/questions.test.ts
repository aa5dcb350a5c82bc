/**
 * The accuracy evaluation in the suite: every question of eval/questions.yaml through the full
 * pipeline in process, each answer compared with gold computed from the raw tables. Zero WRONG,
 * and at least 90% right.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { inProcessAsker } from '../../src/eval/askers.js';
import { loadEvalFile } from '../../src/eval/file.js';
import { GoldDatabase } from '../../src/eval/gold.js';
import { runEval } from '../../src/eval/run.js';
import { DEMO_KEY } from '../support/harness.js';

it('eval/questions.yaml: no wrong number, at least 90% right', { timeout: 240_000 }, async () => {
  const file = loadEvalFile('eval/questions.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-eval-'));
  const lifted = { max: 1_000_000, windowMs: 60_000 };
  const config = parseConfig({
    signing: { credentialsFile: 'config/demo-credentials.json' },
    mode: 'demo',
    clock: { today: file.today },
    warehouse: { duckdb: { path: inject('demoDb') } },
    audit: { file: join(dir, 'audit.jsonl') },
    feedback: { file: join(dir, 'feedback.jsonl') },
    rateLimit: { perAdmin: lifted, perTenant: lifted },
  });
  const asker = await inProcessAsker(config, () => DEMO_KEY);
  const gold = await GoldDatabase.open(inject('demoDb'), file.personas);
  try {
    const report = await runEval(file, asker, gold);
    const wrong = report.results.filter((r) => r.verdict === 'WRONG');
    console.log(`eval: ${JSON.stringify(report.summary)}`);
    expect(report.summary.questions).toBeGreaterThanOrEqual(200);
    expect(new Set(report.results.map((r) => r.persona)).size).toBeGreaterThanOrEqual(3);
    expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
    expect(report.summary.rightRate).toBeGreaterThanOrEqual(0.9);
  } finally {
    gold.close();
    await asker.close();
  }
});

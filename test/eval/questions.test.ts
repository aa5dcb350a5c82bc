/**
 * The accuracy evaluation in the suite: every question of the eval files through the full pipeline
 * in process, each answer compared with gold computed from the raw tables. Zero WRONG everywhere;
 * at least 95% right for single questions, 95% of conversation turns.
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
import { DEMO_REGISTRY } from '../support/demo-catalog.js';

/** Run one eval file in process over the shared demo warehouse; the report. */
async function evaluate(path: string) {
  const file = loadEvalFile(path);
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
  const gold = await GoldDatabase.open(inject('demoDb'), file.personas, DEMO_REGISTRY);
  try {
    const report = await runEval(file, asker, gold);
    console.log(`eval ${path}: ${JSON.stringify(report.summary)}`);
    return { report, wrong: report.results.filter((r) => r.verdict === 'WRONG') };
  } finally {
    gold.close();
    await asker.close();
  }
}

it('eval/questions.yaml: no wrong number, at least 95% right', { timeout: 240_000 }, async () => {
  const { report, wrong } = await evaluate('eval/questions.yaml');
  expect(report.summary.questions).toBeGreaterThanOrEqual(200);
  expect(new Set(report.results.map((r) => r.persona)).size).toBeGreaterThanOrEqual(3);
  expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
  expect(report.summary.rightRate).toBeGreaterThanOrEqual(0.95);
});

it(
  'eval/conversations.yaml: at least 150 conversations and 400 turns, no wrong number, at least 95% of turns right',
  { timeout: 240_000 },
  async () => {
    const { report, wrong } = await evaluate('eval/conversations.yaml');
    expect(new Set(report.results.map((r) => r.id.split('#')[0])).size).toBeGreaterThanOrEqual(150);
    expect(report.summary.questions).toBeGreaterThanOrEqual(400);
    expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
    expect(report.summary.rightRate).toBeGreaterThanOrEqual(0.95);
  },
);

it(
  'eval/conversations-fresh.yaml (held out, written without the parser): no wrong number',
  { timeout: 240_000 },
  async () => {
    const { report, wrong } = await evaluate('eval/conversations-fresh.yaml');
    expect(new Set(report.results.map((r) => r.id.split('#')[0])).size).toBeGreaterThanOrEqual(50);
    expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
  },
);

it('eval/benchmarks.yaml: no wrong number, at least 95% right', { timeout: 240_000 }, async () => {
  const { report, wrong } = await evaluate('eval/benchmarks.yaml');
  expect(report.summary.questions).toBeGreaterThanOrEqual(40);
  expect(new Set(report.results.map((r) => r.persona)).size).toBeGreaterThanOrEqual(3);
  expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
  expect(report.summary.rightRate).toBeGreaterThanOrEqual(0.95);
});

it(
  'eval/benchmarks-fresh.yaml (held out, written without the benchmark reader): no wrong number',
  { timeout: 240_000 },
  async () => {
    const { report, wrong } = await evaluate('eval/benchmarks-fresh.yaml');
    expect(report.summary.questions).toBeGreaterThanOrEqual(60);
    expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
  },
);

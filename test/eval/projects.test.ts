/**
 * The second domain's accuracy evaluation in the suite (issue 33): the project-tracking example of
 * examples/projects/, configured by files alone, every question through the full pipeline in
 * process, each answer compared with gold computed from the raw tables of its own warehouse (the
 * gold builder is generated from the example's catalog). Zero WRONG; at least 90% right.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateProjectsWarehouse } from '../../examples/projects/generate.js';
import { parseConfig } from '../../src/config/config.js';
import { inProcessAsker } from '../../src/eval/askers.js';
import { loadEvalFile } from '../../src/eval/file.js';
import { GoldDatabase } from '../../src/eval/gold.js';
import { runEval } from '../../src/eval/run.js';
import { loadCatalog } from '../../src/semantic/catalog.js';

const dir = mkdtempSync(join(tmpdir(), 'splitplane-projects-eval-'));
const warehouse = join(dir, 'projects.duckdb');
beforeAll(async () => {
  await generateProjectsWarehouse({ path: warehouse });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(
  'examples/projects/eval/questions.yaml: at least 150 questions over 3 personas (one of another organisation), no wrong number, at least 90% right',
  { timeout: 240_000 },
  async () => {
    const file = loadEvalFile('examples/projects/eval/questions.yaml');
    const lifted = { max: 1_000_000, windowMs: 60_000 };
    const config = parseConfig({
      mode: 'demo',
      signing: { credentialsFile: 'examples/projects/credentials.json' },
      clock: { today: file.today },
      warehouse: { duckdb: { path: warehouse } },
      policy: { wasmPath: 'examples/projects/policy/policy.wasm' },
      catalog: { path: 'examples/projects/catalog' },
      audit: { file: join(dir, 'audit.jsonl') },
      feedback: { file: join(dir, 'feedback.jsonl') },
      rateLimit: { perAdmin: lifted, perTenant: lifted },
      demo: { generateIfMissing: false, enabled: false },
    });
    const asker = await inProcessAsker(config, () => ({
      accessKeyId: 'SPDEMOKEYTRACKLANE01',
      secretAccessKey: 'tracklane-example-secret-do-not-use-in-production',
    }));
    const gold = await GoldDatabase.open(warehouse, file.personas, loadCatalog('examples/projects/catalog').schema);
    try {
      const report = await runEval(file, asker, gold);
      console.log(`eval examples/projects/eval/questions.yaml: ${JSON.stringify(report.summary)}`);
      const wrong = report.results.filter((r) => r.verdict === 'WRONG');
      expect(report.summary.questions).toBeGreaterThanOrEqual(150);
      const tenants = new Set(report.results.map((r) => file.personas[r.persona]!.tenantId));
      expect(new Set(report.results.map((r) => r.persona)).size).toBeGreaterThanOrEqual(3);
      expect(tenants.size).toBeGreaterThanOrEqual(2);
      expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
      expect(report.summary.rightRate).toBeGreaterThanOrEqual(0.9);
    } finally {
      gold.close();
      await asker.close();
    }
  },
);

#!/usr/bin/env node
/**
 * Mutation check for the security rules: disables each guard rule, engine
 * check and lock-down setting in turn (in a scratch copy of the project, never
 * in the working tree, and with no switch in the product itself), runs the
 * security tests, and reports whether at least one test then fails ("killed").
 * A rule whose removal no test notices is dead weight or an untested rule.
 *
 *   npm run test:mutation [-- --only ID[,ID...]] [-- --runs N] [-- --bail]
 *
 * --bail stops each mutant's run at its first failing test: the verdict (killed or not) is the
 * same, only the count of failing tests is then 1, and a run takes a fraction of the time.
 *
 * Writes test-artifacts/mutation.json and prints a table. Exits 1 if any
 * mutation survives.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MUTATIONS } from './mutations.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '300' },
    bail: { type: 'boolean', default: false },
  },
});

const TESTS = [
  'src/guard/guard.test.ts',
  'src/sandbox/sandbox.test.ts',
  'src/engines/duckdb/connector.test.ts',
  'test/security/corpus.test.ts',
  'test/security/cost-and-binding.test.ts',
  'test/security/stall.test.ts',
  'src/guard/parse-pool.test.ts',
  'test/security/differential-a.test.ts',
  'test/security/differential-c.test.ts',
  'src/policy/refinements.test.ts',
  'test/e2e/masks.test.ts',
  'test/e2e/ask.test.ts',
  'test/security/answer-cache.test.ts',
  'src/benchmark/benchmark.test.ts',
  'test/security/benchmark-differencing.test.ts',
];

const root = process.cwd();
const only = values.only ? new Set(values.only.split(',')) : undefined;
const selected = MUTATIONS.filter(([id]) => !only || only.has(id));
/** Runs the suites in a scratch copy of the project, with `file` changed to `text` when given. */
function runIn(id, file, text) {
  const scratch = mkdtempSync(join(tmpdir(), `splitplane-mutant-${id}-`));
  for (const entry of [
    'src',
    'test',
    'policies',
    'catalog',
    'config',
    // the suites' global setup generates the second domain's warehouse from examples/projects/
    'examples',
    'package.json',
    'tsconfig.json',
    'vitest.config.ts',
  ]) {
    cpSync(join(root, entry), join(scratch, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
  if (file) writeFileSync(join(scratch, file), text);
  const run = spawnSync(
    join(root, 'node_modules/.bin/vitest'),
    ['run', ...(values.bail ? ['--bail=1'] : []), ...TESTS],
    {
      cwd: scratch,
      env: { ...process.env, SPLITPLANE_PROPERTY_RUNS: values.runs, NO_COLOR: '1' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  rmSync(scratch, { recursive: true, force: true });
  // eslint-disable-next-line no-control-regex -- the pattern strips the terminal colour codes (ESC) vitest writes
  const out = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (process.env.MUTATE_DEBUG) writeFileSync(join(root, 'test-artifacts', `mutant-${id}.log`), out);
  return { status: run.status, failed: [...new Set([...out.matchAll(/^ FAIL +(.+?)\s*$/gm)].map((m) => m[1].trim()))] };
}

mkdirSync(join(root, 'test-artifacts'), { recursive: true });
// The unmutated code must pass the same suites with the same options first: a test that fails on
// its own would count every mutant as killed.
const baseline = runIn('baseline');
if (baseline.status !== 0) {
  console.log(
    `baseline FAILED with no mutation (${baseline.failed.length} failing tests): ${baseline.failed.slice(0, 3).join(' | ')}`,
  );
  console.log('fix the suites before reading any mutant as killed');
  process.exit(2);
}
console.log('baseline                     passes');

const results = [];
for (const [id, file, find, replace] of selected) {
  const source = readFileSync(join(root, file), 'utf8');
  const count = source.split(find).length - 1;
  if (count !== 1) {
    results.push({ id, file, killed: false, error: `the text to mutate occurs ${count} times` });
    console.log(`${id.padEnd(28)} ERROR: mutation text occurs ${count} times in ${file}`);
    continue;
  }
  const started = Date.now();
  const run = runIn(id, file, source.replace(find, replace));
  const failed = run.failed;
  const killed = run.status !== 0;
  results.push({
    id,
    file,
    killed,
    failedTests: failed.length,
    examples: failed.slice(0, 3),
    seconds: (Date.now() - started) / 1000,
  });
  console.log(
    `${id.padEnd(28)} ${killed ? 'killed  ' : 'SURVIVED'} ${String(failed.length).padStart(3)} failing tests  ${failed.slice(0, 2).join(' | ')}`,
  );
}

const killed = results.filter((r) => r.killed).length;
writeFileSync(
  join(root, 'test-artifacts/mutation.json'),
  `${JSON.stringify({ runs: Number(values.runs), results }, null, 2)}\n`,
);
console.log(`\n${killed} of ${results.length} mutations killed; report: test-artifacts/mutation.json`);
process.exit(killed === results.length ? 0 : 1);

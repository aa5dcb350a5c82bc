/**
 * Start-up of the CLI: `node dist/cli/main.js --version` and `--help`, each run N times as a child
 * process, against `node -e 0` (node's own start-up) measured in the same run, interleaved, so a
 * busy machine weighs on all of them alike. Prints the median wall time of each and its ratio to
 * `node -e 0`. Build first (npm run build): it times the built CLI, as installed.
 *
 *   npx tsx bench/cli-startup.ts [--n 20] [--cli dist/cli/main.js] [--cli /other/build/cli/main.js ...] [--out FILE]
 *
 * More than one --cli compares builds (an older one copied aside, say) in the same run.
 * Not a test: no assertion on time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20' },
    cli: { type: 'string', multiple: true, default: ['dist/cli/main.js'] },
    out: { type: 'string' },
  },
});
const N = Number(values.n);
if (!Number.isInteger(N) || N < 1) throw new Error('--n must be a positive integer');
for (const cli of values.cli) if (!existsSync(cli)) throw new Error(`no ${cli}: run npm run build first`);

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly ms: number[];
}
const cases: Case[] = [{ name: 'node -e 0', args: ['-e', '0'], ms: [] }];
for (const cli of values.cli) {
  cases.push({ name: `${cli} --version`, args: [cli, '--version'], ms: [] });
  cases.push({ name: `${cli} --help`, args: [cli, '--help'], ms: [] });
}

function once(c: Case): void {
  const t = performance.now();
  const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  c.ms.push(ms);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

for (const c of cases) once(c); // warm the file cache; not counted
for (const c of cases) c.ms.length = 0;
for (let i = 0; i < N; i++) for (const c of cases) once(c);

const base = median(cases[0]!.ms);
const rows = cases.map((c) => ({
  name: c.name,
  medianMs: Math.round(median(c.ms)),
  minMs: Math.round(Math.min(...c.ms)),
  ratio: Number((median(c.ms) / base).toFixed(2)),
}));
const width = Math.max(...rows.map((r) => r.name.length));
process.stdout.write(`CLI start-up, ${N} runs each, interleaved (node ${process.version})\n`);
for (const r of rows)
  process.stdout.write(
    `  ${r.name.padEnd(width)}  median ${String(r.medianMs).padStart(6)} ms  min ${String(r.minMs).padStart(6)} ms  ${r.ratio.toFixed(2)} x node -e 0\n`,
  );
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify({ n: N, node: process.version, rows }, null, 2)}\n`);
}

/**
 * The CLI's exit codes for what an operator gets wrong, as the README documents them (0 answered,
 * 1 refused or denied or a broken chain or a WRONG answer, 2 usage, 3 unavailable): a bad argument
 * value or a file that is not there is a usage error (2) named in one line, never a raw ENOENT
 * with 1; and the entry point loads no command's code before it knows which command runs.
 * Each case runs the CLI as a process of its own, as an operator does.
 */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateDemoWarehouse } from '../../src/demo/generate.js';

const run = promisify(execFile);
type Out = { stdout: string; stderr: string; code?: number };
const cli = (args: string[]): Promise<Out> =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]).catch((e: unknown) => e as Out); // execFile rejects with stdout, stderr and code
const HINT = '(run with --help for usage)';
const dir = mkdtempSync(join(tmpdir(), 'splitplane-cli-exit-'));
const who = ['--tenant', '12', '--business', '628', '--admin', '7042'];

/** Exit 2, the message on the first line of stderr, at most commander's usage hint after it, nothing on stdout. */
function usage(r: Out, message: string): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines[0]).toContain(message);
  expect(
    lines.slice(1).every((l) => l === HINT),
    r.stderr,
  ).toBe(true);
  expect(r.stderr).not.toMatch(/ENOENT|Invalid URL|\n\s+at /);
  expect(r.stdout).toBe('');
}

describe('exit codes', () => {
  it('a bad argument value is a usage error (2) naming the option: --url notaurl, --scale -1, --seed x, --postgres notaurl', async () => {
    const path = join(dir, 'never.duckdb');
    const [url, evalUrl, scale, seed, postgres] = await Promise.all([
      cli(['ask', '--url', 'notaurl', ...who, 'sales last week']),
      cli(['eval', 'eval/questions.yaml', '--url', 'notaurl']),
      cli(['demo', 'generate', '--scale', '-1', '--path', path]),
      cli(['demo', 'generate', '--seed', 'x', '--path', path]),
      cli(['audit', 'verify', '--postgres', 'notaurl']),
    ]);
    usage(url, "option '--url <url>' argument 'notaurl' is invalid. --url must be a URL starting http:// or https://");
    usage(evalUrl, "option '--url <url>' argument 'notaurl' is invalid");
    usage(scale, "option '--scale <n>' argument '-1' is invalid. --scale must be an integer from 1 to 58");
    usage(seed, "option '--seed <n>' argument 'x' is invalid");
    usage(postgres, "option '--postgres <url>' argument 'notaurl' is invalid");
    expect(existsSync(path)).toBe(false); // refused before anything was generated
  }, 120_000);

  it('a missing config file is a usage error (2), for every command that reads one', async () => {
    const missing = join(dir, 'no-such-config.yaml');
    const rs = await Promise.all([
      cli(['ask', '--config', missing, ...who, 'sales last week']),
      cli(['serve', '--config', missing]),
      cli(['audit', 'verify', '--config', missing]),
      cli(['policy', 'explain', '--config', missing, ...who]),
    ]);
    for (const r of rs) usage(r, `no config file at ${missing}`);
  }, 120_000);

  it('a missing eval file is a usage error (2)', async () => {
    const missing = join(dir, 'no-such-questions.yaml');
    usage(await cli(['eval', missing]), `no eval file at ${missing}`);
  }, 60_000);

  it('audit verify on a missing file is 2 ("no audit file at PATH"), not the broken-chain 1', async () => {
    const missing = join(dir, 'no-such-audit.jsonl');
    const broken = join(dir, 'broken-audit.jsonl');
    writeFileSync(broken, 'not an audit event\n');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `mode: demo\naudit: { file: ${JSON.stringify(missing)} }\n`);
    const [viaFile, viaConfig, chain] = await Promise.all([
      cli(['audit', 'verify', '--file', missing]),
      cli(['audit', 'verify', '--config', config]),
      cli(['audit', 'verify', '--file', broken]),
    ]);
    expect(viaFile.stderr).toBe(`splitplane: no audit file at ${missing}\n`);
    expect(viaFile.code).toBe(2);
    expect(viaConfig.stderr).toBe(`splitplane: no audit file at ${missing} (audit.file of the configuration)\n`);
    expect(viaConfig.code).toBe(2);
    // A broken chain keeps its own code.
    expect(chain.code).toBe(1);
    expect(chain.stderr).toContain('audit chain BROKEN at line 1');
  }, 120_000);

  it('audit verify against a PostgreSQL nothing listens on is 3 (unavailable), not the broken-chain 1', async () => {
    // A port nothing listens on: taken from the system, then released.
    const port = await new Promise<number>((done) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => done(p));
      });
    });
    const r = await cli(['audit', 'verify', '--postgres', `postgres://postgres@127.0.0.1:${port}/test`]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe(
      `splitplane: cannot reach PostgreSQL for the audit table: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  }, 60_000);
});

describe('start-up', () => {
  it('the entry point statically imports node built-ins, commander and light modules only: each command loads its code when it runs', () => {
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      const source = readFileSync(file, 'utf8');
      // Static imports and re-exports that load a module (`import type` loads nothing).
      for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
        const spec = m[1]!;
        const light = spec.startsWith('node:') || spec === 'commander' || spec.startsWith('.');
        expect(light, `${relative('.', file)} imports ${spec} before a command runs`).toBe(true);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(resolve('src/cli/main.ts'));
    // The entry point, the argument checks and each command's declaration (never its code).
    expect([...reached].map((f) => relative('.', f)).sort()).toEqual([
      'src/cli/args.ts',
      ...['ask', 'audit', 'catalog', 'demo', 'eval', 'init', 'policy', 'serve'].map((c) => `src/cli/commands/${c}.ts`),
      'src/cli/common.ts',
      'src/cli/main.ts',
      'src/errors.ts',
    ]);
  });

  it('--version and --help answer (exit 0)', async () => {
    const [version, help] = await Promise.all([cli(['--version']), cli(['--help'])]);
    expect(version.code ?? 0).toBe(0);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
    );
    expect(help.code ?? 0).toBe(0);
    expect(help.stdout).toMatch(/^Usage: splitplane/);
    for (const c of ['serve', 'ask', 'demo', 'audit', 'policy', 'eval']) expect(help.stdout).toContain(`  ${c}`);
  }, 60_000);

  it('generating the demo warehouse reports a line per table, as a first start does', async () => {
    const lines: string[] = [];
    await generateDemoWarehouse({ path: join(dir, 'progress.duckdb'), days: 60, progress: (l) => lines.push(l) });
    expect(lines[0]).toMatch(
      /^generating the demo warehouse at .*progress\.duckdb \(seed 42, scale 1, sorted\): (\d+) tables$/,
    );
    const total = Number(/: (\d+) tables$/.exec(lines[0]!)![1]);
    const tables = lines.filter((l) => / tables \d+\/\d+ /.test(l));
    expect(tables).toHaveLength(total);
    expect(tables.at(-1)).toMatch(new RegExp(`tables ${total}/${total} \\(customers, \\d+\\.\\d s\\)$`));
    expect(lines.at(-1)).toMatch(/^generating the demo warehouse: done in \d+\.\d s$/);
  }, 120_000);
});

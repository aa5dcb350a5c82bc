/**
 * The README's "Bring your own warehouse", step by step, on a warehouse this test builds (an online
 * shop: organisations, workspaces, members granted sales channels, orders): init, confirm the scope
 * columns, catalog check, compile the generated policy, serve, and a signed ask through the running
 * service; every number compared with what this test computes from the rows it wrote. The same
 * commands as the README, with absolute paths.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
type Out = { stdout: string; stderr: string; code?: number };
const cli = (args: string[]): Promise<Out> =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => ({ ...r, code: 0 }),
    (e: unknown) => e as Out, // execFile rejects with stdout, stderr and code
  );

const dir = mkdtempSync(join(tmpdir(), 'splitplane-byow-'));
const db = join(dir, 'shop.duckdb');
const out = join(dir, 'mine');
const opa = execFileSync('bash', ['-c', 'command -v opa || echo "$(go env GOPATH 2>/dev/null)/bin/opa"'], {
  encoding: 'utf8',
}).trim();
const haveOpa = existsSync(opa);
if (!haveOpa && process.env['CI'] === 'true')
  throw new Error('the opa CLI is needed in CI (scripts/policy.sh names the version)');
if (!haveOpa)
  console.warn(
    'SKIPPED the serve-and-ask steps of bring-your-own: the opa CLI is not installed (go install github.com/open-policy-agent/opa@v1.22.2)',
  );

// The rows (the expected numbers are computed from these, not read back from the service).
const ORDERS = Array.from({ length: 300 }, (_, k) => {
  const i = k + 1;
  const org = i % 3 === 0 ? 2 : 1;
  return {
    id: i,
    org,
    ws: org === 2 ? 20 : 10,
    channel: org === 2 ? 3 : 1 + (i % 2),
    day: 1 + (i % 30),
    amount: 10 + (i % 7),
  };
});
const CHANNELS = [
  { id: 1, org: 1, ws: 10, name: 'web' },
  { id: 2, org: 1, ws: 10, name: 'mobile' },
  { id: 3, org: 2, ws: 20, name: 'web' },
];
/** Member 100 (org 1, workspace 10, analyst) is granted channel 1 only; 101 both channels of 10; 200 channel 3 of org 2. */
const GRANTS = [
  [100, 1],
  [101, 1],
  [101, 2],
  [200, 3],
] as const;

let server: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  for (const s of [
    `CREATE TABLE orgs (org_id BIGINT, name VARCHAR)`,
    `INSERT INTO orgs VALUES (1, 'Northwind'), (2, 'Contoso')`,
    `CREATE TABLE workspaces (workspace_id BIGINT, org_id BIGINT, name VARCHAR)`,
    `INSERT INTO workspaces VALUES (10, 1, 'Northwind EU'), (20, 2, 'Contoso US')`,
    `CREATE TABLE members (member_id BIGINT, org_id BIGINT, workspace_id BIGINT, role VARCHAR, active BOOLEAN)`,
    `INSERT INTO members VALUES (100, 1, 10, 'analyst', true), (101, 1, 10, 'analyst', true), (200, 2, 20, 'analyst', true)`,
    `CREATE TABLE channels (channel_id BIGINT, org_id BIGINT, workspace_id BIGINT, name VARCHAR)`,
    `INSERT INTO channels VALUES ${CHANNELS.map((x) => `(${x.id}, ${x.org}, ${x.ws}, '${x.name}')`).join(', ')}`,
    `CREATE TABLE member_channels (member_id BIGINT, channel_id BIGINT)`,
    `INSERT INTO member_channels VALUES ${GRANTS.map(([m, ch]) => `(${m}, ${ch})`).join(', ')}`,
    `CREATE TABLE orders (order_id BIGINT, org_id BIGINT, workspace_id BIGINT, channel_id BIGINT, ordered_on DATE, amount DECIMAL(10,2))`,
    `INSERT INTO orders VALUES ${ORDERS.map((o) => `(${o.id}, ${o.org}, ${o.ws}, ${o.channel}, DATE '2026-11-${String(o.day).padStart(2, '0')}', ${o.amount})`).join(', ')}`,
  ])
    await c.run(s);
  c.closeSync();
  inst.closeSync();
}, 60_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('Bring your own warehouse (README), on a warehouse the test builds', () => {
  it('1. init guesses the scope, the directory and the grant unit, unconfirmed', async () => {
    const r = await cli(['init', '--duckdb', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tenant column: org_id');
    expect(r.stdout).toContain('business column: workspace_id');
    expect(r.stdout).toContain('grant unit: channels.channel_id, from the grants table member_channels');
    expect(readFileSync(join(out, 'catalog/tables.yaml'), 'utf8')).toContain('confirmed: false');
  });

  it('2. catalog check refuses the catalog until a person confirms the scope columns, then passes', async () => {
    const before = await cli(['catalog', 'check', '--catalog', join(out, 'catalog'), '--duckdb', db]);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/not confirmed/);
    const tables = join(out, 'catalog/tables.yaml');
    writeFileSync(tables, readFileSync(tables, 'utf8').replaceAll('confirmed: false', 'confirmed: true'));
    const after = await cli(['catalog', 'check', '--catalog', join(out, 'catalog'), '--duckdb', db]);
    expect(after.code, after.stderr).toBe(0);
    // What a model sees: logical names, never the raw ones or the scope columns.
    expect(after.stdout).toContain('my_orders');
    expect(after.stdout).not.toMatch(/\borg_id\b|\bworkspace_id\b|member_channels/);
  });

  it.skipIf(!haveOpa)(
    "3. serve the generated policy and catalog, and 4. a signed ask answers from the asker's own channels only",
    { timeout: 120_000 },
    async () => {
      const build = join(out, 'opa-build');
      mkdirSync(build, { recursive: true });
      execFileSync(opa, [
        'build',
        '-t',
        'wasm',
        '-e',
        'splitplane/decision',
        join(out, 'policies/splitplane.rego'),
        '-o',
        join(build, 'bundle.tar.gz'),
      ]);
      execFileSync('tar', ['-xzf', join(build, 'bundle.tar.gz'), '-C', out, '/policy.wasm']);
      writeFileSync(
        join(out, 'credentials.json'),
        JSON.stringify({
          credentials: [
            {
              accessKeyId: 'MYBACKEND0000000001',
              secretAccessKey: 'a-secret-of-our-own-for-this-test-only',
              tenants: ['*'],
              description: 'our back end',
            },
          ],
        }),
      );
      const config = join(out, 'config.yaml');
      writeFileSync(
        config,
        [
          'server: { host: 127.0.0.1, port: 0 }',
          `signing: { credentialsFile: ${JSON.stringify(join(out, 'credentials.json'))} }`,
          'clock: { today: "2026-12-07" }',
          'mode: demo',
          `warehouse: { engine: duckdb, duckdb: { path: ${JSON.stringify(db)}, workersWarm: 1 } }`,
          `policy: { wasmPath: ${JSON.stringify(join(out, 'policy.wasm'))}, source: ${JSON.stringify(join(out, 'policies'))} }`,
          `catalog: { path: ${JSON.stringify(join(out, 'catalog'))} }`,
          `audit: { file: ${JSON.stringify(join(out, 'audit.jsonl'))} }`,
          `feedback: { file: ${JSON.stringify(join(out, 'feedback.jsonl'))} }`,
          'mcp: { enabled: false }',
        ].join('\n'),
      );
      server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      server.stderr!.setEncoding('utf8').on('data', (x: string) => (stderr += x));
      port = await new Promise<number>((ready, fail) => {
        let pending = '';
        let listening: number | undefined;
        server!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop()!;
          for (const l of lines.filter(Boolean)) {
            const line = JSON.parse(l) as { msg: string };
            const m = /^Server listening at http:\/\/127\.0\.0\.1:(\d+)$/.exec(line.msg);
            if (m) listening = Number(m[1]);
            if (line.msg === 'splitplane started' && listening !== undefined) ready(listening);
          }
        });
        server!.once('exit', (code) => fail(new Error(`serve exited (${code}): ${stderr}`)));
      });
      const ask = (admin: string, org: string, ws: string, q: string) =>
        cli([
          'ask',
          '--config',
          config,
          '--url',
          `http://127.0.0.1:${port}`,
          '--tenant',
          org,
          '--business',
          ws,
          '--admin',
          admin,
          '--json',
          q,
        ]);
      const sum = (keep: (o: (typeof ORDERS)[number]) => boolean) =>
        ORDERS.filter(keep).reduce((s, o) => s + o.amount, 0);
      const granted = (admin: number): ReadonlySet<number> =>
        new Set<number>(GRANTS.filter(([m]) => m === admin).map(([, ch]) => ch));

      for (const [admin, org, ws] of [
        [100, 1, 10],
        [101, 1, 10],
        [200, 2, 20],
      ] as const) {
        const r = await ask(String(admin), String(org), String(ws), 'total amount last month');
        expect(r.code, r.stderr).toBe(0);
        const body = JSON.parse(r.stdout) as { rows: unknown[][] };
        const want = sum((o) => o.org === org && o.ws === ws && granted(admin).has(o.channel));
        expect(want).toBeGreaterThan(0);
        expect(Number(body.rows[0]![0])).toBeCloseTo(want, 2);
      }
      const byChannel = JSON.parse((await ask('101', '1', '10', 'number of orders by channel last month')).stdout) as {
        rows: unknown[][];
      };
      const count = (ch: number) => ORDERS.filter((o) => o.org === 1 && o.channel === ch).length;
      expect(byChannel.rows.map((r) => [r.at(-2), Number(r.at(-1))]).sort()).toEqual(
        [
          ['mobile', count(2)],
          ['web', count(1)],
        ].sort(),
      );
      // Another organisation's workspace: refused by identity, never answered.
      const foreign = await ask('100', '1', '20', 'total amount last month');
      expect(foreign.code).not.toBe(0);
    },
  );
});

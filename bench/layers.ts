/**
 * Layer overhead, in process: p50/p99 microseconds of each security layer for
 * scopes of 2, 200 and 10,000 locations (the demo's franchise owner and brand
 * manager, and a bench-only admin of business 628 granted 10,000 locations),
 * beside two baselines measured in the same run: the warehouse execution of
 * the same final SQL, and the floor of the work no design can skip on SQL it
 * has not seen: one SigV4 verification, one engine parse of the final SQL and
 * one policy evaluation (opa-wasm, uncached). Also the cost of the warehouse
 * file identity check (fileIdentity: one statSync with bigint, made before
 * and after every execution and directory read) against the execute p50.
 *
 *   npm run bench:layers -- [--n 10000] [--out bench/results/layers.json]
 *
 * Prints a table and writes a JSON report whose `scopes` hold, per scope size,
 * guardFirstSightP50Us, guardFirstSightP99Us, layersFirstSightP99Us and
 * floorP50Us, and `identityCheck` its p50/p99 and ratio to execute. Not a
 * test: no assertion on time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { signRequest } from '../src/client/sign.js';
import { generateDemoWarehouse } from '../src/demo/generate.js';
import { catalogGenerator } from '../src/generate/catalog-generator.js';
import { guardCandidate } from '../src/guard/guard.js';
import { parseAskBody } from '../src/identity/ask-body.js';
import { credentialStoreFromJson } from '../src/identity/credentials.js';
import { MemoryReplayCache } from '../src/identity/replay-cache.js';
import { verifySigV4 } from '../src/identity/sigv4.js';
import { directoryAsPolicyData, type DirectoryAdmin } from '../src/identity/directory.js';
import { readQuestion, understand } from '../src/intent/analyze.js';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { readFile } from 'node:fs/promises';
import { loadCatalog } from '../src/semantic/catalog.js';
import { loadOpaWasmPolicy } from '../src/policy/opa-wasm.js';
import { buildSandbox, describeSandbox } from '../src/sandbox/sandbox.js';
import { openDuckDb } from '../src/engines/duckdb/connector.js';
import { fileIdentity } from '../src/engines/duckdb/pool.js';
import { loadDirectory } from '../src/warehouse/directory-query.js';
import { DEMO_REGISTRY } from '../test/support/demo-catalog.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '10000' }, out: { type: 'string', default: 'bench/results/layers.json' } },
});
const N = Number(values.n);
const KEY = { accessKeyId: 'BENCHKEY00000000001', secretAccessKey: 'bench-secret-0123456789' };
const NOW = Date.UTC(2026, 10, 18, 12);
const QUESTION = 'What was the total sales amount last week?';
const PERSONAS = [
  { name: 'franchise owner 7042 (2 locations)', tenantId: '12', businessId: '628', adminId: '7042', locations: 2 },
  { name: 'brand manager 7001 (200 locations)', tenantId: '12', businessId: '628', adminId: '7001', locations: 200 },
  {
    name: 'bench-only admin 7990 (10,000 locations)',
    tenantId: '12',
    businessId: '628',
    adminId: '7990',
    locations: 10_000,
  },
];

function stats(samples: number[]): { p50: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function time<T>(samples: number[], fn: () => Promise<T> | T): Promise<T> {
  const t = process.hrtime.bigint();
  const r = await fn();
  samples.push(Number(process.hrtime.bigint() - t) / 1000);
  return r;
}

const dbPath = join(tmpdir(), `splitplane-bench-${process.pid}.duckdb`);
await generateDemoWarehouse({ path: dbPath });
const connector = await openDuckDb({ registry: DEMO_REGISTRY, path: dbPath, threads: 2, memoryLimit: '1GB' });
const loaded = await loadDirectory(connector, DEMO_REGISTRY);
// The bench-only tenant-wide grant: the brand manager's role over 10,000 location IDs (200 of them real).
const wide: DirectoryAdmin = {
  ...loaded.admins.get('7001')!,
  adminId: '7990',
  units: Array.from({ length: 10_000 }, (_, k) => String(628_001 + k)),
};
const directory = { admins: new Map([...loaded.admins, ['7990', wide]]), loadedAt: loaded.loadedAt };
const policy = await loadOpaWasmPolicy('policies/build/policy.wasm', directory, DEMO_REGISTRY);
// The floor's policy evaluation: the same wasm and data, evaluated afresh (the engine above caches decisions).
const rawPolicy = await loadPolicy(await readFile('policies/build/policy.wasm'), { initial: 64 });
rawPolicy.setData(directoryAsPolicyData(directory, DEMO_REGISTRY.grantUnit.plural));
const catalog = loadCatalog('catalog/metrics.yaml');
const compiler = catalogGenerator(catalog);
/** A follow-up turn of the bench question's conversation: the period shifted back, the rest kept. */
const FOLLOW_UP = 'and the week before?';
const credentials = credentialStoreFromJson({ credentials: [{ ...KEY, tenants: ['*'] }] }, 'bench');

const report: Record<string, unknown> = {
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    node: process.version,
    duckdb: (await import('@duckdb/node-api')).version(),
  },
  n: N,
  personas: {},
  scopes: {},
};
const rows: string[] = [];

for (const p of PERSONAS) {
  const who = { tenantId: p.tenantId, businessId: p.businessId, adminId: p.adminId };
  const body = JSON.stringify({ ...who, question: QUESTION });
  const requests = await Promise.all(
    Array.from({ length: N + Math.ceil(N / 10) }, async (_, i) => {
      const headers = await signRequest({
        url: 'http://bench.local/v1/ask',
        body,
        ...KEY,
        signingDate: new Date(NOW),
        extraHeaders: { 'x-splitplane-nonce': String(i) },
      });
      return { method: 'POST', url: '/v1/ask', headers, body: Buffer.from(body) };
    }),
  );
  const verifier = {
    service: 'splitplane',
    region: 'us-east-1',
    maxSkewSeconds: 300,
    credentials,
    replayCache: new MemoryReplayCache(),
    now: () => NOW,
  };
  const t = {
    signature: [] as number[],
    identity: [] as number[],
    intent: [] as number[],
    intentAndCompile: [] as number[],
    followUpIntentAndCompile: [] as number[],
    intentFirstSight: [] as number[],
    policy: [] as number[],
    sandbox: [] as number[],
    generate: [] as number[],
    guard: [] as number[],
    total: [] as number[],
    guardFirstSight: [] as number[],
    layersFirstSight: [] as number[],
    execute: [] as number[],
    floor: [] as number[],
  };
  let floorRequest = N;
  let finalSql = '';
  for (let i = 0; i < N; i++) {
    const req = requests[i]!;
    const start = process.hrtime.bigint();
    await time(t.signature, () => verifySigV4(req, verifier));
    const identity = await time(t.identity, () => {
      const b = parseAskBody(req.body);
      const a = directory.admins.get(b.adminId)!;
      return {
        tenantId: a.tenantId,
        businessId: a.businessId,
        adminId: a.adminId,
        role: a.role,
        accessKeyId: KEY.accessKeyId,
        sessionKey: '',
      };
    });
    // Layer 2 as the pipeline runs it: the (cached) first pass, then the second pass and its checks.
    const intent = await time(t.intent, () =>
      understand(QUESTION, readQuestion(QUESTION, catalog, '2026-11-18'), { catalog, today: '2026-11-18' }),
    );
    if (intent.kind !== 'query') throw new Error(`bench question not understood: ${intent.kind}`);
    // A question the parser has never seen (the first pass is cached per question): tokens, chrono, every recogniser.
    if (i % 10 === 0) {
      const fresh = `guest count by store for the last ${1 + (i % 900)} days excluding Chicago #${i}`;
      await time(t.intentFirstSight, () =>
        understand(fresh, readQuestion(fresh, catalog, '2026-11-18'), { catalog, today: '2026-11-18' }),
      );
    }
    const scope = await time(t.policy, () => policy.decide(identity));
    const sandbox = await time(t.sandbox, () => buildSandbox(scope, connector.dialect, DEMO_REGISTRY));
    // Intent and compile together, for the first question and for a follow-up turn of its conversation
    // (the follow-up rules merge the last query with what the turn changes; first pass cached as in the pipeline).
    const described = describeSandbox(sandbox);
    await time(t.intentAndCompile, async () => {
      const q = understand(QUESTION, readQuestion(QUESTION, catalog, '2026-11-18'), { catalog, today: '2026-11-18' });
      return compiler.generate({
        intent: q as typeof intent,
        question: QUESTION,
        sandbox: described,
        dialect: connector.dialect,
      });
    });
    await time(t.followUpIntentAndCompile, async () => {
      const q = understand(FOLLOW_UP, readQuestion(FOLLOW_UP, catalog, '2026-11-18'), {
        catalog,
        today: '2026-11-18',
        previous: intent.query,
        history: [intent.query],
      });
      if (q.kind !== 'query') throw new Error(`bench follow-up not understood: ${q.kind}`);
      return compiler.generate({ intent: q, question: FOLLOW_UP, sandbox: described, dialect: connector.dialect });
    });
    const candidate = await time(t.generate, () =>
      compiler.generate({ intent, question: QUESTION, sandbox: describeSandbox(sandbox), dialect: connector.dialect }),
    );
    const guarded = await time(t.guard, () => guardCandidate(candidate.sql, { sandbox, engine: connector.check }));
    t.total.push(Number(process.hrtime.bigint() - start) / 1000);
    finalSql = guarded.sql;
    if (i % 10 === 0)
      await time(t.execute, () =>
        connector.execute(guarded.sql, { timeoutMs: 10_000, rowCap: 1000, scope, bindings: sandbox.bindings }),
      );
    // The guard caches accepted verdicts: `guard` above is a repeated question (a cache hit after the
    // first); this is the same work for SQL it has never seen (a distinct LIMIT makes it new).
    if (i % 10 === 0) {
      const total = t.total.at(-1)! - t.guard.at(-1)!;
      const fresh = await time(t.guardFirstSight, () =>
        guardCandidate(`${candidate.sql} LIMIT ${100_000 + i}`, { sandbox, engine: connector.check }),
      );
      t.layersFirstSight.push(total + t.guardFirstSight.at(-1)!);
      // The floor: a signature never seen, the engine's parse of this final text, one uncached policy evaluation.
      const extra = requests[floorRequest++]!;
      const f0 = process.hrtime.bigint();
      await verifySigV4(extra, verifier);
      await connector.engineParse(fresh.sql);
      rawPolicy.evaluate(
        { tenant_id: p.tenantId, business_id: p.businessId, admin_id: p.adminId },
        'splitplane/decision',
      );
      t.floor.push(Number(process.hrtime.bigint() - f0) / 1000);
    }
  }
  const summary = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)]));
  (report['personas'] as Record<string, unknown>)[p.name] = { ...summary, finalSqlLength: finalSql.length };
  (report['scopes'] as Record<string, unknown>)[String(p.locations)] = {
    persona: p.name,
    guardFirstSightP50Us: summary['guardFirstSight']!.p50,
    guardFirstSightP99Us: summary['guardFirstSight']!.p99,
    layersFirstSightP99Us: summary['layersFirstSight']!.p99,
    floorP50Us: summary['floor']!.p50,
    finalSqlLength: finalSql.length,
  };
  rows.push(`\n${p.name}: ${N} requests (execute sampled every 10th)`);
  rows.push('layer        p50 µs     p99 µs');
  for (const [k, v] of Object.entries(summary))
    rows.push(`${k.padEnd(10)} ${v.p50.toFixed(1).padStart(9)} ${v.p99.toFixed(1).padStart(10)}`);
  const layers = summary['total']!;
  const exec = summary['execute']!;
  rows.push(`security layers p50 / warehouse execute p50 = ${(layers.p50 / exec.p50).toFixed(3)}`);
  rows.push(
    `intent + compile p50: first question ${summary['intentAndCompile']!.p50.toFixed(1)} µs, follow-up turn ${summary['followUpIntentAndCompile']!.p50.toFixed(1)} µs (follow-up / first = ${(summary['followUpIntentAndCompile']!.p50 / summary['intentAndCompile']!.p50).toFixed(2)})`,
  );
  const cold = summary['guardFirstSight']!;
  const coldTotal = layers.p50 - summary['guard']!.p50 + cold.p50;
  rows.push(
    `with the guard on first-seen SQL: layers p50 ≈ ${coldTotal.toFixed(0)} µs, / execute p50 = ${(coldTotal / exec.p50).toFixed(3)}`,
  );
  rows.push(
    `first-seen SQL: layers p99 / floor p50 = ${(summary['layersFirstSight']!.p99 / summary['floor']!.p50).toFixed(2)}; final SQL ${finalSql.length} characters`,
  );
}

const scopes = report['scopes'] as Record<string, { guardFirstSightP50Us: number }>;
rows.push(
  `\nguard on first-seen SQL, p50: 10,000 locations / 2 locations = ${(scopes['10000']!.guardFirstSightP50Us / scopes['2']!.guardFirstSightP50Us).toFixed(2)}`,
);

// The warehouse file identity check (connector.ts: the connector is latched to the file it opened), as
// the connector makes it: statSync(path, {bigint: true}) and the identity string, on the demo file.
// Every execution makes it twice (before and after); compared with each persona's execute p50 above
// (which already includes those two checks).
const ITERATIONS = 20 * N;
const opened = fileIdentity(dbPath);
const identitySamples: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  const t0 = process.hrtime.bigint();
  const id = fileIdentity(dbPath);
  identitySamples.push(Number(process.hrtime.bigint() - t0) / 1000);
  if (id !== opened) throw new Error('the bench file changed under the bench');
}
const identity = stats(identitySamples);
const executeP50 = Object.fromEntries(
  Object.entries(report['personas'] as Record<string, { execute: { p50: number } }>).map(([name, v]) => [
    name,
    v.execute.p50,
  ]),
);
const fastestExecute = Math.min(...Object.values(executeP50));
report['identityCheck'] = {
  iterations: ITERATIONS,
  p50Us: identity.p50,
  p99Us: identity.p99,
  perExecution: 2,
  executeP50Us: executeP50,
  twoChecksOverFastestExecuteP50: (2 * identity.p50) / fastestExecute,
};
rows.push(`\nwarehouse file identity check (statSync bigint, ${ITERATIONS} iterations)`);
rows.push('check        p50 µs     p99 µs');
rows.push(
  `${'fileIdentity'.padEnd(10)} ${identity.p50.toFixed(1).padStart(9)} ${identity.p99.toFixed(1).padStart(10)}`,
);
for (const [name, exec] of Object.entries(executeP50)) {
  rows.push(
    `fileIdentity p50 / execute p50 (${name}, ${exec.toFixed(0)} µs) = ${(identity.p50 / exec).toFixed(4)}; 2 checks per execution = ${((2 * identity.p50) / exec).toFixed(4)}`,
  );
}
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`machine: ${JSON.stringify(report['machine'])}${rows.join('\n')}\n\nreport: ${values.out}`);
await connector.close();

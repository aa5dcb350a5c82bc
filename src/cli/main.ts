#!/usr/bin/env node
/**
 * The splitplane CLI.
 *
 *   splitplane serve [--config FILE]
 *   splitplane ask --tenant T --business B --admin A [--url URL] [--config FILE] [--json] "question"
 *   splitplane demo generate [--path FILE] [--seed N] [--scale N] [--layout sorted|random]
 *   splitplane audit verify [--file FILE | --config FILE]
 *   splitplane eval FILE [--url URL] [--config FILE] [--warehouse FILE] [--report FILE] [--verbose]
 *
 * `ask` signs with the demo credential (or SPLITPLANE_ACCESS_KEY_ID and
 * SPLITPLANE_SECRET_ACCESS_KEY) and sends the request through the full
 * verification path: in process by default, or to a running server with --url.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { httpAsker, inProcessAsker } from '../eval/askers.js';
import { loadEvalFile } from '../eval/file.js';
import { GoldDatabase } from '../eval/gold.js';
import { runEval, type Asker, type EvalReport } from '../eval/run.js';
import { parseArgs } from 'node:util';
import { loadConfigFile, parseConfig, type Config } from '../config/config.js';
import { verifyAuditFile } from '../audit/audit.js';
import { verifyPostgresAudit } from '../audit/postgres-sink.js';
import { DEMO_SEED, ensureDemoWarehouse, generateDemoWarehouse } from '../demo/generate.js';
import { loadPostgres } from '../demo/load-postgres.js';
import { SplitplaneError } from '../errors.js';
import { signRequest } from '../client/sign.js';
import { credentialFor, loadCredentialStore } from '../identity/credentials.js';
import { buildApp, closeGracefully } from '../server/app.js';
import { createServices } from '../server/services.js';

const USAGE = `usage:
  splitplane serve [--config FILE]
  splitplane ask --tenant T --business B --admin A [--url URL] [--config FILE] [--json] "question"
  splitplane demo generate [--path FILE] [--seed N] [--scale N] [--layout sorted|random]
  splitplane demo load-postgres [--url postgres://postgres@127.0.0.1:5432/test] [--path FILE]
  splitplane audit verify [--file FILE | --postgres URL | --config FILE]
  splitplane eval FILE [--url URL] [--config FILE] [--warehouse FILE] [--report FILE] [--verbose]

The default config is config/demo.yaml when it exists (the embedded demo).`;

const DEFAULT_CONFIG = 'config/demo.yaml';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'ask':
      return ask(rest);
    case 'demo':
      if (rest[0] === 'generate') return demoGenerate(rest.slice(1));
      if (rest[0] === 'load-postgres') return demoLoadPostgres(rest.slice(1));
      break;
    case 'audit':
      if (rest[0] === 'verify') return auditVerify(rest.slice(1));
      break;
    case 'eval':
      return evaluate(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
  }
  process.stderr.write(`unknown command: ${argv.join(' ')}\n${USAGE}\n`);
  return 2;
}

function loadConfig(path: string | undefined): Config {
  if (path !== undefined) return loadConfigFile(path);
  return existsSync(DEFAULT_CONFIG) ? loadConfigFile(DEFAULT_CONFIG) : parseConfig({});
}

/** How long shutdown waits for running requests. */
const SHUTDOWN_GRACE_MS = 10_000;

async function serve(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { config: { type: 'string' } }, strict: true });
  const config = loadConfig(values.config);
  await ensureDemoWarehouse(config);
  const services = await createServices(config);
  const app = buildApp(services, {
    logger: { level: process.env['LOG_LEVEL'] ?? 'info', redact: ['req.headers.authorization'] },
  });
  // Stop accepting, let running requests finish (at most SHUTDOWN_GRACE_MS) and be audited, answer
  // late arrivals with SP_ERR_SHUTTING_DOWN, then close the warehouse, Redis and the audit sink.
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'splitplane stopping');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS)));
    const closed = await Promise.race([closeGracefully(app).then(() => 'closed' as const), grace]);
    clearTimeout(timer);
    if (closed === 'timeout') app.log.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still running at the end of the grace period');
    await services.close();
    app.log.info('splitplane stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // SIGHUP re-reads the signing credentials (rotation) and the directory (admins and grants)
  // without a restart; a bad credentials file keeps the previous credentials.
  process.on('SIGHUP', () => {
    try {
      services.reloadCredentials();
      app.log.info('signing credentials reloaded');
    } catch (err) {
      app.log.error({ err: err instanceof Error ? err.message : String(err) }, 'credentials reload failed; keeping the previous ones');
    }
    services.reloadDirectory().then(
      (d) => app.log.info({ admins: d.admins.size }, 'directory reloaded'),
      (err: unknown) => app.log.error({ err }, 'directory reload failed; keeping the previous one'),
    );
  });
  await app.listen({ host: config.server.host, port: config.server.port });
  app.log.info({ engine: config.warehouse.engine, mode: config.mode, audit: config.audit.sink }, 'splitplane started');
  if (config.mode === 'demo') {
    const settings = [config.clock.today ? `clock pinned to ${config.clock.today}` : '', config.demo.enabled ? 'the demo page signs with the demo credential' : '', 'the public demo credentials are accepted'].filter(Boolean);
    app.log.warn({ settings }, `demo mode: ${settings.join('; ')}; never in production`);
  }
  return -1; // keep running
}

/** The demo credential from the credentials file, unless overridden by env. */
function clientCredential(config: Config, tenantId: string): { accessKeyId: string; secretAccessKey: string } {
  const id = process.env['SPLITPLANE_ACCESS_KEY_ID'];
  const secret = process.env['SPLITPLANE_SECRET_ACCESS_KEY'];
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret };
  return credentialFor(loadCredentialStore(config.signing.credentialsFile), tenantId);
}

async function ask(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      tenant: { type: 'string' },
      business: { type: 'string' },
      admin: { type: 'string' },
      url: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!values.tenant || !values.business || !values.admin || positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(values.config);
  const body = JSON.stringify({
    tenantId: values.tenant,
    businessId: values.business,
    adminId: values.admin,
    question: positionals.join(' '),
  });
  const cred = clientCredential(config, values.tenant);
  const sign = (url: string): Promise<Record<string, string>> =>
    signRequest({ url, body, ...cred, region: config.signing.region, service: config.signing.service });

  let status: number;
  let text: string;
  if (values.url) {
    const url = new URL('/v1/ask', values.url).toString();
    const res = await fetch(url, { method: 'POST', headers: await sign(url), body });
    status = res.status;
    text = await res.text();
  } else {
    await ensureDemoWarehouse(config);
    const services = await createServices(config);
    const app = buildApp(services);
    try {
      const url = 'http://localhost/v1/ask';
      const res = await app.inject({ method: 'POST', url: '/v1/ask', headers: await sign(url), payload: body });
      status = res.statusCode;
      text = res.body;
    } finally {
      await app.close();
      await services.close();
    }
  }
  if (values.json) {
    process.stdout.write(`${text}\n`);
  } else {
    const r = JSON.parse(text) as Record<string, unknown>;
    if (status !== 200) {
      process.stdout.write(`denied (${status} ${String(r['code'])}): ${String(r['message'])}\n`);
    } else {
      const understood = (r['interpretation'] as { text?: string } | undefined)?.text;
      if (understood) process.stdout.write(`understood as: ${understood}\n`);
      process.stdout.write(`${String(r['answer'])}\n`);
      const rows = (r['rows'] as unknown[][] | undefined) ?? [];
      const columns = ((r['columns'] as { name: string }[] | undefined) ?? []).map((c) => c.name);
      if (rows.length > 1) process.stdout.write(`\n${table(columns, rows)}\n`);
      for (const c of (r['choices'] as { label: string; question: string }[] | undefined) ?? []) {
        process.stdout.write(`  - ${c.label}: ${c.question}\n`);
      }
      for (const m of (r['metrics'] as { label: string; description: string }[] | undefined) ?? []) {
        process.stdout.write(`  - ${m.label}: ${m.description}\n`);
      }
      if (r['sql']) process.stdout.write(`\nSQL over your sandbox:\n  ${String(r['sql'])}\n`);
    }
  }
  return status === 200 ? 0 : 1;
}

/** Rows as an aligned text table (numbers right-aligned). */
function table(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [columns, ...rows.map((r) => r.map((v) => (v === null ? '-' : String(v))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = columns.map((_, i) => rows.every((r) => r[i] === null || /^-?\d+(\.\d+)?$/.test(String(r[i]))));
  return cells
    .map((r) => r.map((v, i) => (numeric[i] ? String(v).padStart(widths[i]!) : String(v).padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

async function demoLoadPostgres(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' }, path: { type: 'string' }, config: { type: 'string' } },
    strict: true,
  });
  const path = values.path ?? loadConfig(values.config).warehouse.duckdb.path;
  if (!existsSync(path)) await generateDemoWarehouse({ path });
  const r = await loadPostgres(path, values.url);
  process.stdout.write(`demo warehouse loaded into PostgreSQL in ${(r.ms / 1000).toFixed(1)} s\n  query role:     ${r.readerUrl}\n  directory role: ${r.directoryUrl}\nset warehouse.engine: postgres (see config/postgres.yaml)\n`);
  return 0;
}

async function auditVerify(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { file: { type: 'string' }, postgres: { type: 'string' }, config: { type: 'string' } }, strict: true });
  let r;
  if (values.postgres) r = await verifyPostgresAudit(values.postgres);
  else {
    const config = loadConfig(values.config);
    r = config.audit.sink === 'postgres' && !values.file ? await verifyPostgresAudit(config.audit.postgresUrl) : verifyAuditFile(values.file ?? config.audit.file);
  }
  if (r.ok) {
    process.stdout.write(`audit chain intact: ${r.events} events, last hash ${r.lastHash}\n`);
    return 0;
  }
  process.stdout.write(`audit chain BROKEN at line ${r.line}${r.seq === undefined ? '' : ` (seq ${r.seq})`}: ${r.problem}; ${r.events} events verified before it\n`);
  return 1;
}

/**
 * The accuracy evaluation. In process by default (the configured warehouse, the clock pinned to
 * the file's "today", rate limits lifted, audit events in a temporary file so a running server's
 * trail is not touched), or against a running server with --url. Exit 1 on any WRONG answer.
 */
async function evaluate(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      url: { type: 'string' },
      config: { type: 'string' },
      warehouse: { type: 'string' },
      report: { type: 'string', default: 'var/eval-report.json' },
      verbose: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    process.stderr.write(`eval needs one question file\n${USAGE}\n`);
    return 2;
  }
  const file = loadEvalFile(positionals[0]!);
  const config = loadConfig(values.config);
  const warehouse = values.warehouse ?? config.warehouse.duckdb.path;
  if (!values.url && config.demo.generateIfMissing && !existsSync(warehouse)) await generateDemoWarehouse({ path: warehouse });
  const credential = (tenantId: string) => clientCredential(config, tenantId);
  let asker: Asker;
  if (values.url) {
    if (config.clock.today !== file.today) process.stderr.write(`note: ${positionals[0]} is written for today = ${file.today}; the server answers with its own clock\n`);
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
  const gold = await GoldDatabase.open(warehouse, file.personas);
  let report: EvalReport;
  try {
    report = await runEval(file, asker, gold, (r) => {
      if (values.verbose || r.verdict !== 'right') {
        process.stdout.write(`${r.verdict.padEnd(7)} ${`${r.id}${r.turn > 1 ? `#${r.turn}` : ''}`.padEnd(22)} ${r.question}\n`);
        if (r.verdict !== 'right') process.stdout.write(`        expected ${r.expect}, got ${r.got}${r.detail ? `: ${r.detail}` : ''}\n`);
        if (r.interpretation && r.verdict === 'WRONG') process.stdout.write(`        understood: ${r.interpretation}\n`);
      }
    });
  } finally {
    gold.close();
    await asker.close();
  }
  mkdirSync(dirname(resolvePath(values.report!)), { recursive: true });
  writeFileSync(values.report!, `${JSON.stringify(report, null, 2)}\n`);
  const s = report.summary;
  process.stdout.write(
    `\n${s.questions} questions: ${s.right} right (${(100 * s.rightRate).toFixed(1)}%), ${s.refused} clarified or refused, ${s.wrong} WRONG\n`,
  );
  for (const [c, v] of Object.entries(report.byCategory)) process.stdout.write(`  ${c.padEnd(14)} right ${v.right}, refused ${v.refused}, WRONG ${v.wrong}\n`);
  process.stdout.write(`report: ${values.report}\n`);
  return s.wrong > 0 ? 1 : 0;
}

async function demoGenerate(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      path: { type: 'string' },
      seed: { type: 'string' },
      scale: { type: 'string' },
      layout: { type: 'string' },
      config: { type: 'string' },
    },
    strict: true,
  });
  const path = values.path ?? loadConfig(values.config).warehouse.duckdb.path;
  const seed = values.seed === undefined ? DEMO_SEED : Number(values.seed);
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  const layout = values.layout === 'random' ? 'random' : 'sorted';
  if (values.layout !== undefined && values.layout !== 'random' && values.layout !== 'sorted') throw new Error('--layout is sorted or random');
  const r = await generateDemoWarehouse({ path, seed, scale, layout });
  process.stdout.write(`demo warehouse written to ${r.path} in ${(r.ms / 1000).toFixed(1)} s (seed ${seed}, scale ${scale}, ${layout})\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const msg = err instanceof SplitplaneError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`splitplane: ${msg}\n`);
    process.exitCode = 1;
  },
);

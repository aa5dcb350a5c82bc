#!/usr/bin/env node
/**
 * The splitplane CLI (commander: sub-commands, --help on each, --version).
 *
 *   splitplane serve [--config FILE]
 *   splitplane ask --tenant T --business B --admin A [--url URL] [--config FILE] [--json] "question"
 *   splitplane demo generate [--path FILE] [--seed N] [--scale N] [--layout sorted|random]
 *   splitplane demo load-postgres [--url URL] [--path FILE]
 *   splitplane audit verify [--file FILE | --postgres URL | --config FILE]
 *   splitplane policy explain --tenant T --business B --admin A [--config FILE] [--json]
 *   splitplane policy test [--config FILE]
 *   splitplane eval FILE [--url URL] [--config FILE] [--warehouse FILE] [--report FILE] [--verbose]
 *
 * Exit codes: 0 answered (or done), 1 refused or denied (a clarification, an unsupported question,
 * a 4xx; a broken audit chain; a WRONG eval answer), 2 usage, 3 service unavailable (a 5xx, or the
 * server cannot be reached). Results go to stdout, errors and denials to stderr.
 *
 * `ask` signs with the demo credential (or SPLITPLANE_ACCESS_KEY_ID and
 * SPLITPLANE_SECRET_ACCESS_KEY) and sends the request through the full
 * verification path: in process by default, or to a running server with --url.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { httpAsker, inProcessAsker } from '../eval/askers.js';
import { loadEvalFile } from '../eval/file.js';
import { GoldDatabase } from '../eval/gold.js';
import { runEval, type Asker, type EvalReport } from '../eval/run.js';
import { loadConfigFile, parseConfig, type Config } from '../config/config.js';
import { verifyAuditFile } from '../audit/audit.js';
import { verifyPostgresAudit } from '../audit/postgres-sink.js';
import { DEMO_SEED, ensureDemoWarehouse, generateDemoWarehouse } from '../demo/generate.js';
import { loadPostgres } from '../demo/load-postgres.js';
import { SplitplaneError } from '../errors.js';
import { signRequest } from '../client/sign.js';
import { credentialFor, loadCredentialStore } from '../identity/credentials.js';
import { buildApp, drainAndClose } from '../server/app.js';
import { createServices } from '../server/services.js';
import { policyExplain, policyTest } from './policy.js';

/** Exit codes, documented in the README. */
export const EXIT = Object.freeze({ ok: 0, refused: 1, usage: 2, unavailable: 3 });

/** The project this CLI belongs to: its default config is found here from any working directory. */
const PROJECT_ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_CONFIG = 'config/demo.yaml';

/**
 * --config FILE, or config/demo.yaml in the working directory, or the project's own (its relative
 * paths, such as the demo credentials, then resolve against the project root), or the defaults.
 */
function loadConfig(path: string | undefined): Config {
  if (path !== undefined) return loadConfigFile(path);
  if (existsSync(DEFAULT_CONFIG)) return loadConfigFile(DEFAULT_CONFIG);
  const own = join(PROJECT_ROOT, DEFAULT_CONFIG);
  return existsSync(own) ? loadConfigFile(own, PROJECT_ROOT) : parseConfig({});
}

function integer(name: string): (v: string) => number {
  return (v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer`);
    return Number(v);
  };
}

function program(): Command {
  const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const cli = new Command('splitplane')
    .description('Plain-English analytics over a shared warehouse, each answer computed only from rows the asker may see.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (t) => process.stderr.write(t), writeOut: (t) => process.stdout.write(t) })
    .exitOverride();
  cli
    .command('serve')
    .description('run the service (config/demo.yaml by default: the embedded DuckDB demo)')
    .option('--config <file>', 'configuration file (YAML or JSON)')
    .action((o: { config?: string }) => serve(o));
  cli
    .command('ask')
    .description('ask a question as (tenant, business, admin), signed, through every layer')
    .requiredOption('--tenant <id>', 'tenant ID')
    .requiredOption('--business <id>', 'business ID')
    .requiredOption('--admin <id>', 'admin ID')
    .option('--url <url>', 'a running server (default: in process, over the configured warehouse)')
    .option('--config <file>', 'configuration file')
    .option('--json', 'print the response body as JSON', false)
    .argument('<question...>', 'the question, in plain English')
    .action((question: string[], o: AskOptions) => ask(question.join(' '), o));
  const demo = cli.command('demo').description('demo data');
  demo
    .command('generate')
    .description('write the demo warehouse (DuckDB)')
    .option('--path <file>', 'where (default: warehouse.duckdb.path of the config)')
    .option('--seed <n>', 'random seed', integer('--seed'))
    .option('--scale <n>', 'size factor', integer('--scale'))
    .option('--layout <layout>', 'sorted or random', (v) => {
      if (v !== 'sorted' && v !== 'random') throw new InvalidArgumentError('--layout is sorted or random');
      return v;
    })
    .option('--config <file>', 'configuration file')
    .action((o: { path?: string; seed?: number; scale?: number; layout?: 'sorted' | 'random'; config?: string }) => demoGenerate(o));
  demo
    .command('load-postgres')
    .description('copy the demo warehouse into PostgreSQL with row-level security')
    .option('--url <url>', 'an owner connection', 'postgres://postgres@127.0.0.1:5432/test')
    .option('--path <file>', 'the DuckDB demo file (generated when absent)')
    .option('--config <file>', 'configuration file')
    .action((o: { url: string; path?: string; config?: string }) => demoLoadPostgres(o));
  cli
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('recompute the hash chain; name the first edited, missing or reordered event')
    .option('--file <file>', 'a JSON-lines audit file')
    .option('--postgres <url>', 'the splitplane_audit table at this PostgreSQL URL')
    .option('--config <file>', 'configuration file (its audit sink)')
    .action((o: { file?: string; postgres?: string; config?: string }) => auditVerify(o));
  const policy = cli.command('policy').description('the access policy, for policy authors');
  policy
    .command('explain')
    .description("print an admin's decision, scope and sandbox CTEs (with their parameters) exactly as they would run")
    .requiredOption('--tenant <id>', 'tenant ID')
    .requiredOption('--business <id>', 'business ID')
    .requiredOption('--admin <id>', 'admin ID')
    .option('--config <file>', 'configuration file')
    .option('--json', 'print JSON', false)
    .action(async (o: { tenant: string; business: string; admin: string; config?: string; json: boolean }) => {
      const config = loadConfig(o.config);
      await ensureDemoWarehouse(config);
      done(await policyExplain(config, { tenantId: o.tenant, businessId: o.business, adminId: o.admin }, o.json, (l) => process.stdout.write(`${l}\n`)));
    });
  policy
    .command('test')
    .description("run the policy's opa tests, then compile every registered admin's decision into a sandbox")
    .option('--config <file>', 'configuration file')
    .action(async (o: { config?: string }) => {
      const config = loadConfig(o.config);
      await ensureDemoWarehouse(config);
      done(await policyTest(config, PROJECT_ROOT, (l) => process.stdout.write(`${l}\n`)));
    });
  cli
    .command('eval')
    .description('the accuracy evaluation: questions with gold answers computed from the raw tables')
    .argument('<file>', 'question file (YAML)')
    .option('--url <url>', 'a running server (default: in process)')
    .option('--config <file>', 'configuration file')
    .option('--warehouse <file>', 'the DuckDB file gold answers are computed from')
    .option('--report <file>', 'where the JSON report goes', 'var/eval-report.json')
    .option('--verbose', 'print every answer, not only the ones that are not right', false)
    .action((file: string, o: EvalOptions) => evaluate(file, o));
  return cli;
}

/** Runs the CLI; resolves with the exit code (-1: keep running, the service). */
async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const cli = program();
  for (const c of allCommands(cli)) c.exitOverride().configureOutput({ writeErr: (t) => process.stderr.write(t) });
  try {
    await cli.parseAsync([...argv], { from: 'user' });
    code = lastCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; a bad or missing argument is a usage error (2).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  return code;
}

function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap((x) => allCommands(x))];
}

/** The exit code of the action that ran (commander's actions return nothing it keeps). */
let lastCode: number = EXIT.ok;
function done(code: number): void {
  lastCode = code;
}

/** How long shutdown waits, once the listener is closed, for requests still running. */
const DRAIN_LIMIT_MS = 10_000;

async function serve(values: { config?: string }): Promise<void> {
  const config = loadConfig(values.config);
  await ensureDemoWarehouse(config);
  const services = await createServices(config);
  const app = buildApp(services, {
    logger: { level: process.env['LOG_LEVEL'] ?? 'info', redact: ['req.headers.authorization'] },
  });
  // On the signal: /readyz turns 503 and new requests get SP_ERR_SHUTTING_DOWN with Connection: close
  // while the service keeps listening for server.shutdownGraceMs; then stop listening, let running
  // requests finish (at most DRAIN_LIMIT_MS) and be audited, and close the warehouse, Redis and the
  // audit sink. A second signal skips what is left of the grace period.
  let stopping: AbortController | undefined;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      if (!stopping.signal.aborted) app.log.info({ signal }, 'second signal: closing the listener now');
      stopping.abort();
      return;
    }
    stopping = new AbortController();
    const graceMs = config.server.shutdownGraceMs;
    app.log.info({ signal, graceMs }, 'splitplane stopping');
    const drained = await drainAndClose(app, { graceMs, drainMs: DRAIN_LIMIT_MS, signal: stopping.signal });
    if (drained === 'timeout') app.log.warn({ drainMs: DRAIN_LIMIT_MS }, 'requests still running at the end of the drain limit');
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
  done(-1); // keep running
}

/** The demo credential from the credentials file, unless overridden by env. */
function clientCredential(config: Config, tenantId: string): { accessKeyId: string; secretAccessKey: string } {
  const id = process.env['SPLITPLANE_ACCESS_KEY_ID'];
  const secret = process.env['SPLITPLANE_SECRET_ACCESS_KEY'];
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret };
  return credentialFor(loadCredentialStore(config.signing.credentialsFile), tenantId);
}

interface AskOptions {
  readonly tenant: string;
  readonly business: string;
  readonly admin: string;
  readonly url?: string;
  readonly config?: string;
  readonly json: boolean;
}

async function ask(question: string, values: AskOptions): Promise<void> {
  const config = loadConfig(values.config);
  const body = JSON.stringify({
    tenantId: values.tenant,
    businessId: values.business,
    adminId: values.admin,
    question,
  });
  const cred = clientCredential(config, values.tenant);
  const sign = (url: string): Promise<Record<string, string>> =>
    signRequest({ url, body, ...cred, region: config.signing.region, service: config.signing.service });

  let status: number;
  let text: string;
  if (values.url) {
    const url = new URL('/v1/ask', values.url).toString();
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: await sign(url), body });
    } catch (err) {
      process.stderr.write(`splitplane: cannot reach ${url}: ${networkCause(err)}\n`);
      return done(EXIT.unavailable);
    }
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
  const r = JSON.parse(text) as Record<string, unknown>;
  const code = status >= 500 ? EXIT.unavailable : status !== 200 || r['status'] !== 'answered' ? EXIT.refused : EXIT.ok;
  if (values.json) {
    process.stdout.write(`${text}\n`);
  } else {
    if (status !== 200) {
      const what = status >= 500 ? 'unavailable' : 'denied';
      process.stderr.write(`${what} (${status} ${String(r['code'])}): ${String(r['message'])} [request ${String(r['requestId'])}]\n`);
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
  return done(code);
}

/** Why a request to the server failed, in words an operator can act on (the cause fetch hides). */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return `${code}: the server's certificate is not trusted (for a private CA, set NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
  if (code === 'ECONNREFUSED') return 'connection refused (is the service running on that address?)';
  return [code, cause?.message ?? (err instanceof Error ? err.message : String(err))].filter(Boolean).join(': ');
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

async function demoLoadPostgres(values: { url: string; path?: string; config?: string }): Promise<void> {
  const path = values.path ?? loadConfig(values.config).warehouse.duckdb.path;
  if (!existsSync(path)) await generateDemoWarehouse({ path });
  const r = await loadPostgres(path, values.url);
  process.stdout.write(`demo warehouse loaded into PostgreSQL in ${(r.ms / 1000).toFixed(1)} s\n  query role:     ${r.readerUrl}\n  directory role: ${r.directoryUrl}\nset warehouse.engine: postgres (see config/postgres.yaml)\n`);
  done(EXIT.ok);
}

async function auditVerify(values: { file?: string; postgres?: string; config?: string }): Promise<void> {
  let r;
  if (values.postgres) r = await verifyPostgresAudit(values.postgres);
  else {
    const config = loadConfig(values.config);
    r = config.audit.sink === 'postgres' && !values.file ? await verifyPostgresAudit(config.audit.postgresUrl) : verifyAuditFile(values.file ?? config.audit.file);
  }
  if (r.ok) {
    process.stdout.write(`audit chain intact: ${r.events} events, last hash ${r.lastHash}\n`);
    return done(EXIT.ok);
  }
  process.stderr.write(`audit chain BROKEN at line ${r.line}${r.seq === undefined ? '' : ` (seq ${r.seq})`}: ${r.problem}; ${r.events} events verified before it\n`);
  done(EXIT.refused);
}

/**
 * The accuracy evaluation. In process by default (the configured warehouse, the clock pinned to
 * the file's "today", rate limits lifted, audit events in a temporary file so a running server's
 * trail is not touched), or against a running server with --url. Exit 1 on any WRONG answer.
 */
interface EvalOptions {
  readonly url?: string;
  readonly config?: string;
  readonly warehouse?: string;
  readonly report: string;
  readonly verbose: boolean;
}

async function evaluate(path: string, values: EvalOptions): Promise<void> {
  const file = loadEvalFile(path);
  const config = loadConfig(values.config);
  const warehouse = values.warehouse ?? config.warehouse.duckdb.path;
  if (!values.url && config.demo.generateIfMissing && !existsSync(warehouse)) await generateDemoWarehouse({ path: warehouse });
  const credential = (tenantId: string) => clientCredential(config, tenantId);
  let asker: Asker;
  if (values.url) {
    if (config.clock.today !== file.today) process.stderr.write(`note: ${path} is written for today = ${file.today}; the server answers with its own clock\n`);
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
  mkdirSync(dirname(resolvePath(values.report)), { recursive: true });
  writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
  const s = report.summary;
  process.stdout.write(
    `\n${s.questions} questions: ${s.right} right (${(100 * s.rightRate).toFixed(1)}%), ${s.refused} clarified or refused, ${s.wrong} WRONG\n`,
  );
  for (const [c, v] of Object.entries(report.byCategory)) process.stdout.write(`  ${c.padEnd(14)} right ${v.right}, refused ${v.refused}, WRONG ${v.wrong}\n`);
  const limited = report.results.filter((r) => String(r.got).startsWith('429')).length;
  if (limited > 0) process.stderr.write(`note: ${limited} answers were 429 SP_ERR_RATE_LIMITED: with --url the server's rate limits apply (rateLimit.perAdmin, 60 a minute by default); raise them on the server for an evaluation run\n`);
  process.stdout.write(`report: ${values.report}\n`);
  done(s.wrong > 0 ? EXIT.refused : EXIT.ok);
}

async function demoGenerate(values: { path?: string; seed?: number; scale?: number; layout?: 'sorted' | 'random'; config?: string }): Promise<void> {
  const path = values.path ?? loadConfig(values.config).warehouse.duckdb.path;
  const seed = values.seed ?? DEMO_SEED;
  const scale = values.scale ?? 1;
  const layout = values.layout ?? 'sorted';
  const r = await generateDemoWarehouse({ path, seed, scale, layout });
  process.stdout.write(`demo warehouse written to ${r.path} in ${(r.ms / 1000).toFixed(1)} s (seed ${seed}, scale ${scale}, ${layout})\n`);
  done(EXIT.ok);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const msg = err instanceof SplitplaneError ? `${err.code}: ${err.detail ?? err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`splitplane: ${msg}\n`);
    process.exitCode = err instanceof SplitplaneError && (err.code === 'SP_ERR_WAREHOUSE_UNAVAILABLE' || err.code === 'SP_ERR_AUDIT_UNAVAILABLE') ? EXIT.unavailable : EXIT.refused;
  },
);

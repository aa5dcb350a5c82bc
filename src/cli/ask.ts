/**
 * `splitplane ask`: one question, signed with the demo credential (or SPLITPLANE_ACCESS_KEY_ID and
 * SPLITPLANE_SECRET_ACCESS_KEY) and sent through the full verification path: in process by
 * default, or to a running server with --url.
 */
import { signRequest } from '../client/sign.js';
import { EXIT } from './common.js';
import { clientCredential, loadConfig } from './load-config.js';
import { text as asText } from '../util/text.js';

export interface AskOptions {
  readonly tenant: string;
  readonly business: string;
  readonly admin: string;
  readonly url?: string;
  readonly config?: string;
  readonly json: boolean;
}

/** Resolves with the exit code: 0 answered, 1 refused or denied, 3 unavailable. */
export async function ask(question: string, values: AskOptions): Promise<number> {
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
      return EXIT.unavailable;
    }
    status = res.status;
    text = await res.text();
  } else {
    // The service only when it runs in this process: --url never loads the warehouse.
    const [{ ensureDemoWarehouse }, { buildApp }, { createServices }] = await Promise.all([
      import('../demo/generate.js'),
      import('../server/app.js'),
      import('../server/services.js'),
    ]);
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
      process.stderr.write(
        `${what} (${status} ${String(r['code'])}): ${String(r['message'])} [request ${String(r['requestId'])}]\n`,
      );
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
      if (r['sql']) process.stdout.write(`\nSQL over your sandbox:\n  ${asText(r['sql'])}\n`);
    }
  }
  return code;
}

/** Why a request to the server failed, in words an operator can act on (the cause fetch hides). */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
    return `${code}: the server's certificate is not trusted (for a private CA, set NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
  if (code === 'ECONNREFUSED') return 'connection refused (is the service running on that address?)';
  return [code, cause?.message ?? (err instanceof Error ? err.message : String(err))].filter(Boolean).join(': ');
}

/** Rows as an aligned text table (numbers right-aligned). */
function table(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [columns, ...rows.map((r) => r.map((v) => (v === null ? '-' : asText(v))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = columns.map((_, i) => rows.every((r) => r[i] === null || /^-?\d+(\.\d+)?$/.test(asText(r[i]))));
  return cells
    .map((r) =>
      r
        .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Real clients against a real listening server: the system's curl with
 * --aws-sigv4, the AWS SDK signer (@smithy/signature-v4) over fetch, and the
 * splitplane CLI both in process and with --url.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { DEMO_KEY, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

const run = promisify(execFile);
let svc: TestService;
let base: string;

beforeAll(async () => {
  svc = await startTestService();
  base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await svc.close();
});

const body = JSON.stringify({ ...FRANCHISE_OWNER, question: 'What was the total sales amount last week?' });

describe('curl --aws-sigv4', () => {
  const curl = (payload: string, hash: string) =>
    run('curl', [
      '-sS', '-w', '\n%{http_code}',
      '--aws-sigv4', 'aws:amz:us-east-1:splitplane',
      '--user', `${DEMO_KEY.accessKeyId}:${DEMO_KEY.secretAccessKey}`,
      '-H', 'content-type: application/json',
      '-H', `x-amz-content-sha256: ${hash}`,
      '--data-binary', payload,
      `${base}/v1/ask`,
    ]);

  it('is answered: $84,000.00 for the franchise owner', async () => {
    const { stdout } = await curl(body, createHash('sha256').update(body).digest('hex'));
    const [json, status] = stdout.split('\n');
    expect(status).toBe('200');
    expect(JSON.parse(json!)).toMatchObject({ status: 'answered', rows: [['84000.00']] });
  });

  it('is rejected when the body does not match the signed hash', async () => {
    const { stdout } = await curl(body.replace('"12"', '"31"'), createHash('sha256').update(body).digest('hex'));
    const [json, status] = stdout.split('\n');
    expect(status).toBe('401');
    expect(JSON.parse(json!).code).toBe('SP_ERR_BODY_HASH_MISMATCH');
  });
});

describe('the AWS SDK signer over fetch', () => {
  // A question of its own: curl and this signer produce byte-identical signatures for the same
  // request in the same second, and the server would rightly reject the second as a replay.
  it('is answered, and the identical request replayed is rejected', async () => {
    const url = `${base}/v1/ask`;
    const own = JSON.stringify({ ...FRANCHISE_OWNER, question: 'What was the net sales last week?' });
    const headers = await signRequest({ url, body: own, ...DEMO_KEY });
    const first = await fetch(url, { method: 'POST', headers, body: own });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { rows: unknown }).rows).toEqual([['84000.00']]);
    const replay = await fetch(url, { method: 'POST', headers, body: own });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe('SP_ERR_SIGNATURE_REPLAY');
  });
});

describe('the splitplane CLI', () => {
  const configFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'splitplane-cli-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'mode: demo',
        'signing: { credentialsFile: config/demo-credentials.json }',
        'clock: { today: "2026-11-18" }',
        `warehouse: { duckdb: { path: ${JSON.stringify(inject('demoDb'))} } }`,
        `audit: { file: ${JSON.stringify(join(dir, 'audit.jsonl'))} }`,
      ].join('\n'),
    );
    return file;
  };
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]).catch((e: { stdout: string; code: number }) => e);

  it('asks in process through the full verification path', async () => {
    const r = await cli(['ask', '--config', configFile(), '--tenant', '12', '--business', '628', '--admin', '7001', 'What was the total sales amount last week?']);
    expect(r.stdout).toContain('across your 200 locations was $9,200,000.00.');
  });

  it('asks a running server with --url', async () => {
    const r = await cli(['ask', '--config', configFile(), '--url', base, '--tenant', '12', '--business', '628', '--admin', '7042', 'What was our sales amount last week?']);
    expect(r.stdout).toContain('across your 2 locations was $84,000.00.');
  });

  it('verifies the running service\'s audit chain', async () => {
    const r = await cli(['audit', 'verify', '--file', svc.config.audit.file]);
    expect(r.stdout).toMatch(/^audit chain intact: \d+ events, last hash [0-9a-f]{64}\n$/);
  });

  it('prints the denial and exits non-zero for an unregistered triple', async () => {
    const r = await cli(['ask', '--config', configFile(), '--tenant', '12', '--business', '628', '--admin', '5401', 'sales amount last week']);
    expect(r.stdout).toContain('denied (403 SP_ERR_UNKNOWN_PRINCIPAL)');
    expect((r as { code?: number }).code).toBe(1);
  });
});

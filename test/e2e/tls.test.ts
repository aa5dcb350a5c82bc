/** The optional TLS listener: TLS 1.3 minimum, and a signed question answered over it. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { DEMO_KEY, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'splitplane-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { stdio: 'ignore' },
);

let svc: TestService;
let port: number;
beforeAll(async () => {
  svc = await startTestService({}, { server: { tls: { certFile: cert, keyFile: key } } });
  port = Number(new URL(await svc.app.listen({ host: '127.0.0.1', port: 0 })).port);
});
afterAll(async () => {
  await svc.close();
});

function call(opts: {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca: readFileSync(cert),
        maxVersion: opts.maxVersion ?? 'TLSv1.3',
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('TLS listener', () => {
  it('answers a signed question over TLS 1.3', async () => {
    const body = JSON.stringify({ ...FRANCHISE_OWNER, question: 'What was the total sales amount last week?' });
    const headers = await signRequest({ url: `https://127.0.0.1:${port}/v1/ask`, body, ...DEMO_KEY });
    const res = await call({ path: '/v1/ask', method: 'POST', headers, body });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { rows: unknown }).rows).toEqual([['84000.00']]);
  });

  it('refuses a client that offers at most TLS 1.2', async () => {
    await expect(call({ path: '/healthz', maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|alert|handshake/i);
  });
});

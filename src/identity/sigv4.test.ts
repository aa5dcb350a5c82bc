/** SigV4 verification: every rule of layer 1, one failing request each. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../client/sign.js';
import type { ErrorCode } from '../errors.js';
import { SplitplaneError } from '../errors.js';
import { credentialStoreFromJson } from './credentials.js';
import { MemoryReplayCache } from './replay-cache.js';
import { verifySigV4, type ReceivedRequest, type VerifierOptions } from './sigv4.js';

const KEY = { accessKeyId: 'AKIDEXAMPLE00000001', secretAccessKey: 'test-secret-0123456789' };
const NOW = Date.UTC(2026, 10, 18, 12, 0, 0);
const BODY = '{"tenantId":"12","businessId":"628","adminId":"7042","question":"q"}';

function options(over: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    service: 'splitplane',
    region: 'us-east-1',
    maxSkewSeconds: 300,
    credentials: credentialStoreFromJson({ credentials: [{ ...KEY, tenants: ['12'] }] }, 'test'),
    replayCache: new MemoryReplayCache(),
    now: () => NOW,
    ...over,
  };
}

async function signed(
  over: { body?: string; date?: Date; region?: string; service?: string; url?: string } = {},
): Promise<ReceivedRequest> {
  const url = over.url ?? 'http://api.example.test/v1/ask';
  const headers = await signRequest({
    url,
    body: over.body ?? BODY,
    ...KEY,
    signingDate: over.date ?? new Date(NOW),
    ...(over.region ? { region: over.region } : {}),
    ...(over.service ? { service: over.service } : {}),
  });
  const u = new URL(url);
  return { method: 'POST', url: u.pathname + u.search, headers: lower(headers), body: Buffer.from(over.body ?? BODY) };
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

async function code(req: ReceivedRequest, opts = options()): Promise<ErrorCode | 'ok'> {
  try {
    await verifySigV4(req, opts);
    return 'ok';
  } catch (e) {
    if (e instanceof SplitplaneError) return e.code;
    throw e;
  }
}

describe('verifySigV4', () => {
  it('accepts a correctly signed request and names the credential', async () => {
    const caller = await verifySigV4(await signed(), options());
    expect(caller.credential.accessKeyId).toBe(KEY.accessKeyId);
    expect(caller.signingTime.getTime()).toBe(NOW);
  });

  it('rejects a body modified after signing', async () => {
    const req = await signed();
    expect(await code({ ...req, body: Buffer.from(BODY.replace('"12"', '"31"')) })).toBe('SP_ERR_BODY_HASH_MISMATCH');
  });

  it('rejects a modified body whose hash header was recomputed (the signature covers the hash)', async () => {
    const req = await signed();
    const body = BODY.replace('"12"', '"31"');
    const headers = { ...req.headers, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') };
    expect(await code({ ...req, headers, body: Buffer.from(body) })).toBe('SP_ERR_SIGNATURE_MISMATCH');
  });

  it('rejects a replay of an accepted request', async () => {
    const opts = options();
    const req = await signed();
    expect(await code(req, opts)).toBe('ok');
    expect(await code(req, opts)).toBe('SP_ERR_SIGNATURE_REPLAY');
  });

  it('rejects requests older or newer than the skew window, accepts inside it', async () => {
    expect(await code(await signed({ date: new Date(NOW - 301_000) }))).toBe('SP_ERR_SIGNATURE_EXPIRED');
    expect(await code(await signed({ date: new Date(NOW + 301_000) }))).toBe('SP_ERR_SIGNATURE_EXPIRED');
    expect(await code(await signed({ date: new Date(NOW - 299_000) }))).toBe('ok');
  });

  it('pins region and service in the credential scope', async () => {
    expect(await code(await signed({ region: 'eu-west-1' }))).toBe('SP_ERR_CREDENTIAL_SCOPE');
    expect(await code(await signed({ service: 's3' }))).toBe('SP_ERR_CREDENTIAL_SCOPE');
  });

  it('requires the scope date to match x-amz-date', async () => {
    const req = await signed();
    const auth = String(req.headers['authorization']).replace('/20261118/', '/20261117/');
    expect(await code({ ...req, headers: { ...req.headers, authorization: auth } })).toBe('SP_ERR_CREDENTIAL_SCOPE');
  });

  it('rejects UNSIGNED-PAYLOAD', async () => {
    const req = await signed();
    expect(await code({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })).toBe(
      'SP_ERR_UNSIGNED_PAYLOAD',
    );
  });

  it('rejects query-string (presigned) authentication', async () => {
    const req = await signed();
    expect(await code({ ...req, url: '/v1/ask?X-Amz-Signature=abc&X-Amz-Credential=x' })).toBe(
      'SP_ERR_PRESIGNED_NOT_ALLOWED',
    );
  });

  it('requires host, x-amz-date and x-amz-content-sha256 among the signed headers', async () => {
    const req = await signed();
    const auth = String(req.headers['authorization']).replace(
      /SignedHeaders=[^,]+/,
      'SignedHeaders=content-type;host;x-amz-date',
    );
    expect(await code({ ...req, headers: { ...req.headers, authorization: auth } })).toBe('SP_ERR_SIGNED_HEADERS');
  });

  it('rejects a missing, malformed or unknown-key Authorization header', async () => {
    const req = await signed();
    const { authorization: _drop, ...rest } = req.headers;
    expect(await code({ ...req, headers: rest })).toBe('SP_ERR_AUTH_MISSING');
    expect(await code({ ...req, headers: { ...req.headers, authorization: 'Bearer abc' } })).toBe(
      'SP_ERR_AUTH_MALFORMED',
    );
    const other = String(req.headers['authorization']).replace(KEY.accessKeyId, 'AKIDUNKNOWN000000001');
    expect(await code({ ...req, headers: { ...req.headers, authorization: other } })).toBe('SP_ERR_UNKNOWN_ACCESS_KEY');
  });

  it('rejects a signature made with the wrong secret', async () => {
    const headers = await signRequest({
      url: 'http://api.example.test/v1/ask',
      body: BODY,
      accessKeyId: KEY.accessKeyId,
      secretAccessKey: 'wrong-secret-0123456789',
      signingDate: new Date(NOW),
    });
    expect(await code({ method: 'POST', url: '/v1/ask', headers: lower(headers), body: Buffer.from(BODY) })).toBe(
      'SP_ERR_SIGNATURE_MISMATCH',
    );
  });

  it('rejects a request sent to another path or with another method than signed', async () => {
    const req = await signed();
    expect(await code({ ...req, url: '/v1/feedback' })).toBe('SP_ERR_SIGNATURE_MISMATCH');
    expect(await code({ ...req, method: 'PUT' })).toBe('SP_ERR_SIGNATURE_MISMATCH');
  });

  it('rejects a changed signed header (host)', async () => {
    const req = await signed();
    expect(await code({ ...req, headers: { ...req.headers, host: 'evil.example.test' } })).toBe(
      'SP_ERR_SIGNATURE_MISMATCH',
    );
  });

  it('rejects an impossible x-amz-date', async () => {
    const req = await signed();
    expect(await code({ ...req, headers: { ...req.headers, 'x-amz-date': '20261318T120000Z' } })).toBe(
      'SP_ERR_CREDENTIAL_SCOPE',
    );
  });
});

describe('MemoryReplayCache', () => {
  it('forgets a key once it expires and fails closed when full of live keys', async () => {
    const cache = new MemoryReplayCache(2);
    expect(await cache.remember('a', 1000, 0)).toBe(true);
    expect(await cache.remember('a', 1000, 500)).toBe(false);
    expect(await cache.remember('a', 1000, 1500)).toBe(true);
    expect(await cache.remember('b', 1000, 1500)).toBe(true);
    await expect(cache.remember('c', 1000, 1600)).rejects.toThrow(SplitplaneError);
    expect(await cache.remember('c', 1000, 2600)).toBe(true);
  });
});

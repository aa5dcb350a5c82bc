/**
 * Server-side AWS SigV4 verification. The signature is recomputed with
 * @smithy/signature-v4 over what was received: method, path, query, the
 * signed headers, and a SHA-256 of the raw body computed here (the signer
 * takes an x-amz-content-sha256 header at its word, so the client's value is
 * only compared, never trusted).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { SplitplaneError } from '../errors.js';
import type { OidcVerifier } from './oidc.js';
import type { Credential, CredentialStore } from './credentials.js';
import type { ReplayCache } from './replay-cache.js';

/** The parts of an HTTP request the verifier reads. Header names are lower-case. */
export interface ReceivedRequest {
  readonly method: string;
  /** The request target as received: path and optional query string. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  /** The peer's address, for the audit event and per-address limits (never part of what is signed). */
  readonly clientAddress?: string;
}

/** Options fixed at start-up. */
export interface VerifierOptions {
  readonly service: string;
  readonly region: string;
  readonly maxSkewSeconds: number;
  readonly credentials: CredentialStore;
  readonly replayCache: ReplayCache;
  /** Milliseconds since the epoch; the real clock, injectable for tests. */
  readonly now?: () => number;
  /** The OIDC/JWT front door, when enabled: a bearer token instead of a signature (oidc.ts). */
  readonly oidc?: OidcVerifier;
}

/** A request whose signature verified. */
export interface VerifiedCaller {
  readonly credential: Credential;
  readonly signingTime: Date;
  /** The header names the signature covers (lower-case, sorted). */
  readonly signedHeaders: readonly string[];
}

const REQUIRED_SIGNED = ['host', 'x-amz-content-sha256', 'x-amz-date'] as const;
const PRESIGN_PARAMS = ['x-amz-signature', 'x-amz-credential', 'x-amz-algorithm', 'x-amz-signedheaders', 'x-amz-date'];
const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Verify a SigV4-signed request; throws a SplitplaneError with a stable code on any failure. */
export async function verifySigV4(req: ReceivedRequest, opts: VerifierOptions): Promise<VerifiedCaller> {
  const now = (opts.now ?? Date.now)();
  const queryIndex = req.url.indexOf('?');
  const path = queryIndex < 0 ? req.url : req.url.slice(0, queryIndex);
  const query = new URLSearchParams(queryIndex < 0 ? '' : req.url.slice(queryIndex + 1));
  for (const key of query.keys()) {
    if (PRESIGN_PARAMS.includes(key.toLowerCase())) throw new SplitplaneError('SP_ERR_PRESIGNED_NOT_ALLOWED');
  }

  const authorization = single(req.headers['authorization']);
  if (authorization === undefined) throw new SplitplaneError('SP_ERR_AUTH_MISSING');
  const m = AUTH_RE.exec(authorization);
  if (!m) throw new SplitplaneError('SP_ERR_AUTH_MALFORMED');
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];

  const signedHeaders = signedHeaderList.split(';');
  const sorted = [...new Set(signedHeaders)].sort();
  if (sorted.join(';') !== signedHeaderList)
    throw new SplitplaneError('SP_ERR_AUTH_MALFORMED', { detail: 'SignedHeaders not sorted/unique' });
  for (const h of REQUIRED_SIGNED) {
    if (!signedHeaders.includes(h)) throw new SplitplaneError('SP_ERR_SIGNED_HEADERS', { detail: `${h} not signed` });
  }
  if (scopeService !== opts.service || scopeRegion !== opts.region) {
    throw new SplitplaneError('SP_ERR_CREDENTIAL_SCOPE', { detail: `${scopeRegion}/${scopeService}` });
  }

  const amzDate = single(req.headers['x-amz-date']);
  const dm = amzDate === undefined ? null : AMZ_DATE_RE.exec(amzDate);
  if (!dm || amzDate === undefined) throw new SplitplaneError('SP_ERR_AUTH_MALFORMED', { detail: 'x-amz-date' });
  if (amzDate.slice(0, 8) !== scopeDate) {
    throw new SplitplaneError('SP_ERR_CREDENTIAL_SCOPE', { detail: 'scope date differs from x-amz-date' });
  }
  const signingTime = new Date(Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!));
  if (
    Number.isNaN(signingTime.getTime()) ||
    signingTime.toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z' !== amzDate
  ) {
    throw new SplitplaneError('SP_ERR_AUTH_MALFORMED', { detail: 'x-amz-date is not a real time' });
  }
  if (Math.abs(now - signingTime.getTime()) > opts.maxSkewSeconds * 1000) {
    throw new SplitplaneError('SP_ERR_SIGNATURE_EXPIRED');
  }

  const claimedHash = single(req.headers['x-amz-content-sha256']);
  if (claimedHash === 'UNSIGNED-PAYLOAD' || claimedHash?.startsWith('STREAMING-')) {
    throw new SplitplaneError('SP_ERR_UNSIGNED_PAYLOAD');
  }
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  if (claimedHash === undefined || !constantTimeEqualHex(claimedHash.toLowerCase(), bodyHash)) {
    throw new SplitplaneError('SP_ERR_BODY_HASH_MISMATCH');
  }

  const credential = opts.credentials.get(accessKeyId);
  if (!credential) throw new SplitplaneError('SP_ERR_UNKNOWN_ACCESS_KEY');

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined)
      throw new SplitplaneError('SP_ERR_SIGNED_HEADERS', { detail: `${name} signed but absent` });
    headers[name] = Array.isArray(value) ? value.join(',') : (value as string);
  }
  // Our own hash, not the client's claim, is what the signer will use.
  headers['x-amz-content-sha256'] = bodyHash;

  const signer = new SignatureV4({
    service: opts.service,
    region: opts.region,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
    applyChecksum: false,
  });
  const queryMap: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    queryMap[key] = all.length === 1 ? all[0]! : all;
  }
  const expected = await signer.sign(
    new HttpRequest({
      method: req.method.toUpperCase(),
      protocol: 'http:',
      hostname: headers['host'] ?? '',
      path,
      query: queryMap,
      headers,
      body: req.body,
    }),
    { signingDate: signingTime, signableHeaders: new Set(signedHeaders) },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers['authorization']))?.[1];
  const expectedSignedHeaders = /SignedHeaders=([^,]+),/.exec(String(expected.headers['authorization']))?.[1];
  if (expectedSignature === undefined || expectedSignedHeaders !== signedHeaderList) {
    // The signer would have signed a different header set: treat as a mismatch.
    throw new SplitplaneError('SP_ERR_SIGNATURE_MISMATCH', { detail: `signed headers ${expectedSignedHeaders}` });
  }
  if (!constantTimeEqualHex(signature, expectedSignature)) throw new SplitplaneError('SP_ERR_SIGNATURE_MISMATCH');

  // Only a verified signature enters the replay cache, so forgeries cannot fill it.
  const ttlMs = 2 * opts.maxSkewSeconds * 1000;
  if (!(await opts.replayCache.remember(`${accessKeyId}:${signature}`, ttlMs, now))) {
    throw new SplitplaneError('SP_ERR_SIGNATURE_REPLAY');
  }
  return { credential, signingTime, signedHeaders: Object.freeze(signedHeaders) };
}

function single(v: string | readonly string[] | undefined): string | undefined {
  return Array.isArray(v) ? (v.length === 1 ? (v[0] as string) : undefined) : (v as string | undefined);
}

function constantTimeEqualHex(a: string, b: string): boolean {
  if (!/^[0-9a-f]*$/.test(a) || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

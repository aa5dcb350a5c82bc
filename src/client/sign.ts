/**
 * A SigV4 signer for /v1/ask requests, as a SaaS back end would use it (the
 * CLI and the tests use it too). It signs host, content-type, x-amz-date and
 * x-amz-content-sha256 over the exact body bytes.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** What to sign. */
export interface SignOptions {
  /** Full URL, e.g. http://127.0.0.1:8080/v1/ask. */
  readonly url: string;
  readonly body: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region?: string;
  readonly service?: string;
  readonly method?: string;
  readonly signingDate?: Date;
  /** More headers to sign and send, e.g. a nonce so identical questions are not replays. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

/** Headers to send with the body, Authorization included. */
export async function signRequest(opts: SignOptions): Promise<Record<string, string>> {
  const url = new URL(opts.url);
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const signer = new SignatureV4({
    service: opts.service ?? 'splitplane',
    region: opts.region ?? 'us-east-1',
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: opts.method ?? 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'x-amz-content-sha256': createHash('sha256').update(opts.body).digest('hex'),
        ...opts.extraHeaders,
      },
      body: opts.body,
    }),
    opts.signingDate ? { signingDate: opts.signingDate } : {},
  );
  return signed.headers;
}

/** What the signed routes share: a request as layer 1 reads it, and refusals made before identity. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SplitplaneError, type ErrorCode } from '../../errors.js';
import type { ReceivedRequest } from '../../identity/sigv4.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AddressFailures } from '../rate-limit.js';

/** Method, the URL as sent, headers, the raw body bytes, and the peer's address. */
export function received(req: FastifyRequest): ReceivedRequest {
  return {
    method: req.method,
    url: req.raw.url ?? req.url,
    headers: req.headers,
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    clientAddress: req.ip,
  };
}

/**
 * Refuse a request that never reached identity: the documented error body, a count and a log line,
 * and no audit event (anyone could otherwise grow the audit trail at line rate).
 */
export function refuseUnaudited(
  req: FastifyRequest,
  reply: FastifyReply,
  metrics: Metrics,
  code: ErrorCode,
  retryAfterSeconds?: number,
): FastifyReply {
  const e = new SplitplaneError(code, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  metrics.unaudited.inc({ code });
  req.log.info(
    { requestId: req.id, code, method: req.method, path: req.url.split('?')[0], clientAddress: req.ip },
    'refused before identity',
  );
  if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(e.statusCode).send(e.toBody(req.id));
}

/**
 * Run a signed route, unless its address is over its limit of failed authentications (then the 429
 * is sent here and `undefined` returned); a 401 counts against the address.
 */
export async function limitingFailures<R extends { readonly statusCode: number }>(
  req: FastifyRequest,
  reply: FastifyReply,
  c: { readonly failures: AddressFailures; readonly metrics: Metrics },
  run: () => Promise<R>,
): Promise<R | undefined> {
  const retry = c.failures.blocked(req);
  if (retry !== undefined) {
    await refuseUnaudited(req, reply, c.metrics, 'SP_ERR_RATE_LIMITED', retry);
    return undefined;
  }
  const result = await run();
  if (result.statusCode === 401) {
    await c.failures.record(req);
    // RFC 6750: a refused bearer token says so (SigV4 callers ignore the header).
    const code = (result as { body?: { code?: string } }).body?.code ?? '';
    if (code.startsWith('SP_ERR_TOKEN_'))
      void reply.header('www-authenticate', `Bearer realm="splitplane", error="invalid_token"`);
  }
  return result;
}

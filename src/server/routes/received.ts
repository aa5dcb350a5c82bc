/** A request as layer 1 verifies it: method, the URL as sent, headers, and the raw body bytes. */
import type { FastifyRequest } from 'fastify';
import type { ReceivedRequest } from '../../identity/sigv4.js';

export function received(req: FastifyRequest): ReceivedRequest {
  return { method: req.method, url: req.raw.url ?? req.url, headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) };
}

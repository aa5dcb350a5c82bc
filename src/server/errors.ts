/**
 * Requests that never reach identity (an unknown route, a wrong media type, a body too large, an
 * error Fastify raised itself) leave with the registry's body and are logged and counted, not
 * chained: anyone could otherwise grow the audit trail at line rate.
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { refuseUnaudited } from './routes/received.js';

/** Fastify's own error codes, as the registry's. */
function codeOf(err: { code?: string; statusCode?: number }): ErrorCode {
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'SP_ERR_UNSUPPORTED_MEDIA_TYPE';
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'SP_ERR_BODY_TOO_LARGE';
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return 'SP_ERR_BAD_REQUEST';
  return 'SP_ERR_INTERNAL';
}

export function mapErrors(app: FastifyInstance, metrics: Metrics): void {
  app.setNotFoundHandler(async (req, reply) => refuseUnaudited(req, reply, metrics, 'SP_ERR_NOT_FOUND'));
  app.setErrorHandler(async (err: { code?: string; statusCode?: number }, req, reply) => {
    const code = codeOf(err);
    if (code === 'SP_ERR_INTERNAL') req.log.error({ err }, 'unhandled error');
    return refuseUnaudited(req, reply, metrics, code);
  });
}

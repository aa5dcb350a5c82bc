/**
 * The HTTP surface (Fastify): the server's own rules (TLS, raw bodies, headers,
 * rate limits, errors), then the routes, each in src/server/routes/. Every
 * error, Fastify's own included, leaves as {statusCode, code, error, message,
 * requestId}, and is audited like any request.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { SplitplaneError, type ErrorCode } from '../errors.js';
import { RequestTrace } from '../audit/trace.js';
import { registerRateLimits } from './rate-limit.js';
import { askRoute } from './routes/ask.js';
import { demoRoutes } from './routes/demo.js';
import { feedbackRoute } from './routes/feedback.js';
import { probeRoutes } from './routes/probes.js';
import type { Services } from './services.js';

/** Options for {@link buildApp}. */
export interface AppOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** How long each /readyz probe may take before it counts as not ready (default 1 s). */
  readonly readinessTimeoutMs?: number;
}

/** Build the Fastify app over started services. */
export function buildApp(services: Services, opts: AppOptions = {}): FastifyInstance {
  const tls = services.config.server.tls;
  const app = Fastify({
    ...(tls
      ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: 'TLSv1.3' as const } }
      : {}),
    logger: opts.logger ?? false,
    bodyLimit: services.config.server.bodyLimitBytes,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
  });
  const deps = {
    ...services.deps,
    log: (msg: string, detail: Record<string, unknown>) => {
      services.deps.log(msg, detail);
      app.log.warn(detail, msg);
    },
  };

  app.removeAllContentTypeParsers();
  // Keep the raw bytes: the signature and our own body hash are over them.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
  });

  const checkLimits = registerRateLimits(app, services.config, services.redis);
  askRoute(app, deps, checkLimits);
  feedbackRoute(app, deps);
  probeRoutes(app, services, opts.readinessTimeoutMs ?? 1000);
  if (services.config.demo.enabled) {
    const { signing } = services.config;
    void app.register(async (scoped) => demoRoutes(scoped, { credentialsFile: signing.credentialsFile, region: signing.region, service: signing.service }));
  }

  // Requests that never reach the pipeline (unknown route, wrong media type, body too large) are
  // audited too: every request leaves one event.
  const sendError = async (req: FastifyRequest, reply: FastifyReply, code: ErrorCode): Promise<FastifyReply> => {
    const e = new SplitplaneError(code);
    const trace = new RequestTrace(req.id);
    trace.mark('identity', 'skipped');
    const result = await trace.finish({ statusCode: e.statusCode, body: e.toBody(req.id) }, services.deps.audit, (err) => req.log.error({ err }, 'audit write failed'));
    return reply.code(result.statusCode).send(result.body);
  };

  app.setNotFoundHandler(async (req, reply) => sendError(req, reply, 'SP_ERR_NOT_FOUND'));

  app.setErrorHandler(async (err: { code?: string; statusCode?: number }, req, reply) => {
    const code: ErrorCode =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'SP_ERR_UNSUPPORTED_MEDIA_TYPE'
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'SP_ERR_BODY_TOO_LARGE'
          : err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
            ? 'SP_ERR_BAD_REQUEST'
            : 'SP_ERR_INTERNAL';
    if (code === 'SP_ERR_INTERNAL') req.log.error({ err }, 'unhandled error');
    return sendError(req, reply, code);
  });

  return app;
}

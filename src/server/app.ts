/**
 * The HTTP surface (Fastify): the server's own rules (TLS, raw bodies, headers,
 * rate limits, errors), then the routes, each in src/server/routes/. Every
 * error, Fastify's own included, leaves as {statusCode, code, error, message,
 * requestId}, and is audited like any request.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { SplitplaneError, type ErrorCode } from '../errors.js';
import swagger from '@fastify/swagger';
import { registerRateLimits } from './rate-limit.js';
import { OPENAPI } from './routes/schemas.js';
import { askRoute } from './routes/ask.js';
import { demoRoutes } from './routes/demo.js';
import { feedbackRoute } from './routes/feedback.js';
import { mcpRoute } from './routes/mcp.js';
import { refuseUnaudited } from './routes/received.js';
import { probeRoutes } from './routes/probes.js';
import type { Services } from './services.js';

/** Options for {@link buildApp}. */
export interface AppOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** How long each /readyz probe may take before it counts as not ready (default 1 s). */
  readonly readinessTimeoutMs?: number;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const shutdownStates = new WeakMap<FastifyInstance, { closing: boolean }>();

/**
 * Stop accepting: refuse new requests with the documented SP_ERR_SHUTTING_DOWN body at once (Fastify's
 * own close flag is set only after other close hooks ran), then close, which waits for running requests.
 */
export function closeGracefully(app: FastifyInstance): Promise<void> {
  const state = shutdownStates.get(app);
  if (state) state.closing = true;
  return app.close();
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
    // One name for the request id in every log line (Fastify's own lines say reqId otherwise).
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Late arrivals during close get the documented body (below), not Fastify's plain 503.
    return503OnClosing: false,
  });
  // Graceful shutdown (closeGracefully): from then on new requests are refused with
  // SP_ERR_SHUTTING_DOWN while those already running finish (app.close() waits for them) and are audited.
  const state = { closing: false };
  shutdownStates.set(app, state);
  app.addHook('preClose', async () => {
    state.closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    if (state.closing) {
      void reply.header('connection', 'close');
      return refuseUnaudited(req, reply, services.metrics, 'SP_ERR_SHUTTING_DOWN', 1);
    }
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
    // A response finished during shutdown closes its connection, so close() need not wait for keep-alive.
    if (state.closing) reply.header('connection', 'close');
    reply.header('x-request-id', req.id);
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
  });

  const { check, failures } = registerRateLimits(app, services.config, services.redis);
  // The OpenAPI document is generated from the routes' schemas, so the routes register after it.
  void app.register(swagger, { openapi: { ...OPENAPI.openapi, info: { ...OPENAPI.openapi.info, version: VERSION } } });
  void app.register(async (api) => {
    askRoute(api, deps, { check, failures, metrics: services.metrics });
    feedbackRoute(api, deps, { failures, metrics: services.metrics });
    probeRoutes(api, services, opts.readinessTimeoutMs ?? 1000);
    if (services.config.mcp.enabled) mcpRoute(api, deps, { check, failures, metrics: services.metrics }, { runQuery: services.config.mcp.runQuery, version: VERSION });
    api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
  });
  if (services.config.demo.enabled) {
    const { signing } = services.config;
    void app.register(async (scoped) => demoRoutes(scoped, { credentialsFile: signing.credentialsFile, region: signing.region, service: signing.service }));
  }

  // Requests that never reach identity (unknown route, wrong media type, body too large) are
  // logged and counted, not chained: anyone could otherwise grow the audit trail at line rate.
  const sendError = async (req: FastifyRequest, reply: FastifyReply, code: ErrorCode): Promise<FastifyReply> => refuseUnaudited(req, reply, services.metrics, code);

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

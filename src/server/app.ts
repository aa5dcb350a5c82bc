/**
 * The HTTP surface (Fastify). POST /v1/ask runs the pipeline over the raw
 * body bytes (the signature covers them); /healthz and /readyz for probes.
 * Every error, Fastify's own included, leaves as {statusCode, code, error,
 * message, requestId}.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { SplitplaneError, type ErrorCode } from '../errors.js';
import { RequestTrace } from '../audit/trace.js';
import { runFeedback } from '../feedback/feedback.js';
import { runAsk } from '../pipeline.js';
import { registerDemoUi } from '../web/demo-ui.js';
import { registerRateLimits } from './rate-limit.js';
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
  app.post('/v1/ask', async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const received = { method: req.method, url: req.raw.url ?? req.url, headers: req.headers, body };
    const result = await runAsk(received, req.id, deps, (identity) => checkLimits(req, identity));
    return reply.code(result.statusCode).headers(result.headers ?? {}).send(result.body);
  });

  if (services.config.demo.enabled) {
    const { signing } = services.config;
    void app.register(async (scoped) => {
      scoped.addHook('onSend', async (_req, reply) => {
        // The page loads only its own files; no inline script, no third-party origin.
        reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'");
      });
      await registerDemoUi(scoped, { credentialsFile: signing.credentialsFile, region: signing.region, service: signing.service });
    });
  }

  app.post('/v1/feedback', async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = await runFeedback({ method: req.method, url: req.raw.url ?? req.url, headers: req.headers, body }, req.id, deps);
    return reply.code(result.statusCode).send(result.body);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/metrics', async (_req, reply) =>
    reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics()),
  );

  app.get('/readyz', async (req, reply) => {
    const checks: Record<string, 'ok' | 'failed' | 'timeout'> = {};
    // The probes run at once, each with a deadline: a warehouse busy with long queries makes the
    // answer "not ready" within the deadline, never a probe that hangs with it.
    const probe = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.readinessTimeoutMs ?? 1000)));
      try {
        checks[name] = (await Promise.race([fn().then(() => 'ok' as const), deadline])) === 'timeout' ? 'timeout' : 'ok';
        if (checks[name] === 'timeout') req.log.warn({ check: name }, 'readiness check timed out');
      } catch (err) {
        checks[name] = 'failed';
        req.log.warn({ check: name, err }, 'readiness check failed');
      } finally {
        clearTimeout(timer);
      }
    };
    await Promise.all([
      probe('warehouse', () => services.connector.ping()),
      probe('audit', () => services.deps.audit.check()),
      probe('policy', () => services.policy.decide({ tenantId: '1', businessId: '1', adminId: '1', role: '', accessKeyId: '', sessionKey: '' }).catch((e: unknown) => {
        // A deny for a made-up identity proves the policy evaluates.
        if (e instanceof SplitplaneError && e.code === 'SP_ERR_POLICY_DENIED') return;
        throw e;
      })),
    ]);
    const ready = Object.values(checks).every((c) => c === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

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

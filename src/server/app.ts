/**
 * The HTTP surface (Fastify): the server's own rules (TLS, raw bodies, headers,
 * rate limits, errors), then the routes, each in src/server/routes/. Every
 * error, Fastify's own included, leaves as {statusCode, code, error, message,
 * requestId}, and is audited like any request.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { ErrorCode } from '../errors.js';
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

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const shutdownStates = new WeakMap<FastifyInstance, { closing: boolean }>();

/** Routes that keep answering during shutdown: the orchestrator must read /readyz turn 503. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Options for {@link drainAndClose}. */
export interface DrainOptions {
  /** How long to keep listening (and refusing) before the listener closes (server.shutdownGraceMs). */
  readonly graceMs: number;
  /** How long app.close() may wait for requests still running (default 10 s). */
  readonly drainMs?: number;
  /** Aborted (e.g. a second signal): the rest of the grace period is skipped. */
  readonly signal?: AbortSignal;
}

/**
 * Shutdown that tells clients. At once: /readyz answers 503 (`status: "shutting down"`) and every new
 * request, one on an open kept-alive connection included, gets 503 SP_ERR_SHUTTING_DOWN with
 * `Connection: close`, while the listener stays open for `graceMs` (so a load balancer sees the
 * probe fail and moves clients, and no client meets a refused or silently closed connection).
 * Requests already running finish and are audited, their connections closed after the response.
 * Then app.close(): stop listening, close idle connections, wait for running requests at most
 * `drainMs`. Resolves 'closed', or 'timeout' when requests were still running at that limit.
 */
export async function drainAndClose(app: FastifyInstance, opts: DrainOptions): Promise<'closed' | 'timeout'> {
  const state = shutdownStates.get(app);
  if (state) state.closing = true;
  if (opts.graceMs > 0 && !opts.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, opts.graceMs);
      opts.signal?.addEventListener('abort', done, { once: true });
    });
  }
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), opts.drainMs ?? 10_000)),
  );
  try {
    return await Promise.race([app.close().then(() => 'closed' as const), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A request whose body has not fully arrived `ms` after its headers (a client trickling it, or gone
 * quiet) is answered 408 with `Connection: close`, and Node closes the connection once that is sent.
 * Its handler never runs: Fastify stops a request whose reply was sent. Requests without a body, and
 * inject()'s (no socket), are not timed.
 */
function armBodyTimer(
  req: FastifyRequest,
  reply: FastifyReply,
  ms: number,
  refuse: (req: FastifyRequest, reply: FastifyReply, code: ErrorCode) => unknown,
): void {
  const raw = req.raw;
  const hasBody = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
  if (!hasBody || (raw as { complete?: unknown }).complete !== false) return;
  const timer = setTimeout(() => {
    if (raw.complete || reply.sent) return;
    req.log.info(
      { bodyTimeoutMs: ms, method: req.method, path: req.url.split('?')[0], clientAddress: req.ip },
      'request body not received in time',
    );
    void reply.header('connection', 'close');
    refuse(req, reply, 'SP_ERR_REQUEST_TIMEOUT');
  }, ms);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  raw.once('end', clear);
  reply.raw.once('close', clear);
}

/** Build the Fastify app over started services. */
export function buildApp(services: Services, opts: AppOptions = {}): FastifyInstance {
  const { tls, requestTimeoutMs, bodyTimeoutMs, keepAliveTimeoutMs } = services.config.server;
  // Node's own limits, set where the server is created: the whole request (headers and body) within
  // requestTimeoutMs, the headers within the same (Node requires headersTimeout <= requestTimeout),
  // checked every second (Node's default is every 30 s, so a limit could be overrun by that much).
  const serverTimeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(1_000, Math.floor(Math.min(requestTimeoutMs, bodyTimeoutMs) / 4)),
    ),
  };
  const app = Fastify({
    ...(tls
      ? {
          https: {
            cert: readFileSync(tls.certFile),
            key: readFileSync(tls.keyFile),
            minVersion: 'TLSv1.3' as const,
            ...serverTimeouts,
          },
        }
      : { http: serverTimeouts }),
    // Fastify sets these on the server after creating it (its defaults: no request limit, 72 s keep-alive).
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    logger: opts.logger ?? false,
    bodyLimit: services.config.server.bodyLimitBytes,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // One name for the request id in every log line (Fastify's own lines say reqId otherwise).
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Late arrivals during close get the documented body (below), not Fastify's plain 503.
    return503OnClosing: false,
  });
  // Graceful shutdown (drainAndClose): from then on new requests are refused with
  // SP_ERR_SHUTTING_DOWN while those already running finish (app.close() waits for them) and are
  // audited; the probes still answer, /readyz with 503.
  const state = { closing: false };
  shutdownStates.set(app, state);
  app.addHook('preClose', async () => {
    state.closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    if (state.closing && !PROBES.has(req.routeOptions.url ?? '')) {
      void reply.header('connection', 'close');
      return refuseUnaudited(req, reply, services.metrics, 'SP_ERR_SHUTTING_DOWN', 1);
    }
    armBodyTimer(req, reply, bodyTimeoutMs, (r, p, code) => refuseUnaudited(r, p, services.metrics, code));
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
    probeRoutes(api, services, opts.readinessTimeoutMs ?? 1000, () => state.closing);
    if (services.config.mcp.enabled)
      mcpRoute(
        api,
        deps,
        { check, failures, metrics: services.metrics },
        {
          runQuery: services.config.mcp.runQuery,
          version: VERSION,
          ...(services.config.server.publicOrigin ? { publicOrigin: services.config.server.publicOrigin } : {}),
        },
      );
    api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
  });
  if (services.config.demo.enabled) {
    const { signing } = services.config;
    void app.register(async (scoped) =>
      demoRoutes(scoped, {
        credentialsFile: signing.credentialsFile,
        region: signing.region,
        service: signing.service,
      }),
    );
  }

  // Requests that never reach identity (unknown route, wrong media type, body too large) are
  // logged and counted, not chained: anyone could otherwise grow the audit trail at line rate.
  const sendError = async (req: FastifyRequest, reply: FastifyReply, code: ErrorCode): Promise<FastifyReply> =>
    refuseUnaudited(req, reply, services.metrics, code);

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

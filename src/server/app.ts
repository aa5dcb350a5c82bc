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
import { mapErrors } from './errors.js';
import { routes } from './routes/index.js';
import { refuseUnaudited } from './routes/received.js';
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

/** Build the Fastify app over started services: the server's own rules, the rate limits, the routes, the error mapping. */
export function buildApp(services: Services, opts: AppOptions = {}): FastifyInstance {
  const server = services.config.server;
  const timeouts = nodeTimeouts(server);
  const app = Fastify({
    // TLS 1.3 only, when configured.
    ...(server.tls
      ? {
          https: {
            cert: readFileSync(server.tls.certFile),
            key: readFileSync(server.tls.keyFile),
            minVersion: 'TLSv1.3' as const,
            ...timeouts,
          },
        }
      : { http: timeouts }),
    // Fastify sets these on the server after creating it (its defaults: no request limit, 72 s keep-alive).
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    logger: opts.logger ?? false,
    bodyLimit: server.bodyLimitBytes,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // One name for the request id in every log line (Fastify's own lines say reqId otherwise).
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Late arrivals during close get the documented body (below), not Fastify's plain 503.
    return503OnClosing: false,
  });
  const state = { closing: false };
  shutdownStates.set(app, state);
  serverRules(app, services, state);
  // The routes' log lines go to the app's log too.
  const deps = {
    ...services.deps,
    log: (msg: string, detail: Record<string, unknown>) => {
      services.deps.log(msg, detail);
      app.log.warn(detail, msg);
    },
  };
  const { check, failures } = registerRateLimits(app, services.config, services.redis);
  // The OpenAPI document is generated from the routes' schemas, so the routes register after it.
  void app.register(swagger, { openapi: { ...OPENAPI.openapi, info: { ...OPENAPI.openapi.info, version: VERSION } } });
  void app.register(routes, {
    services,
    deps,
    limits: { check, failures, metrics: services.metrics },
    version: VERSION,
    readinessTimeoutMs: opts.readinessTimeoutMs ?? 1000,
    closing: () => state.closing,
  });
  mapErrors(app, services.metrics);
  return app;
}

/**
 * Node's own limits, set where the server is created: the whole request (headers and body) within
 * requestTimeoutMs, the headers within the same (Node requires headersTimeout <= requestTimeout),
 * checked every second (Node's default is every 30 s, so a limit could be overrun by that much).
 */
function nodeTimeouts(server: Services['config']['server']): {
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  const { requestTimeoutMs, bodyTimeoutMs, keepAliveTimeoutMs } = server;
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(1_000, Math.floor(Math.min(requestTimeoutMs, bodyTimeoutMs) / 4)),
    ),
  };
}

/** The rules every request meets: shutdown refusals, the body timer, raw bodies, and the response headers. */
function serverRules(app: FastifyInstance, services: Services, state: { closing: boolean }): void {
  // Graceful shutdown (drainAndClose): from then on new requests are refused with
  // SP_ERR_SHUTTING_DOWN while those already running finish (app.close() waits for them) and are
  // audited; the probes still answer, /readyz with 503.
  app.addHook('preClose', async () => {
    state.closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    if (state.closing && !PROBES.has(req.routeOptions.url ?? '')) {
      void reply.header('connection', 'close');
      return refuseUnaudited(req, reply, services.metrics, 'SP_ERR_SHUTTING_DOWN', 1);
    }
    armBodyTimer(req, reply, services.config.server.bodyTimeoutMs, (r, p, code) =>
      refuseUnaudited(r, p, services.metrics, code),
    );
  });
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
}

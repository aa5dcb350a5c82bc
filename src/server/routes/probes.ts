/**
 * Probes: /healthz (the process answers), /readyz (every dependency answers, each within a deadline;
 * 503 from the moment shutdown begins), /metrics.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';
import { documented, HEALTHZ_SCHEMA, METRICS_SCHEMA, READYZ_SCHEMA } from './schemas.js';

export interface ProbeRouteOptions {
  readonly services: Services;
  /** How long each /readyz check may take before it counts as not ready. */
  readonly timeoutMs: number;
  /** Whether shutdown has begun (/readyz then answers 503). */
  readonly closing: () => boolean;
}

export const probeRoutes: FastifyPluginAsync<ProbeRouteOptions> = async (app, { services, timeoutMs, closing }) => {
  app.get('/healthz', documented(HEALTHZ_SCHEMA), async () => ({ status: 'ok' }));

  app.get('/metrics', documented(METRICS_SCHEMA), async (_req, reply) =>
    reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics()),
  );

  app.get('/readyz', documented(READYZ_SCHEMA), async (req, reply) => {
    // Shutting down: not ready, whatever the dependencies say, so no new traffic is routed here.
    if (closing()) return reply.code(503).send({ status: 'shutting down', checks: {} });
    const checks: Record<string, 'ok' | 'failed' | 'timeout'> = {};
    // The probes run at once, each with a deadline: a warehouse busy with long queries makes the
    // answer "not ready" within the deadline, never a probe that hangs with it.
    const probe = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      try {
        checks[name] =
          (await Promise.race([fn().then(() => 'ok' as const), deadline])) === 'timeout' ? 'timeout' : 'ok';
        if (checks[name] === 'timeout') req.log.warn({ check: name }, 'readiness check timed out');
      } catch (err) {
        checks[name] = 'failed';
        req.log.warn({ check: name, err }, 'readiness check failed');
      } finally {
        clearTimeout(timer);
      }
    };
    await Promise.all(Object.entries(services.readiness).map(([name, fn]) => probe(name, fn)));
    const ready = Object.values(checks).every((c) => c === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
};

/** Probes: /healthz (the process answers), /readyz (every dependency answers, each within a deadline), /metrics. */
import type { FastifyInstance } from 'fastify';
import { SplitplaneError } from '../../errors.js';
import type { Services } from '../services.js';

export function probeRoutes(app: FastifyInstance, services: Services, timeoutMs: number): void {
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
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
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
}

/** POST /v1/ask: the raw body bytes (the signature covers them) through the pipeline. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Identity } from '../../identity/identity.js';
import { runAsk, type PipelineDeps } from '../../pipeline.js';
import { received } from './received.js';

export function askRoute(app: FastifyInstance, deps: PipelineDeps, checkLimits: (req: FastifyRequest, identity: Identity) => Promise<void>): void {
  app.post('/v1/ask', async (req, reply) => {
    const result = await runAsk(received(req), req.id, deps, (identity) => checkLimits(req, identity));
    return reply.code(result.statusCode).headers(result.headers ?? {}).send(result.body);
  });
}

/** POST /v1/ask: the raw body bytes (the signature covers them) through the pipeline. */
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';
import { runAsk, type PipelineDeps } from '../../pipeline.js';
import type { AddressFailures, LimitCheck } from '../rate-limit.js';
import { limitingFailures, received } from './received.js';
import { ASK_SCHEMA, documented } from './schemas.js';

export interface AskRouteOptions {
  readonly deps: PipelineDeps;
  readonly limits: { readonly check: LimitCheck; readonly failures: AddressFailures; readonly metrics: Metrics };
}

export const askRoute: FastifyPluginAsync<AskRouteOptions> = async (app, { deps, limits }) => {
  app.post('/v1/ask', documented(ASK_SCHEMA), async (req, reply) => {
    const r = await limitingFailures(req, reply, limits, () =>
      runAsk(received(req), req.id, deps, { limit: (identity) => limits.check(req, identity) }),
    );
    if (!r) return reply;
    return reply
      .code(r.statusCode)
      .headers(r.headers ?? {})
      .send(r.body);
  });
};

/** POST /v1/feedback: a rating of one's own answer, signed like /v1/ask. */
import type { FastifyPluginAsync } from 'fastify';
import { runFeedback, type FeedbackDeps } from '../../feedback/feedback.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AddressFailures } from '../rate-limit.js';
import { limitingFailures, received } from './received.js';
import { documented, FEEDBACK_SCHEMA } from './schemas.js';

export interface FeedbackRouteOptions {
  readonly deps: FeedbackDeps;
  readonly limits: { readonly failures: AddressFailures; readonly metrics: Metrics };
}

export const feedbackRoute: FastifyPluginAsync<FeedbackRouteOptions> = async (app, { deps, limits }) => {
  app.post('/v1/feedback', documented(FEEDBACK_SCHEMA), async (req, reply) => {
    const r = await limitingFailures(req, reply, limits, () => runFeedback(received(req), req.id, deps));
    if (!r) return reply;
    return reply.code(r.statusCode).send(r.body);
  });
};

/** POST /v1/feedback: a rating of one's own answer, signed like /v1/ask. */
import type { FastifyInstance } from 'fastify';
import { runFeedback, type FeedbackDeps } from '../../feedback/feedback.js';
import { received } from './received.js';

export function feedbackRoute(app: FastifyInstance, deps: FeedbackDeps): void {
  app.post('/v1/feedback', async (req, reply) => {
    const result = await runFeedback(received(req), req.id, deps);
    return reply.code(result.statusCode).send(result.body);
  });
}

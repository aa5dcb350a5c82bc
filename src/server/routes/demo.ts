/**
 * Demo mode only: the web page at / and POST /demo/ask. In production the
 * SaaS back end signs requests and a browser never holds a SigV4 secret; in
 * demo mode this endpoint signs on the server with the demo credential and
 * sends the request through the full verification path (app.inject into
 * /v1/ask), so the page exercises every layer. None of these routes exist
 * unless `demo.enabled` is true.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { signRequest } from '../../client/sign.js';
import { SplitplaneError } from '../../errors.js';
import { parseStrictJson } from '../../identity/ask-body.js';
import { credentialFor, loadCredentialStore } from '../../identity/credentials.js';
import { DEMO_PERSONAS } from '../../demo/personas.js';

export { DEMO_PERSONAS } from '../../demo/personas.js';

const DemoAsk = z
  .object({
    persona: z.enum(DEMO_PERSONAS.map((p) => p.id) as [string, ...string[]]),
    question: z.string().min(1).max(2_000),
    conversationId: z.uuid().optional(),
  })
  .strict();

const DemoFeedback = z
  .object({
    persona: z.enum(DEMO_PERSONAS.map((p) => p.id) as [string, ...string[]]),
    requestId: z.uuid(),
    rating: z.enum(['up', 'down']),
  })
  .strict();

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const staticDir = join(root, 'src/web/static');
const chartJs = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

/** Register the page (src/web/static/) and the demo endpoints. `credentialsFile` holds the demo credential. */
export interface DemoRouteOptions {
  readonly credentialsFile: string | undefined;
  readonly region: string;
  readonly service: string;
}

export const demoRoutes: FastifyPluginAsync<DemoRouteOptions> = async (app, opts) => {
  app.addHook('onSend', async (_req, reply) => {
    // The page loads only its own files; no inline script, no third-party origin.
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
  });
  // Resolved at start-up: a persona whose tenant no credential may act for fails the boot, not a request.
  const store = loadCredentialStore(opts.credentialsFile);
  const credentials = new Map<string, { accessKeyId: string; secretAccessKey: string }>(
    DEMO_PERSONAS.map((p) => [p.tenantId, credentialFor(store, p.tenantId)]),
  );
  await app.register(fastifyStatic, { root: staticDir, prefix: '/', index: ['index.html'], wildcard: false });
  const chart = readFileSync(chartJs);
  // The page's own routes are not part of the API: none is in /openapi.json (the static files are hidden by @fastify/static's schemaHide).
  app.get('/assets/chart.umd.js', { schema: { hide: true } }, (_req, reply) =>
    reply.type('text/javascript').send(chart),
  );
  app.get('/demo/personas', { schema: { hide: true } }, async () => DEMO_PERSONAS);
  // The page names an empty icon inline; this answers a browser that asks anyway (a JSON URL opened in a tab), instead of a 404.
  app.get('/favicon.ico', { schema: { hide: true } }, (_req, reply) => reply.code(204).send());
  const forward = async (route: '/v1/ask' | '/v1/feedback', tenantId: string, payload: string, nonce: string) => {
    const { accessKeyId, secretAccessKey } = credentials.get(tenantId)!;
    const headers = await signRequest({
      url: `http://localhost${route}`,
      body: payload,
      accessKeyId,
      secretAccessKey,
      region: opts.region,
      service: opts.service,
      extraHeaders: { 'x-splitplane-nonce': nonce },
    });
    return app.inject({ method: 'POST', url: route, headers, payload });
  };
  /**
   * One demo route: validate the browser's body, build the signed route's body for the chosen
   * persona, sign it on the server and send it through the full verification path.
   */
  const demoRoute = <T extends { persona: string }>(
    path: string,
    schema: z.ZodType<T>,
    route: '/v1/ask' | '/v1/feedback',
    fields: (b: T) => object,
  ) => {
    app.post(path, { schema: { hide: true } }, async (req, reply) => {
      const parsed = schema.safeParse(readJson(req.body));
      if (!parsed.success) {
        const e = new SplitplaneError('SP_ERR_BAD_REQUEST');
        return reply.code(e.statusCode).send(e.toBody(req.id));
      }
      const p = DEMO_PERSONAS.find((x) => x.id === parsed.data.persona)!;
      const payload = JSON.stringify({
        tenantId: p.tenantId,
        businessId: p.businessId,
        adminId: p.adminId,
        ...fields(parsed.data),
      });
      const res = await forward(route, p.tenantId, payload, req.id);
      // Retry-After (429, 503) is how long to wait; the page says it in seconds.
      const retryAfter = res.headers['retry-after'];
      if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
      return reply.code(res.statusCode).type('application/json').send(res.body);
    });
  };
  demoRoute('/demo/ask', DemoAsk, '/v1/ask', (b) => ({
    question: b.question,
    ...(b.conversationId ? { conversationId: b.conversationId } : {}),
  }));
  demoRoute('/demo/feedback', DemoFeedback, '/v1/feedback', (b) => ({ requestId: b.requestId, rating: b.rating }));
};

function readJson(body: unknown): unknown {
  try {
    return parseStrictJson(Buffer.isBuffer(body) ? body : Buffer.alloc(0));
  } catch {
    return undefined;
  }
}

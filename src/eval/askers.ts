/**
 * Two ways to ask: in process (the full pipeline through app.inject, signed like
 * any client) or a running server over HTTP (--url).
 */
import { randomUUID } from 'node:crypto';
import { signRequest } from '../client/sign.js';
import type { Config } from '../config/config.js';
import { buildApp } from '../server/app.js';
import { createServices } from '../server/services.js';
import type { Persona } from './file.js';
import type { Asker } from './run.js';
import { ensureDemoWarehouse } from '../demo/generate.js';

type Credential = { readonly accessKeyId: string; readonly secretAccessKey: string };

function body(persona: Persona, question: string, conversationId: string | undefined): string {
  // The three IDs only: the persona's other fields are the evaluator's (gold.ts), never the request's.
  return JSON.stringify({
    tenantId: persona.tenantId,
    businessId: persona.businessId,
    adminId: persona.adminId,
    question,
    ...(conversationId ? { conversationId } : {}),
  });
}

/** In process, over the configured warehouse. */
export async function inProcessAsker(config: Config, credential: (tenantId: string) => Credential): Promise<Asker> {
  await ensureDemoWarehouse(config);
  const services = await createServices(config);
  const app = buildApp(services);
  await app.ready();
  return {
    async ask(persona, question, conversationId) {
      const payload = body(persona, question, conversationId);
      const headers = await signRequest({
        url: 'http://localhost/v1/ask',
        body: payload,
        ...credential(persona.tenantId),
        region: config.signing.region,
        service: config.signing.service,
        extraHeaders: { 'x-splitplane-nonce': randomUUID() },
      });
      const res = await app.inject({ method: 'POST', url: '/v1/ask', headers, payload });
      return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
    },
    async close() {
      await app.close();
      await services.close();
    },
  };
}

/** A running server. */
export function httpAsker(baseUrl: string, config: Config, credential: (tenantId: string) => Credential): Asker {
  return {
    async ask(persona, question, conversationId) {
      const url = new URL('/v1/ask', baseUrl).toString();
      const payload = body(persona, question, conversationId);
      const headers = await signRequest({
        url,
        body: payload,
        ...credential(persona.tenantId),
        region: config.signing.region,
        service: config.signing.service,
        extraHeaders: { 'x-splitplane-nonce': randomUUID() },
      });
      const res = await fetch(url, { method: 'POST', headers, body: payload });
      return { statusCode: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async close() {},
  };
}

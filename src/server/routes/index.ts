/**
 * Every route, in one list. The API (documented in /openapi.json, which is generated from these
 * routes' schemas, so they register after @fastify/swagger): /v1/ask, /v1/feedback, the probes, the
 * MCP server when enabled, and the document itself. The demo page and its endpoints exist only in
 * demo mode, in a scope of their own (their headers and static files stay there).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';
import type { PipelineDeps } from '../../pipeline.js';
import type { AddressFailures, LimitCheck } from '../rate-limit.js';
import type { Services } from '../services.js';
import { askRoute } from './ask.js';
import { demoRoutes } from './demo.js';
import { feedbackRoute } from './feedback.js';
import { mcpRoute } from './mcp.js';
import { probeRoutes } from './probes.js';

export interface RoutesOptions {
  readonly services: Services;
  /** The pipeline's dependencies as the routes see them (their log also writes to the app's). */
  readonly deps: PipelineDeps;
  readonly limits: { readonly check: LimitCheck; readonly failures: AddressFailures; readonly metrics: Metrics };
  readonly version: string;
  readonly readinessTimeoutMs: number;
  readonly closing: () => boolean;
}

export const routes: FastifyPluginAsync<RoutesOptions> = async (app, o) => {
  const { config } = o.services;
  await app.register(async (api) => {
    await api.register(askRoute, { deps: o.deps, limits: o.limits });
    await api.register(feedbackRoute, { deps: o.deps, limits: o.limits });
    await api.register(probeRoutes, { services: o.services, timeoutMs: o.readinessTimeoutMs, closing: o.closing });
    if (config.mcp.enabled) {
      const publicOrigin = config.server.publicOrigin;
      await api.register(mcpRoute, {
        deps: o.deps,
        limits: o.limits,
        options: { runQuery: config.mcp.runQuery, version: o.version, ...(publicOrigin ? { publicOrigin } : {}) },
      });
    }
    api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
  });
  if (config.demo.enabled) {
    const { credentialsFile, region, service } = config.signing;
    await app.register(demoRoutes, { credentialsFile, region, service });
  }
};

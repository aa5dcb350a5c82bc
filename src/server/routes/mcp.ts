/**
 * POST /mcp: a Model Context Protocol server (Streamable HTTP, stateless: one server and transport
 * per request, JSON responses) for agents acting as the signed-in person. Every call carries the
 * person's OIDC bearer token; the `ask` tool sends the question through the same pipeline as
 * /v1/ask with that token, so the same three layers, rate limits and audit apply, and the token,
 * not the agent, says who is asking. Off unless `oidc.enabled` (there is no other way in).
 *
 * Tools: `ask` (a plain-English question, answered as /v1/ask answers it) and `list_metrics` (the
 * catalog's metrics and dimensions). Not built: describe_data, run_query.
 */
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RequestTrace } from '../../audit/trace.js';
import { asSplitplaneError, SplitplaneError } from '../../errors.js';
import { verifiedIdentity, type Identity } from '../../identity/identity.js';
import type { Metrics } from '../../observability/metrics.js';
import { runAsk, type PipelineDeps } from '../../pipeline.js';
import { publicMetrics } from '../../semantic/catalog.js';
import type { AddressFailures, LimitCheck } from '../rate-limit.js';

export function mcpRoute(app: FastifyInstance, deps: PipelineDeps, limits: { readonly check: LimitCheck; readonly failures: AddressFailures; readonly metrics: Metrics }, version: string): void {
  app.post('/mcp', { schema: { hide: true } }, async (req, reply) => {
    const oidc = deps.verifier.oidc;
    const bearer = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(String(req.headers['authorization'] ?? ''))?.[1];
    if (!oidc || bearer === undefined) return refuse(req, reply, new SplitplaneError(oidc ? 'SP_ERR_AUTH_MISSING' : 'SP_ERR_NOT_FOUND'));
    let person;
    try {
      person = await oidc.verify(bearer);
    } catch (err) {
      await limits.failures.record(req);
      return refuse(req, reply, asSplitplaneError(err));
    }
    const server = new McpServer({ name: 'splitplane', version });
    server.registerTool(
      'ask',
      {
        description: 'Ask an analytics question in plain English. The answer is computed only from rows the signed-in person may see.',
        inputSchema: { question: z.string().min(1).max(2_000), conversationId: z.string().uuid().optional() },
      },
      async ({ question, conversationId }) => {
        const body = JSON.stringify({ tenantId: person.tenantId, businessId: person.businessId, adminId: person.adminId, question, ...(conversationId ? { conversationId } : {}) });
        const result = await runAsk(
          { method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: Buffer.from(body), clientAddress: req.ip },
          randomUUID(),
          deps,
          (identity: Identity) => limits.check(req, identity),
        );
        return { content: [{ type: 'text' as const, text: JSON.stringify(result.body) }], isError: result.statusCode !== 200 };
      },
    );
    server.registerTool('list_metrics', { description: "The catalog's metrics and dimensions: what can be asked." }, async () => {
      const trace = new RequestTrace(randomUUID(), { verified: false }, { url: '/mcp', clientAddress: req.ip });
      trace.note({ tool: 'list_metrics' });
      const listed = await trace.stage('identity', async () => {
        const admin = deps.directory().admins.get(person.adminId);
        if (!admin?.active || admin.tenantId !== person.tenantId || admin.businessId !== person.businessId) throw new SplitplaneError('SP_ERR_UNKNOWN_PRINCIPAL');
        trace.note({ identity: verifiedIdentity({ ...person, role: admin.role, accessKeyId: '', sessionKey: '', token: { issuer: person.issuer, subject: person.subject } }) });
        return {
          metrics: publicMetrics(deps.catalog).map((m) => ({ id: m.id, label: m.label, description: m.description })),
          dimensions: deps.catalog.dimensions.map((d) => ({ id: d.id, kind: d.kind })),
        };
      }).catch((e: unknown) => e as SplitplaneError);
      const ok = !(listed instanceof SplitplaneError);
      await trace.finish({ statusCode: ok ? 200 : listed.statusCode, body: ok ? { status: 'answered' } : listed.toBody(trace.requestId) }, deps.audit, () => {});
      return { content: [{ type: 'text' as const, text: JSON.stringify(ok ? listed : listed.toBody(trace.requestId)) }], isError: !ok };
    });
    // No sessionIdGenerator: stateless, every request stands on its own token.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, JSON.parse((req.body as Buffer).toString('utf8')) as unknown);
    return reply;
  });
}

function refuse(req: FastifyRequest, reply: FastifyReply, e: SplitplaneError): FastifyReply {
  if (e.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="splitplane"');
  return reply.code(e.statusCode).send(e.toBody(req.id));
}

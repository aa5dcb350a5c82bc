/**
 * POST /mcp: a Model Context Protocol server (Streamable HTTP, stateless: one server and transport
 * per request, JSON responses) for agents acting as the signed-in person. Every call carries the
 * person's OIDC bearer token; the `ask` tool sends the question through the same pipeline as
 * /v1/ask with that token, so the same three layers, rate limits and audit apply, and the token,
 * not the agent, says who is asking. Off unless `oidc.enabled` (there is no other way in).
 *
 * Tools: `ask` (a plain-English question, answered as /v1/ask answers it), `list_metrics` (the
 * catalog's metrics and dimensions) and `describe_data` (the caller's own sandbox: table and column
 * names, types and descriptions, as a generator sees them; never raw names or IDs). Not built:
 * run_query. GET /.well-known/oauth-protected-resource is the resource's metadata (RFC 9728), and
 * a refused call's WWW-Authenticate points at it.
 */
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RequestTrace } from '../../audit/trace.js';
import { asSplitplaneError, SplitplaneError } from '../../errors.js';
import { bearerToken, registeredIdentity, verifiedIdentity, type Identity } from '../../identity/identity.js';
import type { Metrics } from '../../observability/metrics.js';
import { runAsk, type PipelineDeps } from '../../pipeline.js';
import { buildSandbox, describeSandbox } from '../../sandbox/sandbox.js';
import { publicMetrics } from '../../semantic/catalog.js';
import type { AddressFailures, LimitCheck } from '../rate-limit.js';

export function mcpRoute(app: FastifyInstance, deps: PipelineDeps, limits: { readonly check: LimitCheck; readonly failures: AddressFailures; readonly metrics: Metrics }, version: string): void {
  // RFC 9728: where an agent learns which authorization server issues tokens for this resource.
  app.get('/.well-known/oauth-protected-resource', { schema: { hide: true } }, async (req, reply) => {
    const o = deps.verifier.oidc;
    if (!o) return refuse(req, reply, new SplitplaneError('SP_ERR_NOT_FOUND'));
    return { resource: `${origin(req)}/mcp`, authorization_servers: [o.issuer], bearer_methods_supported: ['header'], resource_name: 'splitplane' };
  });

  app.post('/mcp', { schema: { hide: true } }, async (req, reply) => {
    const oidc = deps.verifier.oidc;
    const bearer = bearerToken(req.headers);
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
    /** A tool other than ask: the registered admin the token names, then `run`; one audit event with the tool's name. */
    const tool = (name: string, run: (identity: Identity, trace: RequestTrace) => Promise<object>) => async () => {
      const trace = new RequestTrace(randomUUID(), { verified: false }, { url: '/mcp', clientAddress: req.ip });
      trace.note({ tool: name });
      let out: object;
      let statusCode = 200;
      try {
        const identity = await trace.stage('identity', () => registeredIdentity(deps.directory(), person, { frontDoor: 'oidc', token: person }));
        trace.note({ identity: verifiedIdentity(identity) });
        out = await run(identity, trace);
      } catch (err) {
        const e = asSplitplaneError(err);
        statusCode = e.statusCode;
        out = e.toBody(trace.requestId);
      }
      const recorded = await trace.finish({ statusCode, body: statusCode === 200 ? { status: 'answered' } : out }, deps.audit, () => {});
      const failed = recorded.statusCode !== 200;
      return { content: [{ type: 'text' as const, text: JSON.stringify(failed && statusCode === 200 ? recorded.body : out) }], isError: failed };
    };
    server.registerTool(
      'list_metrics',
      { description: "The catalog's metrics and dimensions: what can be asked." },
      tool('list_metrics', async () => ({
        metrics: publicMetrics(deps.catalog).map((m) => ({ id: m.id, label: m.label, description: m.description })),
        dimensions: deps.catalog.dimensions.map((d) => ({ id: d.id, kind: d.kind })),
      })),
    );
    server.registerTool(
      'describe_data',
      { description: 'The tables and columns the signed-in person may query (their own sandbox), with types and descriptions.' },
      tool('describe_data', async (identity, trace) => {
        const scope = await trace.stage('policy', () => deps.policy.decide(identity));
        const sandbox = await trace.stage('sandbox', () => buildSandbox(scope, deps.connector.dialect));
        return describeSandbox(sandbox);
      }),
    );
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
  if (e.statusCode === 401) void reply.header('www-authenticate', `Bearer realm="splitplane", resource_metadata="${origin(req)}/.well-known/oauth-protected-resource"`);
  return reply.code(e.statusCode).send(e.toBody(req.id));
}

/** This service's origin as the caller reached it. */
function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

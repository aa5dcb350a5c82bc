/**
 * POST /mcp: a Model Context Protocol server (Streamable HTTP, stateless: one server and transport
 * per request, JSON responses) for agents acting as the signed-in person. The HTTP request is
 * verified at the door (a bearer token from the OIDC issuer, or a SigV4 signature over the request
 * with the IDs in three signed headers, for back ends); then every tool call binds those IDs to a
 * registered admin, checks the rate limits on that identity and records one audit event with the
 * tool's name. The caller, never the agent's arguments, says who is asking.
 *
 * Tools: `ask` (a plain-English question through the same pipeline as /v1/ask), `list_metrics`
 * (the catalog's metrics and dimensions), `describe_data` (the caller's own sandbox: table and
 * column names, types and descriptions, as a generator sees them; never raw names or IDs) and,
 * only when `mcp.runQuery` is set, `run_query` (the agent's own SQL over that sandbox, through the
 * same guard, locked-down engine, row cap and audit as model SQL). GET
 * /.well-known/oauth-protected-resource is the resource's metadata (RFC 9728) when the OIDC front
 * door is enabled, and a refused call's WWW-Authenticate points at it; both write the configured
 * public origin (server.publicOrigin), never a request's Host header.
 *
 * One JSON-RPC message per POST: a batch (a JSON array) is refused with SP_ERR_BAD_REQUEST before any
 * tool runs (MCP dropped JSON-RPC batching in its 2025-06-18 revision; one call per request also means
 * each call meets the rate limits before it starts). GET (there is no server-sent event stream) and
 * DELETE (there is no session to end) answer 405 with `Allow: POST`. The server declares only the tools capability, without listChanged: the tool list
 * is fixed for the life of the process, so it never sends a list-changed notification.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { auditedRefusal } from '../../audit/audited.js';
import { RequestTrace } from '../../audit/trace.js';
import { asSplitplaneError, SplitplaneError } from '../../errors.js';
import { GUARD_LIMITS } from '../../guard/first-layer.js';
import { registeredIdentity, verifyCaller, type Caller, type Identity } from '../../identity/identity.js';
import type { Metrics } from '../../observability/metrics.js';
import { runAsk, type PipelineDeps } from '../../pipeline.js';
import { callTool, describeData, listMetrics, runQuery } from '../../pipeline/tools.js';
import type { AddressFailures, LimitCheck } from '../rate-limit.js';
import { received, refuseUnaudited } from './received.js';
import { documented, MCP_SCHEMA, PROTECTED_RESOURCE_SCHEMA } from './schemas.js';

export interface McpOptions {
  /** Serve the run_query tool (off unless configured). */
  readonly runQuery: boolean;
  readonly version: string;
  /**
   * The origin written into the protected-resource metadata and WWW-Authenticate: publicOrigin(config)
   * (server.publicOrigin, or in demo mode the configured listen address). When it names port 0, or is
   * not given, the address the server actually listens on is written. Never a request's Host header.
   */
  readonly publicOrigin?: string;
}

type Limits = { readonly check: LimitCheck; readonly failures: AddressFailures; readonly metrics: Metrics };

export interface McpRouteOptions {
  readonly deps: PipelineDeps;
  readonly limits: Limits;
  readonly options: McpOptions;
}

export const mcpRoute: FastifyPluginAsync<McpRouteOptions> = async (app, { deps, limits, options: o }) => {
  const origin = (): string | undefined => serviceOrigin(app, o.publicOrigin);
  const refuse = (req: FastifyRequest, reply: FastifyReply, e: SplitplaneError): FastifyReply => {
    if (e.statusCode === 401) {
      const at = deps.verifier.oidc ? origin() : undefined;
      void reply.header(
        'www-authenticate',
        `Bearer realm="splitplane"${at === undefined ? '' : `, resource_metadata="${at}/.well-known/oauth-protected-resource"`}`,
      );
    }
    return reply.code(e.statusCode).send(e.toBody(req.id));
  };

  // RFC 9728: where an agent learns which authorization server issues tokens for this resource.
  // Documented only when the OIDC front door is on (otherwise it answers 404).
  app.get(
    '/.well-known/oauth-protected-resource',
    documented({ ...PROTECTED_RESOURCE_SCHEMA, hide: !deps.verifier.oidc }),
    async (req, reply) => {
      const oidc = deps.verifier.oidc;
      if (!oidc) return refuse(req, reply, new SplitplaneError('SP_ERR_NOT_FOUND'));
      const at = origin();
      if (at === undefined)
        return refuse(
          req,
          reply,
          new SplitplaneError('SP_ERR_CONFIG', { detail: 'no public origin for the protected-resource metadata' }),
        );
      return {
        resource: `${at}/mcp`,
        authorization_servers: [oidc.issuer],
        bearer_methods_supported: ['header'],
        resource_name: 'splitplane',
      };
    },
  );

  // Streamable HTTP lets a server refuse GET (no server-sent event stream) and DELETE (no session) with 405.
  app.route({
    method: ['GET', 'DELETE'],
    url: '/mcp',
    schema: { hide: true },
    handler: async (req, reply) => {
      req.log.info(
        { requestId: req.id, method: req.method, path: '/mcp', clientAddress: req.ip },
        'refused before identity: method not allowed',
      );
      return reply
        .code(405)
        .header('allow', 'POST')
        .send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
    },
  });

  app.post('/mcp', documented(MCP_SCHEMA), async (req, reply) => {
    const retry = limits.failures.blocked(req);
    if (retry !== undefined) return refuseUnaudited(req, reply, limits.metrics, 'SP_ERR_RATE_LIMITED', retry);
    // The door: one audited event for a caller refused here, as /v1/ask records a refused signature.
    const door = new RequestTrace(req.id, { verified: false }, { url: '/mcp', clientAddress: req.ip });
    let caller: Caller;
    let message: unknown;
    try {
      caller = await door.stage('identity', () => verifyCaller(received(req), deps.verifier));
      message = parseMessage(req.body);
    } catch (err) {
      const e = asSplitplaneError(err);
      if (e.statusCode === 401) await limits.failures.record(req);
      const refused = await auditedRefusal(door, deps, e);
      return refuse(
        req,
        reply,
        refused.statusCode === e.statusCode ? e : new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE'),
      );
    }
    const server = new McpServer(
      { name: 'splitplane', version: o.version },
      { capabilities: { tools: { listChanged: false } } },
    );
    const bind = () => registeredIdentity(deps.directory(), caller.ids, caller.door);

    server.registerTool(
      'ask',
      {
        description:
          'Ask an analytics question in plain English. The answer is computed only from rows the signed-in person may see.',
        inputSchema: { question: z.string().min(1).max(2_000), conversationId: z.uuid().optional() },
      },
      async ({ question, conversationId }) => {
        const result = await runAsk(received(req), randomUUID(), deps, {
          identify: () => ({ identity: bind(), question, ...(conversationId ? { conversationId } : {}) }),
          limit: (identity) => limits.check(req, identity),
          facts: { tool: 'ask' },
        });
        return toolResult(result.body, result.statusCode !== 200);
      },
    );

    /** A tool other than ask: one audited request (src/pipeline/tools.ts) handed to the SDK as its result. */
    const toolCaller = { bind, limit: (identity: Identity) => limits.check(req, identity), clientAddress: req.ip };
    const tool =
      <A>(name: string, run: (args: A) => Parameters<typeof callTool>[3]) =>
      async (args: A) => {
        const out = await callTool(name, toolCaller, deps, run(args));
        return toolResult(out.body, out.isError);
      };
    server.registerTool(
      'list_metrics',
      { description: "The catalog's metrics and dimensions: what can be asked." },
      tool('list_metrics', () => listMetrics(deps)),
    );
    server.registerTool(
      'describe_data',
      {
        description:
          'The tables and columns the signed-in person may query (their own sandbox), with types and descriptions.',
      },
      tool('describe_data', () => describeData(deps)),
    );
    if (o.runQuery) {
      server.registerTool(
        'run_query',
        {
          description:
            "Run one read-only SELECT over the signed-in person's own tables (see describe_data). It is checked by the same guard as generated SQL and runs with a row cap and a time limit; anything else is refused with a stable code. At most 8,000 characters (the guard refuses longer SQL with SP_ERR_GUARD_TOO_LONG), in a request of at most the server's body limit (16 KiB by default).",
          // The declared maximum is the guard's. Longer SQL is not refused by the schema: it reaches the
          // guard, so its refusal is rate-limited and audited with the guard's code like any other.
          inputSchema: { sql: z.string().min(1).meta({ maxLength: GUARD_LIMITS.maxLength }) },
        },
        tool('run_query', ({ sql }: { sql: string }) => runQuery(deps, sql)),
      );
    }
    // registerTool declares `tools: { listChanged: true }`; the tool list never changes, so say so.
    server.server.registerCapabilities({ tools: { listChanged: false } });
    // No sessionIdGenerator: stateless, every request stands on its own token or signature.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, message);
    return reply;
  });
};

function toolResult(body: object, isError: boolean) {
  return { content: [{ type: 'text' as const, text: JSON.stringify(body) }], isError };
}

/** The body as one JSON-RPC message (the raw bytes were what the signature covered); a batch is refused. */
function parseMessage(body: unknown): unknown {
  let message: unknown;
  try {
    message = JSON.parse((body as Buffer).toString('utf8')) as unknown;
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { cause });
  }
  // One call per request, so every call meets the rate limits before it starts (MCP has had no batches since 2025-06-18).
  if (Array.isArray(message))
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { detail: `a JSON-RPC batch of ${message.length} messages` });
  return message;
}

/**
 * The origin this service writes into answers: the configured one; when that names port 0 (demo mode
 * listening on a port the system picks), or none was given, the address the server listens on;
 * undefined when there is neither. Never anything a request says.
 */
function serviceOrigin(app: FastifyInstance, configured: string | undefined): string | undefined {
  const url = configured === undefined ? undefined : new URL(configured);
  if (url !== undefined && url.port !== '0') return configured;
  const listening = app.server.address();
  if (listening === null || typeof listening === 'string') return undefined;
  const { address, port } = listening;
  const scheme = url ? url.protocol.slice(0, -1) : app.initialConfig.https ? 'https' : 'http';
  return `${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

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
 * door is enabled, and a refused call's WWW-Authenticate points at it.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RequestTrace } from '../../audit/trace.js';
import { asSplitplaneError, SplitplaneError } from '../../errors.js';
import { registeredIdentity, verifiedIdentity, verifyCaller, type Caller, type Identity } from '../../identity/identity.js';
import type { Metrics } from '../../observability/metrics.js';
import { runAsk, type PipelineDeps } from '../../pipeline.js';
import { describeCause } from '../../pipeline/checks.js';
import { guardExecute, locationsInScope, scopeAndSandbox } from '../../pipeline/sql.js';
import { describeSandbox } from '../../sandbox/sandbox.js';
import { publicMetrics } from '../../semantic/catalog.js';
import type { AddressFailures, LimitCheck } from '../rate-limit.js';
import { received, refuseUnaudited } from './received.js';

export interface McpOptions {
  /** Serve the run_query tool (off unless configured). */
  readonly runQuery: boolean;
  readonly version: string;
}

type Limits = { readonly check: LimitCheck; readonly failures: AddressFailures; readonly metrics: Metrics };

export function mcpRoute(app: FastifyInstance, deps: PipelineDeps, limits: Limits, o: McpOptions): void {
  // RFC 9728: where an agent learns which authorization server issues tokens for this resource.
  app.get('/.well-known/oauth-protected-resource', { schema: { hide: true } }, async (req, reply) => {
    const oidc = deps.verifier.oidc;
    if (!oidc) return refuse(req, reply, deps, new SplitplaneError('SP_ERR_NOT_FOUND'));
    return { resource: `${origin(req)}/mcp`, authorization_servers: [oidc.issuer], bearer_methods_supported: ['header'], resource_name: 'splitplane' };
  });

  app.post('/mcp', { schema: { hide: true } }, async (req, reply) => {
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
      const recorded = await door.finish({ statusCode: e.statusCode, body: e.toBody(req.id) }, deps.audit, (cause) => deps.log('audit write failed', { requestId: req.id, cause: describeCause(cause) }));
      return refuse(req, reply, deps, recorded.statusCode === e.statusCode ? e : new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE'));
    }
    const server = new McpServer({ name: 'splitplane', version: o.version });
    const bind = () => registeredIdentity(deps.directory(), caller.ids, caller.door);

    server.registerTool(
      'ask',
      {
        description: 'Ask an analytics question in plain English. The answer is computed only from rows the signed-in person may see.',
        inputSchema: { question: z.string().min(1).max(2_000), conversationId: z.string().uuid().optional() },
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

    /** A tool other than ask: the registered admin, the rate limits, then `run`; one audit event with the tool's name. */
    const tool = <A>(name: string, run: (args: A, identity: Identity, trace: RequestTrace) => Promise<object>) => async (args: A) => {
      const trace = new RequestTrace(randomUUID(), { verified: false }, { url: '/mcp', clientAddress: req.ip });
      trace.note({ tool: name });
      let out: object;
      let statusCode = 200;
      try {
        const identity = await trace.stage('identity', bind);
        trace.note({ identity: verifiedIdentity(identity) });
        await trace.stage('limits', () => limits.check(req, identity));
        out = await run(args, identity, trace);
      } catch (err) {
        const e = asSplitplaneError(err);
        statusCode = e.statusCode;
        out = e.toBody(trace.requestId);
        if (statusCode >= 500) deps.log('tool failed', { requestId: trace.requestId, tool: name, code: e.code, detail: e.message });
      }
      const recorded = await trace.finish({ statusCode, body: statusCode === 200 ? { status: 'answered' } : out }, deps.audit, (cause) => deps.log('audit write failed', { requestId: trace.requestId, cause: describeCause(cause) }));
      const failed = recorded.statusCode !== 200;
      return toolResult(failed && statusCode === 200 ? recorded.body : out, failed);
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
      tool('describe_data', async (_args, identity, trace) => describeSandbox((await scopeAndSandbox(identity, deps, trace, deadline(deps))).sandbox)),
    );
    if (o.runQuery) {
      server.registerTool(
        'run_query',
        {
          description:
            "Run one read-only SELECT over the signed-in person's own tables (see describe_data). It is checked by the same guard as generated SQL and runs with a row cap and a time limit; anything else is refused with a stable code.",
          inputSchema: { sql: z.string().min(1).max(100_000) },
        },
        tool('run_query', async ({ sql }: { sql: string }, identity, trace) => {
          const signal = deadline(deps);
          const { scope, sandbox } = await scopeAndSandbox(identity, deps, trace, signal);
          trace.note({ generator: 'agent' });
          const { guarded, rows } = await guardExecute(sql, { scope, sandbox, deps, trace, signal });
          trace.note({ rowCount: rows.rows.length });
          return {
            requestId: trace.requestId,
            columns: rows.columns,
            rows: rows.rows,
            ...(rows.truncated ? { truncated: true } : {}),
            sql: guarded.candidate,
            scope: { businessId: scope.businessId, locations: await locationsInScope(scope, sandbox, deps, signal), tables: sandbox.tables.map((t) => t.name) },
          };
        }),
      );
    }
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
}

function toolResult(body: object, isError: boolean) {
  return { content: [{ type: 'text' as const, text: JSON.stringify(body) }], isError };
}

/** The body as JSON (the raw bytes were what the signature covered). */
function parseMessage(body: unknown): unknown {
  try {
    return JSON.parse((body as Buffer).toString('utf8')) as unknown;
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { cause });
  }
}

/** A tool call's deadline: the engine's own timeout, with room for the policy and the guard. */
function deadline(deps: PipelineDeps): AbortSignal {
  return AbortSignal.timeout(deps.limits.timeoutMs * 2 + 10_000);
}

function refuse(req: FastifyRequest, reply: FastifyReply, deps: PipelineDeps, e: SplitplaneError): FastifyReply {
  if (e.statusCode === 401) {
    const metadata = deps.verifier.oidc ? `, resource_metadata="${origin(req)}/.well-known/oauth-protected-resource"` : '';
    void reply.header('www-authenticate', `Bearer realm="splitplane"${metadata}`);
  }
  return reply.code(e.statusCode).send(e.toBody(req.id));
}

/** This service's origin as the caller reached it. */
function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

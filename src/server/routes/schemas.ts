/**
 * The HTTP API as JSON Schema, for the OpenAPI document (/openapi.json, @fastify/swagger) that
 * client teams generate clients from. The signed routes read their raw bytes (the signature covers
 * them) with their own strict parsers, so these schemas document and never validate or reshape:
 * the routes that carry them turn Fastify's validation and response serialisation off.
 */
import type { RouteShorthandOptions } from 'fastify';

const ID = { type: 'string', pattern: '^[1-9][0-9]{0,17}$', description: 'A decimal ID, as a string.' } as const;

export const ERROR_BODY = {
  type: 'object',
  description: 'Every error: a stable code (docs/errors.md), a generic message, the request id.',
  required: ['statusCode', 'code', 'error', 'message', 'requestId'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', pattern: '^SP_ERR_' },
    error: { type: 'string' },
    message: { type: 'string' },
    reason: {
      type: 'string',
      description:
        "which part was refused, in the catalog's words (a policy denial of what a measure or breakdown needs)",
    },
    requestId: { type: 'string', format: 'uuid' },
  },
} as const;

const errors = Object.fromEntries(
  [400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 504].map((s) => [
    s,
    { ...ERROR_BODY, description: `Error (${s}): see docs/errors.md` },
  ]),
);

const signed = [{ sigv4: [] }, { oidc: [] }];

export const ASK_SCHEMA = {
  operationId: 'ask',
  summary: 'Ask a question in plain English',
  description:
    'Answered only from rows the verified caller may see. Signed with SigV4 over the raw body, or a bearer token when the deployment enables OIDC.',
  security: signed,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['tenantId', 'businessId', 'adminId', 'question'],
    properties: {
      tenantId: ID,
      businessId: ID,
      adminId: ID,
      question: { type: 'string', minLength: 1, maxLength: 2000 },
      conversationId: { type: 'string', format: 'uuid' },
    },
  },
  response: {
    200: {
      type: 'object',
      description: 'An answer, a clarifying question (with choices) or the list of supported metrics.',
      required: ['requestId', 'conversationId', 'status', 'answer', 'columns', 'rows', 'sql', 'scope'],
      properties: {
        requestId: { type: 'string', format: 'uuid' },
        conversationId: { type: 'string', format: 'uuid' },
        status: { type: 'string', enum: ['answered', 'clarification', 'unsupported'] },
        answer: { type: 'string' },
        headline: { type: ['string', 'null'] },
        interpretation: { type: 'object', properties: { text: { type: 'string' } } },
        columns: {
          type: 'array',
          description:
            'name and type as the SQL returned them; for catalog answers also label (from the catalog) and format (currency, integer, decimal, percent, day, week, month, quarter, year, weekday, date, text)',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              type: { type: 'string' },
              label: { type: 'string' },
              format: { type: 'string' },
            },
          },
        },
        rows: { type: 'array', items: { type: 'array', items: { type: ['string', 'number', 'boolean', 'null'] } } },
        sql: { type: ['string', 'null'] },
        // The count of granted units is named by the catalog's grant unit (`locations` in the demo).
        scope: {
          type: ['object', 'null'],
          properties: { businessId: { type: 'string' }, tables: { type: 'array', items: { type: 'string' } } },
          additionalProperties: { type: 'integer' },
        },
        truncated: { type: 'boolean' },
        notes: { type: 'array', items: { type: 'string' } },
        unplaced: { type: 'array', items: { type: 'string' } },
        choices: {
          type: 'array',
          items: { type: 'object', properties: { label: { type: 'string' }, question: { type: 'string' } } },
        },
        metrics: {
          type: 'array',
          items: {
            type: 'object',
            properties: { id: { type: 'string' }, label: { type: 'string' }, description: { type: 'string' } },
          },
        },
        provenance: {
          type: 'string',
          enum: ['catalog', 'model', 'benchmark'],
          description:
            "compiled from the semantic catalog, SQL a language model wrote over the caller's sandbox, or the peer benchmark compiler",
        },
        benchmark: {
          type: 'object',
          description: 'a comparison with peers: per measure and group, released figures or the reason none is shown',
          properties: {
            month: { type: 'string' },
            k: { type: 'integer' },
            groups: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  measure: { type: 'string' },
                  label: { type: 'string' },
                  format: { type: 'string' },
                  group: { type: 'string' },
                  released: { type: 'boolean' },
                  reason: { type: 'string' },
                  band: { type: 'string' },
                  yourValue: { type: 'number' },
                  peerAverage: { type: 'number' },
                  peerMedian: { type: 'number' },
                  yourPercentile: { type: 'number' },
                },
              },
            },
          },
        },
        remembered: {
          type: 'array',
          description: 'words read with the meaning this person chose before ("forget my choices" clears them)',
          items: {
            type: 'object',
            properties: { term: { type: 'string' }, metric: { type: 'string' }, label: { type: 'string' } },
          },
        },
      },
    },
    ...errors,
  },
} as const;

export const FEEDBACK_SCHEMA = {
  operationId: 'sendFeedback',
  summary: "Rate one's own answer",
  security: signed,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['tenantId', 'businessId', 'adminId', 'requestId', 'rating'],
    properties: {
      tenantId: ID,
      businessId: ID,
      adminId: ID,
      requestId: { type: 'string', format: 'uuid' },
      rating: { type: 'string', enum: ['up', 'down'] },
      comment: { type: 'string', maxLength: 500 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['requestId', 'status'],
      properties: { requestId: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: ['recorded'] } },
    },
    ...errors,
  },
} as const;

export const HEALTHZ_SCHEMA = {
  operationId: 'getHealth',
  summary: 'The process answers',
  response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
} as const;
export const READYZ_SCHEMA = {
  operationId: 'getReadiness',
  summary: 'Every dependency the request path needs answers',
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'failed', 'timeout'] } },
      },
    },
    503: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'failed', 'timeout'] } },
      },
    },
  },
} as const;
export const METRICS_SCHEMA = {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics (text exposition format)',
  produces: ['text/plain'],
} as const;

/** A JSON-RPC 2.0 error, as the MCP transport answers a message it cannot take. */
const JSON_RPC_ERROR = {
  type: 'object',
  description: 'A JSON-RPC 2.0 error response.',
  required: ['jsonrpc', 'error'],
  properties: {
    jsonrpc: { type: 'string', enum: ['2.0'] },
    id: { type: ['string', 'integer', 'null'] },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'integer' }, message: { type: 'string' }, data: {} },
    },
  },
} as const;

export const MCP_SCHEMA = {
  operationId: 'mcp',
  summary: 'Model Context Protocol endpoint for agents (Streamable HTTP, stateless, JSON responses)',
  description:
    'One JSON-RPC 2.0 message per request (initialize, tools/list, tools/call, notifications); a batch (a JSON array) is refused with SP_ERR_BAD_REQUEST. ' +
    'Send `Accept: application/json, text/event-stream`. Tools: ask, list_metrics, describe_data and, when mcp.runQuery is set, run_query; each call is bound to a registered admin, rate-limited and audited. ' +
    'Authenticated by a bearer token (when oidc.enabled; a 401 names the protected-resource metadata in WWW-Authenticate) or a SigV4 signature covering x-splitplane-tenant-id, x-splitplane-business-id and x-splitplane-admin-id. GET and DELETE answer 405 (Allow: POST).',
  security: signed,
  body: {
    type: 'object',
    description: 'One JSON-RPC 2.0 request or notification (MCP).',
    required: ['jsonrpc', 'method'],
    properties: {
      jsonrpc: { type: 'string', enum: ['2.0'] },
      id: { type: ['string', 'integer'] },
      method: { type: 'string' },
      params: { type: 'object' },
    },
  },
  response: {
    200: {
      type: 'object',
      description:
        'The JSON-RPC response; a refused tool call is a result with isError and the stable error body as its text.',
      required: ['jsonrpc'],
      properties: {
        jsonrpc: { type: 'string', enum: ['2.0'] },
        id: { type: ['string', 'integer'] },
        result: { type: 'object' },
        error: JSON_RPC_ERROR.properties.error,
      },
    },
    202: { type: 'null', description: 'A notification was accepted (no body).' },
    ...errors,
    400: {
      description: 'Error (400): SP_ERR_BAD_REQUEST (not JSON, or a batch), or a JSON-RPC error from the MCP transport',
      anyOf: [ERROR_BODY, JSON_RPC_ERROR],
    },
    406: {
      ...JSON_RPC_ERROR,
      description: 'The Accept header does not name both application/json and text/event-stream.',
    },
  },
} as const;

export const PROTECTED_RESOURCE_SCHEMA = {
  operationId: 'getProtectedResourceMetadata',
  summary: 'OAuth protected-resource metadata for /mcp (RFC 9728)',
  description:
    'Which authorization server issues tokens for the MCP endpoint. Served when oidc.enabled; `resource` is written from server.publicOrigin, never from the request.',
  response: {
    200: {
      type: 'object',
      required: ['resource', 'authorization_servers'],
      properties: {
        resource: { type: 'string', format: 'uri' },
        authorization_servers: { type: 'array', items: { type: 'string', format: 'uri' } },
        bearer_methods_supported: { type: 'array', items: { type: 'string', enum: ['header'] } },
        resource_name: { type: 'string' },
      },
    },
    404: { ...ERROR_BODY, description: 'Error (404): the OIDC front door is not enabled' },
  },
} as const;

/** Route options that document with `schema` but neither validate nor reshape. */
export function documented(schema: object): RouteShorthandOptions {
  return {
    schema: schema,
    validatorCompiler: () => () => true,
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
  };
}

/** The document's frame: the API, its two ways to authenticate. */
export const OPENAPI = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'splitplane',
      description:
        'Plain-English analytics over a shared warehouse, each answer computed only from rows the asker may see.',
      version: '0.1.0',
    },
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'AWS Signature Version 4 over the raw body (service and region from signing.*); x-amz-date and x-amz-content-sha256 signed.',
        },
        oidc: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT from the configured OIDC issuer, when oidc.enabled.',
        },
      },
    },
  },
} as const;

/**
 * A fetch for the MCP SDK's StreamableHTTPClientTransport that signs every request with SigV4, for a
 * back end whose agent acts for one person: the three ID headers (the JSON-RPC body carries no IDs)
 * and a nonce are signed with the body, so each request verifies once and names whom it acts for.
 *
 *   new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { fetch: sigv4McpFetch({ ...key, ids }) })
 */
import { randomUUID } from 'node:crypto';
import { ID_HEADERS } from '../identity/identity.js';
import { signRequest } from './sign.js';

export interface McpSigningOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region?: string;
  readonly service?: string;
  /** The person the agent acts for. */
  readonly ids: { readonly tenantId: string; readonly businessId: string; readonly adminId: string };
}

export function sigv4McpFetch(o: McpSigningOptions, base: typeof fetch = fetch): typeof fetch {
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string')
      throw new TypeError('sigv4McpFetch signs string bodies only');
    const signed = await signRequest({
      url,
      body: init.body ?? '',
      method: init.method ?? 'GET',
      accessKeyId: o.accessKeyId,
      secretAccessKey: o.secretAccessKey,
      ...(o.region ? { region: o.region } : {}),
      ...(o.service ? { service: o.service } : {}),
      extraHeaders: {
        [ID_HEADERS.tenantId]: o.ids.tenantId,
        [ID_HEADERS.businessId]: o.ids.businessId,
        [ID_HEADERS.adminId]: o.ids.adminId,
        'x-splitplane-nonce': randomUUID(),
      },
    });
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(signed)) headers.set(k, v);
    return base(url, { ...init, headers });
  };
}

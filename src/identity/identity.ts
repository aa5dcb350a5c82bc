/**
 * Layer 1: who is asking. Verifies the SigV4 signature over the raw request
 * (or, when the OIDC front door is enabled, a bearer token: oidc.ts), then
 * parses the body and binds (tenant, business, admin) to a registered admin
 * that the signing credential may act for (or that the token names). Nothing after this stage
 * reads the IDs from anywhere but the Identity it returns.
 */
import type { AuditEvent } from '../audit/audit.js';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { parseAskBody } from './ask-body.js';
import { mayActFor } from './credentials.js';
import type { Directory } from './directory.js';
import type { TokenIdentity } from './oidc.js';
import { verifySigV4, type ReceivedRequest, type VerifierOptions } from './sigv4.js';

/** The verified identity every later stage works from. */
export interface Identity {
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  readonly role: string;
  /** The SigV4 access key that signed (empty for a bearer token). */
  readonly accessKeyId: string;
  /** Which front door verified the caller (absent for identities made in process: probes, tools). */
  readonly frontDoor?: 'sigv4' | 'oidc';
  /** For a bearer token: the issuer and subject it was issued to. */
  readonly token?: { readonly issuer: string; readonly subject: string };
  /** The composite session key: tenant/business/admin. */
  readonly sessionKey: string;
}

/** The output of layer 1. */
export interface IdentityResult {
  readonly identity: Identity;
  readonly question: string;
  readonly conversationId?: string;
}

/** Verify the request and resolve the principal; throws with a stable code on any failure. */
export async function authenticate(
  req: ReceivedRequest,
  verifier: VerifierOptions,
  directory: Directory,
): Promise<IdentityResult> {
  const { identity, body } = await authenticateWith(req, verifier, directory, parseAskBody);
  return { identity, question: body.question, ...(body.conversationId ? { conversationId: body.conversationId } : {}) };
}

/**
 * Layer 1 for any signed route: the signature first, then the route's own strict body parser,
 * then the (tenant, business, admin) in that body bound to a registered admin.
 */
export async function authenticateWith<
  B extends { readonly tenantId: string; readonly businessId: string; readonly adminId: string },
>(
  req: ReceivedRequest,
  verifier: VerifierOptions,
  directory: Directory,
  parse: (raw: Buffer) => B,
): Promise<{ identity: Identity; body: B }> {
  const bearer = bearerToken(req.headers);
  let caller: Door;
  let body: B;
  if (bearer !== undefined && verifier.oidc) {
    const token = await verifier.oidc.verify(bearer);
    body = parse(req.body);
    // The token says who is asking; the body may only repeat it.
    if (body.tenantId !== token.tenantId || body.businessId !== token.businessId || body.adminId !== token.adminId) {
      throw new SplitplaneError('SP_ERR_TOKEN_IDENTITY_MISMATCH');
    }
    caller = { frontDoor: 'oidc', token };
  } else {
    const signed = await verifySigV4(req, verifier);
    body = parse(req.body);
    if (!mayActFor(signed.credential, body.tenantId)) throw new SplitplaneError('SP_ERR_TENANT_NOT_ALLOWED');
    caller = { frontDoor: 'sigv4', accessKeyId: signed.credential.accessKeyId };
  }
  return { identity: registeredIdentity(directory, body, caller), body };
}

/** How a caller was verified, and by whom (the access key, or the token's issuer and subject). */
export type Door =
  | { readonly frontDoor: 'sigv4'; readonly accessKeyId: string }
  | { readonly frontDoor: 'oidc'; readonly token: TokenIdentity };

/** A caller verified at the door of a route whose body does not carry the IDs (MCP): who, and how. */
export interface Caller {
  readonly ids: { readonly tenantId: string; readonly businessId: string; readonly adminId: string };
  readonly door: Door;
}

/** The signed headers that carry the IDs of a SigV4 caller on such a route. */
export const ID_HEADERS = {
  tenantId: 'x-splitplane-tenant-id',
  businessId: 'x-splitplane-business-id',
  adminId: 'x-splitplane-admin-id',
} as const;

/**
 * Layer 1 at the door of such a route: a bearer token (when the OIDC front door is enabled) names
 * the IDs in its claims; a SigV4 signature must cover the three ID headers, and its credential must
 * be allowed the tenant. Binding to a registered admin is left to each call (`registeredIdentity`),
 * so an admin deactivated between two calls of one session is refused at the second.
 */
export async function verifyCaller(req: ReceivedRequest, verifier: VerifierOptions): Promise<Caller> {
  const bearer = bearerToken(req.headers);
  if (bearer !== undefined && verifier.oidc) {
    const token = await verifier.oidc.verify(bearer);
    return {
      ids: { tenantId: token.tenantId, businessId: token.businessId, adminId: token.adminId },
      door: { frontDoor: 'oidc', token },
    };
  }
  const signed = await verifySigV4(req, verifier);
  const header = (name: string): string => {
    const v = req.headers[name];
    if (!signed.signedHeaders.includes(name) || typeof v !== 'string')
      throw new SplitplaneError('SP_ERR_ID_HEADERS', { detail: `${name} missing or not signed` });
    if (!ID_PATTERN.test(v)) throw new SplitplaneError('SP_ERR_ID_FORMAT', { detail: name });
    return v;
  };
  const ids = {
    tenantId: header(ID_HEADERS.tenantId),
    businessId: header(ID_HEADERS.businessId),
    adminId: header(ID_HEADERS.adminId),
  };
  if (!mayActFor(signed.credential, ids.tenantId)) throw new SplitplaneError('SP_ERR_TENANT_NOT_ALLOWED');
  return { ids, door: { frontDoor: 'sigv4', accessKeyId: signed.credential.accessKeyId } };
}

/**
 * The (tenant, business, admin) a verified caller names, bound to a registered, active admin of that
 * business in that tenant; anything else is SP_ERR_UNKNOWN_PRINCIPAL.
 */
export function registeredIdentity(
  directory: Directory,
  ids: { readonly tenantId: string; readonly businessId: string; readonly adminId: string },
  caller: Door,
): Identity {
  const admin = directory.admins.get(ids.adminId);
  if (!admin || !admin.active || admin.tenantId !== ids.tenantId || admin.businessId !== ids.businessId) {
    throw new SplitplaneError('SP_ERR_UNKNOWN_PRINCIPAL');
  }
  return Object.freeze({
    tenantId: admin.tenantId,
    businessId: admin.businessId,
    adminId: admin.adminId,
    role: admin.role,
    accessKeyId: caller.frontDoor === 'sigv4' ? caller.accessKeyId : '',
    frontDoor: caller.frontDoor,
    ...(caller.frontDoor === 'oidc' ? { token: { issuer: caller.token.issuer, subject: caller.token.subject } } : {}),
    sessionKey: `${admin.tenantId}/${admin.businessId}/${admin.adminId}`,
  });
}

/** The token of `Authorization: Bearer <token>`, or undefined for any other header. */
export function bearerToken(headers: ReceivedRequest['headers']): string | undefined {
  const h = headers['authorization'];
  const v = Array.isArray(h) ? undefined : (h as string | undefined);
  const m = v === undefined ? null : /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(v);
  return m?.[1];
}

/** The verified identity as the audit event records it. */
export function verifiedIdentity(i: Identity): AuditEvent['identity'] {
  return {
    tenantId: i.tenantId,
    businessId: i.businessId,
    adminId: i.adminId,
    ...(i.token
      ? { frontDoor: 'oidc' as const, issuer: i.token.issuer, subject: i.token.subject }
      : { frontDoor: 'sigv4' as const, accessKeyId: i.accessKeyId }),
    verified: true,
  };
}

/**
 * Layer 1: who is asking. Verifies the SigV4 signature over the raw request,
 * then parses the body and binds (tenant, business, admin) to a registered
 * admin that the signing credential may act for. Nothing after this stage
 * reads the IDs from anywhere but the Identity it returns.
 */
import { SplitplaneError } from '../errors.js';
import { parseAskBody } from './ask-body.js';
import { mayActFor } from './credentials.js';
import type { Directory } from './directory.js';
import { verifySigV4, type ReceivedRequest, type VerifierOptions } from './sigv4.js';

/** The verified identity every later stage works from. */
export interface Identity {
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  readonly role: string;
  readonly accessKeyId: string;
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
export async function authenticateWith<B extends { readonly tenantId: string; readonly businessId: string; readonly adminId: string }>(
  req: ReceivedRequest,
  verifier: VerifierOptions,
  directory: Directory,
  parse: (raw: Buffer) => B,
): Promise<{ identity: Identity; body: B }> {
  const caller = await verifySigV4(req, verifier);
  const body = parse(req.body);
  if (!mayActFor(caller.credential, body.tenantId)) throw new SplitplaneError('SP_ERR_TENANT_NOT_ALLOWED');
  const admin = directory.admins.get(body.adminId);
  if (!admin || !admin.active || admin.tenantId !== body.tenantId || admin.businessId !== body.businessId) {
    throw new SplitplaneError('SP_ERR_UNKNOWN_PRINCIPAL');
  }
  const identity: Identity = Object.freeze({
    tenantId: admin.tenantId,
    businessId: admin.businessId,
    adminId: admin.adminId,
    role: admin.role,
    accessKeyId: caller.credential.accessKeyId,
    sessionKey: `${admin.tenantId}/${admin.businessId}/${admin.adminId}`,
  });
  return { identity, body };
}

/**
 * Layer 1's second front door: OIDC/JWT bearer tokens, verified with jose
 * against the identity provider's JWKS. The issuer and audience are pinned,
 * the algorithms allow-listed (asymmetric only: an HMAC "signed" with the
 * public key and `alg: none` never verify), expiry and not-before are
 * checked with a bounded skew, and configured claims name the tenant,
 * business and admin, which must then resolve to a registered admin exactly
 * as for SigV4 (identity.ts). Off unless `oidc.enabled`.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';

/** The asymmetric algorithms a deployment may allow. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface OidcOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly algorithms: readonly (typeof OIDC_ALGORITHMS)[number][];
  readonly clockToleranceSeconds: number;
  /** Claim names that carry the tenant, business and admin IDs (decimal strings). */
  readonly claims: { readonly tenant: string; readonly business: string; readonly admin: string };
}

/** Who a verified token says is asking. */
export interface TokenIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
}

export interface OidcVerifier {
  /** The pinned issuer (the resource's authorization server, for its metadata). */
  readonly issuer: string;
  verify(token: string): Promise<TokenIdentity>;
}

/** A verifier for one issuer; `keys` defaults to its JWKS, fetched and cached by jose. */
export function oidcVerifier(opts: OidcOptions, keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: 2_000, cooldownDuration: 30_000 })): OidcVerifier {
  return {
    issuer: opts.issuer,
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms: [...opts.algorithms],
          clockTolerance: opts.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (cause) {
        throw tokenError(cause);
      }
      const id = (name: string): string => {
        const v = payload[name];
        if (typeof v !== 'string' || !ID_PATTERN.test(v)) throw new SplitplaneError('SP_ERR_TOKEN_INVALID', { detail: `claim ${name} is not an ID` });
        return v;
      };
      return { issuer: opts.issuer, subject: String(payload.sub), tenantId: id(opts.claims.tenant), businessId: id(opts.claims.business), adminId: id(opts.claims.admin) };
    },
  };
}

function tokenError(cause: unknown): SplitplaneError {
  if (cause instanceof errors.JWTExpired) return new SplitplaneError('SP_ERR_TOKEN_EXPIRED', { cause });
  if (cause instanceof errors.JWKSTimeout || (cause instanceof errors.JOSEError && cause.code === 'ERR_JOSE_GENERIC' && /fetch|network/i.test(cause.message))) {
    return new SplitplaneError('SP_ERR_TOKEN_KEYS_UNAVAILABLE', { cause });
  }
  if (cause instanceof errors.JOSEError) return new SplitplaneError('SP_ERR_TOKEN_INVALID', { detail: cause.code, cause });
  // A JWKS that cannot be fetched surfaces as a plain error from fetch.
  if (cause instanceof TypeError) return new SplitplaneError('SP_ERR_TOKEN_KEYS_UNAVAILABLE', { cause });
  return new SplitplaneError('SP_ERR_TOKEN_INVALID', { cause });
}

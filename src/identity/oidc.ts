/**
 * Layer 1's second front door: OIDC/JWT bearer tokens, verified with jose
 * against the identity provider's JWKS. The issuer and audience are pinned,
 * the algorithms allow-listed (asymmetric only: an HMAC "signed" with the
 * public key and `alg: none` never verify), expiry and not-before are
 * checked with a bounded skew, the issue time (`iat`, required) may be
 * neither in the future nor older than `maxTokenAgeSeconds`, the subject must
 * be a non-blank string, and configured claims name the tenant, business and
 * admin, which must then resolve to a registered admin exactly as for SigV4
 * (identity.ts). A key server that cannot be reached or answers anything but
 * a key set is SP_ERR_TOKEN_KEYS_UNAVAILABLE (503), never a refused token.
 * Off unless `oidc.enabled`.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';

/** The asymmetric algorithms a deployment may allow. */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export interface OidcOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly algorithms: readonly (typeof OIDC_ALGORITHMS)[number][];
  readonly clockToleranceSeconds: number;
  /** A token issued (`iat`) longer ago than this is refused whatever its `exp` says; `iat` is then required. */
  readonly maxTokenAgeSeconds: number;
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
export function oidcVerifier(
  opts: OidcOptions,
  keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(opts.jwksUrl), {
    timeoutDuration: 2_000,
    cooldownDuration: 30_000,
  }),
): OidcVerifier {
  const getKey = keysOrUnavailable(keys);
  return {
    issuer: opts.issuer,
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms: [...opts.algorithms],
          clockTolerance: opts.clockToleranceSeconds,
          // With maxTokenAge jose also refuses an `iat` later than now + clockTolerance.
          maxTokenAge: opts.maxTokenAgeSeconds,
          requiredClaims: ['exp', 'iat', 'sub'],
        }));
      } catch (cause) {
        throw tokenError(cause);
      }
      // The subject names the person in the audit trail: an empty or blank one names nobody.
      if (typeof payload.sub !== 'string' || payload.sub.trim() === '')
        throw new SplitplaneError('SP_ERR_TOKEN_INVALID', { detail: 'claim sub is empty' });
      const id = (name: string): string => {
        const v = payload[name];
        if (typeof v !== 'string' || !ID_PATTERN.test(v))
          throw new SplitplaneError('SP_ERR_TOKEN_INVALID', { detail: `claim ${name} is not an ID` });
        return v;
      };
      return {
        issuer: opts.issuer,
        subject: payload.sub,
        tenantId: id(opts.claims.tenant),
        businessId: id(opts.claims.business),
        adminId: id(opts.claims.admin),
      };
    },
  };
}

/**
 * The key lookup, with the key server's failures told apart from the token's: a token whose `kid`
 * or `alg` no key in the set matches is the token's fault (it stays a jose error, so 401); anything
 * else on the way to a key (unreachable, a timeout, an HTTP status other than 200, a body that is
 * not a key set, a key that cannot be imported) is the key server's, so 503.
 */
function keysOrUnavailable(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (cause) {
      if (
        cause instanceof errors.JWKSNoMatchingKey ||
        cause instanceof errors.JWKSMultipleMatchingKeys ||
        cause instanceof errors.JOSENotSupported
      )
        throw cause;
      throw new SplitplaneError('SP_ERR_TOKEN_KEYS_UNAVAILABLE', {
        detail: cause instanceof Error ? cause.message : 'key lookup failed',
        cause,
      });
    }
  };
}

function tokenError(cause: unknown): SplitplaneError {
  if (cause instanceof SplitplaneError) return cause;
  if (cause instanceof errors.JWTExpired)
    return new SplitplaneError('SP_ERR_TOKEN_EXPIRED', { detail: cause.claim, cause });
  if (cause instanceof errors.JOSEError)
    return new SplitplaneError('SP_ERR_TOKEN_INVALID', { detail: cause.code, cause });
  return new SplitplaneError('SP_ERR_TOKEN_INVALID', { cause });
}

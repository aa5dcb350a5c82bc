/** A local OIDC issuer for tests: an ES256 key made with jose, its JWKS served on loopback, and signed tokens. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';

export const ISSUER = 'https://idp.example.test/';
export const AUDIENCE = 'splitplane-api';

export type Who = { tenantId: string; businessId: string; adminId: string };

/** The ID claims of a person, as the default `oidc.claims` names them. */
export const claims = (w: Who) => ({ tenant_id: w.tenantId, business_id: w.businessId, admin_id: w.adminId });

export interface LocalIssuer {
  readonly jwksUrl: string;
  /** A key server that answers every request with HTTP 500. */
  readonly failingJwksUrl: string;
  readonly key: CryptoKey;
  readonly publicJwk: JWK;
  /** `iat`: seconds since the epoch, or null for a token without one (default: now). */
  token(
    w: Who,
    o?: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number; sub?: string; iat?: number | null },
  ): Promise<string>;
  close(): void;
}

export async function startIssuer(): Promise<LocalIssuer> {
  const pair = await generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((req, res) =>
    req.url === '/failing/jwks'
      ? res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error')
      : res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const at = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    jwksUrl: `${at}/jwks`,
    failingJwksUrl: `${at}/failing/jwks`,
    key: pair.privateKey,
    publicJwk,
    token: (w, o = {}) => {
      const jwt = new SignJWT(claims(w))
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(o.iss ?? ISSUER)
        .setAudience(o.aud ?? AUDIENCE)
        .setSubject(o.sub ?? `user-${w.adminId}`)
        .setExpirationTime(o.exp ?? '5m');
      if (o.iat !== null) jwt.setIssuedAt(o.iat);
      return jwt.sign(o.key ?? pair.privateKey);
    },
    close: () => server.close(),
  };
}

/**
 * Tokens a door must refuse, each with the code it must answer: expired, another audience, another
 * issuer, a key not in the JWKS, unsigned, HMAC with the public key as secret, a claim changed after
 * signing, issued an hour in the future, issued longer ago than the default oidc.maxTokenAgeSeconds
 * (a day) though not expired, without an issue time, with an empty or a blank subject.
 */
export async function hostileTokens(
  issuer: LocalIssuer,
  w: Who,
): Promise<[name: string, make: () => Promise<string>, code: string][]> {
  const otherKey = (await generateKeyPair('ES256')).privateKey;
  return [
    ['expired', () => issuer.token(w, { exp: Math.floor(Date.now() / 1000) - 120 }), 'SP_ERR_TOKEN_EXPIRED'],
    ['for another audience', () => issuer.token(w, { aud: 'someone-else' }), 'SP_ERR_TOKEN_INVALID'],
    ['from another issuer', () => issuer.token(w, { iss: 'https://evil.example.test/' }), 'SP_ERR_TOKEN_INVALID'],
    ['signed by a key not in the JWKS', () => issuer.token(w, { key: otherKey }), 'SP_ERR_TOKEN_INVALID'],
    [
      'unsigned (alg: none)',
      async () =>
        new UnsecuredJWT(claims(w))
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('x')
          .setExpirationTime('5m')
          .encode(),
      'SP_ERR_TOKEN_INVALID',
    ],
    [
      'HMAC-signed with the public key (key confusion)',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk));
        return new SignJWT(claims(w))
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('x')
          .setExpirationTime('5m')
          .sign(secret);
      },
      'SP_ERR_TOKEN_INVALID',
    ],
    [
      'tampered (the admin claim changed after signing)',
      async () => {
        const [h, p, sig] = (await issuer.token(w)).split('.');
        const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
        return [h, Buffer.from(JSON.stringify({ ...payload, admin_id: '7001' })).toString('base64url'), sig].join('.');
      },
      'SP_ERR_TOKEN_INVALID',
    ],
    [
      'issued an hour in the future',
      () => issuer.token(w, { iat: now() + 3_600, exp: now() + 3_900 }),
      'SP_ERR_TOKEN_INVALID',
    ],
    [
      'issued two days ago, though its exp is still ahead',
      () => issuer.token(w, { iat: now() - 2 * 86_400, exp: now() + 300 }),
      'SP_ERR_TOKEN_EXPIRED',
    ],
    ['without an issue time (iat)', () => issuer.token(w, { iat: null }), 'SP_ERR_TOKEN_INVALID'],
    ['with an empty subject', () => issuer.token(w, { sub: '' }), 'SP_ERR_TOKEN_INVALID'],
    ['with a blank subject', () => issuer.token(w, { sub: ' \t ' }), 'SP_ERR_TOKEN_INVALID'],
  ];
}

const now = (): number => Math.floor(Date.now() / 1000);

/** A local OIDC issuer for tests: an ES256 key made with jose, its JWKS served on loopback, and signed tokens. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const ISSUER = 'https://idp.example.test/';
export const AUDIENCE = 'splitplane-api';

export type Who = { tenantId: string; businessId: string; adminId: string };

/** The ID claims of a person, as the default `oidc.claims` names them. */
export const claims = (w: Who) => ({ tenant_id: w.tenantId, business_id: w.businessId, admin_id: w.adminId });

export interface LocalIssuer {
  readonly jwksUrl: string;
  readonly key: CryptoKey;
  readonly publicJwk: JWK;
  token(w: Who, o?: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number; sub?: string }): Promise<string>;
  close(): void;
}

export async function startIssuer(): Promise<LocalIssuer> {
  const pair = await generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    key: pair.privateKey,
    publicJwk,
    token: (w, o = {}) =>
      new SignJWT(claims(w))
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(o.iss ?? ISSUER)
        .setAudience(o.aud ?? AUDIENCE)
        .setSubject(o.sub ?? `user-${w.adminId}`)
        .setIssuedAt()
        .setExpirationTime(o.exp ?? '5m')
        .sign(o.key ?? pair.privateKey),
    close: () => server.close(),
  };
}

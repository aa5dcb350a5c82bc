/**
 * The OIDC/JWT front door: tokens from a local issuer (keys made here with jose, JWKS served on
 * loopback), through the same layers as SigV4. Every refused token is refused before the policy
 * runs, with a stable code and WWW-Authenticate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRAND_MANAGER,
  FRANCHISE_OWNER,
  OTHER_TENANT_ADMIN,
  startTestService,
  type TestService,
} from '../support/harness.js';
import { AUDIENCE, hostileTokens, ISSUER, startIssuer, type LocalIssuer, type Who } from '../support/issuer.js';

const QUESTION = 'What was the total sales amount last week?';

// Started while the file is collected: the hostile-token cases are made from it.
const issuer: LocalIssuer = await startIssuer();
const HOSTILE_TOKENS = await hostileTokens(issuer, FRANCHISE_OWNER);
const OIDC = {
  enabled: true,
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUrl: issuer.jwksUrl,
  algorithms: ['ES256'],
  clockToleranceSeconds: 30,
};
let svc: TestService;
let plain: TestService;
/** Configured with a key server that answers every request with HTTP 500. */
let keyless: TestService;

beforeAll(async () => {
  svc = await startTestService({}, { oidc: OIDC });
  plain = await startTestService();
  keyless = await startTestService({}, { oidc: { ...OIDC, jwksUrl: issuer.failingJwksUrl } });
});
afterAll(async () => {
  await svc?.close();
  await plain?.close();
  await keyless?.close();
  issuer.close();
});

const now = (): number => Math.floor(Date.now() / 1000);

const token = (w: Who, o?: Parameters<LocalIssuer['token']>[1]) => issuer.token(w, o);

async function ask(s: TestService, bearer: string, body: Who, question = QUESTION) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/v1/ask',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    payload: JSON.stringify({ ...body, question }),
  });
  return {
    statusCode: res.statusCode,
    body: res.json<Record<string, unknown>>(),
    www: res.headers['www-authenticate'],
  };
}

describe('OIDC/JWT front door', () => {
  it('answers each person with their own number, and audits which door verified them', async () => {
    const mine = await ask(svc, await token(FRANCHISE_OWNER), FRANCHISE_OWNER);
    expect(mine.statusCode).toBe(200);
    expect(mine.body['answer']).toContain('$84,000.00');
    const chain = await ask(svc, await token(BRAND_MANAGER), BRAND_MANAGER);
    expect(chain.body['answer']).toContain('$9,200,000.00');
    const event = svc.auditEvents().find((e) => e.requestId === mine.body['requestId']);
    expect(event?.identity).toMatchObject({
      ...FRANCHISE_OWNER,
      frontDoor: 'oidc',
      issuer: ISSUER,
      subject: 'user-7042',
      verified: true,
    });
  });

  it("never lets a token for another tenant's admin reach 628's rows: the body may only repeat the token", async () => {
    const theirs = await token(OTHER_TENANT_ADMIN);
    const crossed = await ask(svc, theirs, FRANCHISE_OWNER);
    expect(crossed).toMatchObject({ statusCode: 403, body: { code: 'SP_ERR_TOKEN_IDENTITY_MISMATCH' } });
    const event = svc.auditEvents().find((e) => e.requestId === crossed.body['requestId']);
    expect(event?.layers).toEqual({ identity: 'SP_ERR_TOKEN_IDENTITY_MISMATCH' });
    // Their own question is answered over their own business only.
    const own = await ask(svc, theirs, OTHER_TENANT_ADMIN);
    expect(own.statusCode).toBe(200);
    expect(own.body['scope']).toMatchObject({ businessId: '544' });
    expect(JSON.stringify(own.body)).not.toContain('84,000.00');
  });

  it('refuses an admin the token names but the directory does not register', async () => {
    const ghost = { tenantId: '12', businessId: '628', adminId: '5401' };
    expect(await ask(svc, await token(ghost), ghost)).toMatchObject({
      statusCode: 403,
      body: { code: 'SP_ERR_UNKNOWN_PRINCIPAL' },
    });
  });

  it.each(HOSTILE_TOKENS)(
    'refuses a token %s, before the policy runs, with WWW-Authenticate',
    async (_name, make, code) => {
      const before = svc.auditEvents().length;
      const res = await ask(svc, await make(), FRANCHISE_OWNER);
      expect(res).toMatchObject({ statusCode: 401, body: { code } });
      expect(res.www).toBe('Bearer realm="splitplane", error="invalid_token"');
      expect(JSON.stringify(res.body)).not.toContain('84,000');
      const event = svc
        .auditEvents()
        .slice(before)
        .find((e) => e.requestId === res.body['requestId']);
      expect(event?.layers).toEqual({ identity: code });
    },
  );

  it('bounds the issue time: within the clock tolerance of now, and younger than oidc.maxTokenAgeSeconds', async () => {
    const at = async (iat: number) =>
      (await ask(svc, await token(FRANCHISE_OWNER, { iat, exp: iat + 600 }), FRANCHISE_OWNER)).statusCode;
    // clockToleranceSeconds is 30 here; maxTokenAgeSeconds is the default, a day.
    expect(await at(now() + 10)).toBe(200);
    expect(
      await ask(svc, await token(FRANCHISE_OWNER, { iat: now() + 120, exp: now() + 600 }), FRANCHISE_OWNER),
    ).toMatchObject({ statusCode: 401, body: { code: 'SP_ERR_TOKEN_INVALID' } });
    expect(
      (await ask(svc, await token(FRANCHISE_OWNER, { iat: now() - 86_400 + 120, exp: now() + 300 }), FRANCHISE_OWNER))
        .statusCode,
    ).toBe(200);
    expect(
      await ask(svc, await token(FRANCHISE_OWNER, { iat: now() - 86_400 - 120, exp: now() + 300 }), FRANCHISE_OWNER),
    ).toMatchObject({ statusCode: 401, body: { code: 'SP_ERR_TOKEN_EXPIRED' } });
  });

  it("names the token's own subject in the audit event, and refuses a blank one instead of auditing nobody", async () => {
    const named = await ask(svc, await token(FRANCHISE_OWNER, { sub: 'alice@example.test' }), FRANCHISE_OWNER);
    expect(named.statusCode).toBe(200);
    expect(svc.auditEvents().find((e) => e.requestId === named.body['requestId'])?.identity).toMatchObject({
      subject: 'alice@example.test',
    });
    for (const sub of ['', ' ', '\t\n']) {
      const res = await ask(svc, await token(FRANCHISE_OWNER, { sub }), FRANCHISE_OWNER);
      expect(res, JSON.stringify(sub)).toMatchObject({ statusCode: 401, body: { code: 'SP_ERR_TOKEN_INVALID' } });
      expect(svc.auditEvents().find((e) => e.requestId === res.body['requestId'])?.layers).toEqual({
        identity: 'SP_ERR_TOKEN_INVALID',
      });
    }
  });

  it('answers 503 SP_ERR_TOKEN_KEYS_UNAVAILABLE, not a refused token, when the key server answers HTTP 500', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await ask(keyless, await token(FRANCHISE_OWNER), FRANCHISE_OWNER);
      expect(res).toMatchObject({ statusCode: 503, body: { code: 'SP_ERR_TOKEN_KEYS_UNAVAILABLE' } });
      expect(res.www).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain('84,000');
      expect(keyless.auditEvents().find((e) => e.requestId === res.body['requestId'])?.layers).toEqual({
        identity: 'SP_ERR_TOKEN_KEYS_UNAVAILABLE',
      });
    }
    // SigV4 beside it is untouched by the identity provider's outage.
    const { ask: signedAsk } = await import('../support/harness.js');
    expect((await signedAsk(keyless.app, FRANCHISE_OWNER, QUESTION)).statusCode).toBe(200);
  });

  it("rates an answer on /v1/feedback with the same token, and refuses another person's token for it", async () => {
    const answered = await ask(svc, await token(FRANCHISE_OWNER), FRANCHISE_OWNER);
    const rate = async (bearer: string, who: Who) =>
      svc.app.inject({
        method: 'POST',
        url: '/v1/feedback',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        payload: JSON.stringify({ ...who, requestId: answered.body['requestId'], rating: 'up' }),
      });
    const other = await rate(await token(BRAND_MANAGER), BRAND_MANAGER);
    expect(other.statusCode).toBe(403);
    const mine = await rate(await token(FRANCHISE_OWNER), FRANCHISE_OWNER);
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ status: 'recorded' });
  });

  it('is off by default: a bearer token is not a signature', async () => {
    expect(await ask(plain, await token(FRANCHISE_OWNER), FRANCHISE_OWNER)).toMatchObject({
      statusCode: 401,
      body: { code: 'SP_ERR_AUTH_MALFORMED' },
    });
  });

  it('keeps SigV4 working beside it', async () => {
    const { ask: signedAsk } = await import('../support/harness.js');
    expect((await signedAsk(svc.app, FRANCHISE_OWNER, QUESTION)).body['answer']).toContain('$84,000.00');
  });
});

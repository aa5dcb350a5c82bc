/** Signing secrets rotate by reload, without a restart; a broken file keeps the old ones. */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'splitplane-rotate-'));
const file = join(dir, 'credentials.json');
copyFileSync('config/demo-credentials.json', file);
const OLD = { accessKeyId: 'SPDEMOKEY0000000001', secretAccessKey: 'splitplane-demo-secret-do-not-use-in-production' };
const NEW = { accessKeyId: 'SPROTATEDKEY0000001', secretAccessKey: 'a-brand-new-secret-after-rotation' };

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({}, { signing: { credentialsFile: file } });
});
afterAll(async () => {
  await svc.close();
});

async function askWith(key: typeof OLD): Promise<number> {
  const payload = JSON.stringify({ ...FRANCHISE_OWNER, question: 'What was the total sales amount last week?' });
  const headers = await signRequest({
    url: 'http://localhost/v1/ask',
    body: payload,
    ...key,
    extraHeaders: { 'x-splitplane-nonce': String(Math.random()) },
  });
  return (await svc.app.inject({ method: 'POST', url: '/v1/ask', headers, payload })).statusCode;
}

describe('credential rotation', () => {
  it('accepts the new key and refuses the old one after a reload, with no restart', async () => {
    expect(await askWith(OLD)).toBe(200);
    expect(await askWith(NEW)).toBe(401);
    writeFileSync(file, JSON.stringify({ credentials: [{ ...NEW, tenants: ['*'] }] }));
    svc.services.reloadCredentials();
    expect(await askWith(NEW)).toBe(200);
    expect(await askWith(OLD)).toBe(401);
  });

  it('keeps the current credentials when the new file is broken', async () => {
    writeFileSync(file, '{"credentials": [');
    expect(() => svc.services.reloadCredentials()).toThrow();
    expect(await askWith(NEW)).toBe(200);
  });
});

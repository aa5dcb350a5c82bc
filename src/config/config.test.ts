/** The example configurations a new user runs, in the README's order. */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCredentialStore, refuseDemoCredentials } from '../identity/credentials.js';
import { loadConfigFile, parseConfig } from './config.js';

const examples = readdirSync('config').filter((f) => f.endsWith('.yaml')).map((f) => `config/${f}`);

describe('config/*.yaml', () => {
  it('every example parses', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const path of examples) expect(() => loadConfigFile(path), path).not.toThrow();
  });

  it('no two examples listen on the same address, so the README can run them side by side', () => {
    const addresses = examples.map((path) => {
      const { server } = loadConfigFile(path);
      return `${server.host}:${server.port}`;
    });
    expect(new Set(addresses).size).toBe(addresses.length);
  });
});

describe('production guard rails', () => {
  const demoSettings = { clock: { today: '2026-11-18' }, demo: { enabled: true, generateIfMissing: true } };

  it('refuses every demo setting outside mode: demo, naming each', () => {
    expect(() => parseConfig(demoSettings)).toThrowError(/clock\.today .*2026-11-18.*demo\.enabled.*demo\.generateIfMissing.*mode: demo/);
    for (const one of [{ clock: { today: '2026-11-18' } }, { demo: { enabled: true } }, { demo: { generateIfMissing: true } }]) {
      expect(() => parseConfig(one), JSON.stringify(one)).toThrowError(expect.objectContaining({ code: 'SP_ERR_CONFIG' }));
    }
    expect(parseConfig({ ...demoSettings, mode: 'demo' }).mode).toBe('demo');
    expect(parseConfig({}).mode).toBe('production');
  });

  it('refuses the demo page on a non-loopback address, even in demo mode', () => {
    const open = { mode: 'demo', demo: { enabled: true }, server: { host: '0.0.0.0', allowNonLoopback: true } };
    expect(() => parseConfig(open)).toThrowError(/demo\.enabled on 0\.0\.0\.0.*loopback only/);
    expect(() => parseConfig({ ...open, demo: { enabled: false } })).not.toThrow();
  });

  it('refuses the public demo credentials outside mode: demo, naming the keys and no secret', () => {
    const store = loadCredentialStore('config/demo-credentials.json', {});
    expect(() => refuseDemoCredentials(store, 'production')).toThrowError(/SPDEMOKEY0000000001, SPDEMOKEY0000000012.*mode: demo/);
    try {
      refuseDemoCredentials(store, 'production');
    } catch (e) {
      for (const c of store.list()) expect(JSON.stringify(e) + String((e as Error).message) + String((e as { detail?: string }).detail)).not.toContain(c.secretAccessKey);
    }
    expect(refuseDemoCredentials(store, 'demo')).toBe(store);
  });
});

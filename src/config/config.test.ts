/** The example configurations a new user runs, in the README's order. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCredentialStore, refuseDemoCredentials } from '../identity/credentials.js';
import { ConfigSchema, loadConfigFile, parseConfig } from './config.js';

const examples = readdirSync('config')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `config/${f}`);

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
    expect(() => parseConfig(demoSettings)).toThrow(
      /clock\.today .*2026-11-18.*demo\.enabled.*demo\.generateIfMissing.*mode: demo/,
    );
    for (const one of [
      { clock: { today: '2026-11-18' } },
      { demo: { enabled: true } },
      { demo: { generateIfMissing: true } },
    ]) {
      expect(() => parseConfig(one), JSON.stringify(one)).toThrow(expect.objectContaining({ code: 'SP_ERR_CONFIG' }));
    }
    expect(parseConfig({ ...demoSettings, mode: 'demo' }).mode).toBe('demo');
    expect(parseConfig({}).mode).toBe('production');
  });

  it('refuses the demo page on a non-loopback address, even in demo mode', () => {
    const open = { mode: 'demo', demo: { enabled: true }, server: { host: '0.0.0.0', allowNonLoopback: true } };
    expect(() => parseConfig(open)).toThrow(/demo\.enabled on 0\.0\.0\.0.*loopback only/);
    expect(() => parseConfig({ ...open, demo: { enabled: false } })).not.toThrow();
  });

  it('refuses the public demo credentials outside mode: demo, naming the keys and no secret', () => {
    const store = loadCredentialStore('config/demo-credentials.json', {});
    expect(() => refuseDemoCredentials(store, 'production')).toThrow(
      /SPDEMOKEY0000000001, SPDEMOKEY0000000012.*mode: demo/,
    );
    try {
      refuseDemoCredentials(store, 'production');
    } catch (e) {
      for (const c of store.list())
        expect(JSON.stringify(e) + (e as Error).message + String((e as { detail?: string }).detail)).not.toContain(
          c.secretAccessKey,
        );
    }
    expect(refuseDemoCredentials(store, 'demo')).toBe(store);
  });
});

describe('cache', () => {
  it('is on by default (60 s, 64 MB); `cache: false` turns it off; an unknown key is refused', () => {
    const on = parseConfig({});
    expect(on.cache).toMatchObject({ enabled: true, ttlSeconds: 60, maxBytes: 64 * 1024 ** 2, shared: true });
    expect(parseConfig({ cache: false }).cache.enabled).toBe(false);
    expect(parseConfig({ cache: { enabled: false } }).cache.enabled).toBe(false);
    expect(parseConfig({ cache: { ttlSeconds: 5 } }).cache).toMatchObject({ enabled: true, ttlSeconds: 5 });
    expect(() => parseConfig({ cache: { ttl: 5 } })).toThrow(expect.objectContaining({ code: 'SP_ERR_CONFIG' }));
    expect(() => parseConfig({ cache: 'yes' })).toThrow(expect.objectContaining({ code: 'SP_ERR_CONFIG' }));
  });
});

describe('the README configuration table', () => {
  /** Every leaf key of a zod object schema, as dotted paths (objects under optional/default/prefault/preprocess unwrapped). */
  function leafKeys(schema: unknown, prefix = ''): string[] {
    type Node = {
      def?: { type?: string; innerType?: Node; out?: Node; shape?: Record<string, unknown> };
      shape?: Record<string, unknown>;
    };
    let s = schema as Node;
    for (;;) {
      if (s.def?.type === 'pipe' && s.def.out) s = s.def.out;
      else if (s.def?.innerType && s.def.type !== 'object') s = s.def.innerType;
      else break;
    }
    const shape = s.def?.type === 'object' ? (s.shape ?? s.def.shape) : undefined;
    if (!shape) return [prefix];
    return Object.entries(shape).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
  }

  /** The keys the README's table names: `a.b.c`, then `.d` for a sibling of the key before it. */
  function documented(): Set<string> {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
    );
    const keys = new Set<string>();
    for (const row of table.split('\n').filter((l) => l.startsWith('| `'))) {
      let parent = '';
      for (const m of row.split(' | ')[0]!.matchAll(/`([.\w]+)`/g)) {
        const k = m[1]!.startsWith('.') ? `${parent}${m[1]}` : m[1]!;
        parent = k.slice(0, k.lastIndexOf('.'));
        keys.add(k);
      }
    }
    return keys;
  }

  it('names every configuration key (a key counts when it or an object holding it is in the table)', () => {
    const keys = leafKeys(ConfigSchema);
    expect(keys.length).toBeGreaterThan(40);
    const doc = documented();
    const missing = keys.filter((k) => !k.split('.').some((_, i, parts) => doc.has(parts.slice(0, i + 1).join('.'))));
    expect(missing).toEqual([]);
    // And names no key the schema does not have.
    const unknown = [...doc].filter((d) => !keys.some((k) => k === d || k.startsWith(`${d}.`)));
    expect(unknown).toEqual([]);
  });
});

describe('feedback.store', () => {
  it('is file by default; postgres parses with the feedback role as its default URL; anything else is refused', () => {
    expect(parseConfig({}).feedback).toMatchObject({ store: 'file', exampleRetentionDays: 30 });
    expect(parseConfig({ feedback: { store: 'postgres' } }).feedback).toMatchObject({
      store: 'postgres',
      postgresUrl: 'postgres://splitplane_feedback@127.0.0.1:5432/test',
    });
    const url = 'postgresql://feedback@db.internal:5432/analytics';
    expect(parseConfig({ feedback: { store: 'postgres', postgresUrl: url } }).feedback.postgresUrl).toBe(url);
    expect(() => parseConfig({ feedback: { store: 'redis' } })).toThrow(/feedback\.store/);
    expect(() => parseConfig({ feedback: { postgresUrl: 'mysql://x@h/db' } })).toThrow(/feedback\.postgresUrl/);
    expect(() => parseConfig({ feedback: { store: 'postgres', postgresUrls: url } })).toThrow(
      expect.objectContaining({ code: 'SP_ERR_CONFIG', message: expect.stringMatching(/postgresUrls/) }),
    );
  });
});

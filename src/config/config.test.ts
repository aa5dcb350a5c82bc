/** The example configurations a new user runs, in the README's order. */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from './config.js';

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

/**
 * The package's public entry points ("exports" in package.json) resolve from the package name, as a
 * back end that installed splitplane imports them: the SigV4-signing fetch for MCP clients
 * (`splitplane/client/mcp-fetch`, the README's "Agents (MCP)") and the request signer
 * (`splitplane/client/sign`); a deep path outside the map is refused; the bin still runs. They
 * import the built files: dist is built by `npm ci` (prepare) in CI, and rebuilt here first when a
 * source is newer than the last build (scripts/build-if-stale.mjs, as `npm start` does).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  exports: Record<string, string>;
};

/** Run an ES module snippet with `node` in `cwd`; its stdout, trimmed. */
function node(code: string, cwd: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  }).trim();
}

/** A project that depends on splitplane (node_modules/splitplane links to this checkout), outside it. */
let consumer: string;
beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, stdio: 'inherit', timeout: 170_000 });
  consumer = mkdtempSync(join(tmpdir(), 'splitplane-consumer-'));
  mkdirSync(join(consumer, 'node_modules'));
  symlinkSync(root, join(consumer, 'node_modules', pkg.name), 'dir');
}, 180_000);
afterAll(() => {
  if (!consumer) return;
  // The link first, on its own: nothing may follow it into the checkout.
  unlinkSync(join(consumer, 'node_modules', pkg.name));
  rmSync(consumer, { recursive: true, force: true });
});

describe('package exports', () => {
  it('the MCP signing fetch and the signer import from the package name, in a dependent project and by self-reference', () => {
    expect(pkg.exports).toMatchObject({
      './client/mcp-fetch': './dist/client/mcp-fetch.js',
      './client/sign': './dist/client/sign.js',
    });
    const probe =
      "const m = await import('splitplane/client/mcp-fetch'); const s = await import('splitplane/client/sign'); console.log(typeof m.sigv4McpFetch, typeof s.signRequest);";
    expect(node(probe, consumer)).toBe('function function');
    expect(node(probe, root)).toBe('function function');
  });

  it('the README snippet runs from the package: the fetch signs the three ID headers for the SDK transport', () => {
    const out = node(
      `import { sigv4McpFetch } from 'splitplane/client/mcp-fetch';
       let seen;
       const f = sigv4McpFetch({ accessKeyId: 'AK', secretAccessKey: 'SK', ids: { tenantId: '12', businessId: '628', adminId: '7042' } }, async (_u, init) => { seen = new Headers(init.headers); return new Response('{}'); });
       await f('https://analytics.example.com/mcp', { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
       console.log(seen.get('authorization').split(' ')[0], /x-splitplane-admin-id/.test(seen.get('authorization')), seen.get('x-splitplane-tenant-id'));`,
      consumer,
    );
    expect(out).toBe('AWS4-HMAC-SHA256 true 12');
  });

  it('every splitplane/... import the README shows resolves', () => {
    const specifiers = [
      ...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/from ['"](splitplane(?:\/[^'"]*)?)['"]/g),
    ].map((m) => m[1]!);
    for (const s of specifiers)
      expect(node(`await import(${JSON.stringify(s)}); console.log('ok');`, consumer), s).toBe('ok');
  });

  it('refuses a deep path that is not exported, and the bin still runs', () => {
    expect(
      node(
        "await import('splitplane/dist/client/mcp-fetch.js').then(() => console.log('loaded'), (e) => console.log(e.code));",
        consumer,
      ),
    ).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const bin = join(root, pkg.bin['splitplane']!);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

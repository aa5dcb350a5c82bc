/**
 * /readyz tells the truth about every dependency the request path needs, and start-up refuses a
 * configured dependency it can tell is misconfigured.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, inject } from 'vitest';
import { openAiCompatibleClient } from '../../src/llm/openai-compatible.js';
import { generateDemoWarehouse } from '../../src/demo/generate.js';
import { startTestService } from '../support/harness.js';

const readyz = async (svc: Awaited<ReturnType<typeof startTestService>>) => {
  const res = await svc.app.inject({ method: 'GET', url: '/readyz' });
  return { statusCode: res.statusCode, body: res.json<{ status: string; checks: Record<string, string> }>() };
};

function listen(handler: (status: (code: number) => void) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) =>
    handler((code) => res.writeHead(code, { 'content-type': 'application/json' }).end('{}')),
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` }),
    ),
  );
}

describe('readiness', () => {
  it('is not ready while the configured Redis does not answer (every request would be refused)', async () => {
    const svc = await startTestService({}, { redis: { url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 } });
    try {
      const r = await readyz(svc);
      expect(r.statusCode).toBe(503);
      expect(r.body.checks).toMatchObject({ warehouse: 'ok', audit: 'ok', policy: 'ok' });
      expect(['failed', 'timeout']).toContain(r.body.checks['redis']);
    } finally {
      await svc.close();
    }
  });

  it('is not ready once the warehouse file is deleted or replaced under the running service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitplane-ready-'));
    const path = join(dir, 'demo.duckdb');
    copyFileSync(inject('demoDb'), path);
    const svc = await startTestService(
      {},
      { warehouse: { duckdb: { path, workersWarm: 1 }, queryTimeoutMs: 3000, rowCap: 1000 } },
    );
    try {
      expect((await readyz(svc)).statusCode).toBe(200);
      rmSync(path);
      expect(await readyz(svc)).toMatchObject({ statusCode: 503, body: { checks: { warehouse: 'failed' } } });
      await generateDemoWarehouse({ path });
      // A new file at the same path is another file: still not ready until a restart.
      expect(await readyz(svc)).toMatchObject({ statusCode: 503, body: { checks: { warehouse: 'failed' } } });
    } finally {
      await svc.close();
    }
  });

  it('reports the model from its last check: ready when the endpoint answers, not ready when it does not', async () => {
    const up = await listen((send) => send(200));
    const svc = await startTestService({
      llm: openAiCompatibleClient({ baseUrl: up.url, model: 'm', apiKey: 'sk-x', maxRetries: 0 }),
    });
    try {
      expect(await readyz(svc)).toMatchObject({ statusCode: 200, body: { checks: { model: 'ok' } } });
    } finally {
      await svc.close();
      up.server.close();
    }
    const down = await startTestService({
      llm: openAiCompatibleClient({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKey: 'sk-x', maxRetries: 0 }),
    });
    try {
      expect(await readyz(down)).toMatchObject({ statusCode: 503, body: { checks: { model: 'failed' } } });
    } finally {
      await down.close();
    }
  });

  it('refuses to start when the model endpoint refuses the key, naming the host and not the key', async () => {
    const refusing = await listen((send) => send(401));
    try {
      const err = await startTestService({
        llm: openAiCompatibleClient({ baseUrl: refusing.url, model: 'm', apiKey: 'sk-secret-123', maxRetries: 0 }),
      }).then(
        () => undefined,
        (e: unknown) => e as { code: string; detail: string },
      );
      expect(err).toMatchObject({ code: 'SP_ERR_CONFIG' });
      expect(err?.detail).toContain(new URL(refusing.url).host);
      expect(JSON.stringify(err)).not.toContain('sk-secret-123');
    } finally {
      refusing.server.close();
    }
  });
});

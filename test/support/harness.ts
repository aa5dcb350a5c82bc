/**
 * Test harness: real services over the generated demo warehouse, the demo
 * credentials and a pinned clock, with helpers to sign requests the way a
 * SaaS back end would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit.js';
import { signRequest } from '../../src/client/sign.js';
import { parseConfig, type Config } from '../../src/config/config.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { createServices, type ServiceOverrides, type Services } from '../../src/server/services.js';

export const DEMO_KEY = {
  accessKeyId: 'SPDEMOKEY0000000001',
  secretAccessKey: 'splitplane-demo-secret-do-not-use-in-production',
};
export const TENANT12_KEY = {
  accessKeyId: 'SPDEMOKEY0000000012',
  secretAccessKey: 'splitplane-demo-secret-tenant-12-only',
};

export const FRANCHISE_OWNER = { tenantId: '12', businessId: '628', adminId: '7042' } as const;
export const BRAND_MANAGER = { tenantId: '12', businessId: '628', adminId: '7001' } as const;
export const OTHER_TENANT_ADMIN = { tenantId: '31', businessId: '544', adminId: '5401' } as const;
export const ZERO_LOCATIONS = { tenantId: '12', businessId: '628', adminId: '7099' } as const;

/** A test configuration over the shared demo warehouse, with a private audit file. */
export function testConfig(extra: Record<string, unknown> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-svc-'));
  return parseConfig({
    mode: 'demo',
    signing: { credentialsFile: 'config/demo-credentials.json' },
    clock: { today: '2026-11-18' },
    warehouse: { duckdb: { path: inject('demoDb') }, queryTimeoutMs: 3000, rowCap: 1000 },
    audit: { file: join(dir, 'audit.jsonl') },
    feedback: { file: join(dir, 'feedback.jsonl') },
    // Suites send hundreds of requests as one admin; the rate-limit tests set their own limits.
    rateLimit: { perAdmin: { max: 1_000_000, windowMs: 60_000 }, perTenant: { max: 1_000_000, windowMs: 60_000 } },
    ...extra,
  });
}

/** Services and an app, ready for inject(). */
export interface TestService {
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly config: Config;
  auditEvents(): AuditEvent[];
  close(): Promise<void>;
}

export async function startTestService(
  overrides: ServiceOverrides = {},
  extra: Record<string, unknown> = {},
  appOptions: AppOptions = {},
): Promise<TestService> {
  const config = testConfig(extra);
  const services = await createServices(config, overrides);
  const app = buildApp(services, appOptions);
  await app.ready();
  return {
    services,
    app,
    config,
    auditEvents: () =>
      readFileSync(config.audit.file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditEvent),
    close: async () => {
      await app.close();
      await services.close();
    },
  };
}

/** Sign a body for /v1/ask as sent to `host` (inject uses "localhost:80"). */
export async function signedHeaders(
  body: string,
  opts: {
    key?: { accessKeyId: string; secretAccessKey: string };
    host?: string;
    date?: Date;
    region?: string;
    service?: string;
    /** Sign a random nonce header (default true) so that asking the same question twice is not a replay. */
    nonce?: boolean;
    /** The route signed for (default /v1/ask). */
    path?: string;
  } = {},
): Promise<Record<string, string>> {
  const key = opts.key ?? DEMO_KEY;
  return signRequest({
    url: `http://${opts.host ?? 'localhost:80'}${opts.path ?? '/v1/ask'}`,
    body,
    ...key,
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.service ? { service: opts.service } : {}),
    ...(opts.date ? { signingDate: opts.date } : {}),
    ...(opts.nonce === false ? {} : { extraHeaders: { 'x-splitplane-nonce': randomUUID() } }),
  });
}

/** POST a signed question through the full verification path. */
export async function ask(
  app: FastifyInstance,
  who: { tenantId: string; businessId: string; adminId: string },
  question: string,
): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify({ ...who, question });
  const res = await app.inject({ method: 'POST', url: '/v1/ask', headers: await signedHeaders(payload), payload });
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
}

/** True when something listens on host:port (for suites that need PostgreSQL or Redis). */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Service configuration: validated once at start-up against a strict schema
 * (unknown keys are rejected), then deep-frozen. Relative paths are resolved
 * against the working directory.
 */
import { AUDIT_SINK_KEYS, AUDIT_SINK_NAMES } from '../audit/sinks.js';
import { LLM_SECTIONS, LLM_PROVIDER_NAMES } from '../llm/providers.js';
import { readFileSync } from 'node:fs';
import { resolve as resolveFrom } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { engine, ENGINE_NAMES, ENGINE_SECTIONS } from '../engine-registry.js';
import { OIDC_ALGORITHMS } from '../identity/oidc.js';
import { deepFreeze } from '../util/freeze.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        bodyLimitBytes: z.number().int().min(256).max(1_048_576).default(16_384),
        /** Plain HTTP on a non-loopback address must be asked for explicitly. */
        allowNonLoopback: z.boolean().default(false),
        /** TLS (1.3 minimum) with certificate and key files; reloadable by restarting the listener. */
        tls: z
          .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
          .strict()
          .optional(),
        /**
         * On SIGTERM/SIGINT: how long the service keeps listening while /readyz answers 503 and every new
         * request (a kept-alive connection's included) gets 503 SP_ERR_SHUTTING_DOWN with Connection: close,
         * before it stops listening and waits (at most 10 s) for the requests still running.
         */
        shutdownGraceMs: z.number().int().min(0).max(120_000).default(5_000),
        /** The whole request, headers and body, must be received within this (Node's requestTimeout; headers too). */
        requestTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        /** The body must be received within this from when the headers arrived; else 408 and the connection is closed. */
        bodyTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /** An idle kept-alive connection is closed after this (Node's keepAliveTimeout). */
        keepAliveTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
        /**
         * The service's public origin (scheme, host and port as clients reach it, no path), for the
         * addresses it writes into answers (the MCP protected-resource metadata): never taken from a
         * request's Host header. Required when OIDC or MCP is on outside demo mode.
         */
        publicOrigin: z
          .url()
          .regex(/^https?:\/\/[^/?#]+$/, 'scheme, host and port only (no path)')
          .optional(),
      })
      .strict()
      .prefault({}),
    /**
     * production (default): demo settings (a pinned clock, the demo page, generated data, the public
     * demo credentials) refuse to start. demo: they are allowed, and named in a log line at start.
     */
    mode: z.enum(['production', 'demo']).default('production'),
    signing: z
      .object({
        service: z.string().min(1).default('splitplane'),
        region: z.string().min(1).default('us-east-1'),
        maxSkewSeconds: z.number().int().min(1).max(900).default(300),
        /** JSON file of credentials; SPLITPLANE_CREDENTIALS (JSON) overrides it. */
        credentialsFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    clock: z
      .object({
        /** Pin "today" (demo and tests). Absent in production: the real clock is used. */
        today: isoDate.optional(),
      })
      .strict()
      .prefault({}),
    warehouse: z
      .object({
        engine: z.enum(ENGINE_NAMES).default(ENGINE_NAMES[0]),
        // One section per engine of the registry (src/engines/<name>/index.ts owns its keys).
        ...ENGINE_SECTIONS,
        queryTimeoutMs: z.number().int().min(10).max(600_000).default(5_000),
        rowCap: z.number().int().min(1).max(100_000).default(1_000),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        wasmPath: z.string().min(1).default('policies/build/policy.wasm'),
        /** The folder of the Rego policy and its tests (`splitplane policy test` runs opa test on it). */
        source: z.string().min(1).default('policies'),
      })
      .strict()
      .prefault({}),
    catalog: z
      .object({ path: z.string().min(1).default('catalog/metrics.yaml') })
      .strict()
      .prefault({}),
    audit: z
      .object({
        /** file: JSON lines (default). postgres: the splitplane_audit table, one chain for every replica. */
        sink: z.enum(AUDIT_SINK_NAMES).default('file'),
        ...AUDIT_SINK_KEYS,
      })
      .strict()
      .prefault({}),
    feedback: z
      .object({
        /** file: this instance's memory and a JSON-lines file (default). postgres: two tables every replica shares. */
        store: z.enum(['file', 'postgres']).default('file'),
        file: z.string().min(1).default('var/feedback.jsonl'),
        postgresUrl: z
          .string()
          .regex(/^postgres(ql)?:\/\//)
          .default('postgres://splitplane_feedback@127.0.0.1:5432/test'),
        exampleRetentionDays: z.number().int().min(0).max(3_650).default(30),
      })
      .strict()
      .prefault({}),
    llm: z
      .object({
        /** none: catalog questions only; else a provider of the registry (src/llm/providers.ts). */
        provider: z.enum(['none', ...LLM_PROVIDER_NAMES]).default('none'),
        timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
        maxTokens: z.number().int().min(16).max(8_192).default(1_024),
        maxRetries: z.number().int().min(0).max(5).default(2),
        ...LLM_SECTIONS,
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /** e.g. redis://127.0.0.1:6379. When set: replay cache and rate-limit counters are shared by every replica. */
        url: z
          .string()
          .regex(/^rediss?:\/\//)
          .optional(),
        commandTimeoutMs: z.number().int().min(10).max(10_000).default(500),
        /**
         * While Redis does not answer: `closed` refuses every signed request (503: replay checks and
         * rate limits need it); `open` falls back to this replica's own memory for both (a replay to
         * another replica, and each replica's own share of a limit, are not caught during the outage).
         */
        whenDown: z.enum(['closed', 'open']).default('closed'),
      })
      .strict()
      .prefault({}),
    /**
     * The answer cache (src/cache/answer-cache.ts): the rows of a warehouse read kept under a key of
     * everything that decides them (SQL text, bound values, policy and catalog revisions, engine, data
     * version). On by default; `cache: false` (or `enabled: false`) turns it off.
     */
    cache: z.preprocess(
      (v) => (v === false ? { enabled: false } : v === true ? {} : v),
      z
        .object({
          enabled: z.boolean().default(true),
          /** How long an entry is served (also the longest an answer can lag the warehouse without a data version). */
          ttlSeconds: z.number().int().min(1).max(86_400).default(60),
          /** Most bytes of rows this process keeps (least recently used dropped first). */
          maxBytes: z
            .number()
            .int()
            .min(0)
            .max(8 * 1024 ** 3)
            .default(64 * 1024 ** 2),
          /**
           * PostgreSQL, Databricks: a query whose answer changes when the data does (the latest load of
           * an ingestion log), run with the directory's access at most once per `dataVersionEveryMs`.
           * Absent: the engine's own version (DuckDB: the file's identity), else the TTL alone.
           */
          dataVersionQuery: z.string().min(1).max(10_000).optional(),
          dataVersionEveryMs: z.number().int().min(0).max(600_000).default(1_000),
          /** Also in Redis for every replica, when redis.url is set and SPLITPLANE_CACHE_KEY is (demo mode: a public key). */
          shared: z.boolean().default(true),
        })
        .strict()
        .prefault({}),
    ),
    /** The OIDC/JWT front door beside SigV4 (off by default): bearer tokens from one issuer. */
    oidc: z
      .object({
        enabled: z.boolean().default(false),
        issuer: z.url().optional(),
        audience: z.string().min(1).optional(),
        jwksUrl: z.url().optional(),
        algorithms: z.array(z.enum(OIDC_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
        clockToleranceSeconds: z.number().int().min(0).max(300).default(60),
        /** A token issued (`iat`) longer ago than this is refused, whatever its `exp` says. */
        maxTokenAgeSeconds: z.number().int().min(60).max(2_592_000).default(86_400),
        claims: z
          .object({
            tenant: z.string().min(1).default('tenant_id'),
            business: z.string().min(1).default('business_id'),
            admin: z.string().min(1).default('admin_id'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The MCP server at POST /mcp (the same identity, scope, guard, limits and audit as /v1/ask). */
    mcp: z
      .object({
        enabled: z.boolean().default(true),
        /** The run_query tool: the agent's own SQL over the caller's sandbox, through the guard. Off unless set. */
        runQuery: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({
        perAdmin: z
          .object({ max: z.number().int().min(1).default(60), windowMs: z.number().int().min(1_000).default(60_000) })
          .strict()
          .prefault({}),
        perTenant: z
          .object({ max: z.number().int().min(1).default(600), windowMs: z.number().int().min(1_000).default(60_000) })
          .strict()
          .prefault({}),
        /** Failed authentications (401) one client address may have per window; over it, its requests get 429 unverified and unaudited. */
        perAddressFailures: z
          .object({ max: z.number().int().min(1).default(30), windowMs: z.number().int().min(1_000).default(60_000) })
          .strict()
          .prefault({}),
        /** Replaced by redis.whenDown (it governs the replay cache too); named here only to refuse it with a clear message. */
        redisDown: z.unknown().optional(),
      })
      .strict()
      .prefault({}),
    anomaly: z
      .object({
        guardRejections: z.number().int().min(1).default(5),
        guardWindowMs: z.number().int().min(1_000).default(600_000),
        scopeGrowthFactor: z.number().min(1.5).default(10),
        requestsPerMinute: z.number().int().min(1).default(120),
      })
      .strict()
      .prefault({}),
    demo: z
      .object({
        /** Generate the demo warehouse on start when the DuckDB file is absent. */
        generateIfMissing: z.boolean().default(false),
        /**
         * Demo mode: serve the web page at / and POST /demo/ask, which signs on the server with the
         * demo credential. Off by default; a browser never holds a signing secret in production.
         */
        enabled: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The validated, frozen configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Validate a raw object (from YAML, JSON or a test) into a frozen Config. Throws SP_ERR_CONFIG. */
/** `baseDir`: what relative paths resolve against (the working directory unless given). */
export function parseConfig(raw: unknown, source = 'config', baseDir = process.cwd()): Config {
  const resolve = (p: string): string => resolveFrom(baseDir, p);
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${detail}` });
  }
  const c = result.data;
  const resolved: Config = {
    ...c,
    signing: c.signing.credentialsFile
      ? { ...c.signing, credentialsFile: resolve(c.signing.credentialsFile) }
      : c.signing,
    warehouse: withResolvedEnginePaths(c.warehouse, resolve),
    policy: { wasmPath: resolve(c.policy.wasmPath), source: resolve(c.policy.source) },
    catalog: { path: resolve(c.catalog.path) },
    audit: { ...c.audit, file: resolve(c.audit.file) },
    feedback: { ...c.feedback, file: resolve(c.feedback.file) },
  };
  const demoOnly = [
    c.clock.today !== undefined ? `clock.today (the date pinned to ${c.clock.today})` : '',
    c.demo.enabled ? 'demo.enabled (a page that signs requests with the demo credential)' : '',
    c.demo.generateIfMissing ? 'demo.generateIfMissing (generated demo data)' : '',
  ].filter(Boolean);
  if (c.mode !== 'demo' && demoOnly.length) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${source}: ${demoOnly.join('; ')}: demo settings, allowed only with mode: demo`,
    });
  }
  if (c.rateLimit.redisDown !== undefined) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${source}: rateLimit.redisDown was replaced by redis.whenDown (closed or open), which governs replay checks and rate limits together`,
    });
  }
  if (c.oidc.enabled && (!c.oidc.issuer || !c.oidc.audience || !c.oidc.jwksUrl)) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${source}: oidc.enabled needs oidc.issuer, oidc.audience and oidc.jwksUrl`,
    });
  }
  if (c.demo.enabled && !isLoopback(c.server.host)) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${source}: demo.enabled on ${c.server.host}: the demo page signs with a credential for every demo tenant, so it is served on loopback only`,
    });
  }
  if (!c.server.allowNonLoopback && !c.server.tls && !isLoopback(c.server.host)) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `${source}: server.host ${c.server.host} is not loopback; configure server.tls, or set server.allowNonLoopback to serve plain HTTP on it`,
    });
  }
  return deepFreeze(resolved);
}

/** Load and validate a YAML or JSON configuration file. */
export function loadConfigFile(path: string, baseDir?: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `cannot read ${path}`, cause });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${path} is not valid YAML/JSON`, cause });
  }
  return parseConfig(raw, path, baseDir);
}

/** Each engine's section with its paths made absolute, by the engine's own rule. */
function withResolvedEnginePaths<W extends { readonly [K in (typeof ENGINE_NAMES)[number]]: unknown }>(
  w: W,
  resolve: (p: string) => string,
): W {
  const out: Record<string, unknown> = { ...w };
  for (const name of ENGINE_NAMES) {
    const e = engine(name);
    if (e.resolvePaths) out[name] = e.resolvePaths(w[name], resolve);
  }
  return out as W;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The origin the service writes into answers (the MCP protected-resource metadata): the configured
 * one; in demo mode, the listen address. Never a request's Host header. Throws SP_ERR_CONFIG outside
 * demo mode when OIDC or MCP is on and none is configured (checked when the service starts).
 */
export function publicOrigin(c: Config): string {
  if (c.server.publicOrigin) return c.server.publicOrigin;
  if (c.mode === 'demo')
    return `${c.server.tls ? 'https' : 'http'}://${c.server.host.includes(':') ? `[${c.server.host}]` : c.server.host}:${c.server.port}`;
  throw new SplitplaneError('SP_ERR_CONFIG', {
    detail: `server.publicOrigin is required when ${c.oidc.enabled ? 'oidc' : 'mcp'} is enabled (the origin clients reach, such as https://analytics.example.com); it is never taken from a request's Host header`,
  });
}

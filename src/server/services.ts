/**
 * Start-up wiring: builds every port from the validated configuration, eagerly,
 * so a bad file, a missing policy bundle or an unreadable warehouse fails the
 * boot instead of the first request.
 */
import { createHash } from 'node:crypto';
import type { AuditSink } from '../audit/audit.js';
import { redactSecrets } from '../util/redact.js';
import { openAuditSink, type OpenedSink } from '../audit/sinks.js';
import { publicOrigin, type Config } from '../config/config.js';
import { catalogGenerator } from '../generate/catalog-generator.js';
import type { Generator } from '../generate/generator.js';
import { loadCredentialStore, refuseDemoCredentials, type CredentialStore } from '../identity/credentials.js';
import type { Directory } from '../identity/directory.js';
import { MemoryReplayCache, type ReplayCache } from '../identity/replay-cache.js';
import { catalogRevision, loadCatalog } from '../semantic/catalog.js';
import { cachedConnector, dataVersionOf, type AnswerCache } from '../cache/answer-cache.js';
import { openAnswerCache, openFeedback, redisClient, warnOnStderr, type OpenedFeedback } from './shared-state.js';
import { today } from '../intent/calendar.js';
import { createCoverageLoader, createValueLoader } from '../semantic/value-loader.js';
import { loadOpaWasmPolicy, type ReloadablePolicyEngine } from '../policy/opa-wasm.js';
import { benchmarkVocabulary } from '../benchmark/vocabulary.js';
import { MASK_KEY_MAX_LENGTH } from '../policy/refinements.js';
import type { PipelineDeps } from '../pipeline.js';
import type { Redis } from 'ioredis';
import { MemoryConversationStore, RedisConversationStore } from '../conversation/store.js';
import { oidcVerifier } from '../identity/oidc.js';
import { RedisReplayCache } from '../identity/redis-replay-cache.js';
import { MemoryChoiceStore, RedisChoiceStore } from '../conversation/choices.js';
import { AnomalyDetector } from '../observability/anomaly.js';
import { Metrics, observedSink } from '../observability/metrics.js';
import { modelGenerator } from '../generate/model-generator.js';
import type { LlmClient } from '../llm/llm-client.js';
import { startModelHealth } from './model-health.js';
import { openLlm } from '../llm/providers.js';
import { SplitplaneError } from '../errors.js';
import { openEngine, type EngineConnector } from '../engine-registry.js';
import { loadDirectory } from '../warehouse/directory-query.js';

/** The running service's parts. */
export interface Services {
  readonly config: Config;
  readonly deps: PipelineDeps;
  readonly connector: EngineConnector;
  readonly policy: ReloadablePolicyEngine;
  readonly metrics: Metrics;
  /** The answer cache, unless `cache` is off (deps.connector reads through it; `connector` is the engine's own). */
  readonly answerCache: AnswerCache | undefined;
  /** The shared Redis, when configured (replay cache and rate-limit counters). */
  readonly redis: Redis | undefined;
  /**
   * What /readyz probes: every dependency the request path needs, each a cheap call (the warehouse,
   * the audit sink, the policy; Redis and the model when configured, the model from its last
   * scheduled check). Not the feedback store: no answer needs it, and a replica taken out of rotation
   * for it would stop answering.
   */
  readonly readiness: Readonly<Record<string, () => Promise<unknown>>>;
  /** Re-read the directory from the warehouse and hand it to the policy. */
  reloadDirectory(): Promise<Directory>;
  /** Re-read the signing credentials (file or SPLITPLANE_CREDENTIALS); a bad file keeps the old ones. */
  reloadCredentials(): void;
  close(): Promise<void>;
}

/** Overrides for tests: any port can be replaced. */
export interface ServiceOverrides {
  readonly credentials?: CredentialStore;
  readonly replayCache?: ReplayCache;
  readonly audit?: AuditSink;
  readonly generator?: Generator;
  /** A model client (tests, or an embedding application); otherwise built from `llm` in the config. */
  readonly llm?: LlmClient;
  readonly now?: () => number;
  readonly log?: PipelineDeps['log'];
}

/**
 * What the policy adapter takes from the deployment: the service's date (a relative window in a
 * decision is resolved against it) and the secret keyed-hash masks derive their per-business keys
 * from, from the environment only (a secret: never in the config file or a decision; demo mode has a
 * public one). A secret longer than MASK_KEY_MAX_LENGTH is SP_ERR_CONFIG here, at start-up; the
 * message names the variable and the limit, never the key.
 */
export function policyOptions(config: Config, now?: () => number): { today: () => string; maskKey?: string } {
  const maskKey =
    process.env['SPLITPLANE_MASK_KEY'] || (config.mode === 'demo' ? 'splitplane-demo-mask-key' : undefined);
  if (maskKey !== undefined && maskKey.length > MASK_KEY_MAX_LENGTH) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `SPLITPLANE_MASK_KEY is longer than ${MASK_KEY_MAX_LENGTH} characters`,
    });
  }
  return { today: () => today(config.clock.today, now), ...(maskKey ? { maskKey } : {}) };
}

/** Build the services over an existing warehouse (the CLI generates the demo one first: demo/generate.ts). */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  // The public origin is checked before anything is opened: a service that would write a guessed address never starts.
  if (config.oidc.enabled || config.mcp.enabled) publicOrigin(config);
  // So is the mask key (policyOptions refuses one that is too long).
  const policyOpts = policyOptions(config, overrides.now);
  const clockToday = (): string => today(config.clock.today, overrides.now);
  const catalog = loadCatalog(config.catalog.path);
  // Behind a stable object so a reload swaps the secrets without touching the verifier.
  let credentialStore =
    overrides.credentials ?? refuseDemoCredentials(loadCredentialStore(config.signing.credentialsFile), config.mode);
  const credentials: CredentialStore = { get: (id) => credentialStore.get(id), list: () => credentialStore.list() };
  // The shared state's warnings (Redis, the feedback tables, the answer cache) are never dropped: the
  // caller's log, else one JSON line each on stderr (`splitplane serve` passes none).
  const storeLog = overrides.log ?? warnOnStderr;
  const redis = config.redis.url ? redisClient(config.redis.url, config.redis.commandTimeoutMs) : undefined;
  const connector = await openEngine(config.warehouse, catalog.schema);
  const quote = (s: string): string => connector.dialect.quoteIdent(s);
  let feedback: OpenedFeedback | undefined;
  try {
    let directory = await loadDirectory(connector, catalog.schema);
    const policy = await loadOpaWasmPolicy(config.policy.wasmPath, directory, catalog.schema, {
      ...policyOpts,
      benchmarks: benchmarkVocabulary(catalog),
    });
    const metrics = new Metrics();
    const baseSink: OpenedSink = overrides.audit ?? (await openAuditSink(config.audit));
    const audit = observedSink(baseSink, metrics, new AnomalyDetector(config.anomaly, overrides.now));
    await audit.check();
    feedback = await openFeedback(config, storeLog);
    const answerCache = openAnswerCache(config, redis, storeLog);
    const warehouse = answerCache
      ? cachedConnector(connector, answerCache, {
          warehouse: createHash('sha256')
            .update(redactSecrets(JSON.stringify(config.warehouse)))
            .digest('hex'),
          today: clockToday,
          policyRevision: () => policy.revision,
          catalogRevision: catalogRevision(config.catalog.path),
          dataVersion: dataVersionOf(connector, config.cache.dataVersionQuery, config.cache.dataVersionEveryMs),
        })
      : connector;
    const deps: PipelineDeps = {
      verifier: {
        service: config.signing.service,
        region: config.signing.region,
        maxSkewSeconds: config.signing.maxSkewSeconds,
        credentials,
        replayCache:
          overrides.replayCache ??
          (redis
            ? new RedisReplayCache(
                redis,
                undefined,
                config.redis.whenDown === 'open' ? new MemoryReplayCache() : undefined,
              )
            : new MemoryReplayCache()),
        ...(config.oidc.enabled
          ? {
              oidc: oidcVerifier({
                ...config.oidc,
                issuer: config.oidc.issuer!,
                audience: config.oidc.audience!,
                jwksUrl: config.oidc.jwksUrl!,
              }),
            }
          : {}),
        ...(overrides.now ? { now: overrides.now } : {}),
      },
      directory: () => directory,
      catalog,
      today: clockToday,
      policy,
      connector: warehouse,
      generator: overrides.generator ?? catalogGenerator(catalog),
      values: createValueLoader(catalog, quote, (v) => connector.dialect.writesText(v)),
      coverage: createCoverageLoader(catalog, quote),
      ...(await modelDeps(config, overrides, catalog, clockToday)),
      // Conversations and remembered choices are per person and shared by every replica when Redis is configured.
      conversations: redis
        ? new RedisConversationStore(redis, storeLog, undefined, undefined, overrides.now)
        : new MemoryConversationStore(undefined, undefined, undefined, overrides.now),
      // Remembered choices outlive a conversation and a restart: in Redis when configured.
      choices: redis ? new RedisChoiceStore(redis, storeLog) : new MemoryChoiceStore(),
      feedback: feedback.store,
      audit,
      limits: { timeoutMs: config.warehouse.queryTimeoutMs, rowCap: config.warehouse.rowCap },
      log: overrides.log ?? (() => {}),
    };
    const modelHealth = deps.model
      ? await startModelHealth(deps.model.llm, { everyMs: 60_000, timeoutMs: Math.min(5_000, config.llm.timeoutMs) })
      : undefined;
    const readiness: Record<string, () => Promise<unknown>> = {
      warehouse: () => connector.ping(),
      audit: () => audit.check(),
      // A deny for a made-up identity proves the policy evaluates.
      policy: () =>
        policy
          .decide({ tenantId: '1', businessId: '1', adminId: '1', role: '', accessKeyId: '', sessionKey: '' })
          .catch((e: unknown) => {
            if (!(e instanceof SplitplaneError && e.code === 'SP_ERR_POLICY_DENIED')) throw e;
          }),
      ...(redis ? { redis: () => redis.ping() } : {}),
      ...(modelHealth ? { model: () => modelHealth.current() } : {}),
    };
    return {
      readiness,
      config,
      deps,
      connector,
      policy,
      metrics,
      answerCache,
      redis,
      reloadCredentials() {
        if (overrides.credentials) return;
        credentialStore = refuseDemoCredentials(loadCredentialStore(config.signing.credentialsFile), config.mode);
      },
      async reloadDirectory() {
        const next = await loadDirectory(connector, catalog.schema);
        policy.setDirectory(next);
        directory = next;
        return next;
      },
      close: async () => {
        modelHealth?.stop();
        redis?.disconnect();
        await baseSink.close?.();
        await feedback?.close?.();
        await connector.close();
      },
    };
  } catch (err) {
    redis?.disconnect();
    await feedback?.close?.();
    await connector.close();
    throw err;
  }
}

async function modelDeps(
  config: Config,
  overrides: ServiceOverrides,
  catalog: PipelineDeps['catalog'],
  today: () => string,
): Promise<Pick<PipelineDeps, 'model'>> {
  const llm = overrides.llm ?? (await openLlm(config.llm));
  if (!llm) return {};
  const timed: LlmClient = {
    name: llm.name,
    // Every model call is bounded by llm.timeoutMs as well as by the request's own deadline.
    complete: (req, signal) => llm.complete(req, AbortSignal.any([signal, AbortSignal.timeout(config.llm.timeoutMs)])),
    ...(llm.check ? { check: (signal: AbortSignal) => llm.check!(signal) } : {}),
  };
  return {
    model: {
      llm: timed,
      generator: modelGenerator({ llm: timed, catalog, today, maxTokens: config.llm.maxTokens }),
      maxTokens: config.llm.maxTokens,
    },
  };
}

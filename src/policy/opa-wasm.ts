/**
 * The PolicyEngine adapter for the Rego policy compiled to wasm (opa build -t
 * wasm -e splitplane/decision). opa-wasm throws strings and returns loosely
 * typed result sets; both stay inside this file: the decision is validated
 * strictly and anything unexpected is a deny or a stable error.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN, idsWellFormed } from '../ids.js';
import { directoryAsPolicyData, type Directory } from '../identity/directory.js';
import type { Identity } from '../identity/identity.js';
import { sandboxColumn, sandboxTable, unitFields, type TableRegistry } from '../schema/tables.js';
import { BenchmarkFields, benchmarksOf, type BenchmarkVocabulary } from './benchmarks.js';
import { RefinementFields, refinementsOf } from './refinements.js';
import type { PolicyEngine, Scope } from './scope.js';

type LoadedPolicy = Awaited<ReturnType<typeof loadPolicy>>;

/**
 * The decision's shape for a registry: its grant unit names three fields (for the restaurant demo,
 * whose unit is a location: `locations_granted`, `locations` and `location_filters`), so a policy
 * author writes the names of their own domain. Read back into one internal shape.
 */
function decisionSchema(registry: TableRegistry) {
  const f = unitFields(registry.grantUnit);
  const { location_filters, ...refinements } = RefinementFields;
  return z
    .object({
      allow: z.boolean(),
      tenant_id: z.string().regex(ID_PATTERN).optional(),
      business_id: z.string().regex(ID_PATTERN).optional(),
      admin_id: z.string().regex(ID_PATTERN).optional(),
      role: z.string(),
      // Either the admin's whole directory grant, or an explicit list (a policy that narrows it); never both.
      [f.granted]: z.boolean().optional(),
      [f.list]: z.array(z.string().regex(ID_PATTERN)).optional(),
      tables: z.record(z.string(), z.array(z.string())),
      [f.filters]: location_filters,
      ...refinements,
      ...BenchmarkFields,
    })
    .strict()
    .transform((d) => {
      const r = d as Record<string, unknown>;
      return {
        ...(d as unknown as {
          allow: boolean;
          tenant_id?: string;
          business_id?: string;
          admin_id?: string;
          role: string;
          tables: Record<string, string[]>;
        }),
        granted: r[f.granted] as boolean | undefined,
        list: r[f.list] as string[] | undefined,
        location_filters: r[f.filters] as z.infer<NonNullable<typeof location_filters>>,
        row_filters: d.row_filters,
        masks: d.masks,
        benchmarks: d.benchmarks,
      };
    });
}

/** A policy engine that can take a new directory snapshot. */
export interface ReloadablePolicyEngine extends PolicyEngine {
  setDirectory(directory: Directory): void;
  /**
   * What every decision depends on besides the identity and the date: the digest of the compiled
   * bundle and of the directory snapshot it holds (the answer cache keys on it).
   */
  readonly revision: string;
  /** The decision exactly as the policy returned it, before any check (for `splitplane policy explain`). */
  rawDecision(identity: Pick<Identity, 'tenantId' | 'businessId' | 'adminId'>): unknown;
}

/** Load the compiled policy from disk and give it the directory. */
export async function loadOpaWasmPolicy(
  wasmPath: string,
  directory: Directory,
  registry: TableRegistry,
  opts: {
    readonly cacheDecisions?: boolean;
    readonly today?: () => string;
    readonly maskKey?: string;
    /** The measures and groupings benchmarks may name (src/benchmark/vocabulary.ts); without it none is carried. */
    readonly benchmarks?: BenchmarkVocabulary;
  } = {},
): Promise<ReloadablePolicyEngine> {
  let policy: LoadedPolicy;
  let bundle: string;
  try {
    const bytes = await readFile(wasmPath);
    bundle = createHash('sha256').update(bytes).digest('hex');
    policy = await loadPolicy(bytes, { initial: 64 });
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_POLICY_UNAVAILABLE', { detail: `cannot load ${wasmPath}`, cause: wrap(cause) });
  }
  if (
    !Object.values(policy.entrypoints as Record<string, number>).length ||
    !('splitplane/decision' in policy.entrypoints)
  ) {
    throw new SplitplaneError('SP_ERR_POLICY_UNAVAILABLE', {
      detail: 'the wasm has no splitplane/decision entrypoint',
    });
  }
  const engine = new OpaWasmPolicy(
    policy,
    registry,
    opts.cacheDecisions ?? true,
    opts.today ?? (() => new Date().toISOString().slice(0, 10)),
    opts.maskKey,
    bundle,
    opts.benchmarks,
  );
  engine.setDirectory(directory);
  return engine;
}

class OpaWasmPolicy implements ReloadablePolicyEngine {
  readonly #policy: LoadedPolicy;
  /** Off only to measure a decision's own cost (bench/policy-scaling.ts). */
  readonly #cache: boolean;
  /** The service's date (YYYY-MM-DD): a relative date window in a decision is resolved against it. */
  readonly #today: () => string;

  /** The deployment's secret for keyed-hash masks: only a key derived from it per (tenant, business) leaves this adapter (never in a decision, never in SQL text). */
  readonly #maskKey: string | undefined;

  readonly #registry: TableRegistry;
  /** What a benchmark grant may name; undefined: no grant is carried. */
  readonly #benchmarks: BenchmarkVocabulary | undefined;
  readonly #decision: ReturnType<typeof decisionSchema>;

  constructor(
    policy: LoadedPolicy,
    registry: TableRegistry,
    cache: boolean,
    today: () => string,
    maskKey: string | undefined,
    bundle: string,
    benchmarks: BenchmarkVocabulary | undefined,
  ) {
    this.#bundle = bundle;
    this.#benchmarks = benchmarks;
    this.#policy = policy;
    this.#registry = registry;
    this.#decision = decisionSchema(registry);
    this.#cache = cache;
    this.#today = today;
    this.#maskKey = maskKey;
  }

  /** The digest of the compiled bundle. */
  readonly #bundle: string;
  /** The digest of the directory snapshot given to the policy. */
  #directoryDigest = '';

  get revision(): string {
    return `${this.#bundle}:${this.#directoryDigest}`;
  }

  /** The snapshot the policy holds as data: where a `<plural>_granted` decision reads the grant. */
  #directory: Directory | undefined;
  /** Admins of that snapshot whose grant holds a malformed ID: their allow decisions are refused. */
  #malformed = new Set<string>();

  setDirectory(directory: Directory): void {
    // Validated once per snapshot, so a decision for a large grant does not test every ID again.
    const malformed = new Set<string>();
    for (const a of directory.admins.values()) if (!idsWellFormed(a.units)) malformed.add(a.adminId);
    const data = directoryAsPolicyData(directory, this.#registry.grantUnit.plural);
    try {
      this.#policy.setData(data);
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_POLICY_UNAVAILABLE', { detail: 'setData failed', cause: wrap(cause) });
    }
    // A decision is a pure function of the identity and the directory: new directory, new decisions.
    this.#directory = directory;
    this.#directoryDigest = createHash('sha256').update(JSON.stringify(data)).digest('hex');
    this.#malformed = malformed;
    this.#decisions.clear();
  }

  /** Allow decisions by identity, until the next directory (denials are recomputed, never cached). */
  readonly #decisions = new Map<string, Scope>();

  async decide(identity: Identity): Promise<Scope> {
    // The date is part of the key: a decision with a relative window changes with it.
    const today = this.#today();
    const key = `${identity.tenantId}/${identity.businessId}/${identity.adminId}@${today}`;
    const hit = this.#decisions.get(key);
    if (hit) return hit;
    const scope = this.#evaluate(identity, today);
    if (!this.#cache) return scope;
    this.#decisions.set(key, scope);
    if (this.#decisions.size > 100_000) this.#decisions.delete(this.#decisions.keys().next().value as string);
    return scope;
  }

  rawDecision(identity: Pick<Identity, 'tenantId' | 'businessId' | 'adminId'>): unknown {
    let resultSet: unknown;
    try {
      resultSet = this.#policy.evaluate(
        { tenant_id: identity.tenantId, business_id: identity.businessId, admin_id: identity.adminId },
        'splitplane/decision',
      );
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_POLICY_UNAVAILABLE', { detail: 'evaluation failed', cause: wrap(cause) });
    }
    const first =
      Array.isArray(resultSet) && resultSet.length === 1 ? (resultSet[0] as { result?: unknown }) : undefined;
    return first?.result;
  }

  #evaluate(identity: Identity, today: string): Scope {
    const parsed = this.#decision.safeParse(this.rawDecision(identity));
    if (!parsed.success) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: parsed.error.message });
    const d = parsed.data;
    if (!d.allow) throw new SplitplaneError('SP_ERR_POLICY_DENIED');
    if ((d.granted === true) === (d.list !== undefined)) {
      const f = unitFields(this.#registry.grantUnit);
      throw new SplitplaneError('SP_ERR_POLICY_INVALID', {
        detail: `an allow decision names its ${f.list} either as the grant (${f.granted}) or as a list (${f.list})`,
      });
    }
    const granted =
      d.list ??
      (this.#malformed.has(identity.adminId) ? undefined : this.#directory?.admins.get(identity.adminId)?.units);
    if (!granted)
      throw new SplitplaneError('SP_ERR_POLICY_INVALID', {
        detail: 'no well-formed grant for this admin in the directory',
      });
    // An allow must be about exactly this identity and name only tables and columns the sandbox can build.
    if (d.tenant_id !== identity.tenantId || d.business_id !== identity.businessId || d.admin_id !== identity.adminId) {
      throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'decision is about another identity' });
    }
    for (const [table, columns] of Object.entries(d.tables)) {
      if (!sandboxTable(this.#registry, table))
        throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `unknown table ${table}` });
      for (const c of columns) {
        if (!sandboxColumn(this.#registry, table, c))
          throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `unknown column ${table}.${c}` });
      }
    }
    const tables = Object.freeze(
      Object.fromEntries(Object.entries(d.tables).map(([t, c]) => [t, Object.freeze([...c])])),
    );
    return Object.freeze({
      tenantId: identity.tenantId,
      businessId: identity.businessId,
      adminId: identity.adminId,
      role: d.role,
      units: Object.freeze(ascendingUnique(granted)),
      tables,
      ...refinementsOf(
        d,
        tables,
        today,
        this.#registry,
        this.#maskKey === undefined
          ? undefined
          : { secret: this.#maskKey, tenantId: identity.tenantId, businessId: identity.businessId },
      ),
      ...benchmarksOf(d.benchmarks, this.#benchmarks),
    });
  }
}

/**
 * IDs in ascending numeric order without repeats. The directory hands the policy each grant in that
 * order already, so a linear check usually suffices (sorting 10,000 strings cost more than the rest
 * of the decision), and a frozen list in order is returned as it is, not copied.
 */
export function ascendingUnique(ids: readonly string[]): readonly string[] {
  const before = (a: string, b: string): boolean => a.length < b.length || (a.length === b.length && a < b);
  for (let i = 1; i < ids.length; i++) {
    if (!before(ids[i - 1]!, ids[i]!))
      return [...new Set(ids)].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }
  return Object.isFrozen(ids) ? ids : [...ids];
}

/** opa-wasm throws strings; give logs a real Error. */
function wrap(cause: unknown): unknown {
  return typeof cause === 'string' ? new Error(cause) : cause;
}

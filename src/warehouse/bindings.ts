/**
 * The scope as bound parameters. The sandbox text names the scope by
 * placeholder only (tenant, business, the list of locations), so its text
 * depends on the shape of the scope, never on its size or its IDs; the
 * connector binds the values, and takes them from one place only: the
 * verified scope the pipeline hands it (ExecuteOptions.scope). A text that
 * asks for a parameter outside this list, or bound text run without a
 * scope, is refused before the engine sees it.
 */
import { createHash } from 'node:crypto';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN, idsWellFormed } from '../ids.js';

/** The scope values a sandbox text may ask for. */
export type ScopeParam = 'sp_tenant' | 'sp_business' | 'sp_locations';

/** The part of the verified scope the connector binds. */
export interface BoundScope {
  readonly tenantId: string;
  readonly businessId: string;
  readonly locations: readonly string[];
}

/** One bound value: an ID, or (sp_locations) the list of location IDs. */
export interface Binding {
  readonly name: ScopeParam;
  readonly value: string | readonly string[];
}

/**
 * The values of `names` (in that order), from the verified scope. Refuses an unknown name, a
 * missing scope when anything is to be bound, and an ID that is not a decimal string.
 */
export function bindScope(names: readonly string[] | undefined, scope: BoundScope | undefined): Binding[] {
  if (!names || names.length === 0) return [];
  if (!scope) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'bound sandbox text without a verified scope' });
  const out: Binding[] = [];
  for (const name of names) {
    if (out.some((b) => b.name === name)) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `parameter ${name} twice` });
    const value =
      name === 'sp_tenant' ? scope.tenantId : name === 'sp_business' ? scope.businessId : name === 'sp_locations' ? scope.locations : undefined;
    if (value === undefined) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'a parameter that is not part of the scope' });
    if (typeof value === 'string' ? !ID_PATTERN.test(value) : !idsWellFormed(value)) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope IDs' });
    out.push({ name: name as ScopeParam, value });
  }
  return out;
}

/** Whether the scope's tenant, business and every location are IDs (ID_PATTERN). */
export function scopeIdsWellFormed(scope: BoundScope): boolean {
  return ID_PATTERN.test(scope.tenantId) && ID_PATTERN.test(scope.businessId) && idsWellFormed(scope.locations);
}

/**
 * SHA-256 (hex) of the location IDs joined by commas, for the audit trail: the SQL it records names
 * the list only by placeholder. Cached per frozen list (a scope is reused until the directory changes).
 */
export function locationsDigest(list: readonly string[]): string {
  const hit = digests.get(list);
  if (hit) return hit;
  const digest = createHash('sha256').update(list.join(',')).digest('hex');
  if (Object.isFrozen(list)) digests.set(list, digest);
  return digest;
}
const digests = new WeakMap<readonly string[], string>();

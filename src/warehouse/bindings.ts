/**
 * The scope as bound parameters. The sandbox text names the scope by
 * placeholder only (tenant, business, the list of locations), so its text
 * depends on the shape of the scope, never on its size or its IDs; the
 * connector binds the values, and takes them from one place only: the
 * verified scope the pipeline hands it (ExecuteOptions.scope). A text that
 * asks for a parameter outside this list, or bound text run without a
 * scope, is refused before the engine sees it.
 *
 * The values of the decision's row filters and masks (`sp_v1`, `sp_v2`...)
 * are bound the same way: the sandbox builder takes them from the verified
 * scope and hands them over typed (DecisionParam); the connector checks that
 * each value is of its type before binding it.
 */
import { createHash } from 'node:crypto';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN, idsWellFormed } from '../ids.js';
import { isCalendarDate } from '../util/calendar-date.js';

/** The scope values a sandbox text may ask for. */
export type ScopeParam = 'sp_tenant' | 'sp_business' | 'sp_units';

/** The type of a decision value: text, a date (YYYY-MM-DD), a number, or a list of one of them. */
export type ValueType = 'text' | 'date' | 'number' | 'text[]' | 'date[]' | 'number[]';

/** A value of the policy's decision (a row filter's or a mask's), as the sandbox builder hands it over. */
export interface DecisionParam {
  readonly name: string;
  readonly type: ValueType;
  readonly value: string | number | readonly (string | number)[];
}

/** What a sandbox text binds, in placeholder order: a scope value by name, or a decision value. */
export type SandboxParam = ScopeParam | DecisionParam;

/** The part of the verified scope the connector binds. */
export interface BoundScope {
  readonly tenantId: string;
  readonly businessId: string;
  readonly units: readonly string[];
}

/** One bound value: an ID (`bigint`), the list of location IDs (`bigint[]`), or a decision value. */
export interface Binding {
  readonly name: string;
  readonly type: 'bigint' | 'bigint[]' | ValueType;
  readonly value: string | number | readonly (string | number)[];
}

const DECISION_PARAM = /^sp_v[1-9][0-9]{0,3}$/;
const fits = (type: string, v: unknown): boolean =>
  type === 'number'
    ? typeof v === 'number' && Number.isFinite(v)
    : typeof v === 'string' && v.length <= 200 && (type !== 'date' || isCalendarDate(v));

/** A decision value whose name, type and value agree; anything else is a broken sandbox. */
function decisionBinding(p: DecisionParam): Binding {
  const element = p.type.replace('[]', '');
  const ok =
    DECISION_PARAM.test(p.name) &&
    (p.type.endsWith('[]')
      ? Array.isArray(p.value) && p.value.length > 0 && p.value.every((v) => fits(element, v))
      : fits(element, p.value));
  if (!ok) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `decision value ${p.name}` });
  return { name: p.name, type: p.type, value: p.value };
}

/**
 * The values of `names` (in that order), from the verified scope. Refuses an unknown name, a
 * missing scope when anything is to be bound, and an ID that is not a decimal string.
 */
export function bindScope(
  params: readonly (string | DecisionParam)[] | undefined,
  scope: BoundScope | undefined,
): Binding[] {
  if (!params || params.length === 0) return [];
  if (!scope)
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'bound sandbox text without a verified scope' });
  const out: Binding[] = [];
  for (const param of params) {
    const name = typeof param === 'string' ? param : param.name;
    if (out.some((b) => b.name === name))
      throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `parameter ${name} twice` });
    if (typeof param !== 'string') {
      out.push(decisionBinding(param));
      continue;
    }
    const value =
      name === 'sp_tenant'
        ? scope.tenantId
        : name === 'sp_business'
          ? scope.businessId
          : name === 'sp_units'
            ? scope.units
            : undefined;
    if (value === undefined)
      throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'a parameter that is not part of the scope' });
    if (typeof value === 'string' ? !ID_PATTERN.test(value) : !idsWellFormed(value))
      throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope IDs' });
    out.push({ name, type: typeof value === 'string' ? 'bigint' : 'bigint[]', value });
  }
  return out;
}

/** Whether the scope's tenant, business and every location are IDs (ID_PATTERN). */
export function scopeIdsWellFormed(scope: BoundScope): boolean {
  return ID_PATTERN.test(scope.tenantId) && ID_PATTERN.test(scope.businessId) && idsWellFormed(scope.units);
}

/**
 * SHA-256 (hex) of the location IDs joined by commas, for the audit trail: the SQL it records names
 * the list only by placeholder. Cached per frozen list (a scope is reused until the directory changes).
 */
export function unitsDigest(list: readonly string[]): string {
  const hit = digests.get(list);
  if (hit) return hit;
  const digest = createHash('sha256').update(list.join(',')).digest('hex');
  if (Object.isFrozen(list)) digests.set(list, digest);
  return digest;
}
const digests = new WeakMap<readonly string[], string>();

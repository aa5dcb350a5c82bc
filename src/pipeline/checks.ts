/** The pipeline's own contract checks between stages: each a denial, never a repair. */
import type { AuditEvent } from '../audit/audit.js';
import type { RequestTrace } from '../audit/trace.js';
import { SplitplaneError } from '../errors.js';
import type { Identity } from '../identity/identity.js';
import { ID_PATTERN } from '../ids.js';
import type { Reference } from '../intent/analyze.js';
import type { Scope } from '../policy/scope.js';
import type { ValueIndex } from '../semantic/values.js';

/** The policy's scope must be about the verified identity; anything else is a broken policy. */
export function checkScope(scope: Scope, identity: Identity): Scope {
  if (
    scope.tenantId !== identity.tenantId ||
    scope.businessId !== identity.businessId ||
    scope.adminId !== identity.adminId
  ) {
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'scope is about another identity' });
  }
  return scope;
}

/**
 * Deny a question that names a tenant, business, admin or (once the scope is known) location outside
 * it. A location number is in scope when it is a granted location ID or the number of a granted
 * store ("store 17" for "Chicago #17").
 */
export function denyForeignReferences(
  refs: readonly Reference[],
  identity: Identity,
  trace: RequestTrace,
  scope?: Scope,
  values?: ValueIndex,
  unitDimension?: string,
): void {
  const foreign = refs.filter((r) => {
    if (r.kind === 'tenant') return r.id !== identity.tenantId;
    if (r.kind === 'business') return r.id !== identity.businessId;
    if (r.kind === 'admin') return r.id !== identity.adminId;
    return (
      scope !== undefined &&
      !scope.units.includes(r.id) &&
      (unitDimension === undefined || (values?.numbered(unitDimension, r.id).length ?? 0) === 0)
    );
  });
  if (foreign.length === 0) return;
  trace.note({ outOfScopeReferences: foreign });
  throw new SplitplaneError('SP_ERR_OUT_OF_SCOPE_REFERENCE', {
    detail: foreign.map((r) => `${r.kind} ${r.id}`).join(', '),
  });
}

/** The IDs a rejected request claimed, for forensics: only well-formed IDs, marked unverified. */
export function claimedIds(body: Buffer): AuditEvent['identity'] {
  try {
    const v = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const id = (k: string): Record<string, string> =>
      typeof v[k] === 'string' && ID_PATTERN.test(v[k]) ? { [k]: v[k] } : {};
    return { ...id('tenantId'), ...id('businessId'), ...id('adminId'), verified: false };
  } catch {
    return { verified: false };
  }
}

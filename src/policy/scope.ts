/**
 * The policy port and the Scope it decides. The scope comes only from the
 * verified identity and the policy; nothing the user typed reaches it.
 */
import type { Identity } from '../identity/identity.js';

/** What one admin may see, as decided by the policy. */
export interface Scope {
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  readonly role: string;
  /** Location IDs in scope (decimal strings), in ascending numeric order without repeats; may be empty. */
  readonly locations: readonly string[];
  /** Logical table -> allowed columns. */
  readonly tables: Readonly<Record<string, readonly string[]>>;
}

/** The policy port. Throws SP_ERR_POLICY_DENIED when the decision is deny. */
export interface PolicyEngine {
  decide(identity: Identity, signal?: AbortSignal): Promise<Scope>;
}

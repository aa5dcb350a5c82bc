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
  readonly units: readonly string[];
  /** Logical table -> allowed columns. */
  readonly tables: Readonly<Record<string, readonly string[]>>;
  /** Logical table -> row filters over its own columns (all must hold). */
  readonly filters?: Readonly<Record<string, readonly RowFilter[]>>;
  /** Filters over the locations dimension: narrow every table that has locations to the locations they keep. */
  readonly unitFilters?: readonly RowFilter[];
  /** Logical table -> column -> how the column is masked (an exposed column only). */
  readonly masks?: Readonly<Record<string, Readonly<Record<string, Mask>>>>;
  /** Peer benchmarks the caller may be shown (src/benchmark/); absent: none. */
  readonly benchmarks?: readonly BenchmarkGrant[];
}

/**
 * One benchmark grant: which measures (catalog metric ids) the caller may compare against peers, over
 * which fixed groupings (`business`, or a dimension of the grant unit's table such as `state`), released
 * only for a group of at least `k` peer units outside the caller's scope; `includeSelf`: whether the
 * caller's own units count in the released figures (never in k).
 */
export interface BenchmarkGrant {
  readonly measures: readonly string[];
  readonly groups: readonly string[];
  readonly k: number;
  readonly includeSelf: boolean;
}

/** The grouping that is the whole business. */
export const BUSINESS_GROUPING = 'business';

/** Comparison operators a row filter may use; a relative date window is resolved to `gte` when decided. */
export const FILTER_OPS = ['eq', 'ne', 'in', 'not_in', 'gte', 'lte', 'between'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** A value of a filter or mask: text, a date (YYYY-MM-DD) or a number, as the column's type requires. */
export type DecisionScalar = string | number;

/** One structured predicate: `column op values` (one value, two for between, one or more for in and not_in). */
export interface RowFilter {
  readonly column: string;
  readonly op: FilterOp;
  readonly values: readonly DecisionScalar[];
}

/** How a column's values are replaced in the sandbox. */
export type Mask =
  | { readonly kind: 'null' }
  | { readonly kind: 'fixed'; readonly value: string }
  /**
   * A keyed SHA-256 (hex) of the value: equal values stay equal (joinable) within the scope's tenant and
   * business. The key is derived from the deployment's secret (SPLITPLANE_MASK_KEY) for that tenant and
   * business (policy/refinements.ts, scopeMaskKey), so equal values hash differently in another one;
   * it is bound, never in the text.
   */
  | { readonly kind: 'hash'; readonly key: string }
  /** `m•••@example.com`: the first character, and the domain. */
  | { readonly kind: 'partial_email' }
  | { readonly kind: 'round'; readonly digits: number }
  | { readonly kind: 'bucket'; readonly width: number };
export const MASK_KINDS = ['null', 'fixed', 'hash', 'partial_email', 'round', 'bucket'] as const;

/** The policy port. Throws SP_ERR_POLICY_DENIED when the decision is deny. */
export interface PolicyEngine {
  decide(identity: Identity, signal?: AbortSignal): Promise<Scope>;
}

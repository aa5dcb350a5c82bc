/**
 * The benchmark grants of a decision (issue 38): which measures a caller may compare against peers,
 * over which fixed groupings, with which minimum group size k. Rego returns them as structured data;
 * this file checks the shape (k an integer >= 2, no empty list, at most one grouping besides `business`
 * across all the grants) and every measure and grouping against
 * the deployment's benchmark vocabulary (the catalog's, src/benchmark/vocabulary.ts). Anything it does
 * not know is SP_ERR_POLICY_INVALID: fail closed.
 *
 *   benchmarks: [{"measures": ["<a metric id>"], "groups": ["business", "state"], "k": 10, "includeSelf": false}]
 *
 * Without a vocabulary (an adapter opened by a tool that does not serve benchmarks) the shape is still
 * checked, and no grant is carried: a scope never holds a benchmark that was not checked by name.
 */
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { BUSINESS_GROUPING, type BenchmarkGrant, type Scope } from './scope.js';

const Name = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/);
const GrantShape = z
  .object({
    measures: z.array(Name).min(1).max(50),
    groups: z.array(Name).min(1).max(20),
    k: z.number().int().min(2).max(1_000_000),
    includeSelf: z.boolean(),
  })
  .strict();

/** The optional decision field, as Rego returns it (checked for shape only). */
export const BenchmarkFields = { benchmarks: z.array(GrantShape).max(20).optional() };

/** The measures and groupings (besides `business`) a deployment can benchmark. */
export interface BenchmarkVocabulary {
  readonly measures: readonly string[];
  readonly groupings: readonly string[];
}

/** The decision's grants, checked against `vocabulary`; none without one (see the top of this file). */
export function benchmarksOf(
  raw: z.infer<typeof BenchmarkFields.benchmarks>,
  vocabulary: BenchmarkVocabulary | undefined,
): Pick<Scope, 'benchmarks'> {
  if (!raw?.length || !vocabulary) return {};
  const grants: BenchmarkGrant[] = raw.map((g) => {
    for (const m of g.measures)
      if (!vocabulary.measures.includes(m))
        throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `benchmark of unknown measure ${m}` });
    for (const group of g.groups)
      if (group !== BUSINESS_GROUPING && !vocabulary.groupings.includes(group))
        throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `benchmark over unknown grouping ${group}` });
    return Object.freeze({
      measures: Object.freeze([...new Set(g.measures)]),
      groups: Object.freeze([...new Set(g.groups)]),
      k: g.k,
      includeSelf: g.includeSelf,
    });
  });
  // One grouping besides the business, across all the grants: two (a state and a city in it) could
  // be subtracted from each other to give a group under k, which the complement rule, checked within
  // one grouping against the business, does not see (found by review).
  const groupings = new Set(grants.flatMap((g) => g.groups.filter((x) => x !== BUSINESS_GROUPING)));
  if (groupings.size > 1)
    throw new SplitplaneError('SP_ERR_POLICY_INVALID', {
      detail: `benchmarks over more than one grouping besides the business (${[...groupings].join(', ')})`,
    });
  return { benchmarks: Object.freeze(grants) };
}

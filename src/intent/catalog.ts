/**
 * The metric catalog (catalog/metrics.yaml), validated strictly at start-up:
 * unknown keys, duplicate ids, a synonym claimed by two metrics, or an
 * ambiguity that names an unknown metric all fail the boot.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { deepFreeze } from '../util/freeze.js';

const phrase = z.string().min(2).max(60).regex(/^[a-z0-9 ]+$/, 'synonyms are lower-case words');
const id = z.string().regex(/^[a-z][a-z0-9_]*$/);

const MetricSchema = z
  .object({
    id,
    label: z.string().min(1),
    description: z.string().min(1),
    table: id,
    sql: z.string().min(1).max(500),
    unit: z.string().min(1),
    format: z.enum(['currency', 'integer', 'decimal']),
    synonyms: z.array(phrase).min(1),
  })
  .strict();

const DimensionSchema = z
  .object({
    id,
    label: z.string().min(1),
    synonyms: z.array(phrase).min(1),
    column: z.string().min(1).max(200),
    join: id.optional(),
    requires: id.optional(),
  })
  .strict();

const CatalogSchema = z
  .object({
    version: z.literal(1),
    defaultTimeRange: z.enum(['last_7_days', 'last_week', 'last_30_days', 'last_month']),
    metrics: z.array(MetricSchema).min(1),
    ambiguous: z
      .array(z.object({ term: phrase, choices: z.array(id).min(2), question: z.string().min(1) }).strict())
      .default([]),
    dimensions: z.array(DimensionSchema).default([]),
  })
  .strict();

export type Metric = z.infer<typeof MetricSchema>;
export type Dimension = z.infer<typeof DimensionSchema>;
export type Catalog = z.infer<typeof CatalogSchema>;

/** Validate a catalog object; throws SP_ERR_CONFIG with every problem found. */
export function parseCatalog(raw: unknown, source = 'catalog'): Catalog {
  const r = CatalogSchema.safeParse(raw);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${detail}` });
  }
  const c = r.data;
  const problems: string[] = [];
  const metricIds = new Set<string>();
  const claimed = new Map<string, string>();
  for (const m of c.metrics) {
    if (metricIds.has(m.id)) problems.push(`metric ${m.id} defined twice`);
    metricIds.add(m.id);
    for (const s of m.synonyms) {
      const owner = claimed.get(s);
      if (owner && owner !== m.id) problems.push(`synonym "${s}" names both ${owner} and ${m.id}`);
      claimed.set(s, m.id);
    }
  }
  for (const a of c.ambiguous) {
    for (const choice of a.choices) if (!metricIds.has(choice)) problems.push(`ambiguous "${a.term}" names unknown metric ${choice}`);
    if (claimed.has(a.term)) problems.push(`"${a.term}" is both a synonym and ambiguous`);
  }
  const dimIds = new Set<string>();
  for (const d of c.dimensions) {
    if (dimIds.has(d.id)) problems.push(`dimension ${d.id} defined twice`);
    dimIds.add(d.id);
  }
  if (problems.length) throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${problems.join('; ')}` });
  return deepFreeze(c);
}

/** Load and validate the catalog file. */
export function loadCatalog(path: string): Catalog {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `cannot read catalog ${path}`, cause });
  }
  return parseCatalog(raw, path);
}

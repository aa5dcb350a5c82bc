/**
 * The semantic catalog (catalog/metrics.yaml): measures, dimensions, the
 * words for them and how they map onto the sandbox tables. Validated strictly
 * at start-up against the sandbox table registry: an unknown key, table or
 * column, a formula over an unknown or cyclic measure, measures of two tables
 * in one formula, or a word claimed twice all fail the boot.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { loadTableRegistry, sandboxColumn, sandboxTable, type TableRegistry } from '../schema/tables.js';
import { deepFreeze } from '../util/freeze.js';
import { namesIn, parseExpr, type Expr } from './expr.js';

const phrase = z
  .string()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9][a-z0-9 %']*$/, 'words are lower case');
const id = z.string().regex(/^[a-z][a-z0-9_]*$/);
const format = z.enum(['currency', 'integer', 'decimal', 'percent']);

const TableSchema = z
  .object({ alias: z.string().regex(/^[a-z]$/), time: id.optional(), joins: z.record(id, id).default({}) })
  .strict();

const BaseMetricSchema = z
  .object({
    id,
    label: z.string().min(1),
    description: z.string().min(1),
    table: id,
    aggregate: z.enum(['sum', 'count', 'count_distinct', 'avg', 'min', 'max']),
    expr: z.string().min(1).max(200),
    decimals: z.number().int().min(0).max(6).optional(),
    format,
    synonyms: z.array(phrase).default([]),
    internal: z.boolean().default(false),
    alternates: z.record(id, id).optional(),
  })
  .strict();

const DerivedMetricSchema = z
  .object({
    id,
    label: z.string().min(1),
    description: z.string().min(1),
    formula: z.string().min(1).max(200),
    decimals: z.number().int().min(0).max(6),
    format,
    synonyms: z.array(phrase).default([]),
    internal: z.boolean().default(false),
    alternates: z.record(id, id).optional(),
  })
  .strict();

const common = { id, label: z.string().min(1), plural: z.string().min(1), synonyms: z.array(phrase).min(1) };
const DimensionSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...common,
      kind: z.literal('attribute'),
      table: id,
      column: id,
      key: id.optional(),
      values: z.literal('data').optional(),
      members: id.optional(),
      known: z.array(z.string().min(1).max(60)).optional(),
      vocabulary: z.record(z.string().min(1).max(60), z.array(phrase).min(1)).optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('time'),
      grain: z.enum(['day', 'week', 'month', 'quarter', 'year', 'weekday']),
    })
    .strict(),
  z.object({ ...common, kind: z.literal('date'), table: id, column: id, verbs: z.array(phrase).default([]) }).strict(),
]);

const CatalogSchema = z
  .object({
    version: z.literal(2),
    defaultTimeRange: z.enum(['last_7_days', 'last_week', 'last_30_days', 'last_month']),
    tables: z.record(id, TableSchema),
    metrics: z.array(z.union([BaseMetricSchema, DerivedMetricSchema])).min(1),
    implied: z
      .array(
        z
          .object({
            words: z.array(phrase).min(1),
            measure: id,
            about: z.array(id).min(1).optional(),
            names: id.optional(),
          })
          .strict(),
      )
      .default([]),
    ambiguous: z
      .array(
        z
          .object({
            term: phrase,
            choices: z.array(id).min(2),
            question: z.string().min(1),
            whenAlone: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    dimensions: z.array(DimensionSchema).default([]),
    /** How splitplane speaks of this domain to a model and in ask-backs (each has a plain default). */
    wording: z
      .object({
        /** "a restaurant business user": who asks (the model-fill prompt). */
        audience: z.string().min(1).max(80).default('a business user'),
        /** "restaurant businesses": whose questions (the triage prompt). */
        business: z.string().min(1).max(80).default('businesses'),
        /** What the data covers, in a sentence's words (the triage prompt); default: the tables' descriptions. */
        covers: z.string().min(1).max(400).optional(),
        /** "stores, cities or items": what a person names in a question (ask-backs). */
        values: z.string().min(1).max(80).optional(),
        /** Words that name the whole business as a peer group in a comparison ("the brand average"), beside `identity.business`. */
        peers: z.array(phrase).max(20).default([]),
        /** Words that introduce an ID of the caller's tenant, business or admin ("business 544"): denied when it is not the caller's. */
        identity: z
          .object({
            tenant: z.array(phrase).min(1).default(['tenant']),
            business: z.array(phrase).min(1).default(['business', 'company']),
            admin: z.array(phrase).min(1).default(['admin', 'user']),
          })
          .strict()
          .prefault({}),
        /** Worked examples for the SQL prompt: a question and its SQL over the logical tables. */
        examples: z
          .array(z.object({ question: z.string().min(1).max(200), sql: z.string().min(1).max(1_000) }).strict())
          .max(5)
          .default([]),
      })
      .strict()
      .prefault({}),
    /** The measures offered when a question names none ("best day last week": best by which?). */
    headline: z.array(id).max(5).default([]),
    /**
     * Shop talk read as the words it stands for, one word each ("mtd": month to date, "wow": week
     * over week): the parser then reads those words.
     */
    shorthand: z
      .record(z.string().regex(/^[a-z][a-z0-9]{0,15}$/, 'a shorthand is one lower-case word'), phrase)
      .default({}),
    /** Named days of the business calendar ("black friday"), with their dates: a name means its most recent past date. */
    namedDays: z
      .array(
        z
          .object({
            words: z.array(phrase).min(1),
            dates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')).min(1),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** A measure, resolved: its fact table, and either an aggregate or a formula over other measures. */
export interface Metric {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly format: 'currency' | 'integer' | 'decimal' | 'percent';
  readonly decimals: number | undefined;
  readonly synonyms: readonly string[];
  readonly internal: boolean;
  /** The fact table every row of this measure comes from. */
  readonly table: string;
  readonly aggregate?: 'sum' | 'count' | 'count_distinct' | 'avg' | 'min' | 'max';
  readonly expr?: Expr;
  readonly formula?: Expr;
  /** Tables joined to the fact table to compute it (menu_items for food cost). */
  readonly needs: readonly string[];
  /** The measure this one means in a question about another table's dimension (menu items). */
  readonly alternates: Readonly<Record<string, string>>;
}

/** A dimension, as declared. */
export type Dimension = z.infer<typeof DimensionSchema>;
export type AttributeDimension = Extract<Dimension, { kind: 'attribute' }>;
export type TimeDimension = Extract<Dimension, { kind: 'time' }>;
export type DateDimension = Extract<Dimension, { kind: 'date' }>;

/** The validated, frozen catalog. */
export interface Catalog {
  /** The tables the catalog is written against (catalog/tables.yaml). */
  readonly schema: TableRegistry;
  readonly defaultTimeRange: 'last_7_days' | 'last_week' | 'last_30_days' | 'last_month';
  readonly tables: Readonly<
    Record<
      string,
      { readonly alias: string; readonly time?: string | undefined; readonly joins: Readonly<Record<string, string>> }
    >
  >;
  readonly metrics: readonly Metric[];
  /** `about`: the words imply the measure only in a question about one of these dimensions ("how many burgers"). */
  /** `names`: the words name that dimension too ("best seller": the menu item ranked by items sold). */
  readonly implied: readonly {
    readonly words: readonly string[];
    readonly measure: string;
    readonly about?: readonly string[] | undefined;
    readonly names?: string | undefined;
  }[];
  readonly ambiguous: readonly {
    readonly term: string;
    readonly choices: readonly string[];
    readonly question: string;
    readonly whenAlone: boolean;
  }[];
  readonly dimensions: readonly Dimension[];
  readonly headline: readonly string[];
  readonly wording: Wording;
  readonly namedDays: readonly NamedDay[];
  /** One-word shop talk and the words it stands for ("mtd": "month to date"). */
  readonly shorthand: Readonly<Record<string, string>>;
}

/** How splitplane speaks of the domain (catalog `wording`). */
export interface Wording {
  readonly audience: string;
  readonly business: string;
  readonly covers?: string | undefined;
  readonly values?: string | undefined;
  readonly peers: readonly string[];
  readonly identity: {
    readonly tenant: readonly string[];
    readonly business: readonly string[];
    readonly admin: readonly string[];
  };
  readonly examples: readonly { readonly question: string; readonly sql: string }[];
}

/** A named day of the business calendar and its dates, one per year. */
export interface NamedDay {
  readonly words: readonly string[];
  readonly dates: readonly string[];
}

/** The measure with this id, or undefined. */
export function metricById(catalog: Catalog, metricId: string): Metric | undefined {
  return catalog.metrics.find((m) => m.id === metricId);
}

/** The dimension with this id, or undefined. */
export function dimensionById(catalog: Catalog, dimensionId: string): Dimension | undefined {
  return catalog.dimensions.find((d) => d.id === dimensionId);
}

/** One step of a join path: join `table` on `key`, a column of both it and the table before it (`from`). */
export interface JoinStep {
  readonly from: string;
  readonly table: string;
  readonly key: string;
}

/** Joins may chain at most this many steps from a fact table (events -> projects -> teams is two). */
export const MAX_JOIN_STEPS = 3;

/**
 * The shortest chain of declared joins from `from` to `to` (each table's `joins`), or undefined when
 * there is none within MAX_JOIN_STEPS. `[]` when they are the same table.
 */
export function joinPath(catalog: Pick<Catalog, 'tables'>, from: string, to: string): readonly JoinStep[] | undefined {
  if (from === to) return [];
  let frontier: { table: string; path: JoinStep[] }[] = [{ table: from, path: [] }];
  const seen = new Set([from]);
  for (let depth = 0; depth < MAX_JOIN_STEPS && frontier.length; depth++) {
    const next: { table: string; path: JoinStep[] }[] = [];
    for (const { table, path } of frontier) {
      for (const [target, key] of Object.entries(catalog.tables[table]?.joins ?? {})) {
        if (seen.has(target)) continue;
        seen.add(target);
        const step = [...path, { from: table, table: target, key }];
        if (target === to) return step;
        next.push({ table: target, path: step });
      }
    }
    frontier = next;
  }
  return undefined;
}

/** Every phrase the catalog names its public measures and its dimensions by (labels, plurals, synonyms). */
export function catalogPhrases(catalog: Catalog): string[] {
  return [
    ...catalog.metrics.filter((m) => !m.internal).flatMap((m) => [m.label, ...m.synonyms]),
    ...catalog.dimensions.flatMap((d) => [d.label, d.plural, ...d.synonyms]),
  ];
}

/** A measure of a table without a time column ("number of stores"): it counts what exists, over no period. */
export function isTimeless(catalog: Catalog, m: Pick<Metric, 'table'> | string): boolean {
  const metric = typeof m === 'string' ? metricById(catalog, m) : m;
  return metric !== undefined && catalog.tables[metric.table]?.time === undefined;
}

/** Every table a fact table reaches through its joins (itself included). */
export function reachableTables(catalog: Pick<Catalog, 'tables'>, from: string): ReadonlySet<string> {
  const perCatalog = reach.get(catalog) ?? new Map<string, ReadonlySet<string>>();
  reach.set(catalog, perCatalog);
  let hit = perCatalog.get(from);
  if (!hit) {
    hit = new Set(Object.keys(catalog.tables).filter((t) => joinPath(catalog, from, t) !== undefined));
    perCatalog.set(from, hit);
  }
  return hit;
}
const reach = new WeakMap<object, Map<string, ReadonlySet<string>>>();

/** The attribute dimension whose rows are `table`'s rows (it has a key on that table): "store" for the stores' table. */
export function rowDimension(catalog: Catalog, table: string): AttributeDimension | undefined {
  return catalog.dimensions.find(
    (d): d is AttributeDimension => d.kind === 'attribute' && d.table === table && d.key !== undefined,
  );
}

/** The dimension that names the grant unit's rows (the demo's "store"), if the catalog has one. */
export function unitDimension(catalog: Catalog): AttributeDimension | undefined {
  const u = catalog.schema.grantUnit;
  return catalog.dimensions.find(
    (d): d is AttributeDimension => d.kind === 'attribute' && d.table === u.table && d.key === u.key,
  );
}

/** "your 2 locations": a count of the caller's grant units, in the catalog's words for them. */
export function unitCount(catalog: Catalog, n: number): string {
  const u = catalog.schema.grantUnit;
  return `${n} ${(n === 1 ? u.name : u.plural).replaceAll('_', ' ')}`;
}

/** The measures a user may be offered (not internal ones). */
export function publicMetrics(catalog: Catalog): readonly Metric[] {
  return catalog.metrics.filter((m) => !m.internal);
}

/** Validate a catalog object; throws SP_ERR_CONFIG with every problem found. */
export function parseCatalog(raw: unknown, schema: TableRegistry, source = 'catalog'): Catalog {
  const r = CatalogSchema.safeParse(raw);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${detail}` });
  }
  const c = r.data;
  const problems: string[] = [];
  const column = (table: string, col: string): boolean => sandboxColumn(schema, table, col) !== undefined;

  const aliases = new Map<string, string>();
  for (const [name, t] of Object.entries(c.tables)) {
    if (!sandboxTable(schema, name)) problems.push(`table ${name} is not a sandbox table`);
    if (t.time !== undefined && !column(name, t.time)) problems.push(`table ${name}: no column ${t.time}`);
    for (const [target, key] of Object.entries(t.joins)) {
      if (!c.tables[target]) problems.push(`table ${name} joins unknown table ${target}`);
      else if (!column(name, key) || !column(target, key))
        problems.push(`join ${name} -> ${target}: ${key} is not a column of both`);
    }
    // Fact tables may share an alias (a query reads one); other tables may not.
    const other = aliases.get(t.alias);
    if (other && (t.time === undefined || c.tables[other]?.time === undefined))
      problems.push(`tables ${other} and ${name} share alias ${t.alias}`);
    aliases.set(t.alias, name);
  }

  const rawById = new Map<string, (typeof c.metrics)[number]>();
  for (const m of c.metrics) {
    if (rawById.has(m.id)) problems.push(`metric ${m.id} defined twice`);
    rawById.set(m.id, m);
  }
  const resolved = new Map<string, Metric>();
  const resolve = (metricId: string, path: readonly string[]): Metric | undefined => {
    const done = resolved.get(metricId);
    if (done) return done;
    const m = rawById.get(metricId);
    if (!m) return undefined;
    if (path.includes(metricId)) {
      problems.push(`metric ${metricId}: formula cycle ${[...path, metricId].join(' -> ')}`);
      return undefined;
    }
    const base = {
      id: m.id,
      label: m.label,
      description: m.description,
      format: m.format,
      decimals: m.decimals,
      synonyms: m.synonyms,
      internal: m.internal,
      alternates: m.alternates ?? {},
    };
    let out: Metric | undefined;
    if ('aggregate' in m) {
      const table = c.tables[m.table];
      let expr: Expr | undefined;
      try {
        expr = parseExpr(m.expr);
      } catch (e) {
        problems.push(`metric ${m.id}: expr ${(e as Error).message}`);
      }
      // A table without a time column holds timeless measures: counts of its members ("how many stores").
      if (!table) problems.push(`metric ${m.id}: table ${m.table} is not a table of the catalog`);
      const needs = new Set<string>();
      for (const n of expr ? namesIn(expr) : []) {
        if (n.table === undefined) {
          if (!column(m.table, n.name)) problems.push(`metric ${m.id}: ${m.table} has no column ${n.name}`);
        } else if (!table?.joins[n.table] || !column(n.table, n.name)) {
          problems.push(`metric ${m.id}: ${n.table}.${n.name} is not a column of a table ${m.table} joins`);
        } else needs.add(n.table);
      }
      if (expr) out = { ...base, table: m.table, aggregate: m.aggregate, expr, needs: [...needs] };
    } else {
      let formula: Expr | undefined;
      try {
        formula = parseExpr(m.formula);
      } catch (e) {
        problems.push(`metric ${m.id}: formula ${(e as Error).message}`);
      }
      const parts: Metric[] = [];
      for (const n of formula ? namesIn(formula) : []) {
        const part = n.table === undefined ? resolve(n.name, [...path, metricId]) : undefined;
        if (!part)
          problems.push(`metric ${m.id}: formula names unknown metric ${n.table ? `${n.table}.` : ''}${n.name}`);
        else parts.push(part);
      }
      const tables = new Set(parts.map((p) => p.table));
      if (tables.size > 1) problems.push(`metric ${m.id}: formula mixes tables ${[...tables].join(', ')}`);
      if (formula && parts.length > 0 && tables.size === 1) {
        out = { ...base, table: parts[0]!.table, formula, needs: [...new Set(parts.flatMap((p) => p.needs))] };
      }
    }
    if (out) resolved.set(metricId, out);
    return out;
  };
  for (const m of c.metrics) resolve(m.id, []);

  const claimed = new Map<string, string>();
  const claim = (word: string, owner: string): void => {
    const other = claimed.get(word);
    if (other && other !== owner) problems.push(`"${word}" names both ${other} and ${owner}`);
    claimed.set(word, owner);
  };
  for (const m of c.metrics) {
    if (!m.internal && m.synonyms.length === 0) problems.push(`metric ${m.id} has no synonyms`);
    for (const s of m.synonyms) claim(s, `metric ${m.id}`);
  }
  for (const i of c.implied) {
    if (!resolved.has(i.measure)) problems.push(`implied words name unknown metric ${i.measure}`);
    for (const d of [...(i.about ?? []), ...(i.names ? [i.names] : [])])
      if (!c.dimensions.some((x) => x.id === d))
        problems.push(`implied words for ${i.measure} are about unknown dimension ${d}`);
    for (const w of i.words) claim(w, `implied ${i.measure}`);
  }
  for (const m of resolved.values()) {
    for (const [table, alt] of Object.entries(m.alternates)) {
      const a = resolved.get(alt);
      if (!c.tables[table]) problems.push(`metric ${m.id}: alternates names unknown table ${table}`);
      if (!a || (a.table !== table && !c.tables[a.table]?.joins[table]))
        problems.push(`metric ${m.id}: alternate ${alt} cannot reach ${table}`);
    }
  }
  for (const a of c.ambiguous) {
    claim(a.term, `ambiguous "${a.term}"`);
    for (const choice of a.choices)
      if (!resolved.has(choice)) problems.push(`ambiguous "${a.term}" names unknown metric ${choice}`);
  }
  const dimIds = new Set<string>();
  for (const d of c.dimensions) {
    if (dimIds.has(d.id) || rawById.has(d.id)) problems.push(`dimension ${d.id} defined twice`);
    dimIds.add(d.id);
    for (const s of d.synonyms) claim(s, `dimension ${d.id}`);
    if (d.kind !== 'time') {
      if (!c.tables[d.table]) problems.push(`dimension ${d.id}: table ${d.table} is not in the catalog`);
      if (!column(d.table, d.column)) problems.push(`dimension ${d.id}: ${d.table} has no column ${d.column}`);
      if (d.kind === 'attribute' && d.key !== undefined && !column(d.table, d.key))
        problems.push(`dimension ${d.id}: ${d.table} has no column ${d.key}`);
    }
  }
  for (const d of c.dimensions) {
    if (
      d.kind === 'attribute' &&
      d.members !== undefined &&
      !c.dimensions.some((x) => x.id === d.members && x.kind === 'attribute')
    ) {
      problems.push(`dimension ${d.id}: members names unknown dimension ${d.members}`);
    }
  }
  for (const h of c.headline)
    if (!resolved.get(h) || resolved.get(h)!.internal) problems.push(`headline names unknown or internal metric ${h}`);
  if (problems.length) throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${problems.join('; ')}` });
  const frozen = deepFreeze({
    defaultTimeRange: c.defaultTimeRange,
    tables: c.tables,
    metrics: c.metrics.map((m) => resolved.get(m.id)!),
    implied: c.implied,
    ambiguous: c.ambiguous,
    dimensions: c.dimensions,
    headline: c.headline,
    wording: c.wording,
    namedDays: c.namedDays,
    shorthand: c.shorthand,
  });
  // The registry is frozen already; deepFreeze of the rest leaves it as loaded.
  return Object.freeze({ ...frozen, schema });
}

/**
 * The two files of a catalog: `path` is the catalog folder (metrics.yaml and tables.yaml in it) or
 * its metrics file (tables.yaml beside it).
 */
export function catalogFiles(path: string): { readonly metrics: string; readonly tables: string } {
  const folder = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  return folder
    ? { metrics: join(path, 'metrics.yaml'), tables: join(path, 'tables.yaml') }
    : { metrics: path, tables: join(dirname(path), 'tables.yaml') };
}

/** The catalog's revision: a digest of its two files as they are on disk (the answer cache keys on it). */
export function catalogRevision(path: string): string {
  const files = catalogFiles(path);
  const h = createHash('sha256');
  for (const f of [files.tables, files.metrics]) h.update(readFileSync(f)).update('\n');
  return h.digest('hex');
}

/** Load and validate a catalog: its table registry, then its measures and dimensions against it. */
export function loadCatalog(path: string): Catalog {
  const files = catalogFiles(path);
  const schema = loadTableRegistry(files.tables);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(files.metrics, 'utf8'));
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `cannot read catalog ${files.metrics}`, cause });
  }
  return parseCatalog(raw, schema, files.metrics);
}

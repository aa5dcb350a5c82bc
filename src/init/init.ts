/**
 * `splitplane init`: read a warehouse's information schema, guess a starting domain description
 * (src/init/guess.ts), write it for a person to review (src/init/render.ts), after checking that
 * what is written is well formed:
 *
 *   - tables.yaml parses with parseTableRegistry once its scopes are marked confirmed, and is
 *     refused as written (every scope `confirmed: false`: serve refuses it until a person checks);
 *   - metrics.yaml parses with parseCatalog against that registry;
 *   - eval/questions.yaml parses with the evaluator's own loader.
 *
 * A check that fails here is a bug of init, never the user's: nothing is written then.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadEvalFile } from '../eval/file.js';
import { parseTableRegistry, type TableRegistry } from '../schema/tables.js';
import { parseCatalog } from '../semantic/catalog.js';
import { BadInput } from './errors.js';
import { guess, type GuessOptions, type InitPlan } from './guess.js';
import type { WarehouseTarget } from './introspect.js';
import { openIntrospector } from './open-introspector.js';
import { renderEval, renderMetrics, renderPolicy, renderTables } from './render.js';
import { ASCII_IDENT, type RawTable } from './types.js';

/** Most tables init describes at once (also the most the registry may expose). */
export const TABLE_LIMIT = 200;

/** The files init writes, relative to the output folder. */
export const INIT_FILES = Object.freeze({
  tables: 'catalog/tables.yaml',
  metrics: 'catalog/metrics.yaml',
  policy: 'policies/splitplane.rego',
  eval: 'eval/questions.yaml',
});

export interface InitOptions extends GuessOptions {
  readonly target: WarehouseTarget;
  /** The schema to read (default: the one splitplane's engine reads: DuckDB main, PostgreSQL warehouse). */
  readonly schema?: string | undefined;
  /** Only these raw tables (the directory's among them). */
  readonly tables?: readonly string[] | undefined;
  readonly out: string;
  readonly force: boolean;
  /** The date written into the files and the evaluation skeleton (default: today, UTC). */
  readonly today?: string;
}

export interface InitResult {
  readonly plan: InitPlan;
  /** The files written, absolute or as given under `out`. */
  readonly written: readonly string[];
}

/** Run init. Throws BadInput (exit 2) or WarehouseUnreachable (exit 3). */
export async function runInit(opts: InitOptions): Promise<InitResult> {
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const paths = Object.fromEntries(Object.entries(INIT_FILES).map(([k, f]) => [k, join(opts.out, f)])) as Record<
    keyof typeof INIT_FILES,
    string
  >;
  // Before anything is read: a catalog already there is not overwritten without --force.
  const there = Object.values(paths).filter((p) => existsSync(p));
  if (there.length && !opts.force) {
    throw new BadInput(
      `${opts.out} already holds a catalog (${there.join(', ')}): not overwritten; add --force to replace it, or choose another --out`,
    );
  }
  if (opts.schema !== undefined && !ASCII_IDENT.test(opts.schema))
    throw new BadInput(`--schema ${JSON.stringify(opts.schema)}: not an ASCII identifier`);

  const intro = await openIntrospector(opts.target);
  let plan: InitPlan;
  try {
    const schema = opts.schema ?? intro.defaultSchema;
    // In code-point order whatever the engine's collation (the files are the same from every engine).
    const names = (await intro.tableNames(schema)).sort();
    if (names.length === 0)
      throw new BadInput(`no table in schema ${schema} of ${intro.where}; name the schema with --schema`);
    let selection: string[];
    if (opts.tables) {
      const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
      const missing = opts.tables.filter((t) => !names.includes(t) && !byLower.has(t.toLowerCase()));
      if (missing.length)
        throw new BadInput(`--tables: no table ${missing.join(', ')} in schema ${schema} of ${intro.where}`);
      selection = [...new Set(opts.tables.map((t) => (names.includes(t) ? t : byLower.get(t.toLowerCase())!)))];
      if (selection.length > TABLE_LIMIT)
        throw new BadInput(
          `--tables names ${selection.length} tables, more than ${TABLE_LIMIT}: describe them in parts`,
        );
    } else {
      if (names.length > TABLE_LIMIT) {
        throw new BadInput(
          `schema ${schema} holds ${names.length} tables, more than ${TABLE_LIMIT}: name the ones to describe with --tables a,b,c (the directory's admins, businesses and grants tables among them), or another schema with --schema`,
        );
      }
      selection = names;
    }
    const described = new Map((await intro.columns(schema, selection)).map((t) => [t.name, t]));
    const tables: RawTable[] = selection.map((name) => described.get(name) ?? { name, columns: [] });
    plan = guess(
      { engine: intro.engine, where: intro.where, schema, servedSchema: intro.defaultSchema, allTables: names, tables },
      opts,
    );
  } finally {
    await intro.close();
  }

  const texts = {
    tables: renderTables(plan, today),
    metrics: renderMetrics(plan, today),
    policy: renderPolicy(plan, today),
    eval: renderEval(plan, today),
  };
  selfCheck(texts);
  for (const [k, text] of Object.entries(texts)) {
    const p = paths[k as keyof typeof paths];
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { plan, written: Object.values(paths) };
}

/**
 * What init writes must be what splitplane reads: the registry refused as written only for its
 * unconfirmed scopes, and accepted with them confirmed; the catalog valid against it; the
 * evaluation file valid. A failure is init's bug.
 */
function selfCheck(texts: { tables: string; metrics: string; eval: string }): void {
  const bug = (what: string, cause: unknown): Error =>
    new Error(
      `init wrote ${what} that splitplane refuses (a bug of init): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  const written = parseYaml(texts.tables) as { tables: Record<string, { scope: { confirmed?: boolean } }> };
  if (Object.values(written.tables).some((t) => t.scope.confirmed !== false))
    throw bug('a scope', 'not marked confirmed: false');
  let refused = false;
  try {
    parseTableRegistry(written, 'tables.yaml');
  } catch (e) {
    refused = /not confirmed/.test(e instanceof Error ? e.message : '');
  }
  if (!refused) throw bug('tables.yaml', 'serve would not refuse its unconfirmed scopes');
  let registry: TableRegistry;
  try {
    registry = parseTableRegistry(confirmedCopy(written), 'tables.yaml');
  } catch (e) {
    throw bug('tables.yaml', e);
  }
  try {
    parseCatalog(parseYaml(texts.metrics), registry, 'metrics.yaml');
  } catch (e) {
    throw bug('metrics.yaml', e);
  }
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-init-'));
  try {
    writeFileSync(join(dir, 'questions.yaml'), texts.eval);
    loadEvalFile(join(dir, 'questions.yaml'));
  } catch (e) {
    throw bug('eval/questions.yaml', e);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A copy of a registry object with every table's scope confirmed (to check the rest of it). */
export function confirmedCopy<T>(registry: T): T {
  const copy = structuredClone(registry) as { tables?: Record<string, { scope?: Record<string, unknown> }> };
  for (const t of Object.values(copy.tables ?? {}))
    if (t.scope && typeof t.scope === 'object') t.scope['confirmed'] = true;
  return copy as T;
}

/**
 * `splitplane init`: a starting catalog, policy and evaluation skeleton from a warehouse's
 * information schema (src/init/). The guesses and the rules behind them go to stdout, what was
 * skipped to stderr. Exit 0 written; 2 bad input (nothing written: no tenant-like column, too
 * many tables, a catalog already in --out, ...; or written without what was skipped: a non-ASCII
 * or reserved name, an unsupported type, each listed); 3 the warehouse cannot be reached.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BadInput, WarehouseUnreachable } from '../init/errors.js';
import { GUESS_RULES } from '../init/guess.js';
import { runInit } from '../init/init.js';
import type { WarehouseTarget } from '../init/introspect.js';
import { EXIT, note, Unavailable, UsageError } from './common.js';
import { loadConfig } from './load-config.js';

export interface WarehouseOptions {
  readonly duckdb?: string;
  readonly postgres?: string;
  readonly config?: string;
}

export interface InitCommandOptions extends WarehouseOptions {
  readonly schema?: string;
  readonly tables?: string[];
  readonly out: string;
  readonly force: boolean;
  readonly tenantColumn?: string;
  readonly businessColumn?: string;
  readonly unit?: { table: string; column: string };
}

/** The warehouse named by --duckdb, --postgres or --config (its warehouse section; Databricks only this way). */
export function warehouseTarget(o: WarehouseOptions, command: string): WarehouseTarget {
  const given = [o.duckdb && '--duckdb', o.postgres && '--postgres', o.config && '--config'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${command}: name one warehouse (${given.join(', ')} were given)`);
  if (o.duckdb) return { engine: 'duckdb', path: o.duckdb };
  if (o.postgres) return { engine: 'postgres', url: o.postgres };
  if (!o.config)
    throw new UsageError(`${command}: name the warehouse with --duckdb FILE, --postgres URL or --config FILE`);
  return configTarget(o.config);
}

/** The warehouse of a configuration file. */
export function configTarget(path: string | undefined): WarehouseTarget {
  const w = loadConfig(path).warehouse;
  if (w.engine === 'duckdb') return { engine: 'duckdb', path: w.duckdb.path };
  if (w.engine === 'postgres') return { engine: 'postgres', url: w.postgres.url };
  const d = w.databricks;
  let token: string | undefined;
  try {
    token = d.tokenFile ? readFileSync(d.tokenFile, 'utf8').trim() : process.env[d.tokenEnv];
  } catch {
    throw new UsageError(`warehouse.databricks.tokenFile: cannot read ${d.tokenFile}`);
  }
  if (!token) throw new UsageError(`warehouse.databricks: set ${d.tokenEnv} or tokenFile`);
  return {
    engine: 'databricks',
    host: d.host,
    port: d.port,
    path: d.path,
    token,
    catalog: d.catalog,
    schema: d.schema,
    customCaCert: d.customCaCertFile ? readFileSync(d.customCaCertFile) : undefined,
  };
}

export async function init(o: InitCommandOptions): Promise<number> {
  const target = warehouseTarget(o, 'init');
  let result: Awaited<ReturnType<typeof runInit>>;
  try {
    result = await runInit({
      target,
      schema: o.schema,
      tables: o.tables,
      out: o.out,
      force: o.force,
      tenantColumn: o.tenantColumn,
      businessColumn: o.businessColumn,
      unit: o.unit,
    });
  } catch (err) {
    if (err instanceof BadInput) throw new UsageError(err.message);
    if (err instanceof WarehouseUnreachable) throw new Unavailable(err.message);
    throw err;
  }
  const { plan, written } = result;
  const out: string[] = [
    `Read schema ${plan.source.schema} of ${plan.source.where}.`,
    'How init guesses:',
    ...GUESS_RULES.map((r) => `  - ${r}`),
    'Guesses (each marked TO REVIEW in the files):',
    ...plan.guesses.map((g) => `  - ${g}`),
    'Wrote:',
    ...written.map((p) => `  ${p}`),
    'Next: review every TO REVIEW (the scope of each table first: a wrong tenant or business column mixes tenants),',
    '  set confirmed: true on each table whose scope you checked (serve refuses the registry until then),',
    '  rename the policy\'s placeholder role "analyst" and give each role only the columns it needs,',
    `  then run: splitplane catalog check --catalog ${dirname(written[0]!)} ${
      target.engine === 'duckdb'
        ? `--duckdb ${target.path}`
        : target.engine === 'postgres'
          ? '--postgres URL'
          : '--config FILE'
    }${o.schema ? ` --schema ${o.schema}` : ''}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (plan.skipped.length) {
    note(
      `skipped ${plan.skipped.length} name${plan.skipped.length === 1 ? '' : 's'} splitplane cannot expose (the files were written without them):`,
    );
    for (const s of plan.skipped) process.stderr.write(`  ${s}\n`);
    return EXIT.usage;
  }
  return EXIT.ok;
}

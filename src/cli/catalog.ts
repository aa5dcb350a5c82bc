/**
 * `splitplane catalog check`: load a catalog (tables.yaml and metrics.yaml), check every table and
 * column against the warehouse, and print what a model would see (logical names only). Exit 0
 * fine; 1 with each problem listed on stderr; 2 usage (a file that is not there); 3 the warehouse
 * cannot be reached.
 */
import { checkCatalog } from '../init/check.js';
import { BadInput, WarehouseUnreachable } from '../init/errors.js';
import type { WarehouseTarget } from '../init/introspect.js';
import { openIntrospector } from '../init/open-introspector.js';
import { ASCII_IDENT } from '../init/types.js';
import { EXIT, note, Unavailable, UsageError } from './common.js';
import { configTarget, warehouseTarget } from './init.js';
import { loadConfig } from './load-config.js';

export interface CatalogCheckOptions {
  readonly config?: string;
  readonly catalog?: string;
  readonly duckdb?: string;
  readonly postgres?: string;
  readonly schema?: string;
}

export async function catalogCheck(o: CatalogCheckOptions): Promise<number> {
  if (o.schema !== undefined && !ASCII_IDENT.test(o.schema))
    throw new UsageError(`--schema ${JSON.stringify(o.schema)}: not an ASCII identifier`);
  // --duckdb or --postgres name the warehouse; otherwise the configuration's (--config, or the default one).
  const direct = o.duckdb !== undefined || o.postgres !== undefined;
  if (direct && o.config !== undefined && o.catalog === undefined)
    throw new UsageError('catalog check: with --duckdb or --postgres, name the catalog with --catalog (not --config)');
  const target: WarehouseTarget = direct
    ? warehouseTarget(
        { ...(o.duckdb ? { duckdb: o.duckdb } : {}), ...(o.postgres ? { postgres: o.postgres } : {}) },
        'catalog check',
      )
    : configTarget(o.config);
  const catalog = o.catalog ?? loadConfig(o.config).catalog.path;
  try {
    const intro = await openIntrospector(target);
    try {
      const r = await checkCatalog(catalog, intro, o.schema ?? intro.defaultSchema);
      if (r.view.length) process.stdout.write(`${r.view.join('\n')}\n`);
      for (const w of r.warnings) note(`warning: ${w}`);
      if (r.problems.length) {
        note(`catalog check: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in ${catalog}:`);
        for (const p of r.problems) process.stderr.write(`  ${p}\n`);
        return EXIT.refused;
      }
      note(
        `catalog check: ${catalog} matches the warehouse (${intro.where}, schema ${o.schema ?? intro.defaultSchema})`,
      );
      return EXIT.ok;
    } finally {
      await intro.close();
    }
  } catch (err) {
    if (err instanceof BadInput) throw new UsageError(err.message);
    if (err instanceof WarehouseUnreachable) throw new Unavailable(err.message);
    throw err;
  }
}

/**
 * Gold answers, computed independently of the service: the raw warehouse tables,
 * scoped per persona with the evaluator's own SQL over the directory tables
 * (never the sandbox builder, never the policy). Gold SQL names the raw tables;
 * for each persona, every raw table of the catalog's registry is a view holding
 * only that persona's rows: its tenant and business, and, for a table scoped per
 * grant unit, the units the directory grants to the persona (an active admin of
 * that business; a unit of that business). A persona of the file may name what
 * its access rules narrow (`unitFilters`, `rowFilters`); those are applied here
 * with this file's own SQL too, not read from the policy.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { TableRegistry } from '../schema/tables.js';
import type { GoldFilter, Persona } from './file.js';

export type GoldRow = readonly (string | number | boolean | null)[];

/** A name as DuckDB reads it (the registry allows only ASCII identifiers). */
const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (v: string | number): string => (typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`);

/** One narrowing filter as a predicate over `alias`'s column (dates compare as text casts to DATE). */
function predicate(alias: string, f: GoldFilter): string {
  const col = `${alias}.${q(f.column)}`;
  const v = (x: string | number): string =>
    typeof x === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(x) ? `DATE ${literal(x)}` : literal(x);
  switch (f.op) {
    case 'eq':
      return `${col} = ${v(f.values[0]!)}`;
    case 'in':
      return `${col} IN (${f.values.map(v).join(', ')})`;
    case 'gte':
      return `${col} >= ${v(f.values[0]!)}`;
    case 'lte':
      return `${col} <= ${v(f.values[0]!)}`;
  }
}

/** An in-memory DuckDB over the warehouse file, read only, with one schema per persona. */
export class GoldDatabase {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(
    warehouse: string,
    personas: Readonly<Record<string, Persona>>,
    registry: TableRegistry,
  ): Promise<GoldDatabase> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`ATTACH '${warehouse.replaceAll("'", "''")}' AS raw (READ_ONLY)`);
    const { admins, grants } = registry.directory;
    const unitSpec = registry.tables[registry.grantUnit.table]!;
    let i = 0;
    for (const p of Object.values(personas)) {
      const s = `p${i++}_${p.adminId}`;
      const [t, b, a] = [Number(p.tenantId), Number(p.businessId), Number(p.adminId)];
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      // The persona's granted units: of its own tenant and business only, granted to it as an active admin there.
      const granted = `SELECT u.${q(unitSpec.scope.unit!)} FROM raw.${q(unitSpec.raw)} u
        WHERE u.${q(unitSpec.scope.tenant)} = ${t} AND u.${q(unitSpec.scope.business)} = ${b}
          AND u.${q(unitSpec.scope.unit!)} IN (SELECT g.${q(grants.unit)} FROM raw.${q(grants.table)} g JOIN raw.${q(admins.table)} ad ON ad.${q(admins.id)} = g.${q(grants.admin)}
                                WHERE g.${q(grants.admin)} = ${a} AND ad.${q(admins.tenant)} = ${t} AND ad.${q(admins.business)} = ${b} AND ad.${q(admins.active)})
          ${(p.unitFilters ?? []).map((f) => `AND ${predicate('u', f)}`).join(' ')}`;
      for (const [name, spec] of Object.entries(registry.tables)) {
        const where = [`r.${q(spec.scope.tenant)} = ${t}`, `r.${q(spec.scope.business)} = ${b}`];
        if (spec.scope.unit !== undefined) where.push(`r.${q(spec.scope.unit)} IN (${granted})`);
        for (const f of p.rowFilters?.[name] ?? []) where.push(predicate('r', f));
        await conn.run(
          `CREATE OR REPLACE VIEW ${s}.${q(spec.raw)} AS SELECT r.* FROM raw.${q(spec.raw)} r WHERE ${where.join(' AND ')}`,
        );
      }
    }
    return new GoldDatabase(instance, conn);
  }

  /** Run gold SQL as `persona` sees the raw tables. */
  async run(persona: Persona, personas: Readonly<Record<string, Persona>>, sql: string): Promise<GoldRow[]> {
    const index = Object.values(personas).indexOf(persona);
    await this.conn.run(`SET schema = 'p${index}_${persona.adminId}'`);
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowsJson() as GoldRow[];
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

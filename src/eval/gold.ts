/**
 * Gold answers, computed independently of the service: the raw warehouse tables,
 * scoped per persona with the evaluator's own SQL over the grant table (never
 * the sandbox builder, never the policy). Gold SQL names the raw tables
 * (fact_daily_sales, fact_item_sales, dim_locations, dim_menu_items); for each
 * persona they are views holding only that persona's rows. A persona of the
 * file may name what its access rules narrow (`states`, `salesFrom`); those
 * are applied here with this file's own SQL too, not read from the policy.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Persona } from './file.js';

export type GoldRow = readonly (string | number | boolean | null)[];

/** An in-memory DuckDB over the warehouse file, read only, with one schema per persona. */
export class GoldDatabase {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(warehouse: string, personas: Readonly<Record<string, Persona>>): Promise<GoldDatabase> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`ATTACH '${warehouse.replaceAll("'", "''")}' AS raw (READ_ONLY)`);
    let i = 0;
    for (const p of Object.values(personas)) {
      const s = `p${i++}_${p.adminId}`;
      const [t, b, a] = [Number(p.tenantId), Number(p.businessId), Number(p.adminId)];
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      // The persona's granted stores: its own tenant and business only, active admin only.
      await conn.run(`CREATE OR REPLACE VIEW ${s}.dim_locations AS
        SELECT l.* FROM raw.dim_locations l
        WHERE l.tenant_id = ${t} AND l.business_id = ${b}
          AND l.location_id IN (SELECT g.location_id FROM raw.admin_location_grants g JOIN raw.dim_admins ad ON ad.admin_id = g.admin_id
                                WHERE g.admin_id = ${a} AND ad.tenant_id = ${t} AND ad.business_id = ${b} AND ad.active)
          ${p.states ? `AND l.state IN (${p.states.map((x) => `'${x}'`).join(', ')})` : ''}`);
      for (const fact of ['fact_daily_sales', 'fact_item_sales']) {
        await conn.run(`CREATE OR REPLACE VIEW ${s}.${fact} AS
          SELECT f.* FROM raw.${fact} f
          WHERE f.tenant_id = ${t} AND f.business_id = ${b} AND f.location_id IN (SELECT location_id FROM ${s}.dim_locations)
            ${p.salesFrom ? `AND f.business_date >= DATE '${p.salesFrom}'` : ''}`);
      }
      await conn.run(`CREATE OR REPLACE VIEW ${s}.dim_menu_items AS SELECT m.* FROM raw.dim_menu_items m WHERE m.tenant_id = ${t} AND m.business_id = ${b}`);
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

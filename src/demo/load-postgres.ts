/**
 * Loads the demo warehouse into PostgreSQL and sets up the second wall:
 *   - schema `warehouse` with the raw tables, copied from the DuckDB demo file;
 *   - role splitplane_reader: SELECT on the four exposed raw tables only (never customers,
 *     admins or grants), row-level security FORCE'd on them, policies reading the verified
 *     scope from transaction-local settings (no setting: no rows);
 *   - role splitplane_directory: reads admins and grants for the directory;
 *   - pg_stats and friends revoked from PUBLIC (table-wide statistics would show other
 *     tenants' values to anyone with SELECT on a table), and EXECUTE on set_config() too
 *     (the scope settings can then only be changed by SET, which a cursor cannot run).
 * Run as a superuser (the demo machines use trust authentication).
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AUDIT_TABLE_DDL } from '../audit/postgres-sink.js';

const TABLES: readonly { name: string; ddl: string; rls?: 'location' | 'business' }[] = [
  { name: 'dim_tenants', ddl: 'tenant_id BIGINT PRIMARY KEY, name TEXT' },
  { name: 'dim_businesses', ddl: 'business_id BIGINT PRIMARY KEY, tenant_id BIGINT, name TEXT' },
  { name: 'dim_locations', ddl: 'location_id BIGINT PRIMARY KEY, tenant_id BIGINT, business_id BIGINT, name TEXT, city TEXT, state TEXT, opened_on DATE, manager_email TEXT', rls: 'location' },
  { name: 'dim_admins', ddl: 'admin_id BIGINT PRIMARY KEY, tenant_id BIGINT, business_id BIGINT, role TEXT, name TEXT, email TEXT, active BOOLEAN' },
  { name: 'admin_location_grants', ddl: 'admin_id BIGINT, location_id BIGINT' },
  { name: 'fact_daily_sales', ddl: 'tenant_id BIGINT, business_id BIGINT, location_id BIGINT, business_date DATE, net_sales_amount NUMERIC(12,2), order_count INTEGER, guest_count INTEGER', rls: 'location' },
  { name: 'dim_menu_items', ddl: 'item_id BIGINT PRIMARY KEY, tenant_id BIGINT, business_id BIGINT, name TEXT, category TEXT, price NUMERIC(8,2), unit_cost NUMERIC(8,2)', rls: 'business' },
  { name: 'fact_item_sales', ddl: 'tenant_id BIGINT, business_id BIGINT, location_id BIGINT, business_date DATE, item_id BIGINT, quantity INTEGER, net_amount NUMERIC(12,2)', rls: 'location' },
  { name: 'customers', ddl: 'customer_id BIGINT PRIMARY KEY, tenant_id BIGINT, business_id BIGINT, first_name TEXT, last_name TEXT, email TEXT, loyalty_tier TEXT, joined_on DATE' },
];

const setting = (name: string): string => `NULLIF(current_setting('splitplane.${name}', true), '')`;
const SCOPE_LOCATION = `tenant_id = ${setting('tenant_id')}::bigint AND business_id = ${setting('business_id')}::bigint AND location_id = ANY (string_to_array(${setting('locations')}, ',')::bigint[])`;
const SCOPE_BUSINESS = `tenant_id = ${setting('tenant_id')}::bigint AND business_id = ${setting('business_id')}::bigint`;

/** Load `duckdbPath` into the database at `adminUrl`; returns the reader and directory URLs. */
export async function loadPostgres(duckdbPath: string, adminUrl: string): Promise<{ readerUrl: string; directoryUrl: string; ms: number }> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'splitplane-pg-'));
  const duck = await DuckDBInstance.create(':memory:');
  const dconn = await duck.connect();
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await dconn.run(`ATTACH '${duckdbPath.replaceAll("'", "''")}' AS src (READ_ONLY)`);
    await client.query('DROP SCHEMA IF EXISTS warehouse CASCADE');
    await client.query('CREATE SCHEMA warehouse');
    for (const role of ['splitplane_reader', 'splitplane_directory']) {
      await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; END IF; END $$`);
    }
    for (const t of TABLES) {
      await client.query(`CREATE TABLE warehouse.${t.name} (${t.ddl})`);
      const csv = join(dir, `${t.name}.csv`);
      await dconn.run(`COPY src.main.${t.name} TO '${csv}' (FORMAT csv, HEADER false)`);
      const columns = [...t.ddl.matchAll(/(?:^|,\s*)([a-z_]+)\s+[A-Z]/g)].map((m) => m[1]).join(', ');
      await pipeline(createReadStream(csv), client.query(copyFrom(`COPY warehouse.${t.name} (${columns}) FROM STDIN (FORMAT csv)`)));
    }
    await client.query('CREATE INDEX ON warehouse.fact_daily_sales (tenant_id, business_id, location_id, business_date)');
    await client.query('CREATE INDEX ON warehouse.fact_item_sales (tenant_id, business_id, location_id, business_date)');
    await client.query('ANALYZE');
    // The second wall.
    await client.query('GRANT USAGE ON SCHEMA warehouse TO splitplane_reader, splitplane_directory');
    for (const t of TABLES.filter((x) => x.rls)) {
      await client.query(`GRANT SELECT ON warehouse.${t.name} TO splitplane_reader`);
      await client.query(`ALTER TABLE warehouse.${t.name} ENABLE ROW LEVEL SECURITY`);
      await client.query(`ALTER TABLE warehouse.${t.name} FORCE ROW LEVEL SECURITY`);
      await client.query(`CREATE POLICY scope_reader ON warehouse.${t.name} FOR SELECT TO splitplane_reader USING (${t.rls === 'location' ? SCOPE_LOCATION : SCOPE_BUSINESS})`);
    }
    for (const t of ['dim_admins', 'dim_businesses', 'admin_location_grants', 'dim_locations']) {
      await client.query(`GRANT SELECT ON warehouse.${t} TO splitplane_directory`);
    }
    await client.query('CREATE POLICY directory_all ON warehouse.dim_locations FOR SELECT TO splitplane_directory USING (true)');
    // Statistics views show table-wide values (most common values, histograms) to anyone who may SELECT the table.
    for (const v of ['pg_stats', 'pg_stats_ext', 'pg_stats_ext_exprs']) await client.query(`REVOKE SELECT ON pg_catalog.${v} FROM PUBLIC`);
    // The audit table: the auditor role may add and read events, never change or remove them.
    await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_auditor') THEN CREATE ROLE splitplane_auditor LOGIN NOSUPERUSER; END IF; END $$`);
    await client.query(AUDIT_TABLE_DDL);
    await client.query('GRANT SELECT, INSERT ON splitplane_audit TO splitplane_auditor');
    // SQL that slipped past the guard must not be able to widen its own scope from inside a SELECT.
    await client.query('REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC');
  } finally {
    await client.end();
    dconn.closeSync();
    duck.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
  const u = new URL(adminUrl);
  const as = (user: string): string => {
    const x = new URL(u.toString());
    x.username = user;
    x.password = '';
    return x.toString();
  };
  return { readerUrl: as('splitplane_reader'), directoryUrl: as('splitplane_directory'), ms: performance.now() - started };
}

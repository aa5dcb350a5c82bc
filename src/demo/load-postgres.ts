/**
 * Loads a DuckDB warehouse (the demo's, or any catalog's) into PostgreSQL and sets up the second wall:
 *   - schema `warehouse` with the catalog's raw tables, copied from the DuckDB file with their own types;
 *   - role splitplane_reader: SELECT on the exposed raw tables only (never a table the catalog does
 *     not expose, never admins or grants), row-level security FORCE'd on them, policies written from
 *     the catalog's scope columns (engines/postgres/rls.ts) reading the verified scope from
 *     transaction-local settings (no setting: no rows);
 *   - role splitplane_directory: reads admins and grants for the directory;
 *   - role splitplane_auditor: SELECT and INSERT on the audit table; role splitplane_feedback:
 *     SELECT, INSERT and DELETE on the two feedback tables (feedback/postgres-feedback.ts);
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
import { engine } from '../engine-registry.js';
import { setUpPostgresFeedback } from '../feedback/postgres-feedback.js';
import type { TableRegistry } from '../schema/tables.js';
import { text } from '../util/text.js';

/** DuckDB's types as PostgreSQL's (the registry allows no other type on an exposed column). */
function pgType(duck: string): string {
  const t = duck.toUpperCase();
  if (t.startsWith('DECIMAL')) return t.replace('DECIMAL', 'NUMERIC');
  const map: Record<string, string> = {
    BIGINT: 'BIGINT',
    INTEGER: 'INTEGER',
    SMALLINT: 'SMALLINT',
    DOUBLE: 'DOUBLE PRECISION',
    FLOAT: 'REAL',
    VARCHAR: 'TEXT',
    DATE: 'DATE',
    TIMESTAMP: 'TIMESTAMP',
    BOOLEAN: 'BOOLEAN',
  };
  const pgt = map[t];
  if (!pgt) throw new Error(`cannot load a column of type ${duck} into PostgreSQL`);
  return pgt;
}
const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Load `duckdbPath` into the database at `adminUrl`; returns the reader and directory URLs. */
export async function loadPostgres(
  duckdbPath: string,
  adminUrl: string,
  registry: TableRegistry,
): Promise<{ readerUrl: string; directoryUrl: string; ms: number }> {
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
      await client.query(
        `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; END IF; END $$`,
      );
    }
    // Every raw table of the catalog that the file holds, with its own columns and types.
    const present = (
      await dconn.runAndReadAll(
        `SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src' AND table_schema = 'main'`,
      )
    ).getRowsJson();
    const names = new Set(present.map((r) => text(r[0])));
    for (const raw of registry.rawTables.filter((t) => names.has(t))) {
      const cols = (
        await dconn.runAndReadAll(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'src' AND table_schema = 'main' AND table_name = '${raw}' ORDER BY ordinal_position`,
        )
      )
        .getRowsJson()
        .map((r) => ({ name: text(r[0]), type: text(r[1]) }));
      await client.query(
        `CREATE TABLE warehouse.${q(raw)} (${cols.map((c) => `${q(c.name)} ${pgType(c.type)}`).join(', ')})`,
      );
      const csv = join(dir, `${raw}.csv`);
      await dconn.run(`COPY src.main.${q(raw)} TO '${csv}' (FORMAT csv, HEADER false)`);
      await pipeline(
        createReadStream(csv),
        client.query(
          copyFrom(`COPY warehouse.${q(raw)} (${cols.map((c) => q(c.name)).join(', ')}) FROM STDIN (FORMAT csv)`),
        ),
      );
    }
    for (const spec of Object.values(registry.tables)) {
      if (spec.scope.unit !== undefined)
        await client.query(
          `CREATE INDEX ON warehouse.${q(spec.raw)} (${[spec.scope.tenant, spec.scope.business, spec.scope.unit].map(q).join(', ')})`,
        );
    }
    await client.query('ANALYZE');
    // The second wall, from the catalog's scope columns.
    for (const sql of engine('postgres').secondWall!(registry, 'warehouse')) await client.query(sql);
    // Statistics views show table-wide values (most common values, histograms) to anyone who may SELECT the table.
    for (const v of ['pg_stats', 'pg_stats_ext', 'pg_stats_ext_exprs'])
      await client.query(`REVOKE SELECT ON pg_catalog.${v} FROM PUBLIC`);
    // The audit table: the auditor role may add and read events, never change or remove them.
    await client.query(
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitplane_auditor') THEN CREATE ROLE splitplane_auditor LOGIN NOSUPERUSER; END IF; END $$`,
    );
    await client.query(AUDIT_TABLE_DDL);
    await client.query('GRANT SELECT, INSERT ON splitplane_audit TO splitplane_auditor');
    // The feedback tables (feedback.store: postgres): splitplane_feedback may add, read and delete rows, never change them.
    await setUpPostgresFeedback(client);
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
  return {
    readerUrl: as('splitplane_reader'),
    directoryUrl: as('splitplane_directory'),
    ms: performance.now() - started,
  };
}

/**
 * The audit trail in a PostgreSQL table, for several replicas: one global
 * hash chain, extended under a transaction-scoped advisory lock so replicas
 * never fork it. Each row stores the exact JSON line a file would hold, so
 * one verifier serves both. The writing role may INSERT and SELECT but not
 * UPDATE or DELETE: append-only in the database as well.
 */
import pg from 'pg';
import { SplitplaneError } from '../errors.js';
import { chainLine, GENESIS_HASH, verifyAuditLines, type AuditEvent, type AuditSink, type VerifyResult } from './audit.js';

export const AUDIT_TABLE_DDL = `CREATE TABLE IF NOT EXISTS splitplane_audit (
  seq BIGINT PRIMARY KEY,
  hash TEXT NOT NULL,
  line TEXT NOT NULL,
  written_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

/** A lock id for the chain (any constant both replicas agree on). */
const CHAIN_LOCK = 727_310_001;

export class PostgresAuditSink implements AuditSink {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    this.#pool.on('error', () => undefined);
  }

  async append(event: AuditEvent): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const last = await client.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM splitplane_audit ORDER BY seq DESC LIMIT 1');
      const seq = last.rows[0] ? Number(last.rows[0].seq) + 1 : 1;
      const { line, hash } = chainLine(event, seq, last.rows[0]?.hash ?? GENESIS_HASH);
      await client.query('INSERT INTO splitplane_audit (seq, hash, line) VALUES ($1, $2, $3)', [seq, hash, line]);
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE', { cause });
    } finally {
      client.release();
    }
  }

  async check(): Promise<void> {
    await this.#pool.query('SELECT 1 FROM splitplane_audit LIMIT 1');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Verify the chain stored in the table at `url`. */
export async function verifyPostgresAudit(url: string): Promise<VerifyResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query<{ line: string }>('SELECT line FROM splitplane_audit ORDER BY seq');
    return verifyAuditLines(rows.rows.map((r) => r.line));
  } finally {
    await client.end();
  }
}

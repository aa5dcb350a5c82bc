/**
 * The audit trail in a PostgreSQL table, for several replicas: one global
 * hash chain, extended under a transaction-scoped advisory lock so replicas
 * never fork it. Each row stores the exact JSON line a file would hold, so
 * one verifier serves both. The writing role may INSERT and SELECT but not
 * UPDATE or DELETE: append-only in the database as well.
 */
import pg from 'pg';
import { SplitplaneError } from '../errors.js';
import { redactSecrets } from '../util/redact.js';
import {
  chainLine,
  GENESIS_HASH,
  verifyAuditLines,
  type AuditEvent,
  type AuditSink,
  type VerifyResult,
} from './audit.js';

export const AUDIT_TABLE_DDL = `CREATE TABLE IF NOT EXISTS splitplane_audit (
  seq BIGINT PRIMARY KEY,
  hash TEXT NOT NULL,
  line TEXT NOT NULL,
  written_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

/** A lock id for the chain (any constant both replicas agree on). */
const CHAIN_LOCK = 727_310_001;

/**
 * Where the chain stands. Ordered by the BIGINT column itself: an output alias of the same name
 * (`seq::text AS seq`) would make PostgreSQL sort the text ("9" after "10"), so every append after
 * the tenth would compute seq 10 again and be refused by the primary key, for good. `pg` returns a
 * BIGINT as a string; it is read back with Number (exact up to 2^53 events).
 */
export const HEAD_SQL = 'SELECT t.seq, t.hash FROM splitplane_audit AS t ORDER BY t.seq DESC LIMIT 1';

export class PostgresAuditSink implements AuditSink {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    this.#pool.on('error', () => undefined);
  }

  async append(event: AuditEvent): Promise<void> {
    try {
      await this.#underChainLock(async (client, head) => {
        const { line, hash } = chainLine(event, head.seq + 1, head.hash);
        await client.query('INSERT INTO splitplane_audit (seq, hash, line) VALUES ($1, $2, $3)', [
          head.seq + 1,
          hash,
          line,
        ]);
        return 'COMMIT';
      });
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE', {
        detail: `postgres audit sink: ${describePgError(cause)}`,
        cause,
      });
    }
  }

  /**
   * The write path, without adding to the chain: under the chain lock, the next head is inserted
   * exactly as an append would insert it, then rolled back. A table the role cannot write, a head
   * that cannot be extended or a lock that cannot be had fails here, not only at the next request.
   */
  async check(): Promise<void> {
    try {
      await this.#underChainLock(async (client, head) => {
        await client.query('INSERT INTO splitplane_audit (seq, hash, line) VALUES ($1, $2, $3)', [
          head.seq + 1,
          GENESIS_HASH,
          '{"readiness":"probe"}',
        ]);
        return 'ROLLBACK';
      });
    } catch (cause) {
      throw new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE', {
        detail: `postgres audit sink: ${describePgError(cause)}`,
        cause,
      });
    }
  }

  /** One transaction holding the chain lock, with the head read under it; ends as `work` says. */
  async #underChainLock(
    work: (client: pg.PoolClient, head: { seq: number; hash: string }) => Promise<'COMMIT' | 'ROLLBACK'>,
  ): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Bounded waits: a stuck lock or table fails the request (503), it does not hang it.
      await client.query("SET LOCAL lock_timeout = '5s'");
      await client.query("SET LOCAL statement_timeout = '10s'");
      await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const last = await client.query<{ seq: string; hash: string }>(HEAD_SQL);
      const row = last.rows[0];
      const head = row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
      if (!Number.isSafeInteger(head.seq) || head.seq < 0)
        throw new Error(`the chain head's seq ${String(row?.seq)} is not a safe integer`);
      await client.query(await work(client, head));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * A PostgreSQL error for the service log: its message and SQLSTATE (the duplicate key, the
 * permission, the refused connection), with any password in a connection string replaced.
 */
export function describePgError(err: unknown): string {
  const e: { message?: unknown; code?: unknown } = typeof err === 'object' && err !== null ? err : {};
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? ` [${e.code}]` : '';
  return `${redactSecrets(message)}${code}`;
}

/** Verify the chain stored in the table at `url`. */
export async function verifyPostgresAudit(url: string): Promise<VerifyResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query<{ line: string }>('SELECT t.line FROM splitplane_audit AS t ORDER BY t.seq');
    return verifyAuditLines(rows.rows.map((r) => r.line));
  } finally {
    await client.end();
  }
}

/** `splitplane audit verify`: recompute the hash chain of an audit file or of the splitplane_audit table. */
import { statSync } from 'node:fs';
import { verifyAuditFile, type VerifyResult } from '../audit/audit.js';
import { EXIT, Unavailable, UsageError } from './common.js';
import { loadConfig } from './load-config.js';

/**
 * Resolves with 0 (the chain is intact) or 1 (it is broken: the first bad line is named). A file
 * that is not there is a usage error (exit 2, "no audit file at PATH"), not a broken chain: the
 * path is wrong (a typo, another working directory, a service that has not audited yet), and a
 * script that pages on 1 for tampering must not page on it. Exit 3 stays for a store that cannot
 * be reached (the PostgreSQL table), where trying again later can help.
 */
export async function auditVerify(values: { file?: string; postgres?: string; config?: string }): Promise<number> {
  let r: VerifyResult;
  if (values.postgres) r = await verifyPostgres(values.postgres);
  else {
    const config = loadConfig(values.config);
    if (config.audit.sink === 'postgres' && !values.file) r = await verifyPostgres(config.audit.postgresUrl);
    else {
      const file = values.file ?? config.audit.file;
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
        throw new UsageError(
          `no audit file at ${file}${values.file === undefined ? ' (audit.file of the configuration)' : ''}`,
        );
      }
      r = verifyAuditFile(file);
    }
  }
  if (r.ok) {
    process.stdout.write(`audit chain intact: ${r.events} events, last hash ${r.lastHash}\n`);
    return EXIT.ok;
  }
  process.stderr.write(
    `audit chain BROKEN at line ${r.line}${r.seq === undefined ? '' : ` (seq ${r.seq})`}: ${r.problem}; ${r.events} events verified before it\n`,
  );
  return EXIT.refused;
}

/** Errors that mean PostgreSQL could not be reached (exit 3), not that the chain is broken. */
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|08...|57P03)$/;

async function verifyPostgres(url: string): Promise<VerifyResult> {
  const { verifyPostgresAudit } = await import('../audit/postgres-sink.js');
  try {
    return await verifyPostgresAudit(url);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.test(code)) {
      throw new Unavailable(
        `cannot reach PostgreSQL for the audit table: ${err instanceof Error ? err.message : code}`,
      );
    }
    throw err;
  }
}

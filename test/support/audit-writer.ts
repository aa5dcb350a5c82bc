/**
 * A second process for the two-writer audit tests: appends N events to FILE through the file sink,
 * or, with a postgres:// URL in place of FILE, through the PostgreSQL sink (the one replicas use).
 */
import { JsonlFileAuditSink, type AuditSink } from '../../src/audit/audit.js';
import { PostgresAuditSink } from '../../src/audit/postgres-sink.js';

const [target, n, tag] = process.argv.slice(2);
const pg = target!.startsWith('postgres') ? new PostgresAuditSink(target!) : undefined;
const sink: AuditSink = pg ?? new JsonlFileAuditSink(target!);
await Promise.all(
  Array.from({ length: Number(n) }, (_, i) =>
    sink.append({
      time: new Date().toISOString(),
      requestId: `${tag}-${i}`,
      identity: { verified: false },
      layers: { identity: 'skipped' },
      outcome: 'rejected',
      statusCode: 404,
      latencyMs: 0,
    }),
  ),
);
await pg?.close();

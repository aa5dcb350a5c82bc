/** A second process for the two-writer audit test: appends N events to FILE through the file sink. */
import { JsonlFileAuditSink } from '../../src/audit/audit.js';

const [file, n, tag] = process.argv.slice(2);
const sink = new JsonlFileAuditSink(file!);
await Promise.all(
  Array.from({ length: Number(n) }, (_, i) =>
    sink.append({ time: new Date().toISOString(), requestId: `${tag}-${i}`, identity: { verified: false }, layers: { identity: 'skipped' }, outcome: 'rejected', statusCode: 404, latencyMs: 0 }),
  ),
);

/**
 * The audit sinks, by their name in `audit.sink`: each with the keys it reads from the `audit`
 * section and a lazy `open` (PostgreSQL's driver is loaded only when it is the sink). Configuration
 * and start-up read this list; adding a sink is a file here and one entry below.
 */
import { z } from 'zod';
import { JsonlFileAuditSink, type AuditSink } from './audit.js';

/** A sink that may hold a connection to close at shutdown. */
export interface OpenedSink extends AuditSink {
  close?(): Promise<void>;
}

/** One sink, as the registry holds it: the `audit` keys it reads, and how to open it from them. */
export interface SinkKind<Keys extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly keys: Keys;
  open(section: z.output<z.ZodObject<Keys>>): Promise<OpenedSink>;
}

function defineSink<Keys extends z.ZodRawShape>(s: SinkKind<Keys>): SinkKind<Keys> {
  return Object.freeze(s);
}

const file = defineSink({
  name: 'file',
  keys: { file: z.string().min(1).default('var/audit.jsonl') },
  open: async (s) => new JsonlFileAuditSink(s.file),
});

const postgres = defineSink({
  name: 'postgres',
  keys: {
    postgresUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//)
      .default('postgres://splitplane_auditor@127.0.0.1:5432/test'),
  },
  open: async (s) => new (await import('./postgres-sink.js')).PostgresAuditSink(s.postgresUrl),
});

export const AUDIT_SINKS = { file, postgres } as const;

export type AuditSinkName = keyof typeof AUDIT_SINKS;

export const AUDIT_SINK_NAMES = Object.keys(AUDIT_SINKS) as [AuditSinkName, ...AuditSinkName[]];

/** Every sink's keys, for the `audit` section of the configuration schema. */
export const AUDIT_SINK_KEYS = { ...file.keys, ...postgres.keys };

/** Open the configured sink. */
export function openAuditSink(
  audit: { readonly sink: AuditSinkName } & z.output<z.ZodObject<typeof AUDIT_SINK_KEYS>>,
): Promise<OpenedSink> {
  return (AUDIT_SINKS[audit.sink] as SinkKind).open(audit);
}

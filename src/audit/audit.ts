/**
 * The audit trail: one append-only event per request, written before the
 * response is sent. If the write fails the request fails closed: no answer
 * leaves without its audit event. No secret, signature or credential is
 * ever put in an event.
 */
import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Outcome of one layer: `ok`, `skipped`, or the stable code that stopped the request. */
export type LayerOutcome = 'ok' | 'skipped' | 'clarification' | 'unsupported' | string;

/** One audit event. */
export interface AuditEvent {
  readonly time: string;
  readonly requestId: string;
  readonly identity: {
    readonly tenantId?: string;
    readonly businessId?: string;
    readonly adminId?: string;
    readonly accessKeyId?: string;
    readonly verified: boolean;
  };
  readonly question?: string;
  readonly layers: Readonly<Record<string, LayerOutcome>>;
  readonly outcome: 'answered' | 'clarification' | 'unsupported' | 'rejected' | 'error';
  readonly statusCode: number;
  readonly errorCode?: string;
  /** IDs the question named that are outside the caller's scope. */
  readonly outOfScopeReferences?: readonly { readonly kind: string; readonly id: string }[];
  readonly scope?: { readonly locations: number; readonly tables: readonly string[] };
  readonly generator?: string;
  readonly sql?: string;
  readonly rowCount?: number;
  readonly latencyMs: number;
}

/** The audit port. `append` must reject when the event was not stored. */
export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
  /** Throws when the sink cannot take events. */
  check(): Promise<void>;
}

/** JSON lines, appended to a file (the default sink). */
export class JsonlFileAuditSink implements AuditSink {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    mkdirSync(dirname(path), { recursive: true });
  }

  async append(event: AuditEvent): Promise<void> {
    await appendFile(this.#path, `${JSON.stringify(event)}\n`, { encoding: 'utf8', mode: 0o600 });
  }

  async check(): Promise<void> {
    await appendFile(this.#path, '', { mode: 0o600 });
  }
}

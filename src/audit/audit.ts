/**
 * The audit trail: one append-only event per request, written before the
 * response is sent. If the write fails the request fails closed: no answer
 * leaves without its audit event. No secret, signature or credential is
 * ever put in an event.
 *
 * Events form a hash chain: each carries a sequence number, the hash of the
 * previous event and its own hash (SHA-256 over the previous hash and the
 * event's JSON without `hash`). `splitplane audit verify` recomputes the
 * chain and names the first edited, missing or reordered event.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { lock } from 'proper-lockfile';
import { dirname } from 'node:path';
import { SplitplaneError } from '../errors.js';

/** Outcome of one layer: `ok`, `skipped`, `clarification`, `unsupported`, or the stable code that stopped the request. */
export type LayerOutcome = string;

/** One audit event, as the pipeline describes it. */
export interface AuditEvent {
  readonly time: string;
  readonly requestId: string;
  readonly identity: {
    readonly tenantId?: string;
    readonly businessId?: string;
    readonly adminId?: string;
    readonly accessKeyId?: string;
    /** Which front door verified the caller, and for a bearer token its issuer and subject. */
    readonly frontDoor?: 'sigv4' | 'oidc';
    readonly issuer?: string;
    readonly subject?: string;
    readonly verified: boolean;
  };
  /** The route asked (path only), and the peer's address: set for requests that reached identity. */
  readonly path?: string;
  readonly clientAddress?: string;
  readonly question?: string;
  /** The MCP tool called, for events of /mcp calls other than `ask`. */
  readonly tool?: string;
  readonly layers: Readonly<Record<string, LayerOutcome>>;
  /** Milliseconds spent in each stage (src/audit/trace.ts), summed over rounds. */
  readonly stageMs?: Readonly<Record<string, number>>;
  readonly outcome: 'answered' | 'clarification' | 'unsupported' | 'rejected' | 'error' | 'anomaly';
  /** Set on events that report an anomaly rule hit about the request `requestId`. */
  readonly anomaly?: { readonly rule: string; readonly detail: string };
  readonly statusCode: number;
  readonly errorCode?: string;
  /** IDs the question named that are outside the caller's scope. */
  readonly outOfScopeReferences?: readonly { readonly kind: string; readonly id: string }[];
  /**
   * The scope the answer was computed on: its tables, the count of granted units under the grant
   * unit's plural (`locations: 2` in the demo) and `<plural>Digest`: SHA-256 (hex) of the bound unit
   * IDs joined by commas (the text names them only by placeholder).
   */
  readonly scope?: AuditScope;
  readonly generator?: string;
  /** What the question was understood as, in one line. */
  readonly interpretation?: string;
  readonly sql?: string;
  /** Where the figures came from: compiled from the catalog, or SQL a model wrote over the caller's sandbox. */
  readonly provenance?: 'catalog' | 'model' | 'benchmark';
  /**
   * A comparison with peers (src/benchmark/): what was compared, the grant's terms (k, whether the
   * caller's own units count in the peer figures), and per measure and group whether it was
   * released, its peer count as the band shown, or the rule that refused it. No figure.
   */
  readonly benchmark?: {
    readonly measures: readonly string[];
    readonly grouping: string;
    /** The groups the question named, when it named some ("Texas and Arizona"). */
    readonly named?: readonly string[];
    readonly from: string;
    readonly to: string;
    readonly k: number;
    readonly includeSelf: boolean;
    readonly groups: readonly {
      readonly measure: string;
      readonly group: string;
      readonly released: boolean;
      readonly band?: string;
      readonly rule?: 'under_k' | 'complement';
    }[];
  };
  /**
   * Remembered choices: the words read with a meaning this person chose before (`used`), a choice
   * made by this request (`chose`), or every choice forgotten (`forgot`, how many).
   */
  readonly choices?: {
    readonly used?: readonly { readonly term: string; readonly metric: string }[];
    readonly chose?: { readonly term: string; readonly metric: string };
    readonly forgot?: number;
  };
  readonly rowCount?: number;
  /**
   * How the answer's rows were read: `hit` from the answer cache (src/cache/: the warehouse round trip
   * skipped, every other stage run), `miss` by the warehouse and kept, `off` with the cache turned off.
   */
  readonly cache?: 'hit' | 'miss' | 'off';
  readonly latencyMs: number;
}

/** An event as stored: with its place in the chain. */
export type ChainedEvent = AuditEvent & { readonly seq: number; readonly prevHash: string; readonly hash: string };

/** The audit port. `append` must reject when the event was not stored. */
export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
  /** Throws when the sink cannot take events. */
  check(): Promise<void>;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The stored line for `event` at `seq` after `prevHash`: the same JSON in a file and in a table. */
export function chainLine(event: AuditEvent, seq: number, prevHash: string): { line: string; hash: string } {
  const body = { ...event, seq, prevHash };
  const hash = eventHash(prevHash, body);
  return { line: JSON.stringify({ ...body, hash }), hash };
}

/** The hash of an event given the previous hash: over the JSON of everything but `hash`. */
export function eventHash(prevHash: string, withoutHash: Record<string, unknown>): string {
  return createHash('sha256').update(prevHash).update('\n').update(JSON.stringify(withoutHash)).digest('hex');
}

/**
 * JSON lines, appended to a file (the default sink), hash-chained. Safe with several writers (the
 * service, an in-process `splitplane ask`, a second replica on the same disk): every append takes
 * an exclusive lock (proper-lockfile: a `<file>.lock` directory, stale after 10 s), reads where
 * the chain stands (the file's last line; after a rotation, the head file `<file>.head`), appends
 * and moves the head on, then releases. Events that arrive while a write is under way go together
 * in the next one (one lock for many events under load). One chain per file, whoever writes.
 */
export class JsonlFileAuditSink implements AuditSink {
  readonly #path: string;
  readonly #headPath: string;
  /** Events waiting for the next write; one lock, one read of the head and one append serve them all. */
  #pending: { readonly event: AuditEvent; resolve(): void; reject(e: unknown): void }[] = [];
  #writing = false;

  constructor(path: string) {
    this.#path = path;
    this.#headPath = `${path}.head`;
    mkdirSync(dirname(path), { recursive: true });
    // Never start a new chain on top of a damaged one: refuse to boot, and say how to look.
    chainHead(path, this.#headPath);
  }

  /** Resolves once the event is in the file. */
  append(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ event, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  /** Write what is pending, in arrival order, until nothing is; a failed write fails only its own events. */
  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        await this.#write(batch.map((p) => p.event));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.#writing = false;
  }

  async #write(events: readonly AuditEvent[]): Promise<void> {
    // The lock is a directory beside the file (realpath off), so the file need not exist yet: the append creates it.
    const release = await lock(this.#path, LOCK);
    try {
      let head = chainHead(this.#path, this.#headPath);
      let text = '';
      for (const event of events) {
        const { line, hash } = chainLine(event, head.seq + 1, head.hash);
        text += `${line}\n`;
        head = { seq: head.seq + 1, hash };
      }
      await appendFile(this.#path, text, { encoding: 'utf8', mode: 0o600 });
      // The head outlives a rotation (the file moved away): the next file continues the chain.
      await writeFile(this.#headPath, JSON.stringify(head), { mode: 0o600 });
    } finally {
      await release();
    }
  }

  async check(): Promise<void> {
    await appendFile(this.#path, '', { mode: 0o600 });
  }
}

/** How long a writer waits for the lock (it is held for one append, about a millisecond). */
const LOCK = {
  stale: 10_000,
  realpath: false,
  retries: { retries: 200, factor: 1.2, minTimeout: 2, maxTimeout: 50 },
} as const;

/**
 * Where the chain stands: the last line of the file when it has one (it is the truth), else the head
 * file a writer left before the file was rotated, else the genesis. A last line that is not JSON
 * refuses: a new chain is never started on top of a damaged one.
 */
function chainHead(path: string, headPath: string): { seq: number; hash: string } {
  const last = lastLine(path);
  const source = last ?? (existsSync(headPath) ? readFileSync(headPath, 'utf8') : undefined);
  if (source === undefined) return { seq: 0, hash: GENESIS_HASH };
  let prev: Partial<ChainedEvent>;
  try {
    prev = JSON.parse(source) as Partial<ChainedEvent>;
  } catch (cause) {
    const where = last !== undefined ? `the last line of ${path}` : headPath;
    throw new SplitplaneError('SP_ERR_AUDIT_UNAVAILABLE', {
      detail: `${where} is not JSON; run: splitplane audit verify --file ${path}`,
      cause,
    });
  }
  return {
    seq: typeof prev.seq === 'number' ? prev.seq : 0,
    hash: typeof prev.hash === 'string' ? prev.hash : GENESIS_HASH,
  };
}

/** The result of verifying a chain. */
export type VerifyResult =
  | { readonly ok: true; readonly events: number; readonly lastHash: string }
  | {
      readonly ok: false;
      readonly events: number;
      readonly line: number;
      readonly seq?: number;
      readonly problem: string;
    };

/** Verify a JSON-lines audit file: every line parses, seq runs 1, 2, 3..., each prevHash links, each hash recomputes. */
export function verifyAuditFile(path: string): VerifyResult {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return verifyAuditLines(lines);
}

/** Verify stored audit lines in order (a file's lines, or a table's rows ordered by seq). */
export function verifyAuditLines(lines: readonly string[]): VerifyResult {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const [i, text] of lines.entries()) {
    const line = i + 1;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { ok: false, events: i, line, problem: 'not valid JSON (edited or truncated)' };
    }
    const { hash, ...rest } = ev;
    const seq = typeof ev['seq'] === 'number' ? ev['seq'] : undefined;
    if (seq !== expectedSeq) {
      return {
        ok: false,
        events: i,
        line,
        ...(seq === undefined ? {} : { seq }),
        problem: `sequence ${String(seq)} where ${expectedSeq} was expected (an event is missing or out of order)`,
      };
    }
    if (ev['prevHash'] !== prevHash) {
      return {
        ok: false,
        events: i,
        line,
        seq,
        problem: 'previous-hash link broken (an event before it was removed, replaced or reordered)',
      };
    }
    if (hash !== eventHash(prevHash, rest))
      return { ok: false, events: i, line, seq, problem: 'hash does not match the content (the event was edited)' };
    prevHash = hash;
    expectedSeq += 1;
  }
  return { ok: true, events: lines.length, lastHash: prevHash };
}

function lastLine(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const size = statSync(path).size;
  if (size === 0) return undefined;
  const fd = openSync(path, 'r');
  try {
    // The tail is enough for an event (most are under 4 KiB; the guard caps SQL at 8,000 characters);
    // a longer last line (an edited file) is read whole, up to 1 MiB, so it is judged, not cut.
    for (const want of [16 * 1024, 1 << 20]) {
      const len = Math.min(size, want);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n').filter(Boolean);
      if (lines.length > 1 || len === size || want === 1 << 20) return lines.at(-1);
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** An event's scope: its tables, and the grant unit's count and digest under the grant unit's plural. */
export type AuditScope = { readonly tables: readonly string[] } & {
  readonly [unitField: string]: number | string | readonly string[] | undefined;
};

/** The count of granted units an event's scope carries, and the plural it is named by ("locations"). */
export function unitCountOf(scope: AuditScope): { readonly plural: string; readonly count: number } | undefined {
  const hit = Object.entries(scope).find(([, v]) => typeof v === 'number');
  return hit ? { plural: hit[0], count: hit[1] as number } : undefined;
}

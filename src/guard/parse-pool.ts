/**
 * The guard's first layer runs in worker threads, each call under a time
 * budget. node-sql-parser is a recursive-descent parser with inputs on which
 * it is quadratic or worse; the limits in limits.ts stop the cases we know,
 * and this stops the ones we do not: a call that overruns its budget is a
 * 422 SP_ERR_GUARD_TOO_COMPLEX, the worker is terminated and replaced, and
 * the service's event loop was never blocked by it.
 *
 * The budget counts from the moment a worker takes the call, not from when
 * it was queued, so that a burst of slow candidates cannot make ordinary
 * ones fail; they wait at most one budget per slow candidate ahead of them.
 */
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SplitplaneError, type ErrorCode } from '../errors.js';
import type { Grammar, SandboxSpec } from './engine-check.js';
import type { GuardedSql } from './first-layer.js';

/** One call, main thread to worker. */
export interface ParseRequest {
  readonly id: number;
  readonly candidate: string;
  readonly grammar: Grammar;
  readonly sandbox: SandboxSpec;
}

/** The worker's answer. */
export type ParseReply =
  | { readonly id: number; readonly ok: GuardedSql }
  | {
      readonly id: number;
      readonly code: ErrorCode;
      readonly detail: string | undefined;
      readonly cause: string | undefined;
    }
  | { readonly id: number; readonly internal: string };

/** How long one candidate may take in the first layer (ordinary SQL takes well under 10 ms). */
export const PARSE_BUDGET_MS = 1_000;

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  call: Call | undefined;
}

interface Call {
  readonly req: ParseRequest;
  resolve(v: GuardedSql): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const ENTRY = join(dirname(here), `parse-worker${fromSource ? '.ts' : '.js'}`);

function startWorker(): Worker {
  // From source (tests, tsx) the entry is TypeScript: register tsx's loader in the thread first.
  return fromSource
    ? new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(ENTRY).href)}); })`,
        { eval: true, resourceLimits: LIMITS },
      )
    : new Worker(ENTRY, { resourceLimits: LIMITS });
}

/** A candidate that makes the parser allocate without bound ends its thread, not the service. */
const LIMITS = { maxOldGenerationSizeMb: 256 };

/** How long a worker thread may take to start. */
const START_TIMEOUT_MS = 30_000;

export class ParsePool {
  /** Calls that overran the budget (their workers were terminated). */
  overruns = 0;
  readonly #size: number;
  readonly #budgetMs: number;
  readonly #slots = new Set<Slot>();
  readonly #queue: Call[] = [];
  #nextId = 1;

  constructor(size: number, budgetMs: number) {
    this.#size = Math.max(1, size);
    this.#budgetMs = budgetMs;
  }

  run(candidate: string, grammar: Grammar, sandbox: SandboxSpec): Promise<GuardedSql> {
    return new Promise<GuardedSql>((resolve, reject) => {
      this.#queue.push({ req: { id: this.#nextId++, candidate, grammar, sandbox }, resolve, reject });
      this.#dispatch();
    });
  }

  /** Terminate every worker (tests, shutdown); later calls start new ones. */
  async close(): Promise<void> {
    for (const call of this.#queue.splice(0)) call.reject(new Error('guard parse pool closed'));
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots) {
      const call = slot.call;
      if (!call) continue;
      this.#free(slot, call);
      call.reject(new Error('guard parse pool closed'));
    }
    await Promise.all(
      slots.map((s) => {
        s.worker.ref(); // see the exit through
        return s.worker.terminate();
      }),
    );
  }

  #dispatch(): void {
    while (this.#queue.length) {
      const slot = [...this.#slots].find((s) => s.ready && !s.call);
      if (!slot) {
        if (this.#slots.size < this.#size && ![...this.#slots].some((s) => !s.ready)) this.#start();
        return;
      }
      const call = this.#queue.shift()!;
      slot.call = call;
      slot.worker.ref();
      call.timer = setTimeout(() => this.#overrun(slot, call), this.#budgetMs);
      slot.worker.postMessage(call.req);
    }
  }

  #start(): void {
    const worker = startWorker();
    const slot: Slot = { worker, ready: false, call: undefined };
    this.#slots.add(slot);
    // Referenced while it starts (a call may be waiting for it), unreferenced once idle.
    const startTimer = setTimeout(() => {
      void worker.terminate();
      this.#lost(slot, new Error(`guard worker did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    startTimer.unref();
    worker.on('message', (m: ParseReply | { ready: true }) => {
      if ('ready' in m) {
        clearTimeout(startTimer);
        slot.ready = true;
        worker.unref();
        this.#dispatch();
        return;
      }
      const call = slot.call;
      if (!call || call.req.id !== m.id) return;
      this.#free(slot, call);
      if ('ok' in m) call.resolve(m.ok);
      else if ('code' in m)
        call.reject(
          new SplitplaneError(m.code, {
            ...(m.detail ? { detail: m.detail } : {}),
            ...(m.cause ? { cause: new Error(m.cause) } : {}),
          }),
        );
      else call.reject(new Error(`guard first layer: ${m.internal}`));
      this.#dispatch();
    });
    worker.on('error', (err) => this.#lost(slot, err));
    worker.on('exit', () => this.#lost(slot, new Error('guard worker exited')));
  }

  #free(slot: Slot, call: Call): void {
    clearTimeout(call.timer);
    slot.call = undefined;
    slot.worker.unref();
  }

  #overrun(slot: Slot, call: Call): void {
    if (slot.call !== call) return;
    this.overruns++;
    this.#free(slot, call);
    this.#slots.delete(slot);
    void slot.worker.terminate();
    call.reject(new SplitplaneError('SP_ERR_GUARD_TOO_COMPLEX', { detail: `parse took over ${this.#budgetMs} ms` }));
    this.#dispatch();
  }

  /** A worker died (a crash, or its own start failed): fail its call, and start another for what waits. */
  #lost(slot: Slot, err: unknown): void {
    if (!this.#slots.delete(slot)) return;
    const call = slot.call;
    if (call) {
      // It died on this candidate (out of memory, a crash in the parser): a refusal of the candidate.
      this.#free(slot, call);
      call.reject(
        new SplitplaneError('SP_ERR_GUARD_TOO_COMPLEX', { detail: 'the parser thread died on it', cause: err }),
      );
    }
    if (!slot.ready) {
      // Its start failed: the next would too. Fail what waits instead of looping.
      for (const waiting of this.#queue.splice(0)) waiting.reject(err);
      return;
    }
    this.#dispatch();
  }
}

/** The process's pool: two threads at most (parsing is short; more would compete with the engine). */
export const parsePool = new ParsePool(Math.min(2, availableParallelism()), PARSE_BUDGET_MS);

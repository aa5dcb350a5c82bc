/**
 * A supervised pool of DuckDB engine worker processes (worker.ts).
 *
 * Why processes: DuckDB's interrupt() only acts once execution starts, so a
 * query that is expensive to plan, or one long function call, runs on past
 * any timeout and holds one of Node's four shared libuv threads (the ones the
 * guard's engine parse, the readiness ping and file I/O also use). Here the
 * deadline holds whatever the engine is doing:
 *
 *   - at the deadline the caller gets SP_ERR_EXECUTION_TIMEOUT at once and the
 *     worker is sent an interrupt; a worker still busy `graceMs` later is
 *     killed (SIGKILL) and replaced;
 *   - the deadline counts from the call, so time spent waiting for a free
 *     worker is inside it too;
 *   - one tenant holds at most `perTenant` workers at a time (a worker counts
 *     until it is free again or dead, not until its caller gave up), so one
 *     tenant's slow queries cannot take every worker from the others;
 *   - a query still running after SLOW_AFTER_MS drops its worker to the lowest
 *     CPU priority, so the others' short queries are not slowed by it.
 *
 * `warm` workers start with the pool and are replaced as soon as one exits, so
 * a killed worker does not leave the next caller waiting for a start; more
 * start on demand up to `size`.
 *
 * Every worker opens the file the pool was made for and no other: the pool
 * sends the file's identity (fileIdentity: device, inode, size, modification
 * time) with `init`, and a worker that finds another file at the path (the
 * warehouse was renamed or copied over, or deleted) refuses to start. A worker
 * that fails to start is not replaced at once (the next query or readiness
 * check tries again), so a file that stays wrong costs one start per demand,
 * never a respawn loop; what waited for it fails SP_ERR_WAREHOUSE_UNAVAILABLE.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SplitplaneError } from '../../errors.js';
import type { PlanPolicy } from './plan-check.js';
import type { Binding } from '../../warehouse/bindings.js';
import type { Cell, QueryResult, ResultColumn } from '../../warehouse/connector.js';

/** Parent to worker. */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly path: string;
      /** The {@link fileIdentity} of the file the parent opened: the worker opens that file or refuses to start. */
      readonly identity: string;
      readonly settings: Record<string, string>;
      readonly planPolicy?: PlanPolicy | undefined;
    }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly sql: string;
      readonly rowCap: number;
      readonly bindings: readonly Binding[];
    }
  | { readonly type: 'interrupt'; readonly id: number };

/** Worker to parent. */
export type ToParent =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly columns: ResultColumn[];
      readonly rows: Cell[][];
      readonly truncated: boolean;
    }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  | { readonly type: 'refused'; readonly id: number; readonly reason: string };

/**
 * Which file is at `path`: device, inode, size and modification time (ns), or undefined when there
 * is none. Renaming another file over it changes the inode; copying over it keeps the inode but
 * changes the modification time (and mostly the size); deleting it leaves none.
 */
export function fileIdentity(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}

/** Options for {@link EnginePool}. */
export interface EnginePoolOptions {
  readonly path: string;
  /**
   * The {@link fileIdentity} of the file the workers must open (the one the caller opened itself);
   * default: the file at `path` when the pool is made.
   */
  readonly identity?: string | undefined;
  /** DuckDB settings for each worker's instance (the lockdown among them). */
  readonly settings: Readonly<Record<string, string>>;
  /** Most worker processes at once. */
  readonly size: number;
  /** Most workers one tenant may hold at once. */
  readonly perTenant: number;
  /** Workers started by {@link EnginePool.start} and replaced as soon as one exits (0: all on demand). */
  readonly warm: number;
  /** How long a worker may take to stop after an interrupt before it is killed. */
  readonly graceMs: number;
  /** What each query's bound plan may contain, checked in the worker before it runs (none: not checked). */
  readonly planPolicy?: PlanPolicy;
}

/** One query as the pool runs it. */
export interface PoolRun {
  readonly sql: string;
  readonly rowCap: number;
  readonly timeoutMs: number;
  /** The scope values the text's parameters take (bindings.ts); the text may ask for no other. */
  readonly bindings?: readonly Binding[];
  /** Whose query (for the per-tenant share). */
  readonly tenant: string;
  readonly signal?: AbortSignal;
}

/** Counters, for metrics and tests. */
export interface PoolStats {
  spawned: number;
  killed: number;
  exited: number;
  timedOut: number;
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  /** Running at the lowest CPU priority since its current (or last) query ran long. */
  demoted: boolean;
  /** The job it is running, until the worker answers it or dies (even after the caller gave up). */
  job: Job | undefined;
}

interface Job {
  readonly id: number;
  readonly run: PoolRun;
  settled: boolean;
  resolve(r: QueryResult): void;
  reject(e: unknown): void;
  /** Called once when the job stops holding a worker (answered or worker dead). */
  release(): void;
}

/**
 * An idle worker must not keep the service's process alive (a CLI run ends when its work does);
 * one that is starting or running a query must.
 */
function hold(worker: Worker, busy: boolean): void {
  const channel = worker.child.channel as { ref(): void; unref(): void } | null | undefined;
  if (busy) {
    worker.child.ref();
    channel?.ref();
  } else {
    worker.child.unref();
    channel?.unref();
  }
}

/**
 * Set the CPU priority of every thread of a process: on Linux a priority belongs to a thread, and the
 * engine runs its query on threads other than the main one. Elsewhere, only the process's own.
 */
function renice(pid: number, priority: number): void {
  let tids: number[] = [pid];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    // no /proc: the process alone
  }
  for (const tid of tids) {
    try {
      setPriority(tid, priority);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESRCH') throw err; // a thread that just ended
    }
  }
}

/** When a running query counts as slow and yields the CPU to the others (see #watchSlow). */
export const SLOW_AFTER_MS = 200;

const here = fileURLToPath(import.meta.url);
// From source (tests, tsx) the worker is TypeScript and needs the same loader; from dist it is plain JS.
const WORKER_FILE = join(dirname(here), `worker${here.endsWith('.ts') ? '.ts' : '.js'}`);
const WORKER_EXEC_ARGV = here.endsWith('.ts') ? ['--import', 'tsx'] : [];

export class EnginePool {
  readonly stats: PoolStats = { spawned: 0, killed: 0, exited: 0, timedOut: 0 };
  readonly #opts: EnginePoolOptions;
  /** The file every worker must open (no file: none can start). */
  readonly #identity: string;
  readonly #workers = new Set<Worker>();
  readonly #queue: Job[] = [];
  readonly #held = new Map<string, number>();
  #nextId = 1;
  #closed = false;
  /** Why the last worker failed to start, while no worker has started since. */
  #startError: string | undefined;

  constructor(opts: EnginePoolOptions) {
    if (opts.size < 1 || opts.perTenant < 1) throw new RangeError('pool size and perTenant must be at least 1');
    this.#opts = opts;
    this.#identity = opts.identity ?? fileIdentity(opts.path) ?? 'missing';
  }

  /** Run one query under the deadline. */
  run(run: PoolRun): Promise<QueryResult> {
    if (this.#closed)
      return Promise.reject(new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'connector closed' }));
    if (run.signal?.aborted)
      return Promise.reject(new SplitplaneError('SP_ERR_EXECUTION_TIMEOUT', { detail: 'aborted before start' }));
    return new Promise<QueryResult>((resolve, reject) => {
      let released = false;
      const job: Job = {
        id: this.#nextId++,
        run,
        settled: false,
        resolve: (r) => settle(() => resolve(r)),
        reject: (e) => settle(() => reject(e)),
        release: () => {
          if (released) return;
          released = true;
          const n = (this.#held.get(run.tenant) ?? 1) - 1;
          if (n > 0) this.#held.set(run.tenant, n);
          else this.#held.delete(run.tenant);
        },
      };
      const timer = setTimeout(() => this.#expire(job, 'deadline'), run.timeoutMs);
      const onAbort = (): void => this.#expire(job, 'aborted');
      run.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (f: () => void): void => {
        if (job.settled) return;
        job.settled = true;
        clearTimeout(timer);
        run.signal?.removeEventListener('abort', onAbort);
        f();
      };
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  /** Start the warm workers; throws SP_ERR_WAREHOUSE_UNAVAILABLE when one cannot open the file. */
  async start(timeoutMs = 30_000): Promise<void> {
    const starting = Array.from({ length: Math.max(0, this.#opts.warm - this.#workers.size) }, () => this.#spawn());
    await Promise.all(starting.map((w) => this.#ready(w, timeoutMs)));
  }

  /** Resolves when a worker is ready to take a query (starting one if none is), else throws. */
  async ping(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'connector closed' });
    if ([...this.#workers].some((w) => w.ready)) return;
    await this.#ready([...this.#workers][0] ?? this.#spawn(), timeoutMs);
  }

  #ready(worker: Worker, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        done();
        worker.child.kill('SIGKILL'); // hung while starting: its exit does the bookkeeping
        reject(new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'engine worker did not start in time' }));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        worker.child.off('message', onMessage);
        worker.child.off('exit', onExit);
      };
      const onMessage = (m: ToParent): void => {
        if (m.type === 'ready') {
          done();
          resolve();
        }
      };
      const onExit = (): void => {
        done();
        reject(
          new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', {
            detail: `engine worker failed to start: ${this.#startError ?? 'exited'}`,
          }),
        );
      };
      if (worker.ready) {
        done();
        resolve();
        return;
      }
      worker.child.on('message', onMessage);
      worker.child.on('exit', onExit);
    });
  }

  /** Workers alive, ready, busy, and queries waiting (for metrics and tests). */
  get load(): { workers: number; ready: number; busy: number; queued: number } {
    const all = [...this.#workers];
    return {
      workers: all.length,
      ready: all.filter((w) => w.ready).length,
      busy: all.filter((w) => w.job).length,
      queued: this.#queue.length,
    };
  }

  /** Process IDs of the workers, with whether each is demoted (for tests and diagnostics). */
  workers(): { pid: number; demoted: boolean; busy: boolean }[] {
    return [...this.#workers]
      .filter((w) => w.child.pid !== undefined)
      .map((w) => ({ pid: w.child.pid!, demoted: w.demoted, busy: w.job !== undefined }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0))
      job.reject(new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: 'connector closed' }));
    const exits = [...this.#workers].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) {
            resolve();
            return;
          }
          w.child.once('exit', () => resolve());
          hold(w, true); // an unreferenced child's exit would not keep the loop alive until it is seen
          w.child.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
  }

  /** Give queued jobs to free workers, in order, within each tenant's share; start workers as needed. */
  #dispatch(): void {
    if (this.#closed) return;
    for (let i = 0; i < this.#queue.length;) {
      const job = this.#queue[i]!;
      if ((this.#held.get(job.run.tenant) ?? 0) >= this.#opts.perTenant) {
        i++;
        continue;
      }
      const worker = [...this.#workers].find((w) => w.ready && !w.job);
      if (!worker) {
        const starting = [...this.#workers].filter((w) => !w.ready).length;
        const waiting = this.#queue.length;
        if (this.#workers.size < this.#opts.size && starting < waiting) this.#spawn();
        return;
      }
      this.#queue.splice(i, 1);
      this.#held.set(job.run.tenant, (this.#held.get(job.run.tenant) ?? 0) + 1);
      worker.job = job;
      hold(worker, true);
      this.#watchSlow(worker, job);
      worker.child.send({
        type: 'run',
        id: job.id,
        sql: job.run.sql,
        rowCap: job.run.rowCap,
        bindings: job.run.bindings ?? [],
      } satisfies ToWorker);
    }
  }

  #spawn(): Worker {
    const child = fork(WORKER_FILE, [], {
      execArgv: WORKER_EXEC_ARGV,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const worker: Worker = { child, ready: false, demoted: false, job: undefined };
    this.#workers.add(worker);
    this.stats.spawned++;
    child.on('message', (m: ToParent) => this.#onMessage(worker, m));
    // 'exit' normally follows 'error'; a process that never started (fork failed) has no pid and no exit.
    child.on('error', () => {
      if (child.pid === undefined && this.#workers.has(worker)) this.#onExit(worker);
    });
    child.once('exit', () => {
      if (this.#workers.has(worker)) this.#onExit(worker);
    });
    child.send({
      type: 'init',
      path: this.#opts.path,
      identity: this.#identity,
      settings: { ...this.#opts.settings },
      planPolicy: this.#opts.planPolicy,
    } satisfies ToWorker);
    return worker;
  }

  #onMessage(worker: Worker, m: ToParent): void {
    if (m.type === 'ready') {
      worker.ready = true;
      hold(worker, false);
      this.#startError = undefined;
      this.#dispatch();
      return;
    }
    if (m.type === 'fatal') {
      this.#startError = m.message;
      return; // the worker exits; #onExit fails what waits
    }
    const job = worker.job;
    if (!job || job.id !== m.id) return;
    worker.job = undefined;
    hold(worker, false);
    job.release();
    // (A job whose caller already had its timeout ignores the answer: settling twice is a no-op.)
    if (m.type === 'result') job.resolve({ columns: m.columns, rows: m.rows, truncated: m.truncated });
    else if (m.type === 'refused')
      job.reject(new SplitplaneError('SP_ERR_GUARD_ENGINE_MISMATCH', { detail: `bound plan: ${m.reason}` }));
    else job.reject(new SplitplaneError('SP_ERR_EXECUTION_FAILED', { cause: new Error(m.message) }));
    if (worker.demoted) this.#restore(worker);
    this.#dispatch();
  }

  #onExit(worker: Worker): void {
    this.#workers.delete(worker);
    this.stats.exited++;
    const job = worker.job;
    worker.job = undefined;
    if (job) {
      job.release();
      job.reject(new SplitplaneError('SP_ERR_EXECUTION_FAILED', { detail: 'engine worker exited' }));
    }
    if (!worker.ready) {
      // It died starting: do not start another at once (that could loop forever). With no worker
      // left that can serve, fail what waits rather than let it run into its deadline.
      this.#startError ??= `exited before it was ready (code ${String(worker.child.exitCode)}, signal ${String(worker.child.signalCode)})`;
      if (![...this.#workers].some((w) => w.ready)) {
        for (const waiting of this.#queue.splice(0)) {
          waiting.reject(
            new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', {
              detail: `engine worker failed to start: ${this.#startError}`,
            }),
          );
        }
      }
      return;
    }
    if (!this.#closed && this.#workers.size < this.#opts.warm) this.#spawn();
    this.#dispatch();
  }

  /**
   * A query still running after SLOW_AFTER_MS gets the lowest CPU priority, so that on a busy machine
   * the short queries of everyone else are scheduled before it (most answers take a few ms).
   */
  #watchSlow(worker: Worker, job: Job): void {
    setTimeout(() => {
      if (worker.job !== job || !this.#workers.has(worker) || worker.child.pid === undefined) return;
      try {
        renice(worker.child.pid, 19);
        worker.demoted = true;
      } catch {
        // not permitted here: it keeps its priority
      }
    }, SLOW_AFTER_MS).unref();
  }

  /** Back to normal priority after a slow query; when that is not permitted, replace the worker. */
  #restore(worker: Worker): void {
    try {
      renice(worker.child.pid!, 0);
      worker.demoted = false;
    } catch {
      // Out of the pool now, so it takes no further query; its 'exit' is then ignored.
      this.#onExit(worker);
      worker.child.kill('SIGKILL');
    }
  }

  /** The deadline passed (or the caller gave up): answer now, stop the engine, kill it if it will not stop. */
  #expire(job: Job, why: 'deadline' | 'aborted'): void {
    if (job.settled) return;
    this.stats.timedOut++;
    job.reject(new SplitplaneError('SP_ERR_EXECUTION_TIMEOUT', { detail: why }));
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      return;
    }
    const worker = [...this.#workers].find((w) => w.job === job);
    if (!worker) return;
    // A demoted worker gets its CPU back to stop: at the lowest priority on a busy machine it could
    // not wind down within the grace period, and would be killed and restarted for nothing.
    if (worker.demoted) {
      try {
        renice(worker.child.pid!, 0);
        worker.demoted = false;
      } catch {
        // not permitted: the kill below still ends it
      }
    }
    worker.child.send({ type: 'interrupt', id: job.id } satisfies ToWorker);
    setTimeout(() => {
      if (worker.job === job && this.#workers.has(worker)) {
        this.stats.killed++;
        worker.child.kill('SIGKILL');
      }
    }, this.#opts.graceMs).unref();
  }
}

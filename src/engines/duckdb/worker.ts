/**
 * One DuckDB engine worker: a child process of the service that opens the
 * warehouse file locked down and runs one query at a time for the parent's
 * pool (pool.ts). It exists so that a query the engine cannot stop
 * (planning ignores interrupt()) can be ended by killing this process, and
 * so that query work never occupies the service's own thread pool.
 *
 * Protocol (IPC, JSON): the parent sends `init` once, then `run` and
 * `interrupt`; the worker answers `ready` or `fatal`, then `result` or
 * `error` for each run. Engine error text may quote row values: it goes
 * back to the parent for its logs, never to a client.
 *
 * `init` carries the identity of the file the parent opened; the worker
 * checks the file at the path before and after opening it and answers
 * `fatal` (it never becomes ready) when either differs, so a warehouse
 * renamed or copied over, or deleted, after the service started is never
 * served by a worker started since.
 *
 * The worker keeps one connection (it runs one query at a time) and the
 * prepared statement of each text it ran: the sandbox names every scope
 * value by placeholder, so a question asked again, by anyone, is the same
 * text with other values bound, and is neither parsed nor planned again.
 * Each run binds every parameter afresh (after clearing the last run's),
 * and a text that failed or was refused is not kept.
 */
import { createHash } from 'node:crypto';
import {
  BIGINT,
  DOUBLE,
  DuckDBInstance,
  LIST,
  listValue,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { bindError, planViolation, type PlanPolicy } from './plan-check.js';
import type { Binding } from '../../warehouse/bindings.js';
import { fileIdentity, type ToParent, type ToWorker } from './pool.js';

let instance: DuckDBInstance | undefined;
let planPolicy: PlanPolicy | undefined;
/**
 * Texts whose bound plan passed. The file is read-only and the policy fixed for the life of this
 * process, so the same text binds the same way: a repeated question is not bound twice.
 */
const planPassed = new Set<string>();
const PLAN_CACHE = 1_000;
/** The one connection every run uses (one query at a time), opened at init after the configuration is locked. */
let conn: DuckDBConnection | undefined;
/** Prepared statements by text, least recently used first, with the parameter names each asks for. */
const prepared = new Map<string, { readonly stmt: DuckDBPreparedStatement; readonly asked: string }>();
const PREPARED_CACHE = 100;
/** `SELECT json_serialize_plan($1)` on that connection, prepared once: the bound-plan check of a new text. */
let planOf: DuckDBPreparedStatement | undefined;
/** The run in progress (what an interrupt for its id stops). */
let current: { id: number } | undefined;

function send(msg: ToParent): void {
  process.send?.(msg);
}

/** Throws unless the file at `path` is the one the parent opened. */
function expectFile(path: string, identity: string, when: string): void {
  const found = fileIdentity(path);
  if (found !== identity) {
    throw new Error(
      `${path} is not the file the service opened (${when}: ${found === undefined ? 'no file' : `identity ${found}`}, expected ${identity}); it was deleted or replaced`,
    );
  }
}

async function init(
  path: string,
  identity: string,
  settings: Record<string, string>,
  policy: PlanPolicy | undefined,
): Promise<void> {
  planPolicy = policy;
  try {
    // Before: do not open another file. After: the file opened is the one that was checked (not one
    // renamed or copied over it in between).
    expectFile(path, identity, 'before opening');
    instance = await DuckDBInstance.create(path, settings);
    expectFile(path, identity, 'after opening');
    const setup = await instance.connect();
    try {
      await setup.run('SET lock_configuration = true');
    } finally {
      setup.closeSync();
    }
    conn = await instance.connect();
    planOf = await conn.prepare('SELECT json_serialize_plan($1::VARCHAR)');
    send({ type: 'ready' });
  } catch (err) {
    try {
      instance?.closeSync();
    } catch {
      // exiting anyway
    }
    instance = undefined;
    // Exit once the message is on its way, so the parent learns why.
    process.send?.(
      { type: 'fatal', message: err instanceof Error ? err.message : String(err) } satisfies ToParent,
      () => process.exit(1),
    );
  }
}

/**
 * A binding as DuckDB takes it: IDs as BIGINT, numbers as DOUBLE, text and dates as VARCHAR (the
 * dialect's placeholder casts a date: duckdbDialect.refine), lists as LISTs of those.
 */
function duckValue(b: Binding): [DuckDBValue, DuckDBType] {
  const element = b.type.replace('[]', '');
  const type = element === 'bigint' ? BIGINT : element === 'number' ? DOUBLE : VARCHAR;
  const one = (v: string | number): DuckDBValue =>
    element === 'bigint' ? BigInt(v) : element === 'number' ? Number(v) : String(v);
  return Array.isArray(b.value) ? [listValue(b.value.map(one)), LIST(type)] : [one(b.value as string | number), type];
}

/** The kept statement of `sql`, prepared now when there is none (the least recently used one goes). */
async function statement(c: DuckDBConnection, sql: string): Promise<{ stmt: DuckDBPreparedStatement; asked: string }> {
  const kept = prepared.get(sql);
  if (kept) {
    prepared.delete(sql);
    prepared.set(sql, kept);
    return kept;
  }
  const stmt = await c.prepare(sql);
  const asked = Array.from({ length: stmt.parameterCount }, (_, i) => stmt.parameterName(i + 1))
    .sort()
    .join(',');
  const entry = { stmt, asked };
  prepared.set(sql, entry);
  if (prepared.size > PREPARED_CACHE) forget(prepared.keys().next().value as string);
  return entry;
}

function forget(sql: string): void {
  prepared.get(sql)?.stmt.destroySync();
  prepared.delete(sql);
}

async function run(id: number, sql: string, rowCap: number, bindings: readonly Binding[]): Promise<void> {
  if (!instance || !conn || !planOf) {
    send({ type: 'error', id, message: 'worker not initialised' });
    return;
  }
  current = { id };
  let keep = false;
  try {
    const key = planPolicy ? createHash('sha256').update(sql).digest('base64') : '';
    if (planPolicy && !planPassed.has(key)) {
      // Binding is planning: it runs inside the deadline too, where this process can be killed.
      planOf.clearBindings();
      planOf.bindVarchar(1, sql);
      const text = (await planOf.runAndReadAll()).getRows()[0]?.[0];
      const serialised: unknown = typeof text === 'string' ? JSON.parse(text) : undefined;
      const failed = bindError(serialised);
      if (failed !== undefined) {
        send({ type: 'error', id, message: failed });
        return;
      }
      const why = planViolation(serialised, planPolicy, sql);
      if (why !== undefined) {
        send({ type: 'refused', id, reason: why });
        return;
      }
      planPassed.add(key);
      if (planPassed.size > PLAN_CACHE) planPassed.delete(planPassed.values().next().value as string);
    }
    const { stmt, asked } = await statement(conn, sql);
    // The text asks for exactly the scope parameters it was built with, no fewer and no other.
    const given = bindings
      .map((b) => b.name)
      .sort()
      .join(',');
    if (asked !== given) {
      send({
        type: 'refused',
        id,
        reason: `parameters [${asked.split(',').join(', ')}] where the scope binds [${given.split(',').join(', ')}]`,
      });
      return;
    }
    // Nothing of the last run's values is left bound: every parameter is bound from this run's scope.
    stmt.clearBindings();
    if (bindings.length) {
      const values: Record<string, DuckDBValue> = {};
      const types: Record<string, DuckDBType> = {};
      for (const b of bindings) [values[b.name], types[b.name]] = duckValue(b);
      stmt.bind(values, types);
    }
    const result = read(id, await stmt.streamAndReadUntil(rowCap + 1), rowCap);
    // A capped result stopped reading mid-stream: the connection's next statement ends that query and
    // frees what it holds (as closing the connection did), before the worker counts as free again.
    if (result.truncated) await conn.run('SELECT 1');
    keep = true;
    // Sent last: once it is, the pool may send the next run (no await may follow in this run).
    send(result);
  } catch (err) {
    send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  } finally {
    current = undefined;
    // A text that failed (or was interrupted) or was refused is prepared afresh if it comes again.
    if (!keep) forget(sql);
  }
}

/** The answer of a run: its rows (at most rowCap), and whether there were more. */
function read(id: number, reader: DuckDBResultReader, rowCap: number): ToParent & { type: 'result' } {
  const names = reader.columnNames();
  const types = reader.columnTypes().map((t) => t.toString());
  const all = reader.getRowsJson() as (string | number | boolean | null)[][];
  return {
    type: 'result',
    id,
    columns: names.map((name, i) => ({ name, type: types[i] ?? 'UNKNOWN' })),
    rows: all.slice(0, rowCap),
    truncated: all.length > rowCap,
  };
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') void init(msg.path, msg.identity, msg.settings, msg.planPolicy);
  else if (msg.type === 'run') void run(msg.id, msg.sql, msg.rowCap, msg.bindings);
  else if (current?.id === msg.id) conn?.interrupt();
});
// The service is gone (or closed the channel): nothing is left to answer for.
process.on('disconnect', () => process.exit(0));

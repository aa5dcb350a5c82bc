/**
 * A local fake of the Databricks SQL Thrift service (TCLIService over HTTPS)
 * that the unmodified @databricks/sql client talks to, answering from DuckDB.
 * It records every statement it receives (with bound parameters), so a test
 * can assert the exact SQL that would have run on Databricks.
 *
 * Known needs of the client: 16 random bytes for session and operation GUIDs;
 * GetResultSetMetadata reports COLUMN_BASED_SET and a schema; ExecuteStatement
 * says it has a result set; the fetch after the last rows returns empty
 * columns. The test passes its certificate as customCaCert, but 2.0.0 verifies nothing: its
 * HTTPS agent sets rejectUnauthorized: false and never receives the CA (HttpConnection.js).
 *
 * Refusals are answered as the real endpoint answers them, before any Thrift: a request without a
 * bearer token is HTTP 401, a token it does not know (or every token, with `refuseTokens`: a
 * revoked or expired one) 401 or 403 ("Invalid access token."), and while `warehouse` is
 * "STOPPED" every request is HTTP 503 with the reason in `x-thriftserver-error-message`
 * (TEMPORARILY_UNAVAILABLE) and a Retry-After, as while a stopped SQL warehouse starts. The client
 * turns each into a THTTPException carrying the status and the response; OpenSession and
 * ExecuteStatement are not retried, so a start-up fails at once.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DuckDBInstance } from '@duckdb/node-api';
import { text } from '../../src/util/text.js';

const require = createRequire(import.meta.url);

const thrift = require('thrift') as {
  createWebServer: (o: unknown) => import('node:https').Server;
  TBufferedTransport: unknown;
  TBinaryProtocol: unknown;
};
// The generated TCLIService code that ships inside the client package.
const TCLIService = require('@databricks/sql/thrift/TCLIService');
const T = require('@databricks/sql/thrift/TCLIService_types');
const Int64 = require('node-int64');

/** A statement the fake received. */
export interface ReceivedStatement {
  readonly sql: string;
  readonly parameters: readonly { name?: string; value?: string; type?: string }[];
}

export interface FakeDatabricks {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly statements: ReceivedStatement[];
  /** The warehouse's state: while STOPPED, every request is answered 503 TEMPORARILY_UNAVAILABLE. */
  warehouse: 'RUNNING' | 'STOPPED';
  /** Refuse every token, the configured one too, with this status (a revoked or expired token). */
  refuseTokens: 401 | 403 | undefined;
  close(): Promise<void>;
}

interface Op {
  columns: string[];
  types: string[];
  rows: unknown[][];
  sent: boolean;
}

const OK = () => new T.TStatus({ statusCode: T.TStatusCode.SUCCESS_STATUS });
const uuidBytes = (): Buffer => Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
const handle = () => new T.THandleIdentifier({ guid: uuidBytes(), secret: uuidBytes() });

/** Start the fake; `duckdbPath` is opened read-only and answers every statement. */
export async function startFakeDatabricks(opts: {
  duckdbPath: string;
  cert: string;
  key: string;
  token: string;
}): Promise<FakeDatabricks> {
  const instance = await DuckDBInstance.create(opts.duckdbPath, { access_mode: 'READ_ONLY' });
  const statements: ReceivedStatement[] = [];
  const ops = new Map<string, Op | Error>();
  const key = (h: { operationId: { guid: Buffer } }): string => Buffer.from(h.operationId.guid).toString('hex');

  const handler = {
    OpenSession: (_req: unknown, cb: (e: unknown, r: unknown) => void) =>
      cb(
        null,
        new T.TOpenSessionResp({
          status: OK(),
          serverProtocolVersion: T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
          sessionHandle: new T.TSessionHandle({ sessionId: handle() }),
        }),
      ),
    CloseSession: (_req: unknown, cb: (e: unknown, r: unknown) => void) =>
      cb(null, new T.TCloseSessionResp({ status: OK() })),
    GetInfo: (_req: unknown, cb: (e: unknown, r: unknown) => void) =>
      cb(
        null,
        new T.TGetInfoResp({ status: OK(), infoValue: new T.TGetInfoValue({ stringValue: 'splitplane-fake' }) }),
      ),
    ExecuteStatement: async (
      req: { statement: string; parameters?: { name?: string; value?: { stringValue?: string }; type?: string }[] },
      cb: (e: unknown, r: unknown) => void,
    ) => {
      const parameters = (req.parameters ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        ...(p.value?.stringValue !== undefined ? { value: p.value.stringValue } : {}),
        ...(p.type ? { type: p.type } : {}),
      }));
      statements.push({ sql: req.statement, parameters });
      const opHandle = new T.TOperationHandle({
        operationId: handle(),
        operationType: T.TOperationType.EXECUTE_STATEMENT,
        hasResultSet: true,
      });
      ops.set(key(opHandle), await runOnDuckDb(instance, req.statement, parameters));
      cb(null, new T.TExecuteStatementResp({ status: OK(), operationHandle: opHandle }));
    },
    GetOperationStatus: (
      req: { operationHandle: { operationId: { guid: Buffer } } },
      cb: (e: unknown, r: unknown) => void,
    ) => {
      const op = ops.get(key(req.operationHandle));
      if (op instanceof Error) {
        cb(
          null,
          new T.TGetOperationStatusResp({
            status: OK(),
            operationState: T.TOperationState.ERROR_STATE,
            errorMessage: op.message,
            sqlState: '42000',
          }),
        );
        return;
      }
      cb(
        null,
        new T.TGetOperationStatusResp({
          status: OK(),
          operationState: T.TOperationState.FINISHED_STATE,
          hasResultSet: true,
        }),
      );
    },
    GetResultSetMetadata: (
      req: { operationHandle: { operationId: { guid: Buffer } } },
      cb: (e: unknown, r: unknown) => void,
    ) => {
      const op = ops.get(key(req.operationHandle)) as Op;
      const columns = op.columns.map(
        (name, i) =>
          new T.TColumnDesc({
            columnName: name,
            position: i + 1,
            typeDesc: new T.TTypeDesc({
              types: [
                new T.TTypeEntry({ primitiveEntry: new T.TPrimitiveTypeEntry({ type: thriftType(op.types[i]!) }) }),
              ],
            }),
          }),
      );
      cb(
        null,
        new T.TGetResultSetMetadataResp({
          status: OK(),
          schema: new T.TTableSchema({ columns }),
          resultFormat: T.TSparkRowSetType.COLUMN_BASED_SET,
        }),
      );
    },
    FetchResults: (
      req: { operationHandle: { operationId: { guid: Buffer } } },
      cb: (e: unknown, r: unknown) => void,
    ) => {
      const op = ops.get(key(req.operationHandle)) as Op;
      const rows = op.sent ? [] : op.rows;
      op.sent = true;
      const columns = op.columns.map((_, i) =>
        column(
          op.types[i]!,
          rows.map((r) => r[i]),
        ),
      );
      cb(
        null,
        new T.TFetchResultsResp({
          status: OK(),
          hasMoreRows: false,
          results: new T.TRowSet({ startRowOffset: new Int64(0), rows: [], columns }),
        }),
      );
    },
    CloseOperation: (
      req: { operationHandle: { operationId: { guid: Buffer } } },
      cb: (e: unknown, r: unknown) => void,
    ) => {
      ops.delete(key(req.operationHandle));
      cb(null, new T.TCloseOperationResp({ status: OK() }));
    },
    CancelOperation: (_req: unknown, cb: (e: unknown, r: unknown) => void) =>
      cb(null, new T.TCancelOperationResp({ status: OK() })),
  };

  const path = '/sql/1.0/warehouses/splitplane-fake';
  const server = thrift.createWebServer({
    tls: { cert: opts.cert, key: opts.key },
    services: {
      [path]: {
        transport: thrift.TBufferedTransport,
        protocol: thrift.TBinaryProtocol,
        processor: TCLIService,
        handler,
      },
    },
  });
  // The gateway in front of the Thrift service: authentication first, then the warehouse's state.
  const thriftListeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers['authorization'];
    const refusal: [number, Record<string, string>, string] | undefined =
      auth === undefined || !auth.startsWith('Bearer ')
        ? [401, {}, 'Credential was not sent or was of an unsupported type for this API.']
        : fake.refuseTokens !== undefined || auth !== `Bearer ${opts.token}`
          ? [
              fake.refuseTokens ?? 403,
              { 'x-databricks-reason-phrase': 'Invalid access token.' },
              'Invalid access token.',
            ]
          : fake.warehouse === 'STOPPED'
            ? [
                503,
                {
                  'retry-after': '30',
                  'x-thriftserver-error-message': `TEMPORARILY_UNAVAILABLE: Cluster ${path.split('/').at(-1)} is temporarily unavailable.`,
                },
                'TEMPORARILY_UNAVAILABLE',
              ]
            : undefined;
    if (!refusal) {
      for (const listener of thriftListeners) listener.call(server, req, res);
      return;
    }
    const [status, headers, body] = refusal;
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const fake: FakeDatabricks = {
    host: '127.0.0.1',
    port,
    path,
    statements,
    warehouse: 'RUNNING',
    refuseTokens: undefined,
    close: async () => {
      await new Promise<void>((done) => server.close(() => done()));
      instance.closeSync();
    },
  };
  return fake;
}

async function runOnDuckDb(
  instance: DuckDBInstance,
  sql: string,
  params: readonly { name?: string; value?: string }[],
): Promise<Op | Error> {
  const conn = await instance.connect();
  try {
    // Databricks named parameters (:name) become DuckDB's ($name), values bound as text and cast by the SQL.
    const values: Record<string, string> = {};
    for (const p of params) if (p.name !== undefined && p.value !== undefined) values[p.name] = p.value;
    // Spark's from_json(:list, 'ARRAY<BIGINT>') over a JSON array text is DuckDB's cast of that text to BIGINT[].
    const duck = sql
      .replace(/from_json\(:([A-Za-z_]\w*), 'ARRAY<BIGINT>'\)/g, (_m, n: string) => `CAST(:${n} AS BIGINT[])`)
      .replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_m, n: string) => `$${n}`)
      .replace(/`/g, '"');
    const reader = await conn.runAndReadAll(duck, values);
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowsJson(),
      sent: false,
    };
  } catch (e) {
    return e as Error;
  } finally {
    conn.closeSync();
  }
}

function thriftType(duckType: string): number {
  if (/^DECIMAL/.test(duckType)) return T.TTypeId.STRING_TYPE;
  if (duckType === 'BIGINT' || duckType === 'HUGEINT') return T.TTypeId.BIGINT_TYPE;
  if (duckType === 'INTEGER') return T.TTypeId.INT_TYPE;
  if (duckType === 'DOUBLE' || duckType === 'FLOAT') return T.TTypeId.DOUBLE_TYPE;
  if (duckType === 'BOOLEAN') return T.TTypeId.BOOLEAN_TYPE;
  return T.TTypeId.STRING_TYPE;
}

function column(duckType: string, values: unknown[]): unknown {
  const nulls = Buffer.alloc(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v === null) nulls[i >> 3]! |= 1 << (i & 7);
  });
  const t = thriftType(duckType);
  if (t === T.TTypeId.BIGINT_TYPE)
    return new T.TColumn({ i64Val: new T.TI64Column({ values: values.map((v) => new Int64(Number(v ?? 0))), nulls }) });
  if (t === T.TTypeId.INT_TYPE)
    return new T.TColumn({ i32Val: new T.TI32Column({ values: values.map((v) => Number(v ?? 0)), nulls }) });
  if (t === T.TTypeId.DOUBLE_TYPE)
    return new T.TColumn({ doubleVal: new T.TDoubleColumn({ values: values.map((v) => Number(v ?? 0)), nulls }) });
  if (t === T.TTypeId.BOOLEAN_TYPE)
    return new T.TColumn({ boolVal: new T.TBoolColumn({ values: values.map((v) => Boolean(v)), nulls }) });
  return new T.TColumn({
    stringVal: new T.TStringColumn({ values: values.map((v) => (v === null ? '' : text(v))), nulls }),
  });
}

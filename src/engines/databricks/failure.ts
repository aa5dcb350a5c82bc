/**
 * Why a call to a Databricks SQL warehouse failed, in words an operator can act on: the host
 * cannot be reached, the token was refused (HTTP 401/403), or the warehouse is not running (HTTP
 * 503 while it is stopped or starting). The shapes are the @databricks/sql client's own: a
 * node-fetch FetchError (type "system", with the socket's code) when nothing answers, and a
 * THTTPException (a Thrift TApplicationException with `statusCode` and the fetch `response`) when
 * the endpoint answers anything but 200; Databricks names the reason of a 503 in the
 * `x-thriftserver-error-message` header ("TEMPORARILY_UNAVAILABLE: ..."). A retryable call that
 * ran out of attempts is a RetryError whose `payload` is the last failure.
 *
 * The text names the host, port, warehouse path and where the token came from (the variable or
 * file), never the token, and never the server's own text beyond a reason code: it goes to the
 * start-up error (which the CLI prints) and to logs, never to a client.
 */

/** Where the connector was pointed, to name it in the text. */
export interface DatabricksEndpoint {
  readonly host: string;
  readonly port?: number;
  readonly path: string;
  /** Where the token came from, e.g. "DATABRICKS_TOKEN" or "tokenFile /run/secrets/x" (never the token). */
  readonly tokenSource?: string;
}

/** The kinds of failure an operator must tell apart. */
export type DatabricksFailureKind = 'unreachable' | 'tls' | 'token-refused' | 'not-running' | 'no-warehouse' | 'other';

export interface DatabricksFailure {
  readonly kind: DatabricksFailureKind;
  /** One sentence for the operator. */
  readonly text: string;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH$)/;

type Loose = { readonly [k: string]: unknown };
const obj = (x: unknown): Loose | undefined => (x !== null && typeof x === 'object' ? (x as Loose) : undefined);

/** The HTTP status and response headers of a failed call, when the endpoint answered. */
function httpAnswer(err: Loose): { status: number; header: (name: string) => string | undefined } | undefined {
  const response = obj(err['response']);
  const status =
    typeof err['statusCode'] === 'number'
      ? err['statusCode']
      : typeof response?.['status'] === 'number'
        ? response['status']
        : undefined;
  if (status === undefined) return undefined;
  const headers = obj(response?.['headers']);
  const get = headers?.['get'];
  return {
    status,
    header: (name) => {
      if (typeof get !== 'function') return undefined;
      const v: unknown = get.call(headers, name);
      return typeof v === 'string' ? v : undefined;
    },
  };
}

/** The reason code at the head of Databricks' error header (e.g. TEMPORARILY_UNAVAILABLE), and nothing else of the server's text. */
function reasonCode(text: string | undefined): string | undefined {
  return /^\s*([A-Z][A-Z0-9_]{2,63})\b/.exec(text ?? '')?.[1];
}

/** Classify a failure of the @databricks/sql client; `undefined` when it is not one (a SQL error, say). */
export function databricksFailure(err: unknown, at: DatabricksEndpoint): DatabricksFailure | undefined {
  const e = obj(err);
  if (!e) return undefined;
  // A retryable call out of attempts: the last failure is its payload (an error, or the HTTP answer).
  if (e['errorCode'] === 'ATTEMPTS_EXCEEDED' || e['errorCode'] === 'TIMEOUT_EXCEEDED') {
    const payload = obj(e['payload']);
    const inner =
      payload && 'response' in payload && !('statusCode' in payload)
        ? { statusCode: obj(payload['response'])?.['status'], response: payload['response'] }
        : payload;
    return databricksFailure(inner, at);
  }
  const where = `${at.host}:${at.port ?? 443}`;
  const answer = httpAnswer(e);
  if (answer) {
    const { status } = answer;
    if (status === 401 || status === 403) {
      const token = at.tokenSource ? `the token from ${at.tokenSource}` : 'the token';
      return {
        kind: 'token-refused',
        text: `token refused: ${where} answered HTTP ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}; check ${token} (expired, revoked, for another workspace, or without CAN USE on the warehouse ${at.path})`,
      };
    }
    if (status === 503 || status === 502 || status === 504) {
      const code = reasonCode(answer.header('x-thriftserver-error-message'));
      return {
        kind: 'not-running',
        text: `warehouse not running: ${where} answered HTTP ${status}${code ? ` ${code}` : ''}; the SQL warehouse ${at.path} is stopped or still starting (start it, or wait for it to start, then start splitplane again)`,
      };
    }
    if (status === 404)
      return {
        kind: 'no-warehouse',
        text: `no SQL warehouse at ${at.path}: ${where} answered HTTP 404; check warehouse.databricks.path`,
      };
    return { kind: 'other', text: `${where} answered HTTP ${status}` };
  }
  const code = typeof e['code'] === 'string' ? e['code'] : typeof e['errno'] === 'string' ? e['errno'] : undefined;
  if (code && TLS.test(code))
    return {
      kind: 'tls',
      text: `TLS with ${where} failed (${code}); check the host name and warehouse.databricks.customCaCertFile`,
    };
  if ((code && UNREACHABLE.has(code)) || e['type'] === 'system' || e['type'] === 'request-timeout') {
    const how =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `cannot resolve ${at.host}`
        : code === 'ECONNREFUSED'
          ? `${where} refused the connection`
          : code === 'ECONNRESET' || code === 'EPIPE'
            ? `${where} closed the connection`
            : `cannot reach ${where}`;
    return {
      kind: 'unreachable',
      text: `host unreachable: ${how}${code ? ` (${code})` : ''}; check warehouse.databricks.host and port, and the network path to it`,
    };
  }
  // A Thrift status inside a 200 that says the same as the 503 header (seen while a warehouse starts).
  if (typeof e['message'] === 'string' && /\bTEMPORARILY_UNAVAILABLE\b/.test(e['message'])) {
    return {
      kind: 'not-running',
      text: `warehouse not running: ${where} answered TEMPORARILY_UNAVAILABLE; the SQL warehouse ${at.path} is stopped or still starting (start it, or wait for it to start, then start splitplane again)`,
    };
  }
  return undefined;
}

/** The operator's text for any failure: the classified one, or the client's error name only (its message may quote the engine). */
export function describeDatabricksFailure(err: unknown, at: DatabricksEndpoint, token?: string): string {
  const text = databricksFailure(err, at)?.text ?? `the Databricks client failed (${errorName(err)})`;
  // Nothing above quotes the token; should a configured host or path ever contain it, it still never shows.
  return token && token.length >= 8 ? text.split(token).join('[token]') : text;
}

function errorName(err: unknown): string {
  const e = obj(err);
  const name = e?.['name'] ?? (e?.['constructor'] as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && /^[A-Za-z][\w ]{0,40}$/.test(name) ? name : typeof err;
}

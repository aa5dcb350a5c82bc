/** The operator's text for each failure shape of the @databricks/sql client (the e2e tests drive the real client; these pin the rest). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { databricksFailure, describeDatabricksFailure } from './failure.js';

const require = createRequire(import.meta.url);
const RetryError = (
  require('@databricks/sql/dist/errors/RetryError') as { default: new (code: string, payload?: unknown) => Error }
).default;
const at = { host: 'adb-1.azuredatabricks.net', path: '/sql/1.0/warehouses/abc', tokenSource: 'DATABRICKS_TOKEN' };
const http = (status: number, headers: Record<string, string> = {}) => ({
  name: 'THTTPException',
  message: `Received a response with a bad HTTP status code: ${status}`,
  statusCode: status,
  response: { status, headers: new Headers(headers) },
});
const system = (code: string) =>
  Object.assign(new Error(`request to https://x failed, reason: ${code}`), {
    name: 'FetchError',
    type: 'system',
    code,
    errno: code,
  });

describe('databricksFailure', () => {
  it.each<[unknown, string, string]>([
    [system('ENOTFOUND'), 'unreachable', 'host unreachable: cannot resolve adb-1.azuredatabricks.net (ENOTFOUND)'],
    [system('ETIMEDOUT'), 'unreachable', 'host unreachable: cannot reach adb-1.azuredatabricks.net:443 (ETIMEDOUT)'],
    [
      system('DEPTH_ZERO_SELF_SIGNED_CERT'),
      'tls',
      'TLS with adb-1.azuredatabricks.net:443 failed (DEPTH_ZERO_SELF_SIGNED_CERT)',
    ],
    [
      http(403),
      'token-refused',
      'token refused: adb-1.azuredatabricks.net:443 answered HTTP 403 Forbidden; check the token from DATABRICKS_TOKEN',
    ],
    [
      http(503, { 'x-thriftserver-error-message': 'TEMPORARILY_UNAVAILABLE: Cluster abc is temporarily unavailable.' }),
      'not-running',
      'warehouse not running: adb-1.azuredatabricks.net:443 answered HTTP 503 TEMPORARILY_UNAVAILABLE;',
    ],
    [http(404), 'no-warehouse', 'no SQL warehouse at /sql/1.0/warehouses/abc'],
    // A retryable call out of attempts: the last answer, or the last network error, is the payload.
    [
      new RetryError('ATTEMPTS_EXCEEDED', { request: {}, response: { status: 503, headers: new Headers() } }),
      'not-running',
      'answered HTTP 503;',
    ],
    [new RetryError('TIMEOUT_EXCEEDED', system('ECONNRESET')), 'unreachable', 'closed the connection (ECONNRESET)'],
  ])('case %# is %1$s', (err, kind, text) => {
    const f = databricksFailure(err, at);
    expect(f?.kind).toBe(kind);
    expect(f?.text).toContain(text);
  });

  it('quotes no server text beyond a reason code, and a SQL error is not a warehouse failure', () => {
    expect(
      databricksFailure(http(503, { 'x-thriftserver-error-message': 'row 42 of customers: alice@example.com' }), at)
        ?.text,
    ).not.toContain('alice');
    const sqlError = Object.assign(new Error('[TABLE_OR_VIEW_NOT_FOUND] customers'), {
      errorCode: 'ERROR',
      response: { status: { statusCode: 3 } },
    });
    expect(databricksFailure(sqlError, at)).toBeUndefined();
    expect(describeDatabricksFailure(sqlError, at)).toBe('the Databricks client failed (Error)');
  });

  it('never shows the token, even when a configured address contains it', () => {
    const token = 'dapi0123456789abcdef';
    expect(describeDatabricksFailure(http(404), { ...at, path: `/sql/1.0/warehouses/${token}` }, token)).not.toContain(
      token,
    );
  });
});

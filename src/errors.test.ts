/** The error registry is pinned and every code is documented. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, SplitplaneError } from './errors.js';

describe('error registry', () => {
  it('pins every code and status', () => {
    expect(Object.fromEntries(Object.entries(ERRORS).map(([k, v]) => [k, v.status]))).toMatchInlineSnapshot(`
      {
        "SP_ERR_AUDIT_UNAVAILABLE": 503,
        "SP_ERR_AUTH_MALFORMED": 401,
        "SP_ERR_AUTH_MISSING": 401,
        "SP_ERR_BAD_REQUEST": 400,
        "SP_ERR_BENCHMARK_NOT_GRANTED": 403,
        "SP_ERR_BENCHMARK_UNAVAILABLE": 501,
        "SP_ERR_BODY_HASH_MISMATCH": 401,
        "SP_ERR_BODY_TOO_LARGE": 413,
        "SP_ERR_CHOICES_UNAVAILABLE": 503,
        "SP_ERR_CONFIG": 500,
        "SP_ERR_CONVERSATION_EXPIRED": 410,
        "SP_ERR_CONVERSATION_FORBIDDEN": 403,
        "SP_ERR_CONVERSATION_FULL": 409,
        "SP_ERR_CONVERSATION_UNAVAILABLE": 503,
        "SP_ERR_CONVERSATION_UNKNOWN": 404,
        "SP_ERR_CREDENTIAL_SCOPE": 401,
        "SP_ERR_DUPLICATE_KEY": 400,
        "SP_ERR_EXECUTION_FAILED": 502,
        "SP_ERR_EXECUTION_TIMEOUT": 504,
        "SP_ERR_FEEDBACK_FORBIDDEN": 403,
        "SP_ERR_FEEDBACK_UNAVAILABLE": 503,
        "SP_ERR_FEEDBACK_UNKNOWN_REQUEST": 404,
        "SP_ERR_GUARD_BAD_CHARACTER": 422,
        "SP_ERR_GUARD_CTE_SHADOW": 422,
        "SP_ERR_GUARD_ENGINE_MISMATCH": 422,
        "SP_ERR_GUARD_FUNCTION_NOT_ALLOWED": 422,
        "SP_ERR_GUARD_KEYWORD_IDENTIFIER": 422,
        "SP_ERR_GUARD_LITERAL": 422,
        "SP_ERR_GUARD_MULTIPLE_STATEMENTS": 422,
        "SP_ERR_GUARD_NOT_SELECT": 422,
        "SP_ERR_GUARD_PARSE": 422,
        "SP_ERR_GUARD_QUALIFIED_NAME": 422,
        "SP_ERR_GUARD_SELECT_INTO": 422,
        "SP_ERR_GUARD_TABLE_FUNCTION": 422,
        "SP_ERR_GUARD_TOO_COMPLEX": 422,
        "SP_ERR_GUARD_TOO_DEEP": 422,
        "SP_ERR_GUARD_TOO_LONG": 422,
        "SP_ERR_GUARD_UNKNOWN_RELATION": 422,
        "SP_ERR_GUARD_UNSUPPORTED": 422,
        "SP_ERR_ID_FORMAT": 400,
        "SP_ERR_ID_HEADERS": 401,
        "SP_ERR_INTERNAL": 500,
        "SP_ERR_LLM_BAD_RESPONSE": 502,
        "SP_ERR_LLM_THROTTLED": 503,
        "SP_ERR_LLM_TIMEOUT": 504,
        "SP_ERR_LLM_UNAVAILABLE": 503,
        "SP_ERR_NOT_FOUND": 404,
        "SP_ERR_OUT_OF_SCOPE_REFERENCE": 403,
        "SP_ERR_POLICY_DENIED": 403,
        "SP_ERR_POLICY_INVALID": 500,
        "SP_ERR_POLICY_UNAVAILABLE": 503,
        "SP_ERR_PRESIGNED_NOT_ALLOWED": 401,
        "SP_ERR_RATE_LIMITED": 429,
        "SP_ERR_RATE_LIMIT_UNAVAILABLE": 503,
        "SP_ERR_REPLAY_CACHE_UNAVAILABLE": 503,
        "SP_ERR_REQUEST_TIMEOUT": 408,
        "SP_ERR_SHUTTING_DOWN": 503,
        "SP_ERR_SIGNATURE_EXPIRED": 401,
        "SP_ERR_SIGNATURE_MISMATCH": 401,
        "SP_ERR_SIGNATURE_REPLAY": 401,
        "SP_ERR_SIGNED_HEADERS": 401,
        "SP_ERR_TENANT_NOT_ALLOWED": 403,
        "SP_ERR_TOKEN_EXPIRED": 401,
        "SP_ERR_TOKEN_IDENTITY_MISMATCH": 403,
        "SP_ERR_TOKEN_INVALID": 401,
        "SP_ERR_TOKEN_KEYS_UNAVAILABLE": 503,
        "SP_ERR_UNKNOWN_ACCESS_KEY": 401,
        "SP_ERR_UNKNOWN_PRINCIPAL": 403,
        "SP_ERR_UNSIGNED_PAYLOAD": 401,
        "SP_ERR_UNSUPPORTED_MEDIA_TYPE": 415,
        "SP_ERR_WAREHOUSE_UNAVAILABLE": 503,
      }
    `);
  });

  it('documents every code in docs/errors.md with its status and message, and nothing else', () => {
    const doc = readFileSync('docs/errors.md', 'utf8');
    const documented = [...doc.matchAll(/^\| `(SP_ERR_\w+)` \| (\d+) \| ([^|]+) \| ([^|]+) \|$/gm)];
    expect(documented.map((m) => m[1]).sort()).toEqual(Object.keys(ERRORS).sort());
    for (const [, code, status, message, when] of documented) {
      const e = ERRORS[code as keyof typeof ERRORS];
      expect(Number(status)).toBe(e.status);
      expect(message!.trim()).toBe(e.message);
      expect(when!.trim().length).toBeGreaterThan(5);
    }
  });

  it('sends only the generic message: never the detail or the cause', () => {
    const e = new SplitplaneError('SP_ERR_EXECUTION_FAILED', {
      detail: 'row value 42',
      cause: new Error('Conversion Error: secret'),
    });
    expect(e.message).toContain('row value 42');
    expect(e.toBody('r1')).toEqual({
      statusCode: 502,
      code: 'SP_ERR_EXECUTION_FAILED',
      error: 'Bad Gateway',
      message: 'The query could not be run.',
      requestId: 'r1',
    });
  });
});

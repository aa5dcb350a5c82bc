/**
 * The one error registry. Every error the service returns has a stable code,
 * an HTTP status and a generic client message. Details that could help an
 * attacker (which header failed, what the engine said) go to `cause` and the
 * logs, never to the wire. `docs/errors.md` documents every code; a test
 * pins this table and that document together. Codes are grouped by the layer
 * and stage (src/audit/trace.ts, STAGES) that raises them.
 */

export const ERRORS = {
  // request shape (before any stage: the route and the body's framing)
  SP_ERR_BAD_REQUEST: { status: 400, message: 'The request body is not valid.' },
  SP_ERR_ID_FORMAT: {
    status: 400,
    message: 'tenantId, businessId and adminId must be strings of decimal digits without leading zeros.',
  },
  SP_ERR_DUPLICATE_KEY: { status: 400, message: 'The request body repeats a key.' },
  SP_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json.' },
  SP_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  SP_ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  SP_ERR_NOT_FOUND: { status: 404, message: 'No such route.' },
  // layer 1, stage identity: the signature
  SP_ERR_AUTH_MISSING: { status: 401, message: 'The request is not signed.' },
  SP_ERR_AUTH_MALFORMED: { status: 401, message: 'The Authorization header is not a valid SigV4 header.' },
  SP_ERR_TOKEN_INVALID: { status: 401, message: 'The bearer token is not valid here.' },
  SP_ERR_TOKEN_EXPIRED: { status: 401, message: 'The bearer token has expired.' },
  SP_ERR_TOKEN_KEYS_UNAVAILABLE: {
    status: 503,
    message: "The identity provider's keys could not be fetched, so the token was not accepted.",
  },
  SP_ERR_TOKEN_IDENTITY_MISMATCH: { status: 403, message: 'The body names another identity than the token.' },
  SP_ERR_PRESIGNED_NOT_ALLOWED: { status: 401, message: 'Query-string (presigned) authentication is not accepted.' },
  SP_ERR_UNSIGNED_PAYLOAD: { status: 401, message: 'The payload must be signed; UNSIGNED-PAYLOAD is not accepted.' },
  SP_ERR_SIGNED_HEADERS: {
    status: 401,
    message: 'host, x-amz-date and x-amz-content-sha256 must be signed.',
  },
  SP_ERR_ID_HEADERS: {
    status: 401,
    message:
      'A signed /mcp request must sign x-splitplane-tenant-id, x-splitplane-business-id and x-splitplane-admin-id.',
  },
  SP_ERR_CREDENTIAL_SCOPE: { status: 401, message: 'The credential scope does not match this service.' },
  SP_ERR_SIGNATURE_EXPIRED: { status: 401, message: 'The request time is too far from the server time.' },
  SP_ERR_UNKNOWN_ACCESS_KEY: { status: 401, message: 'The access key is not known.' },
  SP_ERR_BODY_HASH_MISMATCH: { status: 401, message: 'The payload hash does not match the body.' },
  SP_ERR_SIGNATURE_MISMATCH: { status: 401, message: 'The request signature does not match.' },
  SP_ERR_SIGNATURE_REPLAY: { status: 401, message: 'This signed request was already used.' },
  SP_ERR_REPLAY_CACHE_UNAVAILABLE: {
    status: 503,
    message: 'The replay check is unavailable, so the request was refused.',
  },
  // layer 1, stage limits
  SP_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests; retry after the time in Retry-After.' },
  SP_ERR_RATE_LIMIT_UNAVAILABLE: {
    status: 503,
    message: 'The rate limiter is unavailable, so the request was refused.',
  },
  // layer 1, stage identity: the registered admin
  SP_ERR_TENANT_NOT_ALLOWED: { status: 403, message: 'This credential may not act for that tenant.' },
  SP_ERR_UNKNOWN_PRINCIPAL: { status: 403, message: 'The tenant, business and admin do not name a registered admin.' },
  // layer 2, stage intent (refusals that are answers are not errors; these are denials)
  SP_ERR_OUT_OF_SCOPE_REFERENCE: {
    status: 403,
    message: 'The question refers to data outside your access. Access denied.',
  },
  // layer 3, stages policy and sandbox
  SP_ERR_POLICY_DENIED: { status: 403, message: 'The access policy denies this request.' },
  SP_ERR_POLICY_UNAVAILABLE: { status: 503, message: 'The access policy could not be evaluated.' },
  SP_ERR_POLICY_INVALID: { status: 500, message: 'The access policy returned an invalid decision.' },
  SP_ERR_BENCHMARK_NOT_GRANTED: { status: 403, message: 'Your access does not include this comparison with peers.' },
  SP_ERR_BENCHMARK_UNAVAILABLE: {
    status: 501,
    message: 'Comparisons with peers are not available on this warehouse engine.',
  },
  // layer 3, stage guard
  SP_ERR_GUARD_TOO_LONG: { status: 422, message: 'The generated SQL is too long.' },
  SP_ERR_GUARD_TOO_DEEP: { status: 422, message: 'The generated SQL is nested too deeply.' },
  SP_ERR_GUARD_TOO_COMPLEX: { status: 422, message: 'The generated SQL is too complex to run.' },
  SP_ERR_GUARD_BAD_CHARACTER: { status: 422, message: 'The generated SQL contains a character that is not allowed.' },
  SP_ERR_GUARD_PARSE: { status: 422, message: 'The generated SQL could not be parsed.' },
  SP_ERR_GUARD_NOT_SELECT: { status: 422, message: 'Only a single read-only SELECT is allowed.' },
  SP_ERR_GUARD_MULTIPLE_STATEMENTS: { status: 422, message: 'Only one statement is allowed.' },
  SP_ERR_GUARD_SELECT_INTO: { status: 422, message: 'SELECT ... INTO is not allowed.' },
  SP_ERR_GUARD_QUALIFIED_NAME: { status: 422, message: 'Qualified table names are not allowed.' },
  SP_ERR_GUARD_UNKNOWN_RELATION: { status: 422, message: 'The SQL refers to a table outside the sandbox.' },
  SP_ERR_GUARD_TABLE_FUNCTION: { status: 422, message: 'Table functions are not allowed.' },
  SP_ERR_GUARD_FUNCTION_NOT_ALLOWED: { status: 422, message: 'The SQL calls a function that is not allowed.' },
  SP_ERR_GUARD_CTE_SHADOW: { status: 422, message: 'The SQL redefines a sandbox table.' },
  SP_ERR_GUARD_LITERAL: { status: 422, message: 'The SQL contains a literal that is not allowed.' },
  SP_ERR_GUARD_KEYWORD_IDENTIFIER: {
    status: 422,
    message: 'The SQL names a keyword the database would answer with its own metadata.',
  },
  SP_ERR_GUARD_UNSUPPORTED: { status: 422, message: 'The SQL uses a construct that is not allowed.' },
  SP_ERR_GUARD_ENGINE_MISMATCH: {
    status: 422,
    message: 'The database reads the SQL differently from the guard; it was rejected.',
  },
  // layer 3, stage execute
  SP_ERR_EXECUTION_TIMEOUT: { status: 504, message: 'The query took too long and was stopped.' },
  SP_ERR_EXECUTION_FAILED: { status: 502, message: 'The query could not be run.' },
  SP_ERR_WAREHOUSE_UNAVAILABLE: { status: 503, message: 'The warehouse is not available.' },
  // the model (layer 3 stage generate; layer 2 stage intent when it fills a query)
  SP_ERR_LLM_UNAVAILABLE: { status: 503, message: 'The language model could not be reached.' },
  SP_ERR_LLM_TIMEOUT: { status: 504, message: 'The language model took too long to answer.' },
  SP_ERR_LLM_THROTTLED: { status: 503, message: 'The language model is busy; try again shortly.' },
  SP_ERR_LLM_BAD_RESPONSE: { status: 502, message: 'The language model returned something that is not usable SQL.' },
  // conversations
  SP_ERR_CONVERSATION_UNKNOWN: {
    status: 404,
    message: 'No such conversation; start a new one without a conversationId.',
  },
  SP_ERR_CONVERSATION_FORBIDDEN: { status: 403, message: 'That conversation belongs to another identity.' },
  SP_ERR_CONVERSATION_EXPIRED: {
    status: 410,
    message: 'This conversation expired after an hour without questions; start a new one without a conversationId.',
  },
  SP_ERR_CONVERSATION_UNAVAILABLE: {
    status: 503,
    message: 'This conversation could not be reached, so the question was not answered; try again shortly.',
  },
  SP_ERR_CHOICES_UNAVAILABLE: {
    status: 503,
    message: 'Your remembered choices could not be reached, so nothing was forgotten; try again shortly.',
  },
  SP_ERR_CONVERSATION_FULL: {
    status: 409,
    message: 'This conversation reached its limit of questions; start a new one without a conversationId.',
  },
  // feedback (stage feedback)
  SP_ERR_FEEDBACK_UNKNOWN_REQUEST: { status: 404, message: 'No answered request with that id is known here.' },
  SP_ERR_FEEDBACK_FORBIDDEN: { status: 403, message: 'Only the identity that asked may rate the answer.' },
  SP_ERR_FEEDBACK_UNAVAILABLE: {
    status: 503,
    message: 'The feedback store could not be reached, so the rating was not recorded; try again shortly.',
  },
  // audit and everything else
  SP_ERR_AUDIT_UNAVAILABLE: { status: 503, message: 'The request could not be recorded, so it was not answered.' },
  SP_ERR_SHUTTING_DOWN: { status: 503, message: 'The service is shutting down; retry after the time in Retry-After.' },
  SP_ERR_CONFIG: { status: 500, message: 'The service configuration is invalid.' },
  SP_ERR_INTERNAL: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERRORS;

/** The wire body of every error response. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly error: string;
  readonly message: string;
  /**
   * Which part of the request was refused, in the catalog's words, when that is the caller's own to
   * know (a policy that does not open what a measure needs): never data, never another caller's.
   */
  readonly reason?: string;
  readonly requestId?: string;
}

/** An error with a stable code. `cause` is for logs only and never reaches the client. */
export class SplitplaneError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** For SP_ERR_RATE_LIMITED: seconds until a retry may succeed (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;
  /** What happened, for logs (already part of `message`); never sent to clients. */
  readonly detail: string | undefined;
  /** What the client may be told about which part was refused (see ErrorBody.reason). */
  readonly reason: string | undefined;

  constructor(
    code: ErrorCode,
    options?: {
      readonly cause?: unknown;
      readonly detail?: string;
      readonly retryAfterSeconds?: number;
      readonly reason?: string;
    },
  ) {
    super(options?.detail ? `${ERRORS[code].message} (${options.detail})` : ERRORS[code].message, {
      cause: options?.cause,
    });
    this.name = 'SplitplaneError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.detail = options?.detail;
    this.reason = options?.reason;
  }

  /** The generic body sent to clients: registry message only, never `detail` or `cause`. */
  toBody(requestId?: string): ErrorBody {
    return {
      statusCode: this.statusCode,
      code: this.code,
      error: httpReason(this.statusCode),
      message: ERRORS[this.code].message,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      ...(requestId === undefined ? {} : { requestId }),
    };
  }
}

/** Narrow an unknown throw to a SplitplaneError, wrapping anything else as internal. */
export function asSplitplaneError(err: unknown, fallback: ErrorCode = 'SP_ERR_INTERNAL'): SplitplaneError {
  return err instanceof SplitplaneError ? err : new SplitplaneError(fallback, { cause: err });
}

/** True when the code is a guard rejection. */
export function isGuardCode(code: ErrorCode): boolean {
  return code.startsWith('SP_ERR_GUARD_');
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The HTTP reason phrase for a status. */
export function httpReason(status: number): string {
  return REASONS[status] ?? 'Error';
}

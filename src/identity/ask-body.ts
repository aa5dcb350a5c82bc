/**
 * The /v1/ask body, read strictly: UTF-8 JSON, an object with exactly the
 * keys tenantId, businessId, adminId and question, no key repeated anywhere,
 * and IDs as strings of decimal digits (no numbers: "628" is accepted, 628,
 * 628.0, "0628", "628 OR 1=1" and arrays are not).
 */
import { parse as parseJsonAst } from '@humanwhocodes/momoa';
import { SplitplaneError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';

/** The claimed identity and the question, before the principal is resolved. */
export interface AskBody {
  readonly tenantId: string;
  readonly businessId: string;
  readonly adminId: string;
  readonly question: string;
  /** A conversation this identity started earlier (from a previous answer). */
  readonly conversationId?: string;
}

const KEYS = ['adminId', 'businessId', 'question', 'tenantId'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Longest question accepted, in characters. */
export const MAX_QUESTION_LENGTH = 2_000;

/** Parse and validate the raw body; throws SP_ERR_BAD_REQUEST, SP_ERR_DUPLICATE_KEY or SP_ERR_ID_FORMAT. */
export function parseAskBody(raw: Buffer): AskBody {
  const value = parseStrictJson(raw);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { detail: 'body is not a JSON object' });
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => k !== 'conversationId')
    .sort();
  if (keys.join(',') !== KEYS.join(',')) {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', {
      detail: `expected keys ${KEYS.join(', ')} and optionally conversationId`,
    });
  }
  const conversationId = obj['conversationId'];
  if (conversationId !== undefined && (typeof conversationId !== 'string' || !UUID.test(conversationId))) {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { detail: 'conversationId must be a UUID from an earlier answer' });
  }
  for (const k of ['tenantId', 'businessId', 'adminId'] as const) {
    const v = obj[k];
    if (typeof v !== 'string' || !ID_PATTERN.test(v)) throw new SplitplaneError('SP_ERR_ID_FORMAT', { detail: k });
  }
  const question = obj['question'];
  if (typeof question !== 'string' || question.trim() === '' || question.length > MAX_QUESTION_LENGTH) {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { detail: `question must be 1-${MAX_QUESTION_LENGTH} characters` });
  }
  return Object.freeze({
    tenantId: obj['tenantId'] as string,
    businessId: obj['businessId'] as string,
    adminId: obj['adminId'] as string,
    question,
    ...(conversationId === undefined ? {} : { conversationId }),
  });
}

/** Parse JSON, rejecting invalid UTF-8 and repeated keys at any depth. */
export function parseStrictJson(raw: Buffer): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { detail: 'body is not UTF-8' });
  }
  let ast: ReturnType<typeof parseJsonAst>;
  try {
    ast = parseJsonAst(text);
  } catch {
    throw new SplitplaneError('SP_ERR_BAD_REQUEST', { detail: 'body is not JSON' });
  }
  assertNoDuplicateKeys(ast.body);
  return JSON.parse(text) as unknown;
}

type JsonNode = ReturnType<typeof parseJsonAst>['body'];

function assertNoDuplicateKeys(node: JsonNode): void {
  if (node.type === 'Object') {
    const seen = new Set<string>();
    for (const member of node.members) {
      const name = member.name.type === 'String' ? member.name.value : member.name.name;
      if (seen.has(name)) throw new SplitplaneError('SP_ERR_DUPLICATE_KEY', { detail: name });
      seen.add(name);
      assertNoDuplicateKeys(member.value);
    }
  } else if (node.type === 'Array') {
    for (const el of node.elements) assertNoDuplicateKeys(el.value);
  }
}

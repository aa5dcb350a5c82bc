/** The /v1/ask body is read strictly: IDs are decimal strings, nothing else. */
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors.js';
import { SplitplaneError } from '../errors.js';
import { parseAskBody } from './ask-body.js';

function code(raw: string | Buffer): ErrorCode | 'ok' {
  try {
    parseAskBody(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
    return 'ok';
  } catch (e) {
    if (e instanceof SplitplaneError) return e.code;
    throw e;
  }
}

const ok = { tenantId: '12', businessId: '628', adminId: '7042', question: 'sales amount last week' };

describe('parseAskBody', () => {
  it('accepts decimal-string IDs and returns exactly the four fields', () => {
    expect(parseAskBody(Buffer.from(JSON.stringify(ok)))).toEqual(ok);
  });

  it.each<[string, unknown]>([
    ['integer', 628],
    ['float that JSON reads as an integer', '628.0'],
    ['leading zero', '0628'],
    ['SQL in an ID', '628 OR 1=1'],
    ['negative', '-628'],
    ['array', ['628']],
    ['object', { id: '628' }],
    ['null', null],
    ['empty', ''],
    ['too long for BIGINT', '1234567890123456789'],
    ['unicode digits', '\u0666\u0662\u0668'],
    ['whitespace', ' 628'],
  ])('rejects businessId as %s', (_n, businessId) => {
    expect(code(JSON.stringify({ ...ok, businessId }))).toBe('SP_ERR_ID_FORMAT');
  });

  it('rejects a JSON number with a fraction written literally', () => {
    expect(code('{"tenantId":"12","businessId":628.0,"adminId":"7042","question":"q"}')).toBe('SP_ERR_ID_FORMAT');
  });

  it('rejects duplicated keys, at the top level and nested', () => {
    expect(code('{"tenantId":"12","tenantId":"31","businessId":"628","adminId":"7042","question":"q"}')).toBe(
      'SP_ERR_DUPLICATE_KEY',
    );
    expect(code('{"tenantId":"12","businessId":"628","adminId":"7042","question":"q","x":{"a":1,"a":2}}')).toBe(
      'SP_ERR_DUPLICATE_KEY',
    );
  });

  it('rejects missing and extra keys, non-objects, invalid JSON and invalid UTF-8', () => {
    const { question: _q, ...noQuestion } = ok;
    expect(code(JSON.stringify(noQuestion))).toBe('SP_ERR_BAD_REQUEST');
    expect(code(JSON.stringify({ ...ok, role: 'admin' }))).toBe('SP_ERR_BAD_REQUEST');
    expect(code('[]')).toBe('SP_ERR_BAD_REQUEST');
    expect(code('{"tenantId":')).toBe('SP_ERR_BAD_REQUEST');
    expect(code(Buffer.from([0x7b, 0xff, 0x7d]))).toBe('SP_ERR_BAD_REQUEST');
  });

  it('rejects an empty or over-long question', () => {
    expect(code(JSON.stringify({ ...ok, question: '   ' }))).toBe('SP_ERR_BAD_REQUEST');
    expect(code(JSON.stringify({ ...ok, question: 'x'.repeat(2001) }))).toBe('SP_ERR_BAD_REQUEST');
  });
});

/** The evaluator itself: it must be able to say WRONG. */
import { describe, expect, it } from 'vitest';
import { sameRows, sameValue } from './compare.js';
import { judge } from './run.js';

describe('comparing an answer with gold', () => {
  it('numbers: the answer may round an unrounded gold, never change an exact sum', () => {
    expect(sameValue('23.83', 23.8312)).toBe(true);
    expect(sameValue('23.84', 23.8312)).toBe(false);
    expect(sameValue('84000.00', '84000.00')).toBe(true);
    expect(sameValue('84000.01', '84000.00')).toBe(false);
    expect(sameValue('386101', 386101)).toBe(true);
    expect(sameValue(null, '0')).toBe(false);
    expect(sameValue('2026-10-01', '2026-10-01 00:00:00')).toBe(true);
  });

  it('rows: columns matched by value, order only when ranked', () => {
    expect(
      sameRows(
        [
          ['Chicago', '1'],
          ['Dallas', '2'],
        ],
        [
          ['2', 'Dallas'],
          ['1', 'Chicago'],
        ],
        false,
      ),
    ).toBe(true);
    // A label beside the number (the one store a follow-up narrowed to) is right; a missing or different number is not.
    expect(sameRows([['Chicago #17', '28675']], [['28675']], false)).toBe(true);
    expect(sameRows([['Chicago #17', '28676']], [['28675']], false)).toBe(false);
    expect(sameRows([['28675']], [['Chicago #17', '28675']], false)).toBe(false);
    // An extra figure is never right; `extraFigures` only tells "every gold figure is there" from a different number.
    expect(sameRows([['42481.76', '41518.24', '963.52']], [['963.52']], false)).toBe(false);
    expect(sameRows([['42481.76', '41518.24', '963.52']], [['963.52']], false, true)).toBe(true);
    expect(sameRows([['42481.76', '41518.24', '963.53']], [['963.52']], false, true)).toBe(false);
    expect(
      sameRows(
        [
          ['Chicago', '1'],
          ['Dallas', '2'],
        ],
        [['3']],
        false,
      ),
    ).toBe(false);
    expect(
      sameRows(
        [
          ['Chicago', '1'],
          ['Dallas', '2'],
        ],
        [
          ['Dallas', '2'],
          ['Chicago', '1'],
        ],
        true,
      ),
    ).toBe(false);
    expect(
      sameRows(
        [
          ['Chicago', '1'],
          ['Dallas', '2'],
        ],
        [
          ['Chicago', '2'],
          ['Dallas', '1'],
        ],
        false,
      ),
    ).toBe(false);
    expect(sameRows([['1']], [['1'], ['2']], false)).toBe(false);
    expect(sameRows([['a', '1', '1']], [['a', '1']], false)).toBe(false);
  });
});

describe('judging one turn', () => {
  const gold = async () => [['84000.00']];
  const answered = (rows: unknown[][]) => ({ statusCode: 200, body: { status: 'answered', rows } });
  it('right, refused, WRONG', async () => {
    expect(
      (await judge({ question: 'q', expect: 'answer', gold: 'x', ordered: false }, answered([['84000.00']]), gold))
        .verdict,
    ).toBe('right');
    expect(
      (await judge({ question: 'q', expect: 'answer', gold: 'x', ordered: false }, answered([['9200000.00']]), gold))
        .verdict,
    ).toBe('WRONG');
    expect(
      (
        await judge(
          { question: 'q', expect: 'answer', gold: 'x', ordered: false },
          { statusCode: 200, body: { status: 'clarification' } },
          gold,
        )
      ).verdict,
    ).toBe('refused');
    expect(
      (await judge({ question: 'q', expect: 'clarification', ordered: false }, answered([['1']]), gold)).verdict,
    ).toBe('WRONG');
    expect(
      (
        await judge(
          { question: 'q', expect: 'denied', ordered: false },
          { statusCode: 403, body: { code: 'SP_ERR_OUT_OF_SCOPE_REFERENCE' } },
          gold,
        )
      ).verdict,
    ).toBe('right');
    expect(
      (
        await judge(
          { question: 'q', expect: 'unsupported', ordered: false },
          { statusCode: 200, body: { status: 'clarification' } },
          gold,
        )
      ).verdict,
    ).toBe('refused');
  });
});

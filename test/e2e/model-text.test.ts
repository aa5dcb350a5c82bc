/**
 * A model's words never reach a person unchecked (issue 36). When the model asks back, the only
 * model wording that may be shown is one short free-text question in plain words; the message and
 * the choices are otherwise written by splitplane from checked parts: public catalog measures and
 * dimensions, and the caller's own values as stored. No service needed: the parts and the check.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/semantic/catalog.js';
import { readQuestion } from '../../src/intent/analyze.js';
import { modelClarification } from '../../src/intent/model-fill.js';
import { MAX_MODEL_QUESTION, plainModelQuestion } from '../../src/intent/model-text.js';
import { fixtureValues } from '../support/values-fixture.js';

const catalog = loadCatalog('catalog/metrics.yaml');
const TODAY = '2026-11-18';
const Q = 'What were the takings from the lunch crowd at our Chicago #17 hero store last week?';
const ctx = {
  catalog,
  today: TODAY,
  values: fixtureValues(),
  references: [],
  maxTokens: 600,
  draft: readQuestion(Q, catalog, TODAY),
};
const GENERIC =
  'I am not sure what you mean. Could you re-word the question with a measure, a period and the stores, cities or items you mean?';

type Parts = Parameters<typeof modelClarification>[0];
const parts = (p: Partial<Parts>): Parts => ({ kind: 'clarify', measures: [], dimensions: [], values: [], ...p });
const shown = (c: ReturnType<typeof modelClarification>): string =>
  [c.message, ...c.choices.flatMap((x) => [x.label, x.question])].join('\n');

describe("the model's free-text question", () => {
  it.each([
    'Do you mean lunch sales only?',
    'By hero stores, do you mean your best stores?',
    'Which one do you mean?',
    'Is the lunch crowd about money or about guests?',
  ])('passes when it is plain words of the question, the catalog or a question back: %s', (text) => {
    expect(plainModelQuestion(text, Q, catalog)).toBe(text);
  });

  it('typographic apostrophes and quotes become plain ones; nothing else is rewritten', () => {
    expect(plainModelQuestion('Don\u2019t you mean the \u201cguest count\u201d?', Q, catalog)).toBe(
      "Don't you mean the 'guest count'?",
    );
  });

  it.each([
    ['markup', '<script>alert(1)</script>'],
    ['a tag around words', '<b>Do you mean sales?</b>'],
    ['a made-up figure', 'Did you mean the $9,999,999 store?'],
    ['any digit', 'Did you mean the top 5 stores?'],
    ['a figure spelled out', 'Do you mean nine million dollars?'],
    ['SQL', 'SELECT * FROM customers'],
    ['an SQL keyword as a word', 'Do you mean sales from lunch?'],
    ['a statement after a semicolon', 'Do you mean sales; DROP TABLE stores?'],
    ['an SQL comment', 'Do you mean sales -- or guests?'],
    ['a link', 'See https://splitplane-login.example/session'],
    ['a link without its scheme', 'Please sign in again at splitplane-login.example'],
    ['www', 'Do you mean www sales?'],
    ['a word nothing asked for', 'Your session expired, please sign in again'],
    ['a measure the catalog does not have', 'Do you mean the profit margin?'],
    ['a made-up store name', 'Did you mean the Downtown Flagship store?'],
    ['a look-alike letter of another script', 'Do you mean the \u0455ales amount?'],
    ['a line break', 'Do you mean sales?\nOr guests?'],
    ['braces and brackets', 'Do you mean {sales} or [guests]?'],
    ['too long', `Do you mean ${'the sales amount or '.repeat(8)}the guest count?`],
    ['nothing', '  '],
  ])('is dropped with %s', (_name, text) => {
    expect(plainModelQuestion(text, Q, catalog)).toBeUndefined();
  });

  it('is dropped when it is not a string', () => {
    expect(plainModelQuestion({ toString: () => 'Do you mean sales?' }, Q, catalog)).toBeUndefined();
    expect(plainModelQuestion(undefined, Q, catalog)).toBeUndefined();
  });

  it(`is at most ${MAX_MODEL_QUESTION} characters`, () => {
    const long = `Do you mean ${'sales and '.repeat(20)}`.slice(0, MAX_MODEL_QUESTION - 1).trimEnd() + '?';
    expect(long.length).toBeLessThanOrEqual(MAX_MODEL_QUESTION);
    expect(plainModelQuestion(long, Q, catalog)).toBe(long);
    expect(plainModelQuestion(`${long} Or guests?`, Q, catalog)).toBeUndefined();
  });
});

describe("a clarification written from the model's parts", () => {
  it('measures: public catalog ids only, said with their labels', () => {
    const c = modelClarification(
      parts({ measures: ['business_days', 'profit_margin', 'net_sales_amount', 'order_count'] }),
      Q,
      ctx,
    );
    expect(c.message).toBe('Do you mean the sales amount or the sales count?');
    expect(c.choices).toEqual([
      {
        label: 'sales amount',
        metric: 'net_sales_amount',
        question: 'What was the total sales amount for Chicago #17 from 2026-11-09 to 2026-11-15?',
      },
      {
        label: 'sales count',
        metric: 'order_count',
        question: 'What was the total sales count for Chicago #17 from 2026-11-09 to 2026-11-15?',
      },
    ]);
    expect(shown(c)).not.toMatch(/business days|profit/);
  });

  it("values: the caller's own, shown as stored, never as the model wrote them (a key, a number, another spelling)", () => {
    const c = modelClarification(
      parts({
        values: [
          { dimension: 'location', value: '628017' },
          { dimension: 'location', value: 'chicago-123!' },
          { dimension: 'location', value: 'Boston #1' },
        ],
      }),
      Q,
      ctx,
    );
    expect(c.message).toBe('Do you mean the store Chicago #17 or the store Chicago #123?');
    expect(c.choices.map((x) => x.label)).toEqual(['store Chicago #17', 'store Chicago #123']);
    expect(c.choices[1]!.question).toBe(
      'What was the total sales amount for Chicago #123 from 2026-11-09 to 2026-11-15?',
    );
    expect(shown(c)).not.toMatch(/628017|chicago-123|Boston/);
  });

  it('a value on a dimension that is not an attribute, or named on the wrong dimension, is dropped', () => {
    const c = modelClarification(
      parts({
        values: [
          { dimension: 'day', value: 'Chicago #17' },
          { dimension: 'city', value: 'Chicago #17' },
        ],
      }),
      Q,
      ctx,
    );
    expect(c).toMatchObject({ message: GENERIC, choices: [] });
  });

  it('dimensions: catalog ids only, as breakdowns', () => {
    const c = modelClarification(parts({ dimensions: ['location', 'tenant', 'city'] }), Q, ctx);
    expect(c.message).toBe('Do you want it by store or by city?');
    expect(c.choices.map((x) => [x.label, x.question])).toEqual([
      ['by store', 'What was the total sales amount by store for Chicago #17 from 2026-11-09 to 2026-11-15?'],
      ['by city', 'What was the total sales amount by city for Chicago #17 from 2026-11-09 to 2026-11-15?'],
    ]);
  });

  it("a choice the parser could not read back as one query is the caller's own question with the catalog label", () => {
    const q = 'takings of the hero stores last week vs the week before';
    const c = modelClarification(parts({ measures: ['net_sales_amount', 'guest_count'] }), q, {
      ...ctx,
      draft: readQuestion(q, catalog, TODAY),
    });
    expect(c.choices.map((x) => x.question)).toEqual([`${q} (sales amount)?`, `${q} (guest count)?`]);
  });

  it("nothing that passes: splitplane's own question, no choices", () => {
    const c = modelClarification(
      parts({ measures: [null, 'DROP TABLE x'], values: [null, 'Boston #1'], question: 'SELECT * FROM customers' }),
      Q,
      ctx,
    );
    expect(c).toMatchObject({ kind: 'clarification', message: GENERIC, choices: [] });
  });
});

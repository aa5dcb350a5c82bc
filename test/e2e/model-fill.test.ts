/**
 * The model's first job: fill a SemanticQuery for a question the parser could not fully place.
 * Driven through the real Bedrock and OpenAI-compatible clients against local doubles, with
 * realistic structured replies, wrong ones (unknown measures, oversized limits) and hostile ones
 * (a filter on another business, another tenant's store, SQL in a value). Every answer is checked
 * against the physical sandbox; every refusal carries no number.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { bedrockClient } from '../../src/llm/bedrock.js';
import { openAiCompatibleClient } from '../../src/llm/openai-compatible.js';
import {
  isFillPrompt,
  startFakeBedrock,
  startFakeOpenAi,
  type FakeRequest,
  type FakeServer,
} from '../support/fake-llm.js';
import { ask, BRAND_MANAGER, FRANCHISE_OWNER, startTestService, type TestService } from '../support/harness.js';
import { buildPhysicalSandbox, PERSONAS } from '../security/physical-sandbox.js';

const LAST_WEEK = { from: '2026-11-09', to: '2026-11-15' };
// "takings from the lunch crowd" and "hero stores" are words the parser does not place.
const CHICAGO_17 = 'What were the takings from the lunch crowd at our Chicago #17 hero store last week?';
const TOP = 'Show me the hero stores by covers for last week, the best five';

async function physical(personaIndex: number, sql: string) {
  const p = await buildPhysicalSandbox(inject('demoDb'), PERSONAS[personaIndex]!);
  try {
    return await p.run(sql, 1000);
  } finally {
    void p.close();
  }
}

const query = (q: unknown) => ({ kind: 'query', query: q });
const fills = (fake: FakeServer) => fake.requests.filter(isFillPrompt);

for (const provider of ['bedrock', 'openai'] as const) {
  describe(`filling a SemanticQuery (${provider})`, () => {
    let fake: FakeServer;
    let svc: TestService;
    let replies: unknown[] = [];
    const script = (req: FakeRequest) => {
      if (!isFillPrompt(req)) return 'NO SUMMARY';
      const r = replies.shift();
      return typeof r === 'string' ? r : JSON.stringify(r ?? { kind: 'unsupported' });
    };
    beforeAll(async () => {
      fake = provider === 'bedrock' ? await startFakeBedrock(script) : await startFakeOpenAi(script);
      const llm =
        provider === 'bedrock'
          ? bedrockClient({
              modelId: 'm',
              region: 'us-east-1',
              endpoint: fake.url,
              maxAttempts: 1,
              credentials: { accessKeyId: 'AKIDTESTFILL0000001', secretAccessKey: 's' },
            })
          : openAiCompatibleClient({
              baseUrl: fake.url,
              model: 'local',
              apiKey: 'sk-fill',
              maxRetries: 0,
              maxBackoffMs: 10,
            });
      svc = await startTestService({ llm });
    });
    afterAll(async () => {
      await svc.close();
      await fake.close();
    });

    it("answers with the compiled query, exactly the physical sandbox's number, and says what it understood", async () => {
      fake.requests.length = 0;
      replies = [
        query({
          measures: ['net_sales_amount'],
          filters: [{ dimension: 'location', op: 'eq', values: ['Chicago #17'] }],
          time: LAST_WEEK,
        }),
      ];
      const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      expect(res.statusCode).toBe(200);
      const gold = await physical(
        0,
        `SELECT SUM(d.net_sales_amount) FROM daily_sales d JOIN locations l USING (location_id) WHERE l.name = 'Chicago #17' AND d.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`,
      );
      expect(gold.ok && gold.rows).toEqual([JSON.stringify(res.body['rows']![0 as never])]);
      expect((res.body['interpretation'] as { text: string }).text).toBe(
        'sales amount · store Chicago #17 · 2026-11-09 to 2026-11-15 · your 2 locations',
      );
      expect(res.body['sql']).toContain('"l"."name" = \'Chicago #17\'');
      // The model saw the catalog and the question; no data, no IDs, no raw names.
      const prompt = fills(fake)
        .map((r) => `${r.system}\n${r.messages.map((m) => m.text).join('\n')}`)
        .join('\n');
      expect(prompt).toContain('net_sales_amount: sales amount');
      expect(prompt).not.toMatch(/628017|628123|fact_daily_sales|dim_locations|tenant_id|Chicago #123/);
    });

    it('repairs an unknown measure once, telling the model only what was wrong', async () => {
      fake.requests.length = 0;
      replies = [
        query({ measures: ['profit'], dimensions: ['location'], time: LAST_WEEK }),
        query({
          measures: ['guest_count'],
          dimensions: ['location'],
          time: LAST_WEEK,
          order: { measure: 'guest_count', by: 'value', direction: 'desc' },
          limit: 5,
        }),
      ];
      const res = await ask(svc.app, BRAND_MANAGER, TOP);
      expect(res.statusCode).toBe(200);
      expect(res.body['rows']).toHaveLength(5);
      const gold = await physical(
        1,
        `SELECT l.name, SUM(d.guest_count) AS g FROM daily_sales d JOIN locations l USING (location_id) WHERE d.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' GROUP BY l.location_id, l.name ORDER BY g DESC, l.name LIMIT 5`,
      );
      // The oracle returns rows as a sorted multiset.
      expect(gold.ok && gold.rows).toEqual((res.body['rows'] as unknown[][]).map((r) => JSON.stringify(r)).sort());
      expect(fills(fake)).toHaveLength(2);
      expect(fills(fake)[1]!.messages.at(-1)!.text).toBe(
        'That was rejected: Unknown measure "profit". Reply with corrected JSON only.',
      );
    });

    it.each([
      [
        'a filter on another business',
        {
          measures: ['net_sales_amount'],
          filters: [{ dimension: 'business', op: 'eq', values: ['544'] }],
          time: LAST_WEEK,
        },
      ],
      [
        "another tenant's store",
        {
          measures: ['net_sales_amount'],
          filters: [{ dimension: 'location', op: 'eq', values: ['Boston #1'] }],
          time: LAST_WEEK,
        },
      ],
      [
        'a store of the same business outside the grant',
        {
          measures: ['net_sales_amount'],
          filters: [{ dimension: 'location', op: 'eq', values: ['Austin #3'] }],
          time: LAST_WEEK,
        },
      ],
      [
        'SQL in a value',
        {
          measures: ['net_sales_amount'],
          filters: [{ dimension: 'city', op: 'eq', values: ["Chicago') OR 1=1 --"] }],
          time: LAST_WEEK,
        },
      ],
      [
        'an oversized limit',
        {
          measures: ['guest_count'],
          dimensions: ['location'],
          order: { measure: 'guest_count', by: 'value', direction: 'desc' },
          limit: 100000,
          time: LAST_WEEK,
        },
      ],
      ['a range of ten years', { measures: ['guest_count'], time: { from: '2016-01-01', to: '2026-11-17' } }],
      ['an internal measure', { measures: ['business_days'], time: LAST_WEEK }],
    ])('refuses %s twice over: a clarification, no number, nothing run', async (_name, bad) => {
      replies = [query(bad), query(bad)];
      const before = svc.auditEvents().length;
      const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatchObject({ status: 'clarification', rows: [], sql: null });
      const event = svc
        .auditEvents()
        .slice(before)
        .find((e) => e.requestId === res.body['requestId'])!;
      expect(event.sql).toBeUndefined();
      expect(event.layers['intent']).toBe('clarification');
    });

    it('a reply that drops the store the parser read is repaired; dropped twice, it is refused', async () => {
      fake.requests.length = 0;
      const dropped = query({ measures: ['net_sales_amount'], time: LAST_WEEK });
      replies = [
        dropped,
        query({
          measures: ['net_sales_amount'],
          filters: [{ dimension: 'location', op: 'eq', values: ['Chicago #17'] }],
          time: LAST_WEEK,
        }),
      ];
      const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      expect(res.body['status']).toBe('answered');
      expect(res.body['sql']).toContain('"l"."name" = \'Chicago #17\'');
      // The repair names the user's own words, never the stored value or its ID.
      expect(fills(fake)[1]!.messages.at(-1)!.text).toBe(
        'That was rejected: The question is about the store "Chicago #17 hero"; keep a location filter eq that value. Reply with corrected JSON only.',
      );
      replies = [dropped, dropped];
      const twice = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      expect(twice.body).toMatchObject({ status: 'clarification', rows: [], sql: null });
    });

    it('a reply that is not JSON, twice, is a clarification, not a guess', async () => {
      replies = ['Sure! Revenue was great.', 'SELECT * FROM customers'];
      const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      expect(res.body).toMatchObject({ status: 'clarification', rows: [], sql: null });
    });

    // A model that asks back names parts; splitplane writes what the person reads. Whatever the
    // model writes (markup, a made-up figure, SQL, a link, a measure the catalog does not have, a
    // store the caller may not see) is dropped; only catalog labels and the caller's own values,
    // in splitplane's sentences, are shown.
    const HOSTILE = [
      ['markup', '<script>alert(1)</script>', ['<script', 'alert', '</']],
      ['a made-up figure', 'Did you mean the $9,999,999 store?', ['9,999,999', '$']],
      ['SQL', 'SELECT * FROM customers', ['SELECT', 'customers', '*']],
      [
        'a link',
        'Your session expired, sign in again at https://splitplane-login.example/session',
        ['session', 'sign in', 'http', 'splitplane-login'],
      ],
      [
        'a link without its scheme',
        'Please sign in again at www.splitplane-login.example',
        ['sign in', 'www', 'splitplane-login'],
      ],
      ['a measure not in the catalog', 'Do you mean the profit margin?', ['profit', 'margin']],
      ["a store that is not the caller's", 'Do you mean Boston #1 or Austin #3?', ['Boston', 'Austin']],
    ] as const;
    const GENERIC =
      'I am not sure what you mean. Could you re-word the question with a measure, a period and the stores, cities or items you mean?';
    type Shown = { answer: string; choices: { label: string; question: string }[] };
    const shownText = (body: Record<string, unknown>): string[] => {
      const b = body as unknown as Shown;
      return [b.answer, ...b.choices.flatMap((c) => [c.label, c.question])];
    };
    const expectNone = (body: Record<string, unknown>, forbidden: readonly string[]) => {
      for (const text of shownText(body)) for (const f of forbidden) expect(text).not.toContain(f);
    };

    it.each(HOSTILE)(
      'a model question back with %s, written as a message and choices, never reaches the person',
      async (name, text, forbidden) => {
        // The shape a model might still send: its own message and ready-made choices.
        const choices =
          name === "a store that is not the caller's"
            ? ['sales amount at Boston #1 last week', 'sales amount at Austin #3 last week']
            : name === 'a measure not in the catalog'
              ? ['What was the profit margin at Chicago #17 last week?']
              : [text];
        replies = [{ kind: 'clarify', question: text, choices }];
        const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
        expect(res.body).toMatchObject({ status: 'clarification', rows: [], sql: null });
        expectNone(res.body, forbidden);
        // Nothing checked was named: splitplane's own question, and no model-written choice.
        expect(res.body['answer']).toBe(GENERIC);
        expect(res.body['choices']).toEqual([]);
      },
    );

    it.each(HOSTILE)(
      "a model question back with %s in every part keeps only the catalog's and the caller's own parts",
      async (_name, text, forbidden) => {
        replies = [
          {
            kind: 'clarify',
            measures: [text, 'profit_margin', 'business_days', 'net_sales_amount', 'guest_count'],
            dimensions: [text],
            values: [
              text,
              { dimension: 'location', value: text },
              { dimension: 'location', value: 'Boston #1' },
              { dimension: 'location', value: 'Austin #3' },
              { dimension: 'location', value: 'chicago 17' },
            ],
            question: text,
          },
        ];
        const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
        expect(res.body).toMatchObject({ status: 'clarification', rows: [], sql: null });
        expectNone(res.body, forbidden);
        expectNone(res.body, ['Boston', 'Austin', 'profit', 'business days']);
        // The message and the choices name catalog labels and the caller's store (as stored, not as the model spelled it).
        expect(res.body['answer']).toBe('Do you mean the sales amount or the guest count for the store Chicago #17?');
        expect(res.body['choices']).toEqual([
          {
            label: 'sales amount',
            metric: 'net_sales_amount',
            question: 'What was the total sales amount for Chicago #17 from 2026-11-09 to 2026-11-15?',
          },
          {
            label: 'guest count',
            metric: 'guest_count',
            question: 'What was the total guest count for Chicago #17 from 2026-11-09 to 2026-11-15?',
          },
        ]);
      },
    );

    it("a model offering stores offers only the caller's own, in splitplane's words", async () => {
      replies = [
        {
          kind: 'clarify',
          values: [
            { dimension: 'location', value: 'Boston #1' },
            'Chicago #123',
            { dimension: 'location', value: 'Austin #3' },
            { dimension: 'location', value: '17' },
          ],
          question: 'Which Chicago store do you mean?',
        },
      ];
      const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      expect(res.body['status']).toBe('clarification');
      expectNone(res.body, ['Boston', 'Austin']);
      expect(res.body['answer']).toBe(
        'Which Chicago store do you mean? Do you mean the store Chicago #123 or the store Chicago #17?',
      );
      expect((res.body['choices'] as { label: string }[]).map((c) => c.label)).toEqual([
        'store Chicago #123',
        'store Chicago #17',
      ]);
      expect((res.body['choices'] as { question: string }[])[0]!.question).toBe(
        'What was the total sales amount for Chicago #123 from 2026-11-09 to 2026-11-15?',
      );
    });

    it('the model may ask back in parts; splitplane writes the question, and a choice is answered without the model', async () => {
      fake.requests.length = 0;
      replies = [
        {
          kind: 'clarify',
          measures: ['net_sales_amount', 'guest_count'],
          values: [{ dimension: 'location', value: 'Chicago #17' }],
          question: 'By the lunch crowd, do you mean money or guests?',
        },
      ];
      const res = await ask(svc.app, FRANCHISE_OWNER, CHICAGO_17);
      // The prompt asks for parts, not for a message or choices.
      expect(fills(fake)[0]!.system).toContain('"kind":"clarify","measures":["<id>"]');
      expect(fills(fake)[0]!.system).toContain('You do not write the message or the choices shown to the user');
      expect(res.body).toMatchObject({
        status: 'clarification',
        answer:
          'By the lunch crowd, do you mean money or guests? Do you mean the sales amount or the guest count for the store Chicago #17?',
        choices: [
          {
            label: 'sales amount',
            question: 'What was the total sales amount for Chicago #17 from 2026-11-09 to 2026-11-15?',
          },
          {
            label: 'guest count',
            question: 'What was the total guest count for Chicago #17 from 2026-11-09 to 2026-11-15?',
          },
        ],
      });
      // Picking a choice is a question the parser reads whole: answered, the model not asked again.
      const before = fills(fake).length;
      const again = await ask(svc.app, FRANCHISE_OWNER, (res.body['choices'] as { question: string }[])[1]!.question);
      expect(again.body['status']).toBe('answered');
      expect(fills(fake)).toHaveLength(before);
      const gold = await physical(
        0,
        `SELECT SUM(d.guest_count) FROM daily_sales d JOIN locations l USING (location_id) WHERE l.name = 'Chicago #17' AND d.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'`,
      );
      expect(gold.ok && gold.rows).toEqual([JSON.stringify((again.body['rows'] as unknown[])[0])]);
    });

    it('a question the parser places fully never reaches the model', async () => {
      fake.requests.length = 0;
      const res = await ask(
        svc.app,
        FRANCHISE_OWNER,
        'Which of my stores had the biggest drop in guests week over week?',
      );
      expect(res.statusCode).toBe(200);
      expect(fake.requests).toHaveLength(0);
      expect((res.body['interpretation'] as { query: { order: unknown } }).query.order).toEqual({
        measure: 'guest_count',
        by: 'change',
        direction: 'asc',
      });
    });
  });
}

describe('week over week without a model', () => {
  it('"biggest drop" ranks by the change, exactly as SQL over the physical sandbox does', async () => {
    const svc = await startTestService();
    try {
      for (const [i, who] of [FRANCHISE_OWNER, BRAND_MANAGER].entries()) {
        const res = await ask(svc.app, who, 'Which three of my stores had the biggest drop in guests week over week?');
        expect(res.statusCode).toBe(200);
        const gold = await physical(
          i,
          `WITH w AS (SELECT location_id,
             SUM(CASE WHEN business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' THEN guest_count END) AS cur,
             SUM(CASE WHEN business_date BETWEEN DATE '2026-11-02' AND DATE '2026-11-08' THEN guest_count END) AS prev
           FROM daily_sales WHERE business_date BETWEEN DATE '2026-11-02' AND DATE '2026-11-15' GROUP BY location_id)
           SELECT l.name, w.cur - w.prev AS change FROM w JOIN locations l USING (location_id) ORDER BY change ASC, l.name LIMIT 3`,
        );
        const rows = (res.body['rows'] as string[][]).map((r) => JSON.stringify([r[0], r[3]])).sort();
        expect(gold.ok && gold.rows).toEqual(rows);
      }
    } finally {
      await svc.close();
    }
  });
});

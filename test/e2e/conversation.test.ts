/**
 * The follow-up turns that came back with confident wrong numbers (issue 32), through /v1/ask with
 * their conversationId, each answer checked against gold computed here from the raw tables.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GoldDatabase } from '../../src/eval/gold.js';
import { sameRows } from '../../src/eval/compare.js';
import { BRAND_MANAGER, signedHeaders, startTestService, type TestService } from '../support/harness.js';
import { DEMO_REGISTRY } from '../support/demo-catalog.js';
import { text } from '../../src/util/text.js';

type Body = Record<string, unknown> & {
  conversationId?: string;
  status?: string;
  rows?: unknown[][];
  interpretation?: { text: string };
  message?: string;
  choices?: { question: string }[];
};

const PERSONAS = { bm: { ...BRAND_MANAGER } };

describe('conversations that used to carry the wrong thing', () => {
  let svc: TestService;
  let gold: GoldDatabase;
  beforeAll(async () => {
    svc = await startTestService();
    gold = await GoldDatabase.open(inject('demoDb'), PERSONAS, DEMO_REGISTRY);
  });
  afterAll(async () => {
    gold?.close();
    await svc?.close();
  });

  /** Ask every turn of one conversation; the bodies. */
  async function converse(turns: readonly string[]): Promise<Body[]> {
    const out: Body[] = [];
    let conversationId: string | undefined;
    for (const question of turns) {
      const payload = JSON.stringify({ ...BRAND_MANAGER, question, ...(conversationId ? { conversationId } : {}) });
      const res = await svc.app.inject({
        method: 'POST',
        url: '/v1/ask',
        headers: await signedHeaders(payload),
        payload,
      });
      const body = res.json<Body>();
      conversationId = body.conversationId ?? conversationId;
      out.push(body);
    }
    return out;
  }
  const goldRows = (sql: string) => gold.run(PERSONAS.bm, PERSONAS, sql);

  it('"which of those was the best month" keeps the third quarter it was asked about', async () => {
    const [, , best] = await converse([
      'orders for the third quarter',
      'break it out by month',
      'which of those was the best month for net sales?',
    ]);
    expect(best!.status).toBe('answered');
    const expected =
      await goldRows(`SELECT CAST(date_trunc('month', business_date) AS DATE) AS m, SUM(net_sales_amount) AS s FROM fact_daily_sales
      WHERE business_date BETWEEN DATE '2026-07-01' AND DATE '2026-09-30' GROUP BY 1 ORDER BY s DESC LIMIT 1`);
    expect(sameRows(best!.rows as never, expected as never, true)).toBe(true);
    expect(best!.interpretation!.text).toContain('kept from your earlier question: the period (Q3 2026)');
  });

  it('a clarification answered by a word completes the question with its period and breakdown', async () => {
    const [asked, units] = await converse(["last week's sales by menu category", 'units please']);
    expect(asked!.status).toBe('clarification');
    expect(units!.status).toBe('answered');
    const expected =
      await goldRows(`SELECT i.category, SUM(f.quantity) FROM fact_item_sales f JOIN dim_menu_items i ON i.item_id = f.item_id
      WHERE f.business_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' GROUP BY 1`);
    expect(sameRows(units!.rows as never, expected as never, false)).toBe(true);
  });

  it('a question about the future is refused, not answered with last Saturday', async () => {
    const [, future] = await converse(['guests last saturday', 'what will it be this saturday?']);
    expect(future!.status).toBe('unsupported');
    expect(text(future!['answer'] ?? future!.message)).toMatch(/already happened/);
  });

  it('"both cities together" is the two cities named, and the next turn keeps them', async () => {
    const [, , both, q3] = await converse([
      'avg check in dallas last month',
      'houston?',
      'both cities together',
      'and for q3?',
    ]);
    const sql = (
      from: string,
      to: string,
    ) => `SELECT ROUND(SUM(f.net_sales_amount) / SUM(f.order_count), 2) FROM fact_daily_sales f JOIN dim_locations l ON l.location_id = f.location_id
      WHERE l.city IN ('Dallas', 'Houston') AND f.business_date BETWEEN DATE '${from}' AND DATE '${to}'`;
    expect(sameRows(both!.rows as never, (await goldRows(sql('2026-10-01', '2026-10-31'))) as never, false)).toBe(true);
    expect(sameRows(q3!.rows as never, (await goldRows(sql('2026-07-01', '2026-09-30'))) as never, false)).toBe(true);
  });

  it('"LA" is asked about (Los Angeles or Louisiana), and "the city" completes it', async () => {
    const [asked, city] = await converse(['guests at the san diego and LA stores mtd', 'the city']);
    expect(asked!.status).toBe('clarification');
    expect(asked!.choices!.map((c) => c.question).join(' ')).toMatch(/LA city.*LA state|LA state.*LA city/);
    expect(city!.status).toBe('answered');
    const expected =
      await goldRows(`SELECT SUM(f.guest_count) FROM fact_daily_sales f JOIN dim_locations l ON l.location_id = f.location_id
      WHERE l.city IN ('San Diego', 'Los Angeles') AND f.business_date BETWEEN DATE '2026-11-01' AND DATE '2026-11-18'`);
    expect(sameRows(city!.rows as never, expected as never, false)).toBe(true);
  });

  it('after a turn nobody answered, a follow-up is asked back rather than built on an older answer', async () => {
    const [, , follow] = await converse(['revenue last week', 'and in atlantis?', 'by city']);
    expect(follow!.status).toBe('clarification');
  });
});

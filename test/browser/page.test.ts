/// <reference lib="dom" />
/**
 * The demo page in a real browser: Debian's Chromium driven by playwright-core.
 * Screenshots land in test-artifacts/browser/. Outside CI the suite skips, with
 * a message, when /usr/bin/chromium is absent (`apt-get install -y chromium`);
 * under CI=true it runs or fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders, startTestService, type TestService } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env['CI'] !== 'true') {
  console.warn(
    `SKIPPED browser tests: ${CHROMIUM} is missing. Install it with: apt-get update && apt-get install -y chromium`,
  );
}
const SHOTS = 'test-artifacts/browser';

/** The parts of the answer card that belong to one answer: none may show under a later response that is not that answer. */
const ANSWER_PARTS = [
  '#understood',
  '#chips li',
  '#benchmark',
  '#benchmark-groups li',
  '#chart-box',
  '#table-box',
  '#rows tbody tr',
  '#feedback',
  '#thumbs-up',
  '#thumbs-down',
  '#sql-box',
];

/** Which of ANSWER_PARTS the person can see (`hidden` overridden by a CSS display rule counts as seen). */
function visibleParts(p: Page): Promise<string[]> {
  return p.evaluate(
    (sels) =>
      sels.filter((s) =>
        Array.from(document.querySelectorAll(s)).some((e) =>
          e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }),
        ),
      ),
    ANSWER_PARTS,
  );
}

/** The ids (or tags) of the elements that show `needle` on screen: a text node rendered with a box, in a visible element. */
function visibleTextWith(p: Page, needle: string): Promise<string[]> {
  return p.evaluate((n) => {
    const out: string[] = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
      const el = t.parentElement;
      if (!t.nodeValue?.includes(n) || !el?.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(t);
      if (range.getClientRects().length > 0) out.push(el.id || el.tagName.toLowerCase());
    }
    return out;
  }, needle);
}

/** The right edge of the text `needle` inside `selector`, and the right edge of the result card's content box. */
function rightEdges(p: Page, selector: string, needle: string): Promise<{ text: number; card: number }> {
  return p.evaluate(
    ([sel, n]) => {
      const walk = document.createTreeWalker(document.querySelector(sel!)!, NodeFilter.SHOW_TEXT);
      let text = -1;
      for (let t = walk.nextNode(); t; t = walk.nextNode()) {
        const at = t.nodeValue!.indexOf(n!);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(t, at);
        range.setEnd(t, at + n!.length);
        for (const r of Array.from(range.getClientRects())) text = Math.max(text, r.right);
      }
      const card = document.getElementById('result')!;
      const style = getComputedStyle(card);
      return {
        text,
        card: card.getBoundingClientRect().right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight),
      };
    },
    [selector, needle],
  );
}

/** A peer benchmark as POST /v1/ask returns it (src/pipeline/deps.ts BenchmarkView). */
interface BenchmarkBody {
  status: string;
  provenance: string;
  sql: string | null;
  rows: unknown[][];
  benchmark: {
    month: string;
    k: number;
    groups: {
      measure: string;
      label: string;
      format: string;
      group: string;
      released: boolean;
      reason?: string;
      band?: string;
      yourValue?: number;
      peerAverage?: number;
      peerMedian?: number;
      yourPercentile?: number;
    }[];
  };
}

/** 0th, 1st, 22nd, 54th, 113th: written here, not taken from the page. */
function ordinal(n: number): string {
  const t = n % 100;
  return `${n}${t >= 11 && t <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

/** A figure as the page writes it for its catalog format: $1,234.50 for currency, 11,351.5 otherwise. */
function written(n: number, format: string): string {
  return format === 'currency'
    ? `${n < 0 ? '-' : ''}$${Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
    : n.toLocaleString('en-US', { maximumFractionDigits: 20 });
}

/** An HTTP proxy in front of the service that records every request and the status it got: the browser's own favicon request included, which playwright does not report. */
function recordingProxy(
  target: string,
): Promise<{ url: string; seen: { method: string; path: string; status: number }[]; server: Server }> {
  const to = new URL(target);
  const seen: { method: string; path: string; status: number }[] = [];
  const server = createServer((req, res) => {
    const up = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        seen.push({ method: req.method ?? '', path: req.url ?? '', status: r.statusCode ?? 0 });
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server }),
    ),
  );
}

describe.skipIf(!available && process.env['CI'] !== 'true')('the demo page in Chromium', () => {
  let svc: TestService;
  /** The same service with a limit of one question per admin, for a real 429 with Retry-After. */
  let limited: TestService;
  let browser: Browser;
  let page: Page;
  let base: string;
  let limitedBase: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // One after the other: two engine pools starting at once can outwait a worker's start-up on a 2-core machine.
    svc = await startTestService({}, { demo: { enabled: true } });
    limited = await startTestService(
      {},
      { demo: { enabled: true }, rateLimit: { perAdmin: { max: 1, windowMs: 60_000 } } },
    );
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    limitedBase = await limited.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(base);
    await page.locator('#persona option').first().waitFor({ state: 'attached' });
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await limited?.close();
  });

  async function askAs(persona: string, question: string, on: Page = page): Promise<void> {
    await on.selectOption('#persona', persona);
    await on.fill('#question', question);
    await on.press('#question', 'Enter');
    await on.waitForFunction(
      () =>
        !(document.getElementById('ask') as HTMLButtonElement).disabled && !document.getElementById('result')!.hidden,
    );
  }

  /** A fresh page of `url` at `width` px, personas loaded. */
  async function openPage(url: string, width: number): Promise<Page> {
    const p = await browser.newPage({ viewport: { width, height: 900 } });
    await p.goto(url);
    await p.locator('#persona option').first().waitFor({ state: 'attached' });
    return p;
  }

  it('the franchise owner reads $84,000.00, and focus moves to the answer', async () => {
    await askAs('franchise-owner', 'What was the total sales amount last week?');
    await expect.poll(() => page.textContent('#headline')).toBe('$84,000.00');
    expect(await page.textContent('#scope')).toBe('Computed on 2 locations in business 628.');
    // Where the number came from.
    expect(await page.textContent('#provenance')).toBe('Computed from the catalog’s definitions.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('result');
    expect(await page.isVisible('#sql-box')).toBe(true);
    expect(await page.getAttribute('#sql-box', 'open')).toBeNull(); // the SQL is folded away
    // What was understood, as chips above the number.
    expect(await page.locator('#chips li').allTextContents()).toEqual([
      'sales amount',
      'last week: 2026-11-09 to 2026-11-15',
      'your 2 locations',
    ]);
    // The feedback buttons carry text and an inline SVG, not an emoji a machine may lack a font for.
    expect((await page.textContent('#thumbs-up'))?.trim()).toBe('Yes');
    expect(await page.locator('#thumbs-up svg').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/franchise-owner.png`, fullPage: true });
    await page.getByRole('button', { name: 'Yes, helpful' }).click();
    await expect.poll(() => page.textContent('#feedback-status')).toBe('Thanks, recorded.');
  });

  it('the brand manager reads $9,200,000.00', async () => {
    await askAs('brand-manager', 'What was the total sales amount last week?');
    await expect.poll(() => page.textContent('#headline')).toBe('$9,200,000.00');
    expect(await page.textContent('#scope')).toBe('Computed on 200 locations in business 628.');
    await page.screenshot({ path: `${SHOTS}/brand-manager.png`, fullPage: true });
  });

  it('the regional director reads the IL and WI stores only ($338,876.31 on 8 locations; gold: eval rd-plain-001)', async () => {
    await askAs('regional-director', 'What was the total sales amount last week?');
    await expect.poll(() => page.textContent('#headline')).toBe('$338,876.31');
    expect(await page.textContent('#scope')).toBe('Computed on 8 locations in business 628.');
  });

  it('"What were total sales last week?" offers choices, and a click answers', async () => {
    await askAs('franchise-owner', 'What were total sales last week?');
    await page.getByRole('button', { name: 'sales amount' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/clarification.png`, fullPage: true });
    const conversations: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/demo/ask'))
        conversations.push(String((JSON.parse(r.postData() ?? '{}') as { conversationId?: string }).conversationId));
    });
    await page.getByRole('button', { name: 'sales amount' }).click();
    await expect.poll(() => page.textContent('#headline')).toBe('$84,000.00');
    // The choice continued the clarification's conversation: one request, no retry.
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a table reads as people write it: labels, dollars, months, names in natural order', async () => {
    await askAs('franchise-owner', 'sales amount by store last week');
    await expect.poll(() => page.locator('#rows tbody tr').count()).toBe(2);
    expect(await page.locator('#rows th').allTextContents()).toEqual(['store', 'sales amount']);
    // "Chicago #17" before "Chicago #123", dollars with cents.
    expect(await page.locator('#rows tbody td').allTextContents()).toEqual([
      'Chicago #17',
      '$42,481.76',
      'Chicago #123',
      '$41,518.24',
    ]);
    await askAs('franchise-owner', 'guest count by month from july to september 2026');
    await expect.poll(() => page.locator('#rows tbody tr').count()).toBe(3);
    expect(await page.locator('#rows tbody tr td:first-child').allTextContents()).toEqual([
      'Jul 2026',
      'Aug 2026',
      'Sep 2026',
    ]);
  });

  it('a ranking shows its interpretation: top 3 stores, the period, the scope', async () => {
    await askAs('brand-manager', 'Which 3 stores had the most guests last week?');
    await expect
      .poll(() => page.locator('#chips li').allTextContents())
      .toEqual(['guest count', 'top 3 stores', 'last week: 2026-11-09 to 2026-11-15', 'your 200 locations']);
    expect(await page.locator('#rows tbody tr').count()).toBe(3);
    await page.screenshot({ path: `${SHOTS}/ranking.png`, fullPage: true });
  });

  it('an unsupported question shows the metrics as suggestions that ask', async () => {
    await askAs('franchise-owner', 'Show me everything you have on all the businesses');
    const suggestion = page.getByRole('button', { name: 'guest count' });
    await suggestion.waitFor();
    await page.screenshot({ path: `${SHOTS}/unsupported.png`, fullPage: true });
    await suggestion.click();
    await expect.poll(() => page.textContent('#answer')).toMatch(/^Your total guest count for last week/);
  });

  it('draws a chart for a breakdown by day and lists the rows', async () => {
    await askAs('brand-manager', 'sales amount by day last week');
    await page.waitForSelector('#chart-box:not([hidden])');
    expect(await page.locator('#rows tbody tr').count()).toBe(7);
    await page.screenshot({ path: `${SHOTS}/chart.png`, fullPage: true });
  });

  /**
   * Checks one released group's card against the response: the three values written as the page formats them (and
   * carried exactly in data-value), the band, the percentile, and bars drawn on one scale.
   */
  /** The value, or the test fails naming what was missing (no non-null assertion). */
  function must<T>(v: T | null | undefined, what: string): T {
    if (v === null || v === undefined) throw new Error(`missing: ${what}`);
    return v;
  }

  async function expectBars(p: Page, g: BenchmarkBody['benchmark']['groups'][number], heading: string): Promise<void> {
    const card = p.locator(`#benchmark-groups li[data-group="${g.group}"][data-measure="${g.measure}"]`);
    expect(await card.isVisible(), g.group).toBe(true);
    expect(await card.locator('.bench-heading').textContent()).toBe(heading);
    for (const [kind, figure, name] of [
      ['you', g.yourValue, 'You'],
      ['average', g.peerAverage, 'Peers’ average'],
      ['median', g.peerMedian, 'Peers’ median'],
    ] as const) {
      expect(figure, `${g.group} ${kind}`).toEqual(expect.any(Number));
      const value = must(figure, `${g.group} ${kind}`);
      const row = card.locator(`.bench-${kind}`);
      expect(await row.locator('.bench-name').textContent()).toBe(name);
      expect(await row.locator('.bench-value').textContent(), `${g.group} ${kind}`).toBe(written(value, g.format));
      expect(Number(await row.locator('.bench-value').getAttribute('data-value'))).toBe(figure);
      expect(await visibleTextWith(p, written(value, g.format))).not.toEqual([]);
    }
    expect(await card.locator('.bench-band').textContent()).toBe(`Peers: ${g.band}`);
    expect(await card.locator('.bench-percentile').textContent()).toBe(
      `your percentile: ${ordinal(must(g.yourPercentile, 'percentile'))} to ${ordinal(must(g.yourPercentile, 'percentile') + 10)}`,
    );
    expect(await card.locator('.bench-reason').count()).toBe(0);
    // "You" and "Peers' average" on one scale: bar lengths in the figures' proportion, the median's tick at its figure.
    const drawn = await card.evaluate((el) => {
      const width = (s: string) => el.querySelector(s)?.getBoundingClientRect() ?? new DOMRect();
      const track = width('.bench-average .bench-track');
      return {
        you: width('.bench-you .bench-bar').width,
        average: width('.bench-average .bench-bar').width,
        track: track.width,
        median: width('.bench-average .bench-mark').left + 1 - track.left,
      };
    });
    expect(drawn.you).toBeGreaterThan(0);
    expect(drawn.average).toBeGreaterThan(0);
    const average = must(g.peerAverage, 'average');
    expect(Math.abs(drawn.you / drawn.average - must(g.yourValue, 'you') / average)).toBeLessThan(0.02);
    expect(Math.abs(drawn.median / drawn.average - must(g.peerMedian, 'median') / average)).toBeLessThan(0.03);
  }

  it("shows a peer benchmark as bars (you beside the peers' average, the median, band and percentile) and a refused group's reason", async () => {
    // Franchise owner 7043 (tenant 12, business 628; stores in several states) is no demo persona: the page asks
    // as the franchise owner, and its /demo/ask request is sent on, signed as 7043, through the same service's full
    // verification path (POST /v1/ask), as the demo route does for a persona. The page shows that response.
    const OWNER_7043 = { tenantId: '12', businessId: '628', adminId: '7043' };
    const p = await openPage(base, 1100);
    await p.route('**/demo/ask', async (route) => {
      const sent = JSON.parse(route.request().postData() ?? '{}') as { question: string; conversationId?: string };
      const payload = JSON.stringify({
        ...OWNER_7043,
        question: sent.question,
        ...(sent.conversationId ? { conversationId: sent.conversationId } : {}),
      });
      const res = await svc.app.inject({
        method: 'POST',
        url: '/v1/ask',
        headers: await signedHeaders(payload),
        payload,
      });
      await route.fulfill({ status: res.statusCode, contentType: 'application/json', body: res.body });
    });
    const askFor = async (question: string): Promise<BenchmarkBody> => {
      const [res] = await Promise.all([
        p.waitForResponse((r) => r.url().endsWith('/demo/ask')),
        askAs('franchise-owner', question, p),
      ]);
      expect(res.status()).toBe(200);
      return (await res.json()) as BenchmarkBody;
    };
    try {
      const body = await askFor('how does my revenue compare with other stores in my state');
      expect(body.status).toBe('answered');
      expect(body.provenance).toBe('benchmark');
      const groups = body.benchmark.groups;
      await p.screenshot({ path: `${SHOTS}/benchmark.png`, fullPage: true });
      expect(await p.textContent('#benchmark-title')).toBe(`Compared with peers, ${body.benchmark.month}`);
      // Every group of the response, in its order, and no other.
      expect(
        await p.locator('#benchmark-groups li').evaluateAll((els) => els.map((e) => e.getAttribute('data-group'))),
      ).toEqual(groups.map((g) => g.group));
      for (const state of ['AZ', 'TX']) {
        const g = must(
          groups.find((x) => x.group === state),
          state,
        );
        expect(g.released, state).toBe(true);
        await expectBars(p, g, `${state} · ${g.label}`);
      }
      // A refused group shows its reason, and no bars or figures.
      const refused = groups.filter((g) => !g.released);
      expect(refused.length).toBeGreaterThan(0);
      for (const g of refused) {
        const card = p.locator(`#benchmark-groups li[data-group="${g.group}"]`);
        expect(await card.locator('.bench-reason').textContent()).toBe(g.reason);
        expect(await card.locator('.bench-bars, .bench-value').count()).toBe(0);
      }
      expect(await visibleTextWith(p, must(refused[0]?.reason, 'reason'))).toContain('p');
      // The table of rows is kept; a benchmark has no SQL to show, so no empty SQL box.
      expect(await p.locator('#rows tbody tr').count()).toBe(body.rows.length);
      expect(await p.isVisible('#table-box')).toBe(true);
      expect(body.sql).toBeNull();
      expect(await p.isVisible('#sql-box')).toBe(false);

      // At 375 px every figure stays inside the card and the page does not scroll sideways.
      await p.setViewportSize({ width: 375, height: 900 });
      await expect.poll(() => p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await p.screenshot({ path: `${SHOTS}/benchmark-375.png`, fullPage: true });
      for (const g of groups.filter((x) => x.released)) {
        const edge = await rightEdges(
          p,
          `#benchmark-groups li[data-group="${g.group}"]`,
          written(must(g.peerAverage, 'average'), g.format),
        );
        expect(edge.text, g.group).toBeGreaterThan(0);
        expect(edge.text, g.group).toBeLessThanOrEqual(edge.card + 0.5);
      }
      await p.setViewportSize({ width: 1100, height: 900 });

      // Nothing released: an unsupported answer (no metrics to suggest) still shows the group's reason, not an error.
      const none = await askFor('how does my revenue compare with other stores in WA');
      expect(none.status).toBe('unsupported');
      const wa = none.benchmark.groups.find((g) => g.group === 'WA');
      expect(wa?.released).toBe(false);
      expect(await p.textContent('#benchmark-groups li[data-group="WA"] .bench-reason')).toBe(wa?.reason);
      expect(await p.isVisible('#error')).toBe(false);
      expect(await p.locator('.bench-bars').count()).toBe(0);

      // A later answer that is no benchmark shows nothing of it.
      await askFor('What was the total sales amount last week?');
      expect(await p.isVisible('#benchmark')).toBe(false);
      expect(await p.locator('#benchmark-groups li').count()).toBe(0);
      expect(await p.textContent('#benchmark-title')).toBe('');
    } finally {
      await p.close();
    }
  });

  it('names no group for a comparison with the whole business (franchise owner 7042)', async () => {
    const p = await openPage(base, 1100);
    try {
      const [res] = await Promise.all([
        p.waitForResponse((r) => r.url().endsWith('/demo/ask')),
        askAs('franchise-owner', 'how do my orders compare with other stores', p),
      ]);
      const body = (await res.json()) as BenchmarkBody;
      expect(body.status).toBe('answered');
      expect(body.benchmark.groups).toHaveLength(1);
      const g = must(body.benchmark.groups[0], 'group');
      expect(g.group).toBe('business');
      expect(g.released).toBe(true);
      await expectBars(p, g, g.label);
    } finally {
      await p.close();
    }
  });

  it('explains a denial in plain words with the request id', async () => {
    await askAs('franchise-owner', 'total sales amount last quarter for business 544');
    const error = await page.textContent('#error');
    expect(error).toMatch(
      /^That question asks about data outside what you may see, so it was not answered\. \(request [0-9a-f-]{36}, SP_ERR_OUT_OF_SCOPE_REFERENCE\)$/,
    );
    await page.screenshot({ path: `${SHOTS}/denied.png`, fullPage: true });
  });

  // Issue 36 item 7: `.understood{display:flex}` and `.feedback{display:flex}` beat the `hidden` attribute, so the brand
  // manager's chips ("your 200 locations") and feedback buttons showed under the franchise owner's denial.
  it("shows nothing of an earlier answer (another persona's chips, feedback, rows) under a later denial, clarification or error", async () => {
    const brandManagerAnswers = async () => {
      await askAs('brand-manager', 'Which 3 stores had the most guests last week?');
      await expect.poll(() => page.locator('#chips li').allTextContents()).toContain('your 200 locations');
      // The checks below see an answer when there is one.
      expect(await visibleParts(page)).toEqual(
        expect.arrayContaining(['#understood', '#chips li', '#rows tbody tr', '#feedback', '#thumbs-up', '#sql-box']),
      );
      expect(await visibleTextWith(page, '200 locations')).not.toEqual([]);
    };
    const nothingOfIt = async (what: string) => {
      expect(await visibleParts(page), what).toEqual([]);
      expect(await visibleTextWith(page, '200 locations'), what).toEqual([]);
      expect(await page.textContent('#headline'), what).toBe('');
      expect(await page.textContent('#scope'), what).toBe('');
    };

    await brandManagerAnswers();
    await askAs('franchise-owner', 'total sales amount last quarter for business 544');
    expect(await page.textContent('#error')).toMatch(/SP_ERR_OUT_OF_SCOPE_REFERENCE\)$/);
    await page.screenshot({ path: `${SHOTS}/denied-after-answer.png`, fullPage: true });
    await nothingOfIt("after the franchise owner's denial");

    // The franchise owner picked "sales amount" in an earlier test: that choice is remembered, so it
    // is forgotten first for the question to be asked back again.
    await askAs('franchise-owner', 'forget my choices');
    await expect.poll(() => page.textContent('#answer')).toMatch(/forgot \d+ remembered choice|no remembered choices/);
    await brandManagerAnswers();
    await askAs('franchise-owner', 'What were total sales last week?');
    await page.getByRole('button', { name: 'sales amount' }).waitFor();
    await nothingOfIt('after a clarification');

    await brandManagerAnswers();
    await page.route('**/demo/ask', (route) => route.abort('connectionrefused'));
    try {
      await askAs('franchise-owner', 'What was the total sales amount last week?');
    } finally {
      await page.unroute('**/demo/ask');
    }
    expect(await page.textContent('#error')).toMatch(/^The service could not be reached/);
    await nothingOfIt('after an error');
  });

  it('says the wait from Retry-After in seconds on a 429', async () => {
    const p = await openPage(limitedBase, 1100);
    try {
      await askAs('franchise-owner', 'What was the total sales amount last week?', p);
      await expect.poll(() => p.textContent('#headline')).toBe('$84,000.00');
      const [res] = await Promise.all([
        p.waitForResponse((r) => r.url().endsWith('/demo/ask')),
        askAs('franchise-owner', 'What was the total sales amount last week?', p),
      ]);
      expect(res.status()).toBe(429);
      // The demo route passes the signed route's Retry-After on.
      const retryAfter = Number(res.headers()['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      const error = await p.textContent('#error');
      expect(error).toMatch(
        /^Too many questions; try again in \d+ seconds?\. \(request [0-9a-f-]{36}, SP_ERR_RATE_LIMITED\)$/,
      );
      expect(Number(/in (\d+) second/.exec(error!)![1])).toBe(retryAfter);
      expect(error).not.toContain('Retry-After');
      expect(await visibleParts(p)).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('keeps the error code and request id inside the card at 375 px', async () => {
    const p = await openPage(base, 375);
    try {
      await askAs('franchise-owner', 'total sales amount last quarter for business 544', p);
      await p.screenshot({ path: `${SHOTS}/denied-375.png`, fullPage: true });
      const requestId = /request ([0-9a-f-]{36})/.exec((await p.textContent('#error'))!)![1]!;
      for (const text of ['SP_ERR_OUT_OF_SCOPE_REFERENCE', requestId]) {
        const edge = await rightEdges(p, '#error', text);
        expect(edge.text, text).toBeGreaterThan(0);
        expect(edge.text, text).toBeLessThanOrEqual(edge.card + 0.5);
      }
      // Nothing makes the page itself scroll sideways.
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    } finally {
      await p.close();
    }
  });

  it('fits a comparison table by store in its card at 1280 px, and scrolls it within its box at 375 px', async () => {
    const p = await openPage(base, 1280);
    try {
      const measure = () =>
        p.evaluate(() => {
          const box = document.getElementById('table-box')!;
          const card = document.getElementById('result')!.getBoundingClientRect();
          return {
            scrollWidth: box.scrollWidth,
            clientWidth: box.clientWidth,
            overflowX: getComputedStyle(box).overflowX,
            boxRight: box.getBoundingClientRect().right,
            tableRight: document.getElementById('rows')!.getBoundingClientRect().right,
            cardRight: card.right,
            pageWidth: document.documentElement.scrollWidth,
            headers: Array.from(document.querySelectorAll('#rows th')).map((th) => th.textContent),
          };
        });
      await askAs('brand-manager', 'net sales by store, last week vs the week before', p);
      const wide = await measure();
      // Headers are the catalog's labels, not the SQL's column names.
      expect(wide.headers).toEqual([
        'store',
        'sales amount',
        'sales amount, the week before',
        'change in sales amount',
        'change in sales amount (%)',
      ]);
      await p.screenshot({ path: `${SHOTS}/comparison-1280.png`, fullPage: true });
      expect(wide.scrollWidth).toBeLessThanOrEqual(wide.clientWidth); // every column in view, nothing cut
      expect(wide.tableRight).toBeLessThanOrEqual(wide.boxRight + 0.5);
      expect(wide.boxRight).toBeLessThanOrEqual(wide.cardRight);
      expect(wide.pageWidth).toBeLessThanOrEqual(1280);

      await p.setViewportSize({ width: 375, height: 900 });
      // The chart redraws for the new width a frame or more later; nothing may widen the page meanwhile or after.
      await expect.poll(async () => (await measure()).pageWidth).toBeLessThanOrEqual(375);
      const narrow = await measure();
      await p.screenshot({ path: `${SHOTS}/comparison-375.png`, fullPage: true });
      expect(narrow.boxRight).toBeLessThanOrEqual(narrow.cardRight);
      // Wider than the phone: the box scrolls sideways, so the last column is reachable.
      if (narrow.scrollWidth > narrow.clientWidth) expect(['auto', 'scroll']).toContain(narrow.overflowX);
    } finally {
      await p.close();
    }
  });

  it('loading the page makes no request that answers 404 (no favicon request)', async () => {
    const proxy = await recordingProxy(base);
    try {
      const p = await openPage(proxy.url, 1100);
      await p.waitForLoadState('networkidle');
      await p.waitForTimeout(1_500); // the browser asks for /favicon.ico after the load, outside the page's own requests
      await p.close();
      expect(proxy.seen.map((r) => r.path)).toContain('/app.js');
      expect(proxy.seen.filter((r) => r.status >= 400)).toEqual([]);
      expect(proxy.seen.map((r) => r.path)).not.toContain('/favicon.ico'); // the page names an inline icon
    } finally {
      proxy.server.close();
    }
    // A browser that asks anyway (a JSON URL opened in a tab) gets no 404 either.
    expect((await svc.app.inject({ method: 'GET', url: '/favicon.ico' })).statusCode).toBe(204);
  });

  it('shows markup in an answer, a clarification or an error as text, never as HTML', async () => {
    const IMG = '<img src=x onerror="document.title=\'xss\'">';
    const SCRIPT = '<script>document.title="xss"</script>';
    const p = await openPage(base, 1100);
    const answers: { status: number; body: object }[] = [
      {
        status: 200,
        body: {
          status: 'answered',
          requestId: '00000000-0000-4000-8000-000000000001',
          answer: `Answer ${IMG} ${SCRIPT}`,
          headline: IMG,
          interpretation: { text: `${SCRIPT} · ${IMG}` },
          scope: { locations: 2, businessId: IMG },
          columns: [{ name: IMG }, { name: SCRIPT }],
          rows: [
            [IMG, '1'],
            [SCRIPT, '2'],
          ],
          sql: `SELECT '${SCRIPT}'`,
        },
      },
      {
        status: 200,
        body: {
          status: 'clarification',
          requestId: '00000000-0000-4000-8000-000000000002',
          answer: `Which one? ${IMG}`,
          choices: [
            { label: SCRIPT, question: 'q' },
            { label: IMG, question: 'q' },
          ],
        },
      },
      { status: 500, body: { code: IMG, message: SCRIPT, requestId: SCRIPT } },
    ];
    let next = 0;
    await p.route('**/demo/ask', (route) =>
      route.fulfill({
        status: answers[next]!.status,
        contentType: 'application/json',
        body: JSON.stringify(answers[next++]!.body),
      }),
    );
    const noMarkup = async () => {
      expect(await p.locator('#result img, #result script, #result [onerror]').count()).toBe(0);
      expect(await p.title()).not.toBe('xss');
    };
    try {
      await askAs('franchise-owner', 'anything', p);
      expect(await p.textContent('#answer')).toBe(`Answer ${IMG} ${SCRIPT}`);
      expect(await p.textContent('#headline')).toBe(IMG);
      expect(await p.locator('#chips li').allTextContents()).toEqual([SCRIPT, IMG]);
      expect(await p.locator('#rows th').allTextContents()).toEqual([IMG, SCRIPT]);
      expect(await p.locator('#rows tbody td').allTextContents()).toEqual([IMG, '1', SCRIPT, '2']);
      expect(await p.textContent('#sql')).toBe(`SELECT '${SCRIPT}'`);
      expect(await p.textContent('#scope')).toBe(`Computed on 2 locations in business ${IMG}.`);
      await noMarkup();

      await askAs('franchise-owner', 'anything', p);
      expect(await p.textContent('#answer')).toBe(`Which one? ${IMG}`);
      expect(await p.locator('#choice-buttons button').allTextContents()).toEqual([SCRIPT, IMG]);
      await noMarkup();

      await askAs('franchise-owner', 'anything', p);
      expect(await p.textContent('#error')).toBe(`${SCRIPT} (request ${SCRIPT}, ${IMG})`);
      await noMarkup();
    } finally {
      await p.close();
    }
  });
});

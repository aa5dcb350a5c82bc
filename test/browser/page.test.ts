/// <reference lib="dom" />
/**
 * The demo page in a real browser: Debian's Chromium driven by playwright-core.
 * Screenshots land in test-artifacts/browser/. Outside CI the suite skips, with
 * a message, when /usr/bin/chromium is absent (`apt-get install -y chromium`);
 * under CI=true it runs or fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env['CI'] !== 'true') {
  console.warn(`SKIPPED browser tests: ${CHROMIUM} is missing. Install it with: apt-get update && apt-get install -y chromium`);
}
const SHOTS = 'test-artifacts/browser';

describe.skipIf(!available && process.env['CI'] !== 'true')('the demo page in Chromium', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    svc = await startTestService({}, { demo: { enabled: true } });
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(base);
    await page.locator('#persona option').first().waitFor({ state: 'attached' });
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  async function askAs(persona: string, question: string): Promise<void> {
    await page.selectOption('#persona', persona);
    await page.fill('#question', question);
    await page.press('#question', 'Enter');
    await page.waitForFunction(() => !(document.getElementById('ask') as HTMLButtonElement).disabled && !document.getElementById('result')!.hidden);
  }

  it('the franchise owner reads $84,000.00, and focus moves to the answer', async () => {
    await askAs('franchise-owner', 'What was the total sales amount last week?');
    await expect.poll(() => page.textContent('#headline')).toBe('$84,000.00');
    expect(await page.textContent('#scope')).toBe('Computed on 2 locations in business 628.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('result');
    expect(await page.isVisible('#sql-box')).toBe(true);
    expect(await page.getAttribute('#sql-box', 'open')).toBeNull(); // the SQL is folded away
    // What was understood, as chips above the number.
    expect(await page.locator('#chips li').allTextContents()).toEqual(['sales amount', 'last week: 2026-11-09 to 2026-11-15', 'your 2 locations']);
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
      if (r.url().endsWith('/demo/ask')) conversations.push(String((JSON.parse(r.postData() ?? '{}') as { conversationId?: string }).conversationId));
    });
    await page.getByRole('button', { name: 'sales amount' }).click();
    await expect.poll(() => page.textContent('#headline')).toBe('$84,000.00');
    // The choice continued the clarification's conversation: one request, no retry.
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a ranking shows its interpretation: top 3 stores, the period, the scope', async () => {
    await askAs('brand-manager', 'Which 3 stores had the most guests last week?');
    await expect.poll(() => page.locator('#chips li').allTextContents()).toEqual(['guest count', 'top 3 stores', 'last week: 2026-11-09 to 2026-11-15', 'your 200 locations']);
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

  it('explains a denial in plain words with the request id', async () => {
    await askAs('franchise-owner', 'total sales amount last quarter for business 544');
    const error = await page.textContent('#error');
    expect(error).toMatch(/^That question asks about data outside what you may see, so it was not answered\. \(request [0-9a-f-]{36}, SP_ERR_OUT_OF_SCOPE_REFERENCE\)$/);
    await page.screenshot({ path: `${SHOTS}/denied.png`, fullPage: true });
  });
});

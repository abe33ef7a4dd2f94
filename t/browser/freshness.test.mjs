// Pages must not freeze silently (issue 17, problem 5): when the live
// refresh fails (API unreachable, 5xx) a role=status banner says so and
// since when, gone at the next success; the "as of" line carries the date
// with the time, server-rendered and after a refresh alike.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Mado, PHONE, catalog, launchBrowser, screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

const BANNER = '.refresh-failed';
const WAIT = { timeout: 20000, polling: 200 };   // mado_refresh 5s in the harness

describe('refresh failures and the dated as-of line', { skip: skipReason(), timeout: 240000 }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado();
    seedState(m);
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  for (const [how, block] of [
    ['unreachable', (route) => route.abort('connectionrefused')],
    ['503', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"store_busy"}' })],
  ]) {
    test(`API ${how}: the banner says since when, and goes on recovery`, async () => {
      const ctx = await browser.newContext(PHONE);
      try {
        const page = await ctx.newPage();
        await page.goto(m.url('/kita?lang=en'));
        assert.equal(await page.locator(BANNER).count(), 0, 'no banner while refreshes work');
        const t0 = await page.evaluate(() => new Date(Date.now() + 9 * 3600e3).toISOString().slice(11, 16));
        await page.route('**/api/v1/offices/kita', block);
        await page.waitForSelector(BANNER, WAIT);
        const b = await page.evaluate((sel) => {
          const e = document.querySelector(sel);
          return { text: e.textContent.trim(), role: e.getAttribute('role'), shown: !!e.getClientRects().length };
        }, BANNER);
        assert.equal(b.role, 'status');
        assert.ok(b.shown, 'the banner is visible');
        const since = /since (\d\d:\d\d)/.exec(b.text);
        assert.ok(since, `the banner says since when: "${b.text}"`);
        assert.ok(since[1] >= t0, `since ${since[1]}: not before the page loaded (${t0})`);
        // 45 s worth of refreshes: still one banner, still the same time
        await page.waitForFunction(() => (window.madoState.failures || 0) >= 3, null, { timeout: 45000, polling: 500 });
        assert.equal(await page.locator(BANNER).count(), 1, 'one banner, not one per failure');
        assert.equal((await page.locator(BANNER).textContent()).trim(), b.text, 'the "since" time stays that of the last success');
        await page.screenshot({ path: screenshotPath(`freshness-failed-${how}`), fullPage: false });
        await page.unroute('**/api/v1/offices/kita');
        await page.waitForSelector(BANNER, { ...WAIT, state: 'detached' });
      } finally {
        await ctx.close();
      }
    });
  }

  for (const [lang, re] of [
    ['ja', /^\d{4}年\d{1,2}月\d{1,2}日\([日月火水木金土]\) \d\d:\d\d$/],
    ['en', /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d\d:\d\d$/],
  ]) {
    test(`the as-of line carries the date (${lang}), server-rendered and refreshed`, async () => {
      const ctx = await browser.newContext(PHONE);
      try {
        const page = await ctx.newPage();
        const w = watch(page, m);
        await page.goto(m.url(`/kita?lang=${lang}`));
        const asof = async () => page.evaluate(() => {
          const t = document.querySelector('.asof time');
          return { text: t.textContent.trim(), dt: t.getAttribute('datetime') };
        });
        const first = await asof();
        assert.match(first.text, re, `server-rendered as-of "${first.text}"`);
        const [y, mo, d] = first.dt.slice(0, 10).split('-').map(Number);
        assert.ok(first.text.includes(String(y)) && first.text.includes(String(d)), `the date of ${first.dt} in "${first.text}"`);
        if (lang === 'ja') assert.ok(first.text.includes(`${mo}月`), `month ${mo} in "${first.text}"`);
        // a new minute's snapshot: the refreshed line is written the same way
        m.madoctl('call', 'kita', 'moving');
        await page.waitForFunction(() => window.madoState.refreshes >= 1 && window.madoState.lastJson, null, WAIT);
        const again = await asof();
        assert.match(again.text, re, `refreshed as-of "${again.text}"`);
        assert.ok(catalog(lang)['asof.datetime'], 'the catalog has asof.datetime');
        assert.deepEqual(w.problems(), []);
      } finally {
        await ctx.close();
      }
    });
  }
});

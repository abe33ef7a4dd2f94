// "My number" on the office page counts only numbers the counter has issued:
// a number outside the counter's ticket_range, or one not issued yet (going
// round the range), gets a clear message in every language instead of a
// count; a number already called says so.  At load (the page's figures) and
// after a refresh (the API's ticket_range and last_issued).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  LANGS, Mado, PHONE, catalog, fill, launchBrowser, rubyText, screenshotPath, seedState, skipReason,
} from './lib.mjs';

const FORM = 'form.myticket-form';
const TICKET = '#mt-ticket';
const STATUS = '.myticket-status';
const CALLING = '.counter[data-counter="moving"] .calling';
const LIVE_MS = 12000;      // mado_refresh 5s: a change shows within two polls

describe('my number: only issued numbers are counted', { skip: skipReason(), timeout: 180000 }, () => {
  let m;
  let browser;
  let ctx;

  before(async () => {
    m = new Mado();
    // kita/moving: numbers 1..300 (conf.example/offices.json); 41 called, 48 issued
    seedState(m);
    await m.start();
    browser = await launchBrowser();
    ctx = await browser.newContext(PHONE);
  });

  after(async () => {
    await ctx?.close();
    await browser?.close();
    await m?.stop();
  });

  const status = async (page) => ({
    text: (await page.locator(STATUS).textContent()).trim(),
    kind: await page.locator(STATUS).getAttribute('data-state'),
  });

  async function setTicket(page, n) {
    await page.fill(TICKET, String(n));
    await page.locator(`${FORM} button[type="submit"]`).click();
    return status(page);
  }

  for (const lang of LANGS) {
    test(`${lang}: 9999 is outside the counter's numbers, 60 not issued yet`, async () => {
      const cat = catalog(lang);
      const page = await ctx.newPage();
      try {
        await page.goto(m.url(`/kita?lang=${lang}#ticket=9999&counter=moving`));
        let st = await status(page);
        assert.equal(st.text, rubyText(fill(cat['myticket.range'], { first: 1, last: 300 })),
          `${lang}: #ticket=9999 at a counter of numbers 1..300`);
        assert.equal(st.kind, 'range');

        st = await setTicket(page, 60);
        assert.equal(st.text, rubyText(fill(cat['myticket.unissued'], { n: 60 })), `${lang}: 60 with 48 the last issued`);
        assert.equal(st.kind, 'unissued');
        if (lang === 'ja') await page.screenshot({ path: screenshotPath('myticket-unissued-ja-phone'), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }

  test('called, already called, people ahead; a number issued later is counted at the next refresh', async () => {
    const cat = catalog('ja');
    const page = await ctx.newPage();
    try {
      await page.goto(m.url('/kita?lang=ja#ticket=41&counter=moving'));
      assert.deepEqual(await status(page), { text: cat['myticket.called'], kind: 'called' }, '41, the number called');
      assert.deepEqual(await setTicket(page, 30), { text: cat['myticket.passed'], kind: 'passed' }, '30, called before');
      assert.deepEqual(await setTicket(page, 48), { text: fill(cat['myticket.ahead'], { n: 6 }), kind: 'ahead' },
        '48: 42..47 ahead');

      // 50 is not issued yet; two issues later the API says it is
      assert.equal((await setTicket(page, 50)).kind, 'unissued', '50 with 48 the last issued');
      m.madoctl('issue', 'kita', 'moving');
      m.madoctl('issue', 'kita', 'moving');
      const want = fill(cat['myticket.ahead'], { n: 8 });
      await page.waitForFunction(([sel, w]) => document.querySelector(sel)?.textContent.trim() === w,
        [STATUS, want], { timeout: LIVE_MS, polling: 100 }).catch(async () => {
        assert.fail(`50 was issued, ${STATUS} says "${(await status(page)).text}" after ${LIVE_MS / 1000} s, `
          + `expected "${want}"`);
      });
      assert.ok(await page.evaluate(() => window.madoState.refreshes > 0), 'counted from the API');
    } finally {
      await page.close();
    }
  });

  test('round the range: 298 called, 299, 300, 1, 2 issued', async () => {
    const cat = catalog('ja');
    m.madoctl('set', 'kita', 'moving', '--waiting', '4', '--calling', '298', '--last-issued', '2');
    const page = await ctx.newPage();
    try {
      // at load, from the page; then again from the API
      for (const from of ['the page', 'the API']) {
        if (from === 'the page') {
          await page.goto(m.url('/kita?lang=ja#ticket=2&counter=moving'));
        } else {
          const r0 = await page.evaluate(() => window.madoState.refreshes);
          await page.waitForFunction((r) => window.madoState.refreshes > r && window.madoState.lastJson,
            r0, { timeout: LIVE_MS, polling: 100 });
          await setTicket(page, 2);
        }
        assert.equal((await page.locator(CALLING).textContent()).trim(), '298');
        assert.deepEqual(await status(page), { text: fill(cat['myticket.soon'], { n: 3 }), kind: 'soon' },
          `${from}: 2 after 298 of 1..300: 299, 300, 1 ahead`);
        assert.deepEqual(await setTicket(page, 1), { text: fill(cat['myticket.soon'], { n: 2 }), kind: 'soon' },
          `${from}: 1 after the wrap`);
        assert.deepEqual(await setTicket(page, 3), { text: fill(cat['myticket.unissued'], { n: 3 }), kind: 'unissued' },
          `${from}: 3, not issued after the wrap`);
        assert.deepEqual(await setTicket(page, 297), { text: cat['myticket.passed'], kind: 'passed' },
          `${from}: 297, called`);
        assert.equal((await setTicket(page, 301)).kind, 'range', `${from}: 301`);
      }
    } finally {
      await page.close();
    }
  });
});

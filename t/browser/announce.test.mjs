// What screen readers hear (issue 17, problem 8): the live region speaks
// for a counter's status change and for the user's own number, never for a
// plain call (the figures are read on demand).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Mado, PHONE, launchBrowser, seedState, skipReason, watch,
} from './lib.mjs';

const WAIT = { timeout: 20000, polling: 200 };   // mado_refresh 5s in the harness

describe('announcements', { skip: skipReason(), timeout: 240000 }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado();
    seedState(m);
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '20', '--calling', '100', '--last-issued', '120', '--message', '');
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  test('calls: none; a status change: one; my number: one', async () => {
    const ctx = await browser.newContext(PHONE);
    try {
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url('/kita?lang=ja'));
      // every text the live regions take (the page has one: #mado-live)
      await page.evaluate(() => {
        window.__said = [];
        const regions = document.querySelectorAll('[aria-live]');
        window.__regions = regions.length;
        new MutationObserver(() => {
          regions.forEach((r) => { const t = r.textContent.trim(); if (t && r.__last !== t) window.__said.push(t); r.__last = t; });
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      const said = () => page.evaluate(() => window.__said.slice());
      const calling = (id) => page.evaluate((c) => document.querySelector(`.counter[data-counter="${c}"] .calling`).textContent.trim(), id);

      // three calls, each seen by a refresh
      for (let i = 0; i < 3; i++) {
        const n = m.madoctl('call', 'kita', 'moving').trim();
        await page.waitForFunction(([want]) => document.querySelector('.counter[data-counter="moving"] .calling').textContent.trim() === want, [n], WAIT);
      }
      assert.equal(await calling('moving'), '103');
      assert.deepEqual(await said(), [], 'plain calls are not announced');

      // a status change: family paused -> open
      m.madoctl('set', 'kita', 'family', '--status', 'open');
      await page.waitForFunction(() => document.querySelector('.counter[data-counter="family"]').dataset.status === 'open', null, WAIT);
      const s1 = await said();
      assert.equal(s1.length, 1, `one announcement for the status change: ${JSON.stringify(s1)}`);
      assert.ok(s1[0].includes('戸籍届出') && s1[0].includes('受付中'), `it names the counter and its status: ${s1[0]}`);

      // my number: announced when set; later calls that only change the count are not
      await page.selectOption('#mt-counter', 'moving');
      await page.fill('#mt-ticket', '110');
      await page.selectOption('#mt-distance', '3');
      await page.click('form.myticket-form button[type="submit"]');
      await page.waitForFunction(() => window.__said.length === 2, null, WAIT);
      const s2 = await said();
      assert.ok(s2[1].includes('6'), `my number: "${s2[1]}" (6 ahead of 110 while 103 is called)`);
      const n = m.madoctl('call', 'kita', 'moving').trim();
      await page.waitForFunction(([want]) => document.querySelector('.counter[data-counter="moving"] .calling').textContent.trim() === want, [n], WAIT);
      await page.waitForFunction(() => /5/.test(document.querySelector('.myticket-status').textContent), null, WAIT);
      assert.deepEqual(await said(), s2, 'a count going down by one is read on demand, not announced');
      assert.equal(await page.evaluate(() => window.__regions), 1, 'one live region on the page');
      assert.deepEqual(w.problems(), []);
    } finally {
      await ctx.close();
    }
  });
});

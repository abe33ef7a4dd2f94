// Recently called numbers: the office page lists each counter's last calls
// (number and time, newest first) in a <details> read on demand, the
// signage on a line under the figures; both complete without JavaScript,
// and mado.js brings a new call in on its next refresh, outside the live
// region.  Screenshots: t/out/screenshots/calls-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, Mado, PHONE, catalog, launchBrowser, screenshotPath, skipReason, watch,
} from './lib.mjs';

const LIVE_MS = 12000;      // mado_refresh 5s: a change shows within two polls
const MOVING = '.counter[data-counter="moving"]';
const FAMILY = '.counter[data-counter="family"]';

// HH:MM of unix seconds in Japan time
const hhmm = (t) => new Date((t + 9 * 3600) * 1000).toISOString().slice(11, 16);

describe('recently called numbers', { skip: skipReason(), timeout: 180000 }, () => {
  let m;
  let browser;
  const now = Math.floor(Date.now() / 1000);
  // moving: calls 1..6 a minute apart ending 10 minutes ago, then 3 again (a recall)
  const times = [16, 15, 14, 13, 12, 11].map((k) => now - k * 60);
  const recall = now - 10 * 60;

  before(async () => {
    m = new Mado();
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '9', { env: { MADO_NOW: String(now - 3600) } });
    times.forEach((t) => m.madoctl('call', 'kita', 'moving', { env: { MADO_NOW: String(t) } }));
    m.madoctl('call', 'kita', 'moving', '3', { env: { MADO_NOW: String(recall) } });
    // family: open, nobody called yet today
    m.madoctl('set', 'kita', 'family', '--status', 'open', '--waiting', '2');
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  // [number, "HH:MM", datetime] of a counter's list
  const listed = (page, sel) => page.locator(`${sel} .recent-list li`).evaluateAll((lis) => lis.map((li) => [
    li.querySelector('.recent-number')?.textContent,
    li.querySelector('time')?.textContent,
    li.querySelector('time')?.getAttribute('datetime'),
  ]));
  const expected = [[3, recall], [6, times[5]], [5, times[4]], [4, times[3]], [2, times[1]]]
    .map(([n, t]) => [String(n), hhmm(t)]);

  for (const js of [false, true]) {
    test(`office page ${js ? 'with' : 'without'} JavaScript: the last five calls, newest first, in a <details>`, async () => {
      const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled: js });
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url('/kita?lang=ja'));
      const box = page.locator(`${MOVING} details.recent`);
      assert.equal(await box.count(), 1, 'one <details class="recent"> in the counter');
      assert.equal(await box.locator('summary').textContent(), catalog('ja')['recent.title'], 'summary: recent.title');
      assert.equal(await box.evaluate((e) => e.open), false, 'closed until opened: read on demand');
      assert.equal(await box.evaluate((e) => !!e.closest('[aria-live]')), false, 'not inside a live region');
      const got = await listed(page, MOVING);
      assert.deepEqual(got.map(([n, t]) => [n, t]), expected,
        'numbers and times: the recall of 3 first, 1 dropped (five kept)');
      for (const [, , iso] of got) assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$/, 'datetime in ISO 8601, +09:00');
      assert.equal(await page.locator(`${FAMILY} .recent`).isHidden(), true, 'no call yet: the list is hidden');
      await box.locator('summary').click();
      assert.equal(await box.locator('.recent-list').isVisible(), true, 'opened: the list shows');
      await page.locator(MOVING).screenshot({ path: screenshotPath(`calls-office-${js ? 'js' : 'nojs'}-ja`) });
      assert.deepEqual(w.problems(), [], 'no console errors, CSP violations or failed requests');
      await ctx.close();
    });
  }

  test('signage: the list on a line under the figures, without JavaScript too', async () => {
    for (const js of [false, true]) {
      const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, javaScriptEnabled: js });
      const page = await ctx.newPage();
      await page.goto(m.url('/kita/signage?lang=en'));
      const box = page.locator(`${MOVING} div.recent`);
      assert.equal(await box.isVisible(), true, `${js ? 'JS' : 'no JS'}: shown without opening anything`);
      assert.equal(await box.locator('.recent-title').textContent(), catalog('en')['recent.title']);
      assert.deepEqual((await listed(page, MOVING)).map(([n, t]) => [n, t]), expected);
      const calling = await page.locator(`${MOVING} .calling`).boundingBox();
      const list = await box.boundingBox();
      assert.ok(list.y >= calling.y + calling.height - 1, 'under the big "now calling"');
      if (!js) await page.screenshot({ path: screenshotPath('calls-signage-en') });
      await ctx.close();
    }
  });

  test('live: a new call appears on the next refresh, the list shown when it was hidden', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const w = watch(page, m);
    await page.goto(m.url('/kita?lang=en'));
    await page.locator(`${MOVING} summary`).click();
    assert.equal(await page.locator(`${FAMILY} .recent`).isHidden(), true, 'family: hidden before its first call');

    m.madoctl('set', 'kita', 'moving', '--last-issued', '8');
    m.madoctl('call', 'kita', 'moving', '7');
    m.madoctl('call', 'kita', 'family');

    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '7',
      `${MOVING} .recent-list li:first-child .recent-number`, { timeout: LIVE_MS });
    const got = (await listed(page, MOVING)).map(([n]) => n);
    assert.deepEqual(got, ['7', '3', '6', '5', '4'], 'the new call first, still five');
    assert.equal(await page.locator(`${MOVING} details.recent`).evaluate((e) => e.open), true,
      'the <details> stays open across the refresh');
    await page.waitForFunction((sel) => !document.querySelector(sel)?.hidden, `${FAMILY} .recent`, { timeout: LIVE_MS });
    assert.deepEqual((await listed(page, FAMILY)).map(([n]) => n), ['1'], 'family: its first call');
    const live = await page.locator('#mado-live').textContent();
    assert.ok(!/\d\d:\d\d/.test(live), `the live region does not read the list out: "${live}"`);
    await page.locator(MOVING).screenshot({ path: screenshotPath('calls-office-live-en') });
    assert.deepEqual(w.problems(), [], 'no console errors, CSP violations or failed requests');
    await ctx.close();
  });

  test('the API gives the same list', async () => {
    const r = await fetch(m.url('/api/v1/offices/kita'));
    const j = await r.json();
    const c = j.office.counters.find((x) => x.id === 'moving');
    assert.deepEqual(c.recent_calls.map((x) => x.number), [7, 3, 6, 5, 4]);
  });
});

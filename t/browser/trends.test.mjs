// The office page with history: three weeks of generated ticket-machine
// logs (conf.example/demo-history.pl, the demo's generator) fed into kita
// through madoctl feed, on the real clock.  In Chromium the busy-hours
// section shows its bar charts (SVG) and tables, the week opens by
// keyboard, axe finds no WCAG 2 A/AA violation with everything open, the
// quieter-neighbour suggestion links work, and the page stays within the
// weight budget of the pages issue (30 KB on the wire with gzip).
// Screenshots: t/out/screenshots/office-trends-{ja,en}.png.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, MADOCTL, Mado, OFFICES_JSON, REPO, axeViolations, launchBrowser, screenshotPath,
  skipReason, watch,
} from './lib.mjs';

describe('office page with history', { skip: skipReason() }, () => {
  let m;
  let browser;

  before(async () => {
    const now = Math.floor(Date.now() / 1000);
    m = new Mado({ init: false });
    const env = { ...process.env, MADO_STORE: m.store, MADO_AUDIT_KEY: `${m.dir}/audit.key` };
    // the definitions from before the history, as the demo does
    m.madoctl('init');
    m.madoctl('load', OFFICES_JSON, { env: { MADO_NOW: String(now - 22 * 86400) } });
    const logs = path.join(m.dir, 'logs');
    fs.mkdirSync(logs);
    execFileSync('perl', [path.join(REPO, 'conf.example', 'demo-history.pl'), MADOCTL, OFFICES_JSON,
      logs, '21', String(now), '3'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    for (const office of ['kita', 'kamigyo', 'sakyo']) {
      m.madoctl('feed', '--office', office, '--format', 'voicecall', '--quiet', path.join(logs, `${office}.log`),
        { env: { MADO_NOW: String(now) } });
    }
    // kita busy now, kamigyo (a neighbour) quiet: a suggestion to show
    m.madoctl('set', 'kita', 'certificates', '--status', 'open', '--waiting', '25', '--staff', '1');
    m.madoctl('set', 'kamigyo', 'certificates', '--status', 'open', '--waiting', '1', '--staff', '2');
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (m) await m.stop();
  });

  for (const lang of ['ja', 'en']) {
    test(`/kita?lang=${lang}: charts, tables, keyboard, axe`, async () => {
      const ctx = await browser.newContext(DESKTOP);
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url(`/kita?lang=${lang}`));

      const section = page.locator('section.trends');
      assert.equal(await section.count(), 1, 'the busy-hours section');
      const figures = section.locator('figure.trend');
      assert.equal(await figures.count(), 4, 'a chart per counter');
      const weeks = section.locator('details.week');
      assert.ok(await weeks.count() >= 1, 'the week as small charts');
      assert.ok(await section.locator('svg rect').count() > 20, 'bars are drawn');

      // the week opens by keyboard: focus its summary, press Enter
      const summary = weeks.first().locator('summary');
      await summary.focus();
      await page.keyboard.press('Enter');
      assert.equal(await weeks.first().evaluate((d) => d.open), true, 'the week opens with Enter');
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));

      // every number a chart shows is in a table
      const rows = await section.locator('table.week-table tbody tr').count();
      assert.ok(rows >= 5, `the week table has the weekdays (${rows})`);
      // each week table says what it is (issue 17: the week tables lacked captions)
      const caps = await section.locator('table.week-table').evaluateAll((ts) => ts.map((t) => t.caption?.textContent.trim() || ''));
      assert.ok(caps.length > 0 && caps.every((c) => c.length > 0), `every week table has a <caption>: ${JSON.stringify(caps)}`);

      const v = await axeViolations(page);
      assert.deepEqual(v, [], `axe:\n${v.join('\n')}`);

      const sug = page.locator('section.suggest a[href^="/kamigyo"]');
      assert.equal(await sug.count(), 1, 'the quieter neighbour is suggested');

      await page.screenshot({ path: screenshotPath(`office-trends-${lang}`), fullPage: true });
      assert.deepEqual(w.problems(), []);
      await ctx.close();
    });
  }

  test('the page with its charts stays within the weight budget', async () => {
    let total = 0;
    const res = await m.request('/kita?lang=ja', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    total += res.wireBytes;
    const html = zlib.gunzipSync(res.body).toString('utf8');
    for (const asset of html.match(/\/assets\/mado\.[0-9a-f]+\.(?:css|js)/g)) {
      const a = await m.request(asset, { headers: { 'Accept-Encoding': 'gzip' } });
      total += a.wireBytes;
    }
    assert.ok(total <= 30 * 1024, `HTML + CSS + JS ${total} bytes on the wire, budget 30 KB`);
  });
});

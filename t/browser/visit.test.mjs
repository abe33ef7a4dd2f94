// Planning a visit on the office page: with four past Fridays of history
// fed into minami/certificates and a 臨時閉庁日 loaded through madoctl, on a
// fixed clock (Friday 2026-11-27 10:30), Chromium shows the address, the
// phone as a tel: link, a plain map link that nothing fetches before it
// is followed, the closure in words, each service's page on the city site
// and the best time to come in words (en and ja); axe finds no WCAG 2
// A/AA violation and the page stays under 30 KB gzipped.
// Screenshots: t/out/screenshots/visit-{en,ja}-{desktop,phone}.png.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, Mado, OFFICES_JSON, PHONE, axeViolations, launchBrowser, screenshotPath, skipReason, watch,
} from './lib.mjs';

const TODAY = 1795705200;                       // 2026-11-27 00:00 JST, a Friday
const NOW = TODAY + 10 * 3600 + 30 * 60;
const WAIT = { 9: 40, 10: 30, 11: 25, 12: 22, 13: 20, 14: 8, 15: 12, 16: 35 };

function stamp(t) {
  const g = new Date((t + 9 * 3600) * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return [`${g.getUTCFullYear()}${p(g.getUTCMonth() + 1)}${p(g.getUTCDate())}`,
    `${p(g.getUTCHours())}:${p(g.getUTCMinutes())}:${p(g.getUTCSeconds())}`];
}

describe('office page: getting there, closures, best time', { skip: skipReason() }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado({ init: false });
    const offices = JSON.parse(fs.readFileSync(OFFICES_JSON, 'utf8'));
    offices.offices.find((o) => o.id === 'minami').closed_dates = ['2026-12-04'];
    const file = path.join(m.dir, 'offices.json');
    fs.writeFileSync(file, JSON.stringify(offices));
    m.madoctl('init', { env: { MADO_NOW: String(TODAY - 28 * 86400) } });
    m.madoctl('load', file, { env: { MADO_NOW: String(TODAY - 28 * 86400) } });

    for (const w of [4, 3, 2, 1]) {
      const mid = TODAY - 7 * w * 86400;
      const ev = [];
      let k = 0;
      for (const h of Object.keys(WAIT).map(Number)) {
        for (let i = 0; i < 3; i++) {
          const issue = mid + h * 3600 + i * 600;
          k++;
          ev.push([issue, 0, k], [issue + WAIT[h] * 60, 1, k]);
        }
      }
      ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const log = path.join(m.dir, `fri${w}.log`);
      fs.writeFileSync(log, ev.map(([t, e, n]) => `${stamp(t).join(',')},${e},21,${n}\n`).join(''));
      m.madoctl('feed', '--office', 'minami', '--format', 'voicecall', '--quiet', log,
        { env: { MADO_NOW: String(mid + 18 * 3600) } });
    }
    m.madoctl('set', 'minami', 'certificates', '--status', 'open', '--waiting', '30', '--staff', '1',
      { env: { MADO_NOW: String(NOW) } });
    await m.start({ now: NOW, calendar: true });
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (m) await m.stop();
  });

  test('madoctl calendar agrees: 2026-12-04 is closed', () => {
    const days = JSON.parse(m.madoctl('calendar', 'minami', '--from', '2026-12-04', '--days', '1', '--json'));
    assert.equal(days[0].hours, '', 'closed');
  });

  const words = {
    en: {
      title: 'Getting there', address: /Nishikujo Minamida-cho/, closure: 'Friday 12/4: the office is closed',
      best: 'Usually quieter from 14:00 today: about 10 min wait', basis: 'Based on 4 recent Fridays',
      service: 'Moving in/out: procedures and what to bring (Kyoto City website)',
    },
    ja: {
      title: '来庁案内', address: /京都市南区西九条南田町1-3/, closure: '12月4日（金曜日）：臨時閉庁日です',
      best: '本日は14:00以降が比較的すいています（通常10分程度）', basis: '過去の金曜日4日分の実績によります',
      service: '住民異動届の手続き・持ち物（京都市ホームページ）',
    },
  };

  for (const lang of ['en', 'ja']) {
    for (const [dev, opts] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      test(`/minami?lang=${lang} (${dev})`, async () => {
        const x = words[lang];
        const ctx = await browser.newContext(opts);
        const page = await ctx.newPage();
        const w = watch(page, m);
        await page.goto(m.url(`/minami?lang=${lang}`));
        await page.waitForLoadState('networkidle');

        const visit = page.locator('section.visit');
        assert.equal(await visit.locator('h2').textContent(), x.title);
        assert.match(await visit.locator('.address').textContent(), x.address);
        const tel = visit.locator('.phone a');
        assert.equal(await tel.getAttribute('href'), 'tel:0756813111', 'the phone is a tel: link');
        assert.equal(await tel.textContent(), '075-681-3111');
        const map = visit.locator('a.map');
        assert.match(await map.getAttribute('href'), /^https:\/\/www\.openstreetmap\.org\/search\?query=%E4%BA%AC/,
          'a plain map link, by the address');
        assert.equal(await page.locator('iframe, img[src*="openstreetmap"], script[src*="//"]').count(), 0,
          'nothing embedded');
        assert.deepEqual(w.requests.filter((u) => !u.startsWith(m.origin) && !u.startsWith('data:')), [],
          'no request to another site on load');
        assert.deepEqual(w.problems(), []);

        const svc = visit.locator('a.service[data-counter="moving"]');
        assert.equal(await svc.textContent(), x.service);
        assert.match(await svc.getAttribute('href'), /^https:\/\/www\.call3755\.city\.kyoto\.lg\.jp\//);
        assert.equal(await visit.locator('a.service[data-counter="family"]').count(), 0,
          'no link where none is configured');

        const closure = page.locator('section.closures li[data-kind="closed"]');
        assert.equal(await closure.count(), 1, 'the 臨時閉庁日 in the next two weeks');
        assert.equal(await closure.textContent(), x.closure);

        const best = page.locator('#c-certificates .best-time');
        assert.equal(await best.getAttribute('data-from'), '14:00');
        assert.equal(await best.locator('.best-time-text').textContent(), x.best);
        assert.equal(await best.locator('.best-time-basis').textContent(), x.basis);
        assert.equal(await page.locator('#c-moving .best-time').count(), 0, 'no claim without history');

        // the script rewrites it from the API to the same words
        await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
        const v = await axeViolations(page);
        assert.deepEqual(v, [], `axe:\n${v.join('\n')}`);

        await page.locator('section.visit').scrollIntoViewIfNeeded();
        await page.screenshot({ path: screenshotPath(`visit-${lang}-${dev}`), fullPage: dev === 'phone' });
        await ctx.close();
      });
    }
  }

  test('the office page stays under 30 KB gzipped', async () => {
    for (const lang of ['ja', 'en', 'ja-easy', 'zh-hans', 'zh-hant', 'ko']) {
      const res = await fetch(m.url(`/minami?lang=${lang}`));
      const body = Buffer.from(await res.arrayBuffer());
      const gz = zlib.gzipSync(body).length;
      assert.ok(gz < 30 * 1024, `${lang}: ${gz} bytes gzipped`);
    }
  });

  test('the script keeps the best time after a refresh from the API', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    await page.goto(m.url('/minami?lang=en'));
    // drop the sentence, then let the script refresh the figures from the API
    await page.evaluate(() => document.querySelector('#c-certificates .best-time').remove());
    await page.waitForSelector('#c-certificates .best-time', { timeout: 45000 });
    assert.equal(await page.locator('#c-certificates .best-time-text').textContent(),
      'Usually quieter from 14:00 today: about 10 min wait');
    await ctx.close();
  });
});

// The index on a phone (issue 17, problems 1, 8 and 9): at 390×844 the first
// screen has a table of every office (its name a link to its card, its
// longest wait and people waiting), each counter's row shows the people
// waiting, the number called and the wait; ids are unique; the live refresh
// reads /api/v1/summary (gzipped) and changes the figures in the table, the
// card and the counter's row.  Screenshots: t/out/screenshots/index-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, Mado, PHONE, axeViolations, catalog, fill, launchBrowser, rubyText, screenshotPath, seedState, skipReason,
  watch,
} from './lib.mjs';

const LIVE_MS = 12000;      // mado_refresh 5s: a change shows within two polls

describe('index: every office in the first screen', { skip: skipReason(), timeout: 240000 }, () => {
  let m;
  let browser;
  let offices;

  before(async () => {
    m = new Mado();
    seedState(m);
    await m.start();
    offices = m.show().offices;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  for (const lang of ['ja', 'en', 'ja-easy', 'ko', 'zh-hans', 'zh-hant']) {
    test(`${lang}, phone 390×844: the jump table names every office in the first screen, with figures`, async () => {
      const ctx = await browser.newContext(PHONE);
      const page = await ctx.newPage();
      const w = watch(page, m);
      const cat = catalog(lang);
      try {
        await page.goto(m.url(`/?lang=${lang}`));
        if (lang === 'ja' || lang === 'en') {
          await page.screenshot({ path: screenshotPath(`index-${lang}-phone`), fullPage: false });
          await page.screenshot({ path: screenshotPath(`index-${lang}-phone-full`), fullPage: true });
        }
        const rows = await page.$$eval('.jump tbody tr', (trs) => trs.map((tr) => {
          const a = tr.querySelector('th a');
          const r = a.getBoundingClientRect();
          return {
            id: tr.getAttribute('data-office-row'),
            name: a.textContent.trim(),
            href: a.getAttribute('href'),
            top: r.top + window.scrollY,
            bottom: r.bottom + window.scrollY,
            longest: tr.querySelector('.longest-wait')?.textContent.trim(),
            waiting: tr.querySelector('.office-waiting')?.textContent.trim(),
            target: document.querySelector(a.getAttribute('href'))?.closest('[data-office-card]')
              ?.getAttribute('data-office-card'),
            height: r.height,
          };
        }));
        const vh = PHONE.viewport.height;
        assert.deepEqual(rows.map((r) => r.id), offices.map((o) => o.id), 'one row per office, in the city\'s order');
        const fails = [];
        for (const [i, r] of rows.entries()) {
          const o = offices[i];
          const want = rubyText(o.name[lang] || o.name.ja);
          if (r.name !== want) fails.push(`${o.id}: named "${r.name}", not "${want}"`);
          if (r.target !== o.id) fails.push(`${o.id}: ${r.href} does not lead to its card`);
          const total = o.counters.reduce((s, c) => s + c.waiting, 0);
          if (r.waiting !== rubyText(fill(total === 1 && cat['people.one'] ? cat['people.one'] : cat.people, { n: total }))) fails.push(`${o.id}: waiting "${r.waiting}", expected ${total}`);
          if (!r.longest) fails.push(`${o.id}: no longest wait`);
          if (r.height < 24) fails.push(`${o.id}: the link is ${r.height} px tall (< 24)`);
        }
        // the table starts in the first screen and its first rows, figures
        // included, are in it; in Japanese every row is
        const inFirst = rows.filter((r) => r.bottom <= vh);
        if (inFirst.length < 5) fails.push(`only ${inFirst.length} offices in the first screen (${rows.map((r) => Math.round(r.bottom)).join(' ')})`);
        if (lang === 'ja' && inFirst.length !== rows.length) {
          fails.push(`ja: ${rows.length - inFirst.length} offices below the first screen (row bottoms ${rows.map((r) => Math.round(r.bottom)).join(' ')})`);
        }
        // the kita row's figures are seen, not only in the DOM
        const seen = await page.locator('.jump tr[data-office-row="kita"] .office-waiting').isVisible();
        if (!seen) fails.push('the kita row\'s people waiting is not visible');

        // a jump from the table reaches the card (the last office: the furthest)
        const last = rows[rows.length - 1];
        await page.click(`.jump a[href="${last.href}"]`);
        await page.waitForFunction((h) => location.hash === h, last.href);
        const cardTop = await page.$eval(`[data-office-card="${last.id}"]`, (el) => el.getBoundingClientRect().top);
        if (!(cardTop >= -2 && cardTop < vh / 2)) fails.push(`after the jump to ${last.id} its card is at ${cardTop} px`);
        for (const v of await axeViolations(page)) fails.push(`axe: ${v}`);
        for (const p of w.problems()) fails.push(p);
        assert.deepEqual(fails, [], fails.join('\n'));
      } finally {
        await ctx.close();
      }
    });
  }

  test('each counter\'s row shows the people waiting, the number called and the wait', async () => {
    const ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    const cat = catalog('ja');
    try {
      await page.goto(m.url('/?lang=ja'));
      const row = page.locator('[data-office-card="kita"] .counter[data-counter="moving"]');
      for (const [sel, want] of [['.calling', '41'], ['.waiting', fill(cat.people, { n: 7 })]]) {
        const el = row.locator(sel);
        assert.equal((await el.textContent()).trim(), want, `kita/moving ${sel}`);
        assert.ok(await el.isVisible(), `kita/moving ${sel} is visible`);
        const box = await el.boundingBox();
        assert.ok(box.width > 4 && box.height > 4, `kita/moving ${sel} has a size (${JSON.stringify(box)})`);
      }
      assert.ok(await row.locator('.wait').isVisible(), 'kita/moving wait is visible');
      // the number called is labelled in words where it is seen
      const dt = row.locator('.figures > div:has(> .calling) dt');
      assert.ok(await dt.isVisible(), 'the number called has its label');
      assert.equal((await dt.textContent()).trim(), cat['label.calling']);
      // one row: the figures take at most two lines of the phone's width
      const fig = await row.locator('.figures').boundingBox();
      assert.ok(fig.height <= 60, `kita/moving figures are ${fig.height} px tall`);
    } finally {
      await ctx.close();
    }
  });

  test('ids are unique on the index (problem 8: c-moving ×14)', async () => {
    for (const lang of ['ja', 'en']) {
      const r = await m.request(`/?lang=${lang}`);
      const html = r.body.toString('utf8');
      const ids = [...html.matchAll(/\sid="([^"]*)"/g)].map((x) => x[1]);
      const dup = ids.filter((x, i) => ids.indexOf(x) !== i);
      assert.deepEqual([...new Set(dup)], [], `${lang}: repeated ids`);
      assert.ok(ids.includes('kita-c-moving') && ids.includes('fushimi-c-moving'),
        `${lang}: counters' ids name their office (kita-c-moving)`);
    }
  });

  test('desktop screenshots, ja and en', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const w = watch(page, m);
    try {
      for (const lang of ['ja', 'en']) {
        await page.goto(m.url(`/?lang=${lang}`));
        await page.screenshot({ path: screenshotPath(`index-${lang}-desktop`), fullPage: false });
        const n = await page.locator('.jump tbody tr').count();
        assert.equal(n, offices.length, `${lang} desktop: the table has every office`);
        const bottom = await page.$eval('.jump', (el) => el.getBoundingClientRect().bottom);
        assert.ok(bottom <= DESKTOP.viewport.height, `${lang} desktop: the table ends at ${bottom} px, in the first screen`);
      }
      assert.deepEqual(w.problems(), []);
    } finally {
      await ctx.close();
    }
  });

  test('live: the index reads /api/v1/summary, gzipped, and a write changes its figures', async () => {
    const ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    const w = watch(page, m);
    const cat = catalog('ja');
    const apis = [];
    page.on('response', (resp) => {
      const u = new URL(resp.url());
      if (u.pathname.startsWith('/api/')) apis.push({ path: u.pathname, enc: resp.headers()['content-encoding'] || '' });
    });
    try {
      await page.goto(m.url('/?lang=ja'));
      await page.evaluate(() => { window.__marker = 'kept'; });
      const before = (await page.locator('.jump tr[data-office-row="sakyo"] .office-waiting').textContent()).trim();
      m.madoctl('set', 'sakyo', 'moving', '--status', 'open', '--waiting', '23', '--calling', '77', '--last-issued', '100');
      // sakyo: moving 23 and certificates 1 (seedState)
      const want = fill(cat.people, { n: 24 });
      assert.notEqual(before, want);
      await page.waitForFunction((w2) => document.querySelector('.jump tr[data-office-row="sakyo"] .office-waiting')
        ?.textContent.trim() === w2, want, { timeout: LIVE_MS, polling: 100 });
      const got = await page.evaluate(() => ({
        calling: document.querySelector('#sakyo-c-moving .calling').textContent.trim(),
        waiting: document.querySelector('#sakyo-c-moving .waiting').textContent.trim(),
        card: document.querySelector('[data-office-card="sakyo"] .longest-wait').textContent.trim(),
        row: document.querySelector('.jump tr[data-office-row="sakyo"] .longest-wait').textContent.trim(),
        marker: window.__marker,
      }));
      await page.screenshot({ path: screenshotPath('index-ja-phone-live'), fullPage: false });
      assert.equal(got.marker, 'kept', 'not reloaded');
      assert.equal(got.calling, '77', 'the counter\'s row: the number called');
      assert.equal(got.waiting, fill(cat.people, { n: 23 }), 'the counter\'s row: people waiting');
      const sum = JSON.parse((await m.request('/api/v1/summary')).body.toString('utf8'));
      const lw = sum.offices.find((o) => o.id === 'sakyo').longest_wait;
      const text = fill(cat.minutes_range, lw);
      assert.equal(got.card, text, 'the card\'s longest wait follows');
      assert.equal(got.row, text, 'the table\'s longest wait follows');
      assert.ok(apis.length > 0, 'the index polled the API');
      assert.deepEqual([...new Set(apis.map((a) => a.path))], ['/api/v1/summary'], 'the index polls the summary only');
      assert.ok(apis.every((a) => a.enc === 'gzip'), `gzipped: ${JSON.stringify(apis)}`);
      assert.deepEqual(w.problems(), []);
    } finally {
      await ctx.close();
    }
  });
});

// やさしい日本語 (issue 17, problem 4): kanji with <ruby> readings where the
// building and the signs show them (office and counter names, 番号, 分),
// phrases never broken across lines on a 390 px phone, one minute suffix
// (分 read ふん); and English says "1 person" (problem 8).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Mado, PHONE, catalog, launchBrowser, screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

describe('やさしい日本語 and plurals', { skip: skipReason(), timeout: 180000 }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado();
    seedState(m);
    // a jam message (from 10 waiting) with its minutes
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '12', '--calling', '41', '--last-issued', '53');
    m.madoctl('set', 'kita', 'certificates', '--status', 'open', '--waiting', '1', '--calling', '12', '--last-issued', '13');
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  test('office and counter names carry <ruby> readings (server-rendered and after refreshes)', async () => {
    const ctx = await browser.newContext(PHONE);
    try {
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url('/kita?lang=ja-easy'));
      const check = async (when) => {
        const got = await page.evaluate(() => {
          const ruby = (el) => Array.from(el ? el.querySelectorAll('ruby') : []).map((r) => [r.firstChild.nodeValue, r.querySelector('rt')?.textContent || '']);
          return {
            h1: ruby(document.querySelector('h1')),
            names: Object.fromEntries(Array.from(document.querySelectorAll('.counter')).map((c) => [c.dataset.counter, ruby(c.querySelector('.name'))])),
            calling: ruby(document.querySelector('.counter dt')),
            title: document.title,
          };
        });
        assert.deepEqual(got.h1, [['北区役所', 'きたくやくしょ']], `${when}: the h1 is 北区役所 read きたくやくしょ`);
        for (const id of ['moving', 'certificates', 'family']) {
          assert.ok(got.names[id].length >= 1 && got.names[id].every(([b, r]) => /\p{Script=Han}/u.test(b) && r.length > 0),
            `${when}: counter ${id}'s name has kanji with a reading: ${JSON.stringify(got.names[id])}`);
        }
        assert.deepEqual(got.calling.find(([b]) => b === '番号'), ['番号', 'ばんごう'], `${when}: 番号 has its reading`);
        assert.ok(!/\{[^}]*\|/.test(got.title), `${when}: the <title> has no markup: ${got.title}`);
        assert.ok(got.title.startsWith('北区役所（きたくやくしょ）'), `${when}: the <title> says the reading in brackets: ${got.title}`);
      };
      await check('at load');
      await page.evaluate(() => new Promise((res) => document.addEventListener('mado:refresh', res, { once: true })));
      // one more (the first refresh may be the same text)
      m.madoctl('call', 'kita', 'certificates');
      await page.waitForFunction(() => window.madoState.lastJson
        && document.querySelector('.counter[data-counter="certificates"] .waiting')?.textContent.startsWith('0'), null, { timeout: 15000 });
      await check('after refreshes');
      const mark = await page.evaluate(() => document.body.innerText.match(/\{[^}]*\|[^}]*\}/g));
      assert.equal(mark, null, `no {…|…} markup shows on the page: ${mark}`);
      await page.screenshot({ path: screenshotPath('easy-office-ja-easy-phone'), fullPage: true });
      assert.deepEqual(w.problems(), []);
    } finally {
      await ctx.close();
    }
  });

  test('no phrase breaks across lines at 390 px', async () => {
    const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      for (const path of ['/kita?lang=ja-easy', '/?lang=ja-easy']) {
        await page.goto(m.url(path));
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
        const broken = await page.evaluate(() => {
          const out = [];
          const lines = (rects) => {
            const ys = [];
            for (const r of rects) {
              if (r.width === 0 || r.height === 0) continue;
              if (!ys.some((y) => Math.abs(y - r.bottom) < r.height / 2)) ys.push(r.bottom);
            }
            return ys.length;
          };
          const visible = (n) => { const e = n.parentElement; return e && e.closest('main, header') && !e.closest('rt, [hidden], .visually-hidden, svg, script') && e.getClientRects().length; };
          // a phrase with a reading is one span: one line box
          for (const ph of document.querySelectorAll('main .ph, header .ph')) {
            if (!visible(ph.firstChild || ph)) continue;
            const r = document.createRange();
            const base = [];
            const walk = document.createTreeWalker(ph, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
              if (n.parentElement.closest('rt')) continue;
              r.selectNodeContents(n);
              base.push(...r.getClientRects());
            }
            if (lines(base) > 1) out.push(ph.textContent);
          }
          // every other phrase: the text between spaces
          const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            if (!visible(n) || n.parentElement.closest('.ph')) continue;
            // a phrase ends at a space, or after 。、） where Japanese may break
            const re = /[^\s。、）」]{2,}[。、）」]*/g;
            let mm;
            while ((mm = re.exec(n.nodeValue))) {
              const r = document.createRange();
              r.setStart(n, mm.index);
              r.setEnd(n, mm.index + mm[0].length);
              if (lines(r.getClientRects()) > 1) out.push(mm[0]);
            }
          }
          return out;
        });
        await page.screenshot({ path: screenshotPath(`easy-phrases${path.startsWith('/?') ? '-index' : ''}`), fullPage: true });
        assert.deepEqual(broken, [], `${path} at 390 px: phrases broken across lines: ${broken.join(' / ')}`);
      }
    } finally {
      await ctx.close();
    }
  });

  test('minutes are always 分 read ふん', async () => {
    const cat = catalog('ja-easy');
    for (const [k, v] of Object.entries(cat)) {
      assert.ok(!/ぷん|\d\s*ふん|\}\s*ふん/.test(v), `catalog ja-easy ${k}: a minute suffix other than {分|ふん}: ${v}`);
    }
    const ctx = await browser.newContext(PHONE);
    try {
      const page = await ctx.newPage();
      await page.goto(m.url('/kita?lang=ja-easy'));
      const got = await page.evaluate(() => {
        const c = document.querySelector('.counter[data-counter="moving"]');
        const rubies = (el) => Array.from(el ? el.querySelectorAll('ruby') : []).map((r) => `${r.firstChild.nodeValue}/${r.querySelector('rt')?.textContent}`);
        return { wait: rubies(c.querySelector('.wait')), jam: rubies(c.querySelector('.jam')), text: document.body.innerText };
      });
      assert.ok(got.wait.includes('分/ふん'), `the wait says 分 read ふん: ${got.wait}`);
      assert.deepEqual(got.jam.filter((x) => x.startsWith('分')), ['分/ふん', '分/ふん'], `the jam message's minutes: ${got.jam}`);
      assert.ok(!/ぷん/.test(got.text), 'no ぷん on the page');
    } finally {
      await ctx.close();
    }
  });

  test('English says "1 person", on the page and after a refresh', async () => {
    const ctx = await browser.newContext(PHONE);
    try {
      m.madoctl('set', 'kita', 'certificates', '--status', 'open', '--waiting', '1');
      const page = await ctx.newPage();
      await page.goto(m.url('/kita?lang=en'));
      const waiting = (id) => page.locator(`.counter[data-counter="${id}"] .waiting`).textContent().then((t) => t.trim());
      assert.equal(await waiting('certificates'), '1 person');
      assert.equal(await waiting('moving'), '12 people');
      m.madoctl('set', 'kita', 'moving', '--waiting', '1');
      await page.waitForFunction(() => document.querySelector('.counter[data-counter="moving"] .waiting')?.textContent.trim() === '1 person',
        null, { timeout: 15000 }).catch(async () => assert.fail(`after a refresh, moving says "${await waiting('moving')}", not "1 person"`));
      // a counter not open says why it has no level, not "—"
      const lvl = (await page.locator('.counter[data-counter="family"] .level-text').textContent()).trim();
      assert.equal(lvl, catalog('en')['level.not_open']);
    } finally {
      await ctx.close();
    }
  });
});

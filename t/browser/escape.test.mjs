// Text from counter staff (madoctl set --message) and from the URL, the
// cookie and Accept-Language is shown as text, never run as markup: with
// JavaScript on (also after mado.js re-renders it from the API) and off.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, Mado, launchBrowser, screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const XSS2 = '<img src=x onerror="window.__xss=3"><svg onload="window.__xss=4"></svg>&amp; "quoted" \'single\'';
const isFavicon = (s) => /\/favicon\.ico\b/.test(s);

describe('escaping', { skip: skipReason(), timeout: 180000 }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado();
    seedState(m);
    m.madoctl('set', 'kita', 'moving', '--message', XSS);
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  // nothing injected ran or was requested; the message is the literal text
  async function assertInert(page, w, what, message) {
    const msg = page.locator('.counter[data-counter="moving"] .message');
    assert.equal(await msg.count(), 1, `${what}: one .message in the moving counter`);
    const text = await msg.textContent();
    assert.ok(text.includes(message),
      `${what}: .message textContent should contain the staff's text literally.\n  got:      ${JSON.stringify(text)}\n  expected: ${JSON.stringify(message)}`);
    // the free text's own span (lang="ja") and, on other languages' pages,
    // its label: nothing else, and the text's span holds text only
    const children = await msg.evaluate((e) => [...e.querySelectorAll('*')]
      .filter((x) => !(x.parentElement === e && /^(message-text|message-label)$/.test(x.className)))
      .map((x) => x.outerHTML));
    assert.deepEqual(children, [], `${what}: .message must hold the text only, it has other elements`);
    assert.equal(await msg.locator('.message-text').getAttribute('lang'), 'ja', `${what}: the free text is marked Japanese`);
    const injected = await page.locator('img[src="x"], svg[onload], [onerror]').count();
    assert.equal(injected, 0, `${what}: elements from the message are in the DOM`);
    const scripts = await page.locator('script').evaluateAll((ss) => ss.map((s) => s.outerHTML.slice(0, 120)));
    const bad = scripts.filter((s) => /__xss/.test(s));
    assert.deepEqual(bad, [], `${what}: a <script> from the message is in the DOM`);
    const xReq = w.requests.filter((u) => /\/x(?:[?#]|$)/.test(new URL(u).pathname));
    assert.deepEqual(xReq, [], `${what}: the browser fetched the injected <img src=x>`);
  }

  test('a staff message with markup, JavaScript on (page load and live refresh)', async () => {
    const ctx = await browser.newContext(DESKTOP);
    try {
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url('/kita?lang=ja'));
      await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
      assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'window.__xss after load (JS on)');
      await assertInert(page, w, 'JS on, as rendered by the server', XSS);

      // a new message: mado.js puts it in place from the API
      m.madoctl('set', 'kita', 'moving', '--message', XSS2, '--waiting', '9');
      await page.waitForFunction((want) => {
        const e = document.querySelector('.counter[data-counter="moving"] .message');
        return e && e.textContent.includes(want);
      }, XSS2, { timeout: 12000 }).catch(async (e) => {
        const got = await page.locator('.counter[data-counter="moving"] .message').textContent().catch(() => null);
        throw new Error(`JS on: the new message did not appear within 12 s without a reload (shown: ${JSON.stringify(got)}): ${e.message}`);
      });
      await page.screenshot({ path: screenshotPath('escape-office-ja-desktop'), fullPage: true });
      assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'window.__xss after the live refresh');
      await assertInert(page, w, 'JS on, after mado.js refreshed the counter', XSS2);
      const pr = w.problems().filter((x) => !isFavicon(x));
      assert.deepEqual(pr, [], `JS on:\n${pr.join('\n')}`);
    } finally {
      await ctx.close();
      m.madoctl('set', 'kita', 'moving', '--message', XSS);
    }
  });

  test('a staff message with markup, JavaScript off', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url('/kita?lang=ja'));
      await assertInert(page, w, 'JS off', XSS);
    } finally {
      await ctx.close();
    }
  });

  test('the message on every page that shows it, JavaScript on', async () => {
    for (const p of ['/kita/signage', '/embed/kita', '/']) {
      const ctx = await browser.newContext(DESKTOP);
      try {
        const page = await ctx.newPage();
        const w = watch(page, m);
        await page.goto(m.url(`${p}?lang=en`));
        await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
        assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', `${p}: window.__xss`);
        assert.equal(await page.locator('img[src="x"], [onerror]').count(), 0, `${p}: injected elements in the DOM`);
        const xReq = w.requests.filter((u) => /\/x(?:[?#]|$)/.test(new URL(u).pathname));
        assert.deepEqual(xReq, [], `${p}: the browser fetched the injected <img src=x>`);
      } finally {
        await ctx.close();
      }
    }
  });

  const NASTY = [
    '<script>window.__xss=5</script>',
    '"><img src=x onerror="window.__xss=6">',
    "'><svg onload=window.__xss=7>",
    'en"><script>window.__xss=8</script>',
  ];

  test('?lang= with markup is not reflected (browser)', async () => {
    const ctx = await browser.newContext(DESKTOP);
    try {
      for (const v of NASTY) {
        const page = await ctx.newPage();
        const w = watch(page, m);
        const url = m.url(`/kita?lang=${encodeURIComponent(v)}`);
        const resp = await page.goto(url);
        assert.ok(resp.status() === 200 || resp.status() === 400,
          `${url}: status ${resp.status()}, expected the page (200) or 400`);
        assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', `${url}: window.__xss`);
        assert.equal(await page.locator('img[src="x"], svg[onload]').count(), 0, `${url}: injected elements in the DOM`);
        if (resp.status() === 200) {
          assert.ok(await page.locator('main h1').count(), `${url}: the page still renders (main h1)`);
        }
        const pr = w.problems().filter((x) => !isFavicon(x) && !/status of 400/.test(x));
        assert.deepEqual(pr, [], `${url}:\n${pr.join('\n')}`);
        await page.close();
      }
    } finally {
      await ctx.close();
    }
  });

  test('lang from the query, the cookie and Accept-Language is never echoed raw (HTTP)', async () => {
    const cases = [];
    for (const v of NASTY) {
      cases.push({ what: `?lang=${v}`, path: `/kita?lang=${encodeURIComponent(v)}`, headers: {} });
      cases.push({ what: `Cookie mado_lang=${v}`, path: '/kita', headers: { Cookie: `mado_lang=${v}` } });
      cases.push({ what: `Accept-Language: ${v}`, path: '/kita', headers: { 'Accept-Language': v } });
    }
    cases.push({ what: 'CRLF in ?lang=', path: '/kita?lang=en%0d%0aX-Injected:%201', headers: {} });
    cases.push({ what: 'markup in the path', path: '/%3Cscript%3Ewindow.__xss=9%3C/script%3E', headers: {} });
    cases.push({ what: 'markup in the path (signage)', path: '/kita/%3Cscript%3Ewindow.__xss=9%3C/script%3E', headers: {} });
    for (const c of cases) {
      const r = await m.request(c.path, { headers: c.headers });
      const body = r.body.toString('utf8');
      assert.ok(r.status < 500, `${c.what}: status ${r.status}`);
      assert.ok(!/<script>window\.__xss|<img src=x|<svg onload|onerror="window/i.test(body),
        `${c.what}: the value is in the page unescaped:\n${(body.match(/.{0,80}(?:<script>window\.__xss|<img src=x|<svg onload|onerror="window).{0,80}/i) || [''])[0]}`);
      assert.equal(r.headers['x-injected'], undefined, `${c.what}: a header was injected`);
      const sc = [].concat(r.headers['set-cookie'] || []);
      for (const s of sc) {
        assert.ok(!/[<>"'\r\n]/.test(s) && !/__xss/.test(s), `${c.what}: Set-Cookie carries the bad value: ${s}`);
      }
    }
  });
});

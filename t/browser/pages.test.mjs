// Every page type in every language, in Chromium at phone and desktop size:
// the right language, WCAG 2 A/AA by axe-core, no console errors, nothing
// fetched from another host, the store's figures on the page; screenshots in
// t/out/screenshots/.  Then the office page with JavaScript off.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, LANGS, Mado, PHONE, axeViolations, catalog, fill, launchBrowser,
  rubyText, screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

const PAGES = [
  { name: 'index', path: '/', page: 'index' },
  { name: 'office', path: '/kita', page: 'office', office: 'kita' },
  { name: 'signage', path: '/kita/signage', page: 'signage', office: 'kita' },
  { name: 'embed', path: '/embed/kita', page: 'embed', office: 'kita' },
];

const isFavicon = (s) => /\/favicon\.ico\b/.test(s);

// what <html lang> may be for a ?lang= value (case-insensitive)
function langOk(lang, htmlLang) {
  const l = (htmlLang || '').toLowerCase();
  if (lang === 'ja-easy') return l === 'ja' || l === 'ja-easy' || l.startsWith('ja-');
  return l === lang;
}

describe('pages in every language', { skip: skipReason(), timeout: 360000 }, () => {
  let m;
  let browser;
  let state;          // madoctl show --json, after seeding

  before(async () => {
    m = new Mado();
    seedState(m);
    state = m.show();
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  const officeState = (id) => state.offices.find((o) => o.id === id);

  // loads PATH?lang=LANG in a fresh context of DEVICE; everything wrong goes
  // into FAILS (prefixed by LABEL); returns nothing, leaves a screenshot
  async function visit(p, lang, device, label, fails) {
    const ctx = await browser.newContext(device);
    try {
      const page = await ctx.newPage();
      const w = watch(page, m);
      const url = m.url(`${p.path}?lang=${encodeURIComponent(lang)}`);
      const resp = await page.goto(url, { waitUntil: 'load' });
      // let mado.js do its first refresh, if it does one at load
      await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
      await page.screenshot({ path: screenshotPath(`${p.name}-${lang}-${label}`), fullPage: true });

      const f = (msg) => fails.push(`[${label}] ${msg}`);
      if (resp.status() !== 200) f(`GET ${url}: status ${resp.status()}, expected 200`);
      const ctype = resp.headers()['content-type'] || '';
      if (!/^text\/html\b/.test(ctype)) f(`Content-Type is "${ctype}", expected text/html`);

      const doc = await page.evaluate(() => {
        const h = document.documentElement;
        // ja-easy readings as the API writes them: 北区役所（きたくやくしょ）
        const tx = (e) => {
          const c = e.cloneNode(true);
          c.querySelectorAll('ruby').forEach((r) => { const rt = r.querySelector('rt'); r.replaceWith(`${r.firstChild.nodeValue}\uff08${rt ? rt.textContent : ''}\uff09`); });
          return c.textContent;
        };
        const t = (sel) => { const e = document.querySelector(sel); return e ? tx(e).trim() : null; };
        return {
          lang: h.getAttribute('lang'),
          page: h.dataset.page,
          office: h.dataset.office,
          api: h.dataset.api,
          refresh: h.dataset.refresh,
          title: document.title.trim(),
          h1: t('main h1'),
          hasMain: !!document.querySelector('main#main'),
          live: (() => { const e = document.getElementById('mado-live'); return e && e.getAttribute('aria-live'); })(),
          i18n: t('script#mado-i18n[type="application/json"]'),
          text: document.body.innerText,
          plainText: tx(document.body).replace(/\s+/g, ' '),
          counters: [...document.querySelectorAll('.counter[data-counter]')].map((c) => ({
            id: c.dataset.counter,
            status: c.dataset.status,
            stale: c.dataset.stale,
            level: c.dataset.level,
            name: c.querySelector('.name') ? tx(c.querySelector('.name')).trim() : null,
            statusText: c.querySelector('.status-text')?.textContent.trim() ?? null,
            calling: c.querySelector('.calling')?.textContent.trim() ?? null,
          })),
          staleBanner: !!document.querySelector('.stale-banner'),
        };
      });

      if (!langOk(lang, doc.lang)) f(`<html lang="${doc.lang}">, expected "${lang}"${lang === 'ja-easy' ? ' (or "ja")' : ''}`);
      if (doc.page !== p.page) f(`<html data-page="${doc.page}">, expected "${p.page}"`);
      if (p.office && doc.office !== p.office) f(`<html data-office="${doc.office}">, expected "${p.office}"`);
      const api = p.office ? `/api/v1/offices/${p.office}` : '/api/v1/summary';   // the index's figures only (issue 17)
      if (doc.api !== api) f(`<html data-api="${doc.api}">, expected "${api}"`);
      if (doc.refresh !== '5') f(`<html data-refresh="${doc.refresh}">, expected "5" (mado_refresh 5s)`);
      if (!doc.title) f('empty <title>');
      if (!doc.hasMain) f('no <main id="main">');
      if (!doc.h1) f('no <h1> (or an empty one) in <main>');
      if (doc.live !== 'polite') f(`#mado-live aria-live="${doc.live}", expected "polite"`);

      // the page embeds the catalog of its own language
      const cat = catalog(lang);
      let i18n = null;
      try { i18n = JSON.parse(doc.i18n); } catch (e) { f(`script#mado-i18n is not JSON: ${e.message}: ${String(doc.i18n).slice(0, 200)}`); }
      if (i18n) {
        const wrong = Object.keys(i18n).filter((k) => k in cat && i18n[k] !== cat[k]);
        if (wrong.length) f(`script#mado-i18n is not the ${lang} catalog: ${wrong.slice(0, 5).map((k) => `${k}=${JSON.stringify(i18n[k])} (catalog: ${JSON.stringify(cat[k])})`).join(', ')}`);
      }

      // the figures of the store, in this language
      if (p.office) {
        const o = officeState(p.office);
        const name = String(o.name[lang]).replace(/\{([^{}|]+)\|([^{}|]+)\}/g, '$1\uff08$2\uff09');
        if (!doc.h1 || !doc.h1.includes(name)) f(`<h1> "${doc.h1}" does not name the office "${name}"`);
        for (const c of o.counters) {
          const got = doc.counters.find((x) => x.id === c.id);
          if (!got) { f(`no .counter[data-counter="${c.id}"]`); continue; }
          if (got.status !== c.status) f(`${c.id}: data-status="${got.status}", store says "${c.status}"`);
          if (got.name !== null && got.name !== c.name[lang]) f(`${c.id}: .name "${got.name}", expected "${c.name[lang]}"`);
          // the signage and the embed say ja-easy in kana (readings alone), but for names
          const kana = p.page === 'signage' || p.page === 'embed';
          const st = kana ? cat[`status.${c.status}`].replace(/\{([^{}|]+)\|([^{}|]+)\}/g, '$2')
            : rubyText(cat[`status.${c.status}`]);
          if (got.statusText !== null && got.statusText !== st) f(`${c.id}: .status-text "${got.statusText}", expected "${st}"`);
          const calling = c.calling ? String(c.calling) : cat.none_called;
          if (got.calling !== null && got.calling !== calling) f(`${c.id}: .calling "${got.calling}", store says ${c.calling} (expected text "${calling}")`);
          if (p.page === 'office' && got.calling === null) f(`${c.id}: no .calling`);
        }
        const stale = doc.counters.find((x) => x.id === 'mynumber');
        if (stale && stale.stale !== 'true') f(`mynumber was last written 20 minutes ago: data-stale="${stale.stale}", expected "true"`);
        if (!doc.staleBanner) f('a shown counter is stale but there is no .stale-banner');
      } else {
        for (const o of state.offices) {
          const nm = String(o.name[lang]).replace(/\{([^{}|]+)\|([^{}|]+)\}/g, '$1\uff08$2\uff09');
          if (!doc.plainText.includes(nm)) f(`the index does not name "${nm}" (${o.id})`);
        }
        const n = state.offices.reduce((a, o) => a + o.counters.length, 0);
        if (doc.counters.length !== n) f(`the index has ${doc.counters.length} .counter[data-counter] rows, expected ${n}`);
      }

      for (const v of await axeViolations(page)) f(`axe: ${v}`);
      for (const pr of w.problems()) if (!isFavicon(pr)) f(pr);
    } finally {
      await ctx.close();
    }
  }

  for (const p of PAGES) {
    for (const lang of LANGS) {
      test(`${p.name} ${p.path}?lang=${lang}`, async () => {
        const fails = [];
        await visit(p, lang, PHONE, 'phone', fails);
        await visit(p, lang, DESKTOP, 'desktop', fails);
        assert.deepEqual(fails, [], `${p.path}?lang=${lang}: ${fails.length} problem(s):\n${fails.join('\n')}`);
      });
    }
  }

  test('unknown office: a 404 page in the language asked for, accessible, quiet', async () => {
    const fails = [];
    for (const lang of ['ja', 'en']) {
      const ctx = await browser.newContext(DESKTOP);
      try {
        const page = await ctx.newPage();
        const w = watch(page, m);
        const url = `/nosuch?lang=${lang}`;
        const resp = await page.goto(m.url(url));
        await page.screenshot({ path: screenshotPath(`notfound-${lang}-desktop`), fullPage: true });
        const f = (msg) => fails.push(`${url}: ${msg}`);
        if (resp.status() !== 404) f(`status ${resp.status()}, expected 404`);
        if (!/^text\/html\b/.test(resp.headers()['content-type'] || '')) f(`Content-Type ${resp.headers()['content-type']}`);
        const htmlLang = await page.getAttribute('html', 'lang');
        if (!langOk(lang, htmlLang)) f(`<html lang="${htmlLang}">`);
        const want = catalog(lang)['page.not_found_title'];
        const title = await page.title();
        if (!title.includes(want)) f(`<title> "${title}" should say "${want}" (page.not_found_title)`);
        const h1 = await page.locator('main h1').textContent().catch(() => null);
        if (h1 === null || !h1.includes(want)) f(`<h1> "${h1}" should say "${want}"`);
        for (const v of await axeViolations(page)) f(`axe: ${v}`);
        // the 404 of the page itself is expected; anything else is not
        for (const pr of w.problems()) if (!isFavicon(pr) && !/status of 404/.test(pr)) f(pr);
        if (lang === 'ja') {
          // no figures on this page: nothing to refresh (mado_refresh 5s)
          const api = await page.waitForRequest((q) => new URL(q.url()).pathname.startsWith('/api/'), { timeout: 6500 })
            .then((q) => q.url(), () => null);
          if (api) f(`shows no figures but polls the API (${api}) every 5 s`);
        }
      } finally {
        await ctx.close();
      }
    }
    assert.deepEqual(fails, [], `the 404 page:\n${fails.join('\n')}`);
  });

  test('the browser\'s icon request does not fail (pages declare an icon, or /favicon.ico exists)', async () => {
    // browsers ask for /favicon.ico unless the page names an icon; a 404
    // there is a console error on every first visit and a 404 page rendered
    const r = await m.request('/kita?lang=ja');
    const html = r.body.toString('utf8');
    const link = /<link\b[^>]*\brel=["']?[^"'>]*\bicon\b[^>]*>/i.exec(html);
    if (link) {
      const href = (/\bhref=["']?([^"'\s>]+)/i.exec(link[0]) || [])[1];
      assert.ok(href, `the icon <link> has no href: ${link[0]}`);
      if (href.startsWith('data:')) return;
      const u = new URL(href, m.url('/kita'));
      assert.equal(u.host, m.host, `the icon comes from another host: ${href}`);
      const ir = await m.request(u.pathname + u.search);
      assert.equal(ir.status, 200, `the declared icon ${href}: status ${ir.status}`);
      return;
    }
    const fr = await m.request('/favicon.ico');
    assert.equal(fr.status, 200, `no <link rel="icon"> in the pages and GET /favicon.ico is ${fr.status}: every first visit `
      + 'logs a console error. Declare one in <head> (e.g. <link rel="icon" href="data:,"> or an asset), or answer /favicon.ico.');
  });

  for (const lang of LANGS) {
    test(`office page with JavaScript off shows the figures (${lang})`, async () => {
      const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
      try {
        const page = await ctx.newPage();
        const w = watch(page, m);
        const resp = await page.goto(m.url(`/kita?lang=${lang}`));
        await page.screenshot({ path: screenshotPath(`office-${lang}-phone-nojs`), fullPage: true });
        assert.equal(resp.status(), 200, `/kita?lang=${lang} (no JS): status`);
        const cat = catalog(lang);
        const o = m.show('kita').offices.find((x) => x.id === 'kita');
        const fails = [];
        for (const c of o.counters) {
          const el = page.locator(`.counter[data-counter="${c.id}"]`);
          if ((await el.count()) !== 1) { fails.push(`${c.id}: ${await el.count()} .counter[data-counter="${c.id}"] elements, expected 1`); continue; }
          const text = async (sel) => {
            const l = el.locator(sel);
            return (await l.count()) ? (await l.first().textContent()).trim() : null;
          };
          const calling = c.calling ? String(c.calling) : cat.none_called;
          const gotCalling = await text('.calling');
          if (gotCalling !== calling) fails.push(`${c.id}: .calling "${gotCalling}", madoctl show says calling=${c.calling} (expected "${calling}")`);
          const waiting = rubyText(fill(c.waiting === 1 && cat['people.one'] ? cat['people.one'] : cat.people, { n: c.waiting }));
          const gotWaiting = await text('.waiting');
          if (gotWaiting !== waiting) fails.push(`${c.id}: .waiting "${gotWaiting}", madoctl show says waiting=${c.waiting} (expected "${waiting}")`);
          const st = rubyText(cat[`status.${c.status}`]);
          const gotStatus = await text('.status-text');
          if (gotStatus !== st) fails.push(`${c.id}: .status-text "${gotStatus}", expected "${st}" (${c.status})`);
          const ds = await el.getAttribute('data-status');
          if (ds !== c.status) fails.push(`${c.id}: data-status="${ds}", expected "${c.status}"`);
          // the free text as typed, in its own span (lang="ja"; labelled on
          // other languages' pages, t/browser/notices.test.mjs)
          const gotMessage = await text('.message .message-text');
          if (c.message && gotMessage !== c.message) fails.push(`${c.id}: .message "${gotMessage}", expected "${c.message}"`);
          if (!c.message && gotMessage !== null) fails.push(`${c.id}: a .message "${gotMessage}" but the counter has none`);
        }
        fails.push(...w.problems().filter((x) => !isFavicon(x)));
        assert.deepEqual(fails, [], `/kita?lang=${lang} without JavaScript:\n${fails.join('\n')}`);
      } finally {
        await ctx.close();
      }
    });
  }
});

// Signage on waiting-room TVs (/{office}/signage): at 1280x720, 1366x768 and
// 1920x1080, in every language, for the office with the most counters and the
// longest name in that language (from offices.json), with every counter
// showing as much as it can (a jam message, a staff notice, paused, ended with
// its next opening, stale): the page never scrolls, every counter and each of
// its figures is on screen, the smallest text is readable across a room, and
// the office page's QR code is there and loads.  Then the alternation between
// two languages (#alt=LANG), and the QR link on the office page.
// Screenshots: t/out/screenshots/signage-*.png.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  LANGS, Mado, OFFICES_JSON, axeViolations, catalog, launchBrowser, screenshotPath, skipReason, watch,
} from './lib.mjs';

const SIZES = [[1280, 720], [1366, 768], [1920, 1080]];
// the smallest text on screen, in CSS px at 1280x720; larger screens scale it
const MIN_TEXT_720 = 24;
const MIN_CALLING_720 = 72;

const offices = JSON.parse(fs.readFileSync(OFFICES_JSON, 'utf8')).offices;
const most = Math.max(...offices.map((o) => o.counters.length));
// per language: of the offices with the most counters, the longest name (in letters)
const widest = Object.fromEntries(LANGS.map((l) => [l, offices
  .filter((o) => o.counters.length === most)
  .map((o) => ({ o, n: [...(o.name[l] || o.name.ja)].length
    + o.counters.reduce((s, c) => s + [...(c.name[l] || c.name.ja)].length, 0) }))
  .sort((a, b) => b.n - a.n)[0].o.id]));

const NOTICE = '職員が席を外しています。まもなく戻りますので、番号札をお持ちのままお待ちください。'
  + 'お急ぎの方は隣の窓口にお声がけください。';

// every counter of OFFICE in a state that shows the most text
function seedFull(m, office) {
  const past = String(Math.floor(Date.now() / 1000) - 20 * 60);
  offices.find((o) => o.id === office).counters.forEach((c, i) => {
    const k = i % 4, id = c.id;
    // the widest numbers the counter issues
    const top = c.ticket_range ? c.ticket_range[1] : 9999, hi = String(top - 2), lo = String(top - 40);
    if (k === 0) {
      // busy: the long jam message, and a notice
      m.madoctl('set', office, id, '--status', 'open', '--waiting', '38', '--calling', lo,
        '--last-issued', hi, '--staff', '1', '--message', NOTICE);
    } else if (k === 1) {
      m.madoctl('set', office, id, '--status', 'paused', '--waiting', '12', '--calling', lo,
        '--last-issued', hi, '--message', NOTICE);
    } else if (k === 2) {
      m.madoctl('set', office, id, '--status', 'ended', '--waiting', '0', '--calling', '0', '--last-issued', '0');
    } else {
      m.madoctl('set', office, id, '--status', 'open', '--waiting', '25', '--calling', lo,
        '--last-issued', hi, { env: { MADO_NOW: past } });
    }
  });
}

// what the page looks like at this size: boxes, overflow, the smallest text
function measure() {
  const vw = window.innerWidth, vh = window.innerHeight, se = document.scrollingElement;
  const box = (e) => { const r = e.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height }; };
  const inside = (a, b) => a.l >= b.l - 0.5 && a.t >= b.t - 0.5 && a.r <= b.r + 0.5 && a.b <= b.b + 0.5;
  const view = { l: 0, t: 0, r: vw, b: vh };
  const visible = (e) => { const s = getComputedStyle(e); return s.display !== 'none' && s.visibility !== 'hidden' && e.getClientRects().length > 0; };
  const out = { scrollW: se.scrollWidth, scrollH: se.scrollHeight, vw, vh, problems: [], minText: Infinity, minWhere: '', minRt: Infinity };
  for (const c of document.querySelectorAll('main .counter')) {
    const id = c.dataset.counter, cb = box(c);
    if (!inside(cb, view)) out.problems.push(`counter ${id} ${JSON.stringify(cb)} is not inside the ${vw}x${vh} viewport`);
    // what must show in full: name, status, every label and figure
    for (const e of c.querySelectorAll('.name, .status-text, .figures dt, .figures dd')) {
      // a counter not open has no level: kept for screen readers only, its status says it
      const sr = e.closest('.figures > div');
      if (sr && getComputedStyle(sr).clipPath === 'inset(50%)') {
        if (c.dataset.status === 'open' || c.dataset.level !== 'unknown') out.problems.push(`${id}: the level of an open counter is hidden`);
        continue;
      }
      if (!visible(e)) { out.problems.push(`${id}: ${e.className || e.tagName} is not shown`); continue; }
      const b = box(e);
      if (!inside(b, cb)) out.problems.push(`${id}: ${e.className || e.tagName} "${e.textContent.trim()}" ${JSON.stringify(b)} is cut off by its counter ${JSON.stringify(cb)}`);
      if (e.scrollWidth > e.clientWidth + 1) out.problems.push(`${id}: ${e.className || e.tagName} "${e.textContent.trim()}" overflows sideways`);
    }
    // what may be shortened (notices) shows at least its first line
    for (const e of c.querySelectorAll('.jam, .notice, .message, .past-close, .updated')) {
      if (!visible(e)) continue;
      const b = box(e), line = parseFloat(getComputedStyle(e).lineHeight) || 20;
      if (b.t + line > cb.b + 0.5) out.problems.push(`${id}: ${e.className} has not one line on screen`);
    }
    out.calling = Math.min(out.calling || Infinity, parseFloat(getComputedStyle(c.querySelector('.calling')).fontSize));
  }
  // the smallest text shown on screen (not the screen-reader-only parts)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.nodeValue.trim() || !e || !visible(e) || e.closest('.visually-hidden, script, style, noscript')) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    const rb = r.getBoundingClientRect();
    if (rb.width < 2 || rb.height < 2 || rb.bottom <= 0 || rb.top >= vh) continue;
    const fs = parseFloat(getComputedStyle(e).fontSize);
    // a reading over a name (ja-easy's <rt>) is measured apart: it helps
    // the kanji under it, which is itself of the names' size
    if (e.closest('rt')) { out.minRt = Math.min(out.minRt, fs); continue; }
    if (fs < out.minText) { out.minText = fs; out.minWhere = `${e.className || e.tagName}: "${n.nodeValue.trim().slice(0, 40)}"`; }
  }
  const qr = document.querySelector('.signage-qr img');
  out.qr = qr && { src: qr.getAttribute('src'), alt: qr.getAttribute('alt'), w: qr.naturalWidth, complete: qr.complete, box: box(qr),
    caption: (document.querySelector('.signage-qr figcaption') || {}).textContent };
  if (qr && !inside(box(qr), view)) out.problems.push('the QR code is not inside the viewport');
  return out;
}

describe('signage on waiting-room TVs', { skip: skipReason(), timeout: 600000 }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado();
    for (const o of new Set(Object.values(widest))) seedFull(m, o);
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  test('alternates with a second language (#alt=en): the other page fetched once, without cookies', async () => {
    const office = widest.en;
    const o = offices.find((x) => x.id === office);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await ctx.newPage();
      const wt = watch(page, m);
      await page.goto(m.url(`/${office}/signage?lang=ja#alt=en&every=5`), { waitUntil: 'load' });
      const texts = () => page.evaluate(() => ({
        lang: document.documentElement.lang,
        h1: document.querySelector('main h1').textContent.trim(),
        dt: document.querySelector('.counter .figures dt').textContent.trim(),
        waiting: document.querySelector('.counter .waiting').textContent.trim(),
        caption: document.querySelector('.signage-qr figcaption').textContent,
        alt: document.querySelector('.signage-qr img').alt,
        counters: document.querySelectorAll('main .counter').length,
      }));
      const ja = await texts();
      assert.equal(ja.lang, 'ja');
      assert.equal(ja.h1, o.name.ja);
      await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 30000 });
      const en = await texts();
      assert.equal(en.h1, o.name.en);
      assert.equal(en.dt, catalog('en')['label.calling']);
      assert.equal(en.waiting, '38 people');
      assert.ok(en.caption.includes(catalog('en')['signage.qr_caption']), en.caption);
      assert.equal(en.alt, catalog('en')['signage.qr_alt']);
      assert.equal(en.counters, ja.counters);
      const r = await page.evaluate(measure);
      assert.deepEqual(r.problems, []);
      assert.equal(r.scrollH, 720);
      await page.screenshot({ path: screenshotPath('signage-alternate-ja-en-1280x720') });
      await page.waitForFunction(() => document.documentElement.lang === 'ja', null, { timeout: 30000 });
      const back = await texts();
      assert.equal(back.h1, o.name.ja);
      assert.equal(back.dt, catalog('ja')['label.calling']);
      assert.equal(back.waiting, '38人');
      const fetched = wt.requests.filter((u) => /[?&]lang=en\b/.test(u));
      assert.equal(fetched.length, 1, `the English page fetched ${fetched.length} times`);
      const cookie = (await ctx.cookies()).find((c) => c.name === 'mado_lang');
      assert.equal(cookie && cookie.value, 'ja', 'the TV keeps its language cookie');
      assert.deepEqual(wt.problems(), []);
    } finally {
      await ctx.close();
    }
  });

  for (const [w, h] of SIZES) {
    test(`${w}x${h}: fits in every language, readable, with the QR code`, async () => {
      const fails = [];
      const ctx = await browser.newContext({ viewport: { width: w, height: h } });
      try {
        for (const lang of LANGS) {
          const office = widest[lang];
          const page = await ctx.newPage();
          const wt = watch(page, m);
          const f = (s) => fails.push(`[${lang} ${office} ${w}x${h}] ${s}`);
          const resp = await page.goto(m.url(`/${office}/signage?lang=${lang}`), { waitUntil: 'load' });
          if (resp.status() !== 200) f(`status ${resp.status()}`);
          await page.screenshot({ path: screenshotPath(`signage-${lang}-${w}x${h}`) });
          const r = await page.evaluate(measure);
          if (r.scrollW !== w || r.scrollH !== h) f(`the document is ${r.scrollW}x${r.scrollH}, the screen ${w}x${h}`);
          for (const p of r.problems) f(p);
          const minText = MIN_TEXT_720 * Math.min(h / 720, w / 1280);
          if (r.minText < minText - 0.01) f(`smallest text ${r.minText.toFixed(1)} px < ${minText.toFixed(1)} px (${r.minWhere})`);
          if (r.minRt < minText / 2 - 0.01) f(`smallest reading (rt) ${r.minRt.toFixed(1)} px < ${(minText / 2).toFixed(1)} px`);
          const minCalling = MIN_CALLING_720 * Math.min(h / 720, w / 1280);
          if (!(r.calling >= minCalling)) f(`the called numbers are ${r.calling} px, expected at least ${minCalling.toFixed(0)} px`);
          if (!r.qr) {
            f('no QR code (.signage-qr img)');
          } else {
            if (r.qr.src !== `/${office}/qr.svg`) f(`QR src ${r.qr.src}`);
            if (!r.qr.complete || !(r.qr.w > 0)) f('the QR image did not load');
            // ja-easy: readings in brackets in the attribute, the reading alone (kana) in the text
            const ruby = /\{([^{}|]+)\|([^{}|]+)\}/g;
            if (r.qr.alt !== catalog(lang)['signage.qr_alt'].replace(ruby, '$1（$2）')) f(`QR alt "${r.qr.alt}"`);
            if (!r.qr.caption.includes(catalog(lang)['signage.qr_caption'].replace(ruby, '$2'))) f(`QR caption "${r.qr.caption}"`);
            if (!r.qr.caption.includes(`127.0.0.1:${m.port}/${office}`)) f(`QR caption lacks the address: "${r.qr.caption}"`);
            if (r.qr.box.w < 0.1 * h) f(`the QR code is ${r.qr.box.w} px wide, small for a ${h} px screen`);
          }
          if (w === 1920) {
            const v = await axeViolations(page);
            if (v.length) f(`axe:\n${v.join('\n')}`);
          }
          for (const p of wt.problems()) f(p);
          // eslint-disable-next-line no-console
          if (process.env.SIGNAGE_DEBUG) console.log(lang, office, w, h, r.minText, r.minWhere, r.calling);
          await page.close();
        }
      } finally {
        await ctx.close();
      }
      assert.equal(fails.length, 0, fails.join('\n'));
    });
  }
});

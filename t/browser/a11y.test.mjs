// Two bars of JIS X 8341-3:2016 level AA (WCAG 2.x AA) that axe-core does not
// check, in Chromium:
//
// 1. Zoom and reflow (WCAG 1.4.4 resize text, 1.4.10 reflow).  Browser zoom
//    at 200 % on a 1280×900 window lays the page out in a 640×450 CSS-pixel
//    viewport at device scale factor 2, and 400 % in 320×256; that is what
//    is emulated.  Every page type in ja and en: no horizontal scrolling, no
//    text cut off by an overflow:hidden/clip box inside <main>, no text
//    running out of its counter card, and the figures of each counter
//    (.calling .waiting .wait) on screen.  The embed widget is an iframe of
//    320×260 CSS pixels whatever the host page's zoom: no horizontal
//    scrolling there, at scale 1 and 2.  Screenshots of the 200 % views:
//    t/out/screenshots/zoom200-{page}-{lang}.png.
//
// 2. Keyboard (WCAG 2.1.1, 2.1.2, 2.4.1, 2.4.3, 2.4.7).  On /kita with
//    JavaScript: Tab from the top reaches the skip link first, and it takes
//    the keyboard into <main>; Tab then reaches every language link, the
//    "all offices" link and the whole "my number" form, in DOM order, with
//    no trap, and every stop shows a focus indicator (the pixels of the
//    element's box differ focused and blurred, or a ≥2px outline or a
//    box-shadow).  The "my number" form works by keyboard alone.  On the
//    index every office card link is reached by Tab.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, Mado, catalog, fill, launchBrowser, screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

const isFavicon = (s) => /\/favicon\.ico\b/.test(s);

// The figures that must be on screen.  On the index and the embed the
// compact rows deliberately show the wait and the level only: .calling and
// .waiting (and the <dt> labels) stay for screen readers there, by design
// (mado.css, "compact rows"), so they are not required to be visible.
const FIGURES_ALL = ['.calling', '.waiting', '.wait'];
const FIGURES_COMPACT = ['.wait'];

const VIEW = {
  z100: { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 },
  z200: { viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 },
  z400: { viewport: { width: 320, height: 256 }, deviceScaleFactor: 1 },
  // the iframe of docs/pages.md keeps 320×260 CSS pixels when the host is zoomed
  embed100: { viewport: { width: 320, height: 260 }, deviceScaleFactor: 1 },
  embed200: { viewport: { width: 320, height: 260 }, deviceScaleFactor: 2 },
};

const PAGES = [
  { name: 'index', path: '/', views: ['z100', 'z200', 'z400'], figures: FIGURES_COMPACT, shot: 'z200' },
  { name: 'office', path: '/kita', views: ['z100', 'z200', 'z400'], figures: FIGURES_ALL, shot: 'z200' },
  { name: 'signage', path: '/kita/signage', views: ['z100', 'z200'], figures: FIGURES_ALL, shot: 'z200' },
  // the embed: horizontal scrolling only (its message line is one line with
  // an ellipsis by design; the "details" link leads to the full page)
  { name: 'embed', path: '/embed/kita', views: ['embed100', 'embed200'], hscrollOnly: true, shot: 'embed200' },
];

const LANGS = ['ja', 'en'];

// ------------------------------------------------------------ in the page

// Measures the page as laid out now.  Runs in the browser.
function measureLayout({ figures }) {
  const de = document.documentElement;
  const vw = de.clientWidth;
  const out = { scrollWidth: de.scrollWidth, clientWidth: vw, wide: [], clipped: [], spill: [], unseen: [] };

  const desc = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    if (el.classList.length) s += `.${[...el.classList].join('.')}`;
    const c = el.closest('.counter[data-counter]');
    const card = el.closest('[data-office-card]');
    const t = (el.textContent || '').trim().replace(/\s+/g, ' ');
    return `${card ? `[data-office-card="${card.dataset.officeCard}"] ` : ''}`
      + `${c && c !== el ? `.counter[data-counter="${c.dataset.counter}"] ` : ''}${s}`
      + `${t ? ` "${t.length > 40 ? `${t.slice(0, 40)}…` : t}"` : ''}`;
  };
  // hidden on purpose: display:none, [hidden], or the visually-hidden
  // pattern (absolutely positioned, clipped to 1px) on it or an ancestor
  const hidden = (el) => {
    for (let a = el; a && a.nodeType === 1; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.display === 'none' || cs.visibility === 'hidden') return true;
      if ((cs.clipPath !== 'none' || (cs.clip && cs.clip !== 'auto'))
        && a.getBoundingClientRect().width <= 1) return true;
    }
    return false;
  };
  const clips = (cs) => /hidden|clip|auto|scroll/.test(cs.overflowX);
  const r1 = (x) => Math.round(x * 10) / 10;

  // what sticks out on the right, when the page scrolls sideways: the
  // innermost such elements that are not inside a scroll or clip box
  // (boxes, and text running out of its box)
  if (de.scrollWidth > vw + 1) {
    const right = new Map();
    const unclipped = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (clips(getComputedStyle(a))) return false;
      }
      return true;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > vw + 1 && !hidden(el) && unclipped(el)) right.set(el, r.right);
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.nodeValue.trim() || !el || hidden(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      if (r.right > vw + 1 && !clips(getComputedStyle(el)) && unclipped(el)) right.set(el, Math.max(r.right, right.get(el) || 0));
    }
    const all = [...right.keys()];
    const innermost = all.filter((el) => !all.some((o) => o !== el && el.contains(o)));
    out.wide = innermost.slice(0, 8).map((el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      return `${desc(el)}: reaches x=${r1(right.get(el))}px (box ${r1(r.left)}–${r1(r.right)}px, white-space ${cs.whiteSpace}, min-width ${cs.minWidth})`;
    });
  }

  const main = document.querySelector('main');
  if (!main) return out;

  // text cut off by an overflow:hidden/clip box inside <main>
  for (const el of main.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    const hx = /hidden|clip/.test(cs.overflowX);
    const hy = /hidden|clip/.test(cs.overflowY);
    if (!hx && !hy) continue;
    if (hidden(el)) continue;
    if (hx && el.scrollWidth > el.clientWidth + 1) {
      out.clipped.push(`${desc(el)}: overflow-x ${cs.overflowX}, content ${el.scrollWidth}px wide in a ${el.clientWidth}px box`
        + `${cs.textOverflow !== 'clip' ? ` (text-overflow ${cs.textOverflow})` : ''}`);
    } else if (hy && el.scrollHeight > el.clientHeight + 1) {
      out.clipped.push(`${desc(el)}: overflow-y ${cs.overflowY}, content ${el.scrollHeight}px high in a ${el.clientHeight}px box`);
    }
  }

  // text of a counter that runs out of its card (overflow visible, but
  // drawn over its neighbours or off the card)
  for (const c of main.querySelectorAll('.counter')) {
    if (hidden(c)) continue;
    const cr = c.getBoundingClientRect();
    const walker = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.nodeValue.trim() || seen.has(n.parentElement) || hidden(n.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) {
        if (r.width === 0) continue;
        if (r.right > cr.right + 1 || r.left < cr.left - 1) {
          seen.add(n.parentElement);
          out.spill.push(`${desc(n.parentElement)}: text from x=${r1(r.left)} to ${r1(r.right)}px, its card .counter[data-counter="${c.dataset.counter}"] spans ${r1(cr.left)}–${r1(cr.right)}px`);
          break;
        }
      }
    }
  }

  // the figures of every counter: on screen, not hidden, not off the side
  for (const c of main.querySelectorAll('.counter[data-counter]')) {
    for (const sel of figures) {
      const el = c.querySelector(sel);
      const where = `${desc(c).split(' "')[0]} ${sel}`;
      if (!el) { out.unseen.push(`${where}: missing`); continue; }
      const r = el.getBoundingClientRect();
      const why = [];
      if (!el.textContent.trim()) why.push('empty');
      if (hidden(el)) why.push('hidden');
      if (r.width < 2 || r.height < 2) why.push(`box ${r1(r.width)}×${r1(r.height)}px`);
      if (r.left < -1 || r.right > vw + 1) why.push(`off screen sideways (x ${r1(r.left)}–${r1(r.right)}px, viewport ${vw}px)`);
      if (why.length) out.unseen.push(`${where} "${el.textContent.trim()}": ${why.join(', ')}`);
    }
  }
  return out;
}

// document.activeElement, described.  Runs in the browser.
function describeActive() {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) {
    return { none: true, label: a ? a.tagName.toLowerCase() : 'null' };
  }
  const all = document.getElementsByTagName('*');
  const r = a.getBoundingClientRect();
  const cs = getComputedStyle(a);
  let label = a.tagName.toLowerCase();
  if (a.id) label += `#${a.id}`;
  if (a.classList.length) label += `.${[...a.classList].join('.')}`;
  if (a.getAttribute('href') !== null) label += `[href="${a.getAttribute('href')}"]`;
  if (a.tagName === 'BUTTON') label += `[type=${a.type}]`;
  const t = (a.textContent || '').trim().replace(/\s+/g, ' ');
  if (t && a.tagName !== 'SELECT') label += ` "${t.slice(0, 30)}"`;
  return {
    none: false,
    idx: Array.prototype.indexOf.call(all, a),
    label,
    inMain: !!a.closest('main'),
    inFooter: !!a.closest('footer'),
    focusVisible: a.matches(':focus-visible'),
    rect: { x: r.x, y: r.y, w: r.width, h: r.height },
    outlineStyle: cs.outlineStyle,
    outlineWidth: parseFloat(cs.outlineWidth) || 0,
    boxShadow: cs.boxShadow,
  };
}

// ------------------------------------------------------------ the tests

describe('JIS X 8341-3 AA: zoom/reflow and keyboard', { skip: skipReason(), timeout: 240000 }, () => {
  let m;
  let browser;

  before(async () => {
    m = new Mado();
    seedState(m);
    await m.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  // a fresh context and page at PATH; resolves once mado.js has run and the
  // fonts are in (the layout to measure is final then).  The pages' CSP is
  // bypassed here: the focus screenshots' style (caret, spin buttons) is an
  // inline <style> Playwright adds, which it refuses (csp.test.mjs tests it)
  async function open(path, device) {
    const ctx = await browser.newContext({ ...device, reducedMotion: 'reduce', bypassCSP: true });
    const page = await ctx.newPage();
    const w = watch(page, m);
    const resp = await page.goto(m.url(path), { waitUntil: 'load' });
    assert.equal(resp.status(), 200, `GET ${path}: status`);
    await page.waitForFunction(() => document.documentElement.classList.contains('mado-js')
      && document.fonts.status === 'loaded', null, { timeout: 10000, polling: 50 });
    return { ctx, page, w };
  }

  // ---------------------------------------------------------- 1. zoom

  for (const p of PAGES) {
    for (const lang of LANGS) {
      test(`zoom/reflow: ${p.name} ${p.path}?lang=${lang} (${p.views.join(', ')})`, async () => {
        const fails = [];
        for (const view of p.views) {
          const { ctx, page, w } = await open(`${p.path}?lang=${lang}`, VIEW[view]);
          try {
            const f = (msg) => fails.push(`[${view} ${VIEW[view].viewport.width}×${VIEW[view].viewport.height}`
              + `@${VIEW[view].deviceScaleFactor}x] ${msg}`);
            const got = await page.evaluate(measureLayout, { figures: p.hscrollOnly ? [] : p.figures });
            if (view === p.shot) {
              // a full-page image is capped by the GPU texture size: tall pages at 2x get the viewport
              const h = await page.evaluate(() => document.documentElement.scrollHeight);
              const fullPage = h * VIEW[view].deviceScaleFactor <= 16000;
              await page.screenshot({ path: screenshotPath(`zoom200-${p.name}-${lang}`), fullPage });
            }
            if (got.scrollWidth > got.clientWidth + 1) {
              f(`scrolls sideways: document scrollWidth ${got.scrollWidth}px > clientWidth ${got.clientWidth}px`
                + `${got.wide.length ? `; sticking out:\n      ${got.wide.join('\n      ')}` : ''}`);
            }
            if (!p.hscrollOnly) {
              for (const x of got.clipped) f(`text cut off: ${x}`);
              for (const x of got.spill) f(`text runs out of its card: ${x}`);
              for (const x of got.unseen) f(`figure not visible: ${x}`);
            }
            for (const pr of w.problems()) if (!isFavicon(pr)) f(pr);
          } finally {
            await ctx.close();
          }
        }
        assert.deepEqual(fails, [], `${p.path}?lang=${lang} zoomed: ${fails.length} problem(s):\n${fails.join('\n')}`);
      });
    }
  }

  // ---------------------------------------------------------- 2. keyboard

  // Is there a visible focus indicator on the element focused now (D)?
  // The pixels around its box, focused and then blurred; focus is put back.
  async function focusIndicator(page, d) {
    const vp = page.viewportSize();
    const pad = 8;       // outline 3px + offset 2px fit in
    const x0 = Math.max(0, Math.floor(d.rect.x - pad));
    const y0 = Math.max(0, Math.floor(d.rect.y - pad));
    const x1 = Math.min(vp.width, Math.ceil(d.rect.x + d.rect.w + pad));
    const y1 = Math.min(vp.height, Math.ceil(d.rect.y + d.rect.h + pad));
    const res = { differs: false, style: d.outlineStyle !== 'none' && d.outlineWidth >= 2, shadow: d.boxShadow !== 'none' };
    if (x1 - x0 < 1 || y1 - y0 < 1) return { ...res, offscreen: true };
    const clip = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    // Chromium shows a number input's spin buttons while it has the focus:
    // a change of pixels, but no focus indicator; hidden for the comparison
    const style = 'input::-webkit-inner-spin-button, input::-webkit-outer-spin-button { display: none !important; }';
    const shot = () => page.screenshot({ clip, animations: 'disabled', caret: 'hide', style });
    const focused = await shot();
    await page.evaluate(() => { window.__a11yFocus = document.activeElement; document.activeElement.blur(); });
    const blurred = await shot();
    const back = await page.evaluate(() => {
      window.__a11yFocus.focus({ preventScroll: true });
      return document.activeElement === window.__a11yFocus;
    });
    assert.ok(back, `${d.label}: could not put the focus back after the blur`);
    return { ...res, differs: !focused.equals(blurred) };
  }

  // Presses Tab up to MAX times from the top of the page; returns the stops
  // in order (each the element's first visit), how it ended, and for each
  // stop whether a focus indicator shows
  async function tabThrough(page, { max = 80, indicators = true } = {}) {
    const stops = [];
    let end = `no cycle after ${max} Tabs`;
    let outside = 0;         // Tabs that left the document (focus on <body>)
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const d = await page.evaluate(describeActive);
      if (d.none) { outside++; if (outside > 2) { end = 'focus left the document for good'; break; } continue; }
      const again = stops.find((s) => s.idx === d.idx);
      if (again) { end = `cycled back to ${again.label}`; d.cycle = true; stops.cycleTo = again; break; }
      if (stops.length && stops[stops.length - 1].idx === d.idx) { end = `stuck on ${d.label}`; break; }
      if (indicators) d.indicator = await focusIndicator(page, d);
      stops.push(d);
    }
    stops.end = end;
    stops.outside = outside;
    return stops;
  }

  // DOM indices of what must be reached; every visible tabbable element too
  function expectedStops() {
    const all = document.getElementsByTagName('*');
    const idx = (el) => (el ? Array.prototype.indexOf.call(all, el) : -1);
    const label = (el, fallback) => {
      if (!el) return fallback;
      let s = el.tagName.toLowerCase();
      if (el.id) s += `#${el.id}`;
      if (el.getAttribute('href') !== null) s += `[href="${el.getAttribute('href')}"]`;
      const t = (el.textContent || '').trim().replace(/\s+/g, ' ');
      if (t && el.tagName !== 'SELECT') s += ` "${t.slice(0, 30)}"`;
      return s;
    };
    const one = (sel) => ({ sel, idx: idx(document.querySelector(sel)), label: label(document.querySelector(sel), sel) });
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      return (r.width > 0 || r.height > 0 || el.classList.contains('skip')) && cs.visibility !== 'hidden' && !el.closest('[hidden], [inert]');
    };
    const tabbable = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
      .filter((el) => !el.disabled && el.tabIndex >= 0 && visible(el))
      .map((el) => ({ idx: idx(el), label: label(el) }));
    return {
      skip: one('a.skip'),
      langs: [...document.querySelectorAll('nav.langs a')].map((el) => ({ sel: 'nav.langs a', idx: idx(el), label: label(el) })),
      cards: [...document.querySelectorAll('[data-office-card] h2 a')].map((el) => ({ sel: '[data-office-card] h2 a', idx: idx(el), label: label(el) })),
      allOffices: one('main a[href="/"]'),
      form: ['#mt-counter', '#mt-ticket', '#mt-distance', 'form.myticket-form button[type="submit"]', '.myticket-clear'].map(one),
      footer: [...document.querySelectorAll('footer a[href]')].map((el) => ({ sel: 'footer a[href]', idx: idx(el), label: label(el) })),
      tabbable,
    };
  }

  // the common checks of a Tab walk; FAILS gets the problems
  function checkWalk(stops, exp, required, fails) {
    const f = (msg) => fails.push(msg);
    const trail = () => stops.map((s, i) => `${i + 1}. ${s.label}`).join('\n      ');
    if (!stops.length) { f('Tab never focused anything'); return; }
    if (stops[0].idx !== exp.skip.idx) f(`the first Tab stop is ${stops[0].label}, expected the skip link ${exp.skip.label}`);

    for (const r of required) {
      if (r.idx < 0) f(`no ${r.sel} on the page`);
      else if (!stops.some((s) => s.idx === r.idx)) f(`${r.label} (${r.sel}) is never reached by Tab`);
    }
    // anything tabbable that Tab skipped
    for (const t of exp.tabbable) {
      if (!stops.some((s) => s.idx === t.idx)) f(`the tabbable ${t.label} is never reached by Tab`);
    }
    // DOM order (no positive tabindex, no reordering)
    for (let i = 1; i < stops.length; i++) {
      if (stops[i].idx < stops[i - 1].idx) f(`Tab order is not DOM order: ${stops[i - 1].label} then ${stops[i].label}`);
    }
    // no trap: the walk reaches the footer's last link and comes round to the top
    const lastFooter = exp.footer[exp.footer.length - 1];
    if (lastFooter && !stops.some((s) => s.idx === lastFooter.idx)) f(`Tab never reaches the footer link ${lastFooter.label}`);
    if (!stops.cycleTo) f(`no way round: ${stops.end}`);
    else if (stops.cycleTo.idx !== stops[0].idx) f(`after ${stops[stops.length - 1].label} Tab comes back to ${stops.cycleTo.label}, not to the first stop ${stops[0].label}: a trap`);

    // a visible focus indicator on every stop
    for (const s of stops) {
      if (!s.focusVisible) f(`${s.label}: focused by Tab but does not match :focus-visible`);
      const ind = s.indicator;
      if (!ind) continue;
      if (ind.offscreen) f(`${s.label}: focused but off screen (${JSON.stringify(s.rect)})`);
      else if (!ind.differs && !ind.style && !ind.shadow) {
        f(`${s.label}: no visible focus indicator (same pixels focused and blurred; outline ${s.outlineStyle} ${s.outlineWidth}px, box-shadow ${s.boxShadow})`);
      }
    }
    if (fails.length) fails.push(`  the Tab stops (${stops.end}):\n      ${trail()}`);
  }

  test('keyboard: /kita — the skip link comes first and leads into <main>', async () => {
    const { ctx, page, w } = await open('/kita?lang=ja', DESKTOP);
    try {
      await page.keyboard.press('Tab');
      const first = await page.evaluate(describeActive);
      assert.ok(!first.none && /^a\.skip\b/.test(first.label), `the first Tab stop is ${first.label}, expected a.skip`);
      assert.ok(first.rect.y >= 0 && first.rect.y + first.rect.h <= 900 && first.rect.w > 1,
        `the focused skip link is not on screen: ${JSON.stringify(first.rect)}`);
      const ind = await focusIndicator(page, first);
      assert.ok(ind.differs, 'the skip link looks the same focused and blurred (it should appear when focused)');
      await page.screenshot({ path: screenshotPath('keyboard-skip-focused-ja') });

      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#main', null, { timeout: 5000 }).catch(() => {});
      const after1 = await page.evaluate(() => {
        const main = document.getElementById('main');
        const de = document.documentElement;
        return {
          hash: location.hash,
          top: main ? main.getBoundingClientRect().top : null,
          scrollY: window.scrollY,
          maxScroll: de.scrollHeight - de.clientHeight,
          activeInMain: !!(document.activeElement && document.activeElement.closest('main')),
        };
      });
      assert.equal(after1.hash, '#main', 'Enter on the skip link: location.hash');
      assert.ok(Math.abs(after1.top) <= 2 || Math.abs(after1.scrollY - after1.maxScroll) <= 2,
        `Enter on the skip link did not scroll to <main>: its top is at ${after1.top}px (scrollY ${after1.scrollY}, max ${after1.maxScroll})`);

      await page.keyboard.press('Tab');
      const next = await page.evaluate(describeActive);
      assert.ok(after1.activeInMain || (!next.none && next.inMain),
        `after the skip link, Tab goes to ${next.label}, outside <main>: the skip link does not move the keyboard`);
      const problems = w.problems().filter((x) => !isFavicon(x));
      assert.deepEqual(problems, [], 'console errors or failed requests');
    } finally {
      await ctx.close();
    }
  });

  test('keyboard: /kita — Tab reaches every link and the my-number form in DOM order, no trap, visible focus', async () => {
    const { ctx, page, w } = await open('/kita?lang=ja', DESKTOP);
    try {
      const exp = await page.evaluate(expectedStops);
      const stops = await tabThrough(page);
      const fails = [];
      checkWalk(stops, exp, [exp.skip, ...exp.langs, exp.allOffices, ...exp.form, ...exp.footer], fails);
      if (exp.langs.length !== 6) fails.push(`${exp.langs.length} language links in nav.langs, expected 6`);
      fails.push(...w.problems().filter((x) => !isFavicon(x)));
      assert.deepEqual(fails, [], `/kita?lang=ja by keyboard:\n${fails.join('\n')}`);
      console.log(`# /kita: ${stops.length} Tab stops, ${stops.end}; ${stops.outside} Tab(s) through the browser`);
    } finally {
      await ctx.close();
    }
  });

  test('keyboard: /kita — the my-number form by keyboard alone', async () => {
    const { ctx, page, w } = await open('/kita?lang=ja', DESKTOP);
    try {
      const tabTo = async (want, max = 80) => {
        const trail = [];
        for (let i = 0; i < max; i++) {
          await page.keyboard.press('Tab');
          const d = await page.evaluate(describeActive);
          trail.push(d.label);
          if (want(d)) return d;
        }
        return assert.fail(`not reached in ${max} Tabs; the stops:\n  ${trail.join('\n  ')}`);
      };
      const calling = Number(m.counter('kita', 'moving').calling);
      // a number issued (seedState: 48 the last), more than 3 ahead
      const ticket = calling + 6;

      // the counter select comes first and keeps its default (the first counter)
      const sel = await page.evaluate(() => document.querySelector('#mt-counter').value);
      assert.equal(sel, 'moving', 'the counter select defaults to the first counter');
      await tabTo((d) => /^input#mt-ticket\b/.test(d.label));
      await page.keyboard.type(String(ticket));
      assert.equal(await page.inputValue('#mt-ticket'), String(ticket), 'typed into the ticket input');
      const btn = await tabTo((d) => /^button\b.*\[type=submit\]/.test(d.label), 5);
      assert.ok(btn.focusVisible, 'the submit button shows :focus-visible');
      await page.keyboard.press('Enter');
      const status = await page.waitForFunction(() => {
        const el = document.querySelector('.myticket-status');
        return el && el.textContent.trim() ? el.textContent.trim() : false;
      }, null, { timeout: 5000, polling: 50 }).then((h) => h.jsonValue(), () => '');
      await page.screenshot({ path: screenshotPath('keyboard-myticket-ja') });
      assert.ok(status, '.myticket-status is still empty after Enter on the submit button');
      const want = fill(catalog('ja')['myticket.ahead'], { n: ticket - calling - 1 });
      assert.equal(status, want, `.myticket-status for ticket ${ticket}, calling ${calling}`);
      // compare the parts the page controls: the port may contain the digits by chance
      const u = new URL(page.url());
      assert.equal(u.pathname + u.search + u.hash, '/kita?lang=ja', 'the form navigated or put the ticket in the URL');
      const problems = w.problems().filter((x) => !isFavicon(x));
      assert.deepEqual(problems, [], 'console errors or failed requests');
    } finally {
      await ctx.close();
    }
  });

  test('keyboard: / — every office card link is reached by Tab, in order, with visible focus', async () => {
    const { ctx, page, w } = await open('/?lang=ja', DESKTOP);
    try {
      const exp = await page.evaluate(expectedStops);
      const stops = await tabThrough(page);
      const fails = [];
      if (exp.cards.length < 2) fails.push(`only ${exp.cards.length} office card links ([data-office-card] h2 a)`);
      const n = m.show().offices.length;
      if (exp.cards.length !== n) fails.push(`${exp.cards.length} office card links, madoctl show lists ${n} offices`);
      checkWalk(stops, exp, [exp.skip, ...exp.langs, ...exp.cards, ...exp.footer], fails);
      fails.push(...w.problems().filter((x) => !isFavicon(x)));
      assert.deepEqual(fails, [], `/?lang=ja by keyboard:\n${fails.join('\n')}`);
      console.log(`# /: ${stops.length} Tab stops, ${stops.end}`);
    } finally {
      await ctx.close();
    }
  });
});

// The embed (/embed/{office}) in its documented 320x260 frame, in every
// language, for the office with the most counters and the longest name in
// that language: nothing is clipped or scrolls, the "View details" link is
// inside the frame.  A long staff notice wraps (never cut off by an ellipsis)
// and the widget tells the host page its height (postMessage): a host page of
// another origin, with the snippet of docs/pages.md, grows the iframe to fit.
// Screenshots: t/out/screenshots/embed-*.png.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  LANGS, Mado, OFFICES_JSON, axeViolations, catalog, freePort, launchBrowser, screenshotPath,
  seedState, skipReason, watch,
} from './lib.mjs';

const W = 320;
const H = 260;

const offices = JSON.parse(fs.readFileSync(OFFICES_JSON, 'utf8')).offices;
const most = Math.max(...offices.map((o) => o.counters.length));
const widest = Object.fromEntries(LANGS.map((l) => [l, offices
  .filter((o) => o.counters.length === most)
  .map((o) => ({ o, n: [...(o.name[l] || o.name.ja)].length
    + o.counters.reduce((s, c) => s + [...(c.name[l] || c.name.ja)].length, 0) }))
  .sort((a, b) => b.n - a.n)[0].o.id]));

const NOTICE = '職員が席を外しています。まもなく戻りますので、番号札をお持ちのままお待ちください。'
  + 'お急ぎの方は隣の窓口にお声がけください。';

// the state the pages test uses (kita), copied onto OFFICE: a short notice,
// an empty counter, a paused one, a stale one
function seedLike(m, office) {
  const past = String(Math.floor(Date.now() / 1000) - 20 * 60);
  m.madoctl('set', office, 'moving', '--status', 'open', '--waiting', '7', '--calling', '41',
    '--last-issued', '48', '--staff', '1', '--message', '本日は大変混み合っています。Very busy today.');
  m.madoctl('set', office, 'certificates', '--status', 'open', '--waiting', '0', '--calling', '12',
    '--last-issued', '12', '--staff', '2');
  m.madoctl('set', office, 'family', '--status', 'paused', '--waiting', '2', '--calling', '5', '--last-issued', '7');
  m.madoctl('set', office, 'mynumber', '--status', 'open', '--waiting', '4', '--calling', '3',
    '--last-issued', '7', { env: { MADO_NOW: past } });
}

// inside the frame: the document's size, what is cut off
function measure() {
  const vw = window.innerWidth, vh = window.innerHeight, se = document.scrollingElement;
  const box = (e) => { const r = e.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom }; };
  const inside = (a) => a.l >= -0.5 && a.t >= -0.5 && a.r <= vw + 0.5 && a.b <= vh + 0.5;
  // not shown: display none, or only for screen readers (1 px, clipped)
  const visible = (e) => { const r = e.getBoundingClientRect(); return getComputedStyle(e).display !== 'none' && r.width > 1 && r.height > 1; };
  const out = { scrollW: se.scrollWidth, scrollH: se.scrollHeight, vw, vh, problems: [] };
  const more = document.querySelector('main .more a');
  if (!more) out.problems.push('no "View details" link (main .more a)');
  else if (!inside(box(more))) out.problems.push(`"View details" ${JSON.stringify(box(more))} is outside the ${vw}x${vh} frame`);
  out.more = more && more.textContent.trim();
  for (const e of document.querySelectorAll('main h1, main .asof, main .counter, main .counter > *')) {
    if (!visible(e)) continue;
    if (!inside(box(e))) out.problems.push(`${e.className || e.tagName} "${e.textContent.trim().slice(0, 30)}" ${JSON.stringify(box(e))} is outside the frame`);
    const s = getComputedStyle(e);
    if (e.scrollWidth > e.clientWidth + 1 && s.overflow !== 'visible') out.problems.push(`${e.className || e.tagName} "${e.textContent.trim().slice(0, 30)}" is cut off sideways`);
    if (s.textOverflow === 'ellipsis' && s.whiteSpace === 'nowrap') out.problems.push(`${e.className || e.tagName} is cut to one line`);
  }
  out.height = Math.ceil(document.body.getBoundingClientRect().height);
  return out;
}

describe('the embed in its 320x260 frame', { skip: skipReason(), timeout: 600000 }, () => {
  let m;
  let browser;
  let host;
  let longOffice;

  before(async () => {
    m = new Mado();
    seedState(m);
    for (const o of new Set(Object.values(widest))) if (o !== 'kita') seedLike(m, o);
    // an office whose every counter has a long notice
    longOffice = offices.find((o) => o.counters.length === most && !Object.values(widest).includes(o.id) && o.id !== 'kita').id;
    for (const c of offices.find((o) => o.id === longOffice).counters) {
      m.madoctl('set', longOffice, c.id, '--status', 'open', '--waiting', '3', '--calling', '9', '--last-issued', '12',
        '--message', NOTICE);
    }
    m.port = await freePort();
    host = await freePort();
    const origin = `http://127.0.0.1:${m.port}`;
    // a host page of another origin with the snippet of docs/pages.md
    const hostPage = (office) => `<!DOCTYPE html><html lang="en"><title>host</title><link rel="icon" href="data:,">`
      + `<iframe id="mado-${office}" src="${origin}/embed/${office}?lang=en" title="mado" width="320" height="260" style="border:0"></iframe>`
      + `<script>window.seen = [];`
      + `window.addEventListener("message", function (e) {`
      + ` var f = document.getElementById("mado-${office}");`
      + ` if (e.origin !== "${origin}" || e.source !== f.contentWindow) return;`
      + ` var d = e.data; window.seen.push({ origin: e.origin, data: d });`
      + ` if (d && d.type === "mado:height" && typeof d.height === "number" && d.height > 0 && d.height < 2000) f.height = Math.ceil(d.height);`
      + `});</script>`;
    await m.start({
      server: `        mado_embed_ancestors http://127.0.0.1:${host};`,
      http: `
    server {
        listen 127.0.0.1:${host};
        default_type text/html;
        location = /kita.html { return 200 '${hostPage('kita')}'; }
        location = /long.html { return 200 '${hostPage(longOffice)}'; }
    }`,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  test('320x260 in every language: nothing clipped, "View details" in the frame', async () => {
    const fails = [];
    const ctx = await browser.newContext({ viewport: { width: W, height: H } });
    try {
      for (const lang of LANGS) {
        for (const office of new Set([widest[lang], 'kita'])) {
          const page = await ctx.newPage();
          const wt = watch(page, m);
          const f = (s) => fails.push(`[${lang} ${office}] ${s}`);
          await page.goto(m.url(`/embed/${office}?lang=${lang}`), { waitUntil: 'load' });
          await page.screenshot({ path: screenshotPath(`embed-${lang}-${office}`) });
          const r = await page.evaluate(measure);
          if (r.scrollW > W || r.scrollH > H) f(`the document is ${r.scrollW}x${r.scrollH}, the frame ${W}x${H}`);
          for (const p of r.problems) f(p);
          if (r.more !== catalog(lang)['embed.more']) f(`the link says "${r.more}"`);
          if (office === 'kita') {
            const v = await axeViolations(page);
            if (v.length) f(`axe:\n${v.join('\n')}`);
          }
          for (const p of wt.problems()) f(p);
          // eslint-disable-next-line no-console
          if (process.env.EMBED_DEBUG) console.log(lang, office, r.scrollH, r.height);
          await page.close();
        }
      }
    } finally {
      await ctx.close();
    }
    assert.equal(fails.length, 0, fails.join('\n'));
  });

  test('a host page of another origin receives the height and grows the frame to fit long notices', async () => {
    const ctx = await browser.newContext({ viewport: { width: 800, height: 900 } });
    try {
      const page = await ctx.newPage();
      for (const [file, office] of [['kita.html', 'kita'], ['long.html', longOffice]]) {
        await page.goto(`http://127.0.0.1:${host}/${file}`, { waitUntil: 'load' });
        await page.waitForFunction(() => window.seen.some((s) => s.data && s.data.type === 'mado:height'), null,
          { timeout: 15000 });
        const seen = await page.evaluate(() => window.seen);
        const last = seen.filter((s) => s.data.type === 'mado:height').pop();
        assert.equal(last.origin, m.origin);
        assert.equal(last.data.office, office);
        const frame = page.frames().find((fr) => fr.url().includes(`/embed/${office}`));
        const r = await frame.evaluate(measure);
        assert.equal(last.data.height, r.height, 'the height sent is the content\'s');
        const attr = await page.evaluate((id) => document.getElementById(id).height, `mado-${office}`);
        assert.equal(Number(attr), Math.ceil(last.data.height));
        // in the frame as the host sized it, nothing is cut off
        assert.deepEqual(r.problems, []);
        assert.ok(r.scrollH <= Math.ceil(last.data.height), `${r.scrollH} > ${last.data.height}`);
        if (office === longOffice) {
          assert.ok(last.data.height > H, `long notices: ${last.data.height} px, expected more than ${H}`);
          const msg = await frame.evaluate(() => {
            const e = document.querySelector('.counter .message');
            return { lines: Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)), text: e.textContent };
          });
          assert.ok(msg.lines >= 2, `the notice wraps (${msg.lines} lines)`);
          await page.screenshot({ path: screenshotPath('embed-host-long-notices'), fullPage: true });
        }
      }
    } finally {
      await ctx.close();
    }
  });
});

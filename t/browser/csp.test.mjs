// The citizen pages under their Content-Security-Policy, in Chromium: every
// page type in every language loads and runs its script with no CSP
// violation (securitypolicyviolation events and "Refused to …" console
// errors), the office page refreshes its figures from the API under it;
// the embed widget loads in an iframe of a site mado_embed_ancestors names,
// refreshes there, and is refused in an iframe of any other site
// (frame-ancestors, which Chromium enforces).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LANGS, Mado, freePort, launchBrowser, seedState, skipReason } from './lib.mjs';

const PAGES = ['/', '/kita', '/kita/signage', '/embed/kita', '/no-such-office'];

// a host page of another site, framing the widget
const hostPage = (src) => `<!DOCTYPE html><html lang="en"><title>host</title><link rel="icon" href="data:,">`
  + `<iframe id="w" title="mado" width="320" height="260" src="${src}"></iframe>`;

// every CSP violation of the page and its frames, and every console error
async function watchCsp(ctx) {
  const seen = { errors: [] };
  // run by the driver before any script of the page: not subject to its CSP
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window.__csp = window.__csp || []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  ctx.on('console', (msg) => {
    if (msg.type() === 'error') seen.errors.push(msg.text());
  });
  seen.of = async (page) => {
    const v = [];
    for (const f of page.frames()) {
      try { v.push(...(await f.evaluate(() => window.__csp || []))); } catch { /* an error page */ }
    }
    return v;
  };
  return seen;
}

describe('pages under their CSP', { skip: skipReason(), timeout: 300000 }, () => {
  let m;
  let browser;
  let allowed;
  let other;

  before(async () => {
    m = new Mado();
    seedState(m);
    m.port = await freePort();
    allowed = await freePort();
    other = await freePort();
    const embed = `http://127.0.0.1:${m.port}/embed/kita`;
    // two other sites on this nginx: one the widget names, one it does not
    const host = (port) => `
    server {
        listen 127.0.0.1:${port};
        location = /host.html {
            default_type text/html;
            return 200 '${hostPage(embed)}';
        }
    }`;
    await m.start({
      server: `        mado_embed_ancestors http://127.0.0.1:${allowed};`,
      http: host(allowed) + host(other),
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  test('every page type in every language: no CSP violation', async () => {
    const fails = [];
    const ctx = await browser.newContext();
    const seen = await watchCsp(ctx);
    try {
      for (const lang of LANGS) {
        for (const p of PAGES) {
          const page = await ctx.newPage();
          const resp = await page.goto(m.url(`${p}?lang=${lang}`), { waitUntil: 'load' });
          const csp = resp.headers()['content-security-policy'] || '';
          if (!/script-src 'self'/.test(csp)) fails.push(`${p}?lang=${lang}: no CSP (${csp})`);
          // the script ran: it marks the page's state
          const ran = await page.evaluate(() => typeof window.madoState === 'object');
          if (!ran) fails.push(`${p}?lang=${lang}: mado.js did not run`);
          for (const v of await seen.of(page)) fails.push(`${p}?lang=${lang}: violation ${v}`);
          await page.close();
        }
      }
      for (const e of seen.errors) if (/Content Security Policy|Refused to/i.test(e)) fails.push(`console: ${e}`);
    } finally {
      await ctx.close();
    }
    assert.deepEqual(fails, []);
  });

  test('the office page refreshes from the API under its CSP', async () => {
    const ctx = await browser.newContext();
    const seen = await watchCsp(ctx);
    try {
      const page = await ctx.newPage();
      await page.goto(m.url('/kita'), { waitUntil: 'load' });
      await page.waitForFunction(() => window.madoState.refreshes > 0, null, { timeout: 20000 });
      assert.deepEqual(await seen.of(page), []);
      assert.deepEqual(seen.errors.filter((e) => /Content Security Policy|Refused to/i.test(e)), []);
    } finally {
      await ctx.close();
    }
  });

  test('the widget in an iframe of a site it names: loads and refreshes', async () => {
    const ctx = await browser.newContext();
    const seen = await watchCsp(ctx);
    try {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${allowed}/host.html`, { waitUntil: 'load' });
      const frame = await (await page.waitForSelector('#w')).contentFrame();
      assert.ok(frame, 'the iframe has a frame');
      assert.match(frame.url(), /\/embed\/kita$/);
      assert.equal(await frame.evaluate(() => document.documentElement.dataset.page), 'embed');
      await frame.waitForFunction(() => window.madoState.refreshes > 0, null, { timeout: 20000 });
      assert.deepEqual(await seen.of(page), []);
      assert.deepEqual(seen.errors, []);
    } finally {
      await ctx.close();
    }
  });

  test('the widget in an iframe of another site: refused', async () => {
    const ctx = await browser.newContext();
    const seen = await watchCsp(ctx);
    try {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${other}/host.html`, { waitUntil: 'load' });
      const frame = await (await page.waitForSelector('#w')).contentFrame();
      // Chromium replaces a refused frame's document by its error page
      const ours = frame && await frame.evaluate(() => document.documentElement.dataset.page || null)
        .catch(() => null);
      assert.equal(ours, null, 'the widget is not shown');
      assert.ok(seen.errors.some((e) => /frame-ancestors/.test(e)),
        `Chromium says frame-ancestors refused it: ${seen.errors.join(' | ')}`);
    } finally {
      await ctx.close();
    }
  });
});

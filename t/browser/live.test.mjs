// The office page with JavaScript: figures refresh in place from the API
// (no reload, focus and scroll kept, no announcement for a plain call),
// and "my number" works in the browser only: the ticket number never
// reaches the server; nearing one's turn fires 'mado:alert'.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  Mado, OFFICES_JSON, PHONE, catalog, fill, launchBrowser, screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

const CALLING = '.counter[data-counter="moving"] .calling';
const FORM = 'form.myticket-form';
const COUNTER = '#mt-counter';
const TICKET = '#mt-ticket';
const DISTANCE = '#mt-distance';
const STATUS = '.myticket-status';
const LIVE_MS = 12000;      // mado_refresh 5s: a change shows within two polls

const isFavicon = (s) => /\/favicon\.ico\b/.test(s);

// a regexp for a catalog template: "{n}" matches a number
function templateRe(t) {
  const parts = String(t).split(/\{\w+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('\\d+'));
}

// does a URL (path, query) or log line carry NUMBER as a number of its own?
const carries = (s, number) => new RegExp(`(?:^|[^0-9])${number}(?:[^0-9]|$)`).test(s) || /ticket/i.test(s);

describe('live office page', { skip: skipReason(), timeout: 180000 }, () => {
  let m;
  let browser;
  let ctx;
  let page;
  let w;
  const cat = catalog('ja');

  before(async () => {
    // kita/moving with numbers up to 9999 (no ticket_range): ticket numbers no
    // other figure on the page or in a URL is likely to share
    m = new Mado({ init: false });
    const defs = JSON.parse(fs.readFileSync(OFFICES_JSON, 'utf8'));
    delete defs.offices.find((o) => o.id === 'kita').counters.find((c) => c.id === 'moving').ticket_range;
    const offices = path.join(m.dir, 'offices.json');
    fs.writeFileSync(offices, JSON.stringify(defs));
    m.madoctl('init');
    m.madoctl('load', offices);
    seedState(m);
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '6', '--calling', '4711',
      '--last-issued', '4717', '--message', '');
    await m.start();
    browser = await launchBrowser();
    ctx = await browser.newContext(PHONE);
    await ctx.grantPermissions(['notifications'], { origin: m.origin });
    page = await ctx.newPage();
    w = watch(page, m);
  });

  after(async () => {
    await ctx?.close();
    await browser?.close();
    await m?.stop();
  });

  const calling = () => page.locator(CALLING).textContent().then((t) => t.trim());

  test('figures change in place: no reload, focus and scroll kept, announced', async () => {
    await page.goto(m.url('/kita?lang=ja'));
    assert.equal(await calling(), '4711', 'the calling number at load');

    // a marker, the focus on the ticket input, the page scrolled a little
    const before = await page.evaluate(({ TICKET: sel }) => {
      window.__marker = 'kept';
      const input = document.querySelector(sel);
      input.focus({ preventScroll: true });
      window.__focused = document.activeElement;
      const room = document.documentElement.scrollHeight - window.innerHeight;
      window.scrollTo(0, Math.max(0, Math.min(250, room)));
      return { scrollY: window.scrollY, active: document.activeElement?.id, room };
    }, { TICKET });
    assert.equal(before.active, TICKET.slice(1), 'the ticket input has the focus');

    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '3');
    const n = m.madoctl('call', 'kita', 'moving').trim();
    assert.match(n, /^\d+$/, `madoctl call prints the number called: ${n}`);
    assert.notEqual(n, '4711', 'madoctl call moved the number on');

    const t0 = Date.now();
    await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
      [CALLING, n], { timeout: LIVE_MS, polling: 100 }).catch(async () => {
      await page.screenshot({ path: screenshotPath('live-timeout'), fullPage: true });
      assert.fail(`${CALLING} still shows "${await calling()}" ${LIVE_MS / 1000} s after madoctl call made it ${n} `
        + '(screenshot t/out/screenshots/live-timeout.png)');
    });
    const took = Date.now() - t0;

    const after = await page.evaluate(() => ({
      navigations: performance.getEntriesByType('navigation').length,
      marker: window.__marker,
      sameFocus: document.activeElement === window.__focused,
      active: document.activeElement ? `${document.activeElement.tagName}#${document.activeElement.id}` : null,
      scrollY: window.scrollY,
      live: document.getElementById('mado-live')?.textContent.trim() ?? null,
    }));
    await page.screenshot({ path: screenshotPath('live-office-ja-phone'), fullPage: false });

    assert.equal(after.navigations, 1, 'one navigation entry: the page was not reloaded');
    assert.equal(after.marker, 'kept', 'window.__marker survived: the page was not reloaded');
    assert.ok(after.sameFocus, `the focus stayed on the ticket input (now on ${after.active})`);
    assert.ok(Math.abs(after.scrollY - before.scrollY) <= 1, `scrollY ${before.scrollY} before, ${after.scrollY} after the refresh`);
    // a plain call is read on demand, not announced (issue 17; t/browser/announce.test.mjs)
    assert.equal(after.live, '', `#mado-live says nothing for a plain call: "${after.live}"`);
    console.log(`# the new number showed ${took} ms after madoctl call`);
  });

  test('the jam message follows the waiting count in place, in the page language', async () => {
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '2');
    await page.goto(m.url('/kita?lang=en'));
    const JAM = '.counter[data-counter="moving"] .jam';
    assert.equal(await page.$(JAM), null, 'no jam message for 2 waiting');

    m.madoctl('set', 'kita', 'moving', '--waiting', '12');
    await page.waitForFunction((sel) => /^It is busy now\. Expect to wait \d+ to \d+ minutes\.$/
      .test(document.querySelector(sel)?.textContent ?? ''), JAM, { timeout: LIVE_MS, polling: 100 });

    m.madoctl('set', 'kita', 'moving', '--waiting', '1');
    await page.waitForFunction((sel) => document.querySelector(sel) === null, JAM,
      { timeout: LIVE_MS, polling: 100 });

    // ?lang=en set the language cookie: give the next tests Japanese back
    await page.goto(m.url('/kita?lang=ja'));
  });

  test('my number: counted in the browser, nothing sent; mado:alert when near', async () => {
    const now = Number(await calling());
    // distance 2, four numbers to go: "ahead" when set; the calls that follow
    // bring it within 2 (whether the count includes one's own number or not),
    // and the refresh that shows it must raise the alert
    const ticket = now + 4;
    const urlBefore = page.url();

    await page.evaluate(() => {
      window.__alerted = 0;
      window.__alerts = [];
      // capture on window sees the event wherever it is dispatched
      window.addEventListener('mado:alert', (e) => {
        window.__alerted += 1;
        window.__alerts.push({ t: Date.now(), detail: e.detail ?? null });
      }, true);
    });

    await page.selectOption(COUNTER, 'moving');
    await page.fill(TICKET, String(ticket));
    await page.selectOption(DISTANCE, '2');
    await page.locator(`${FORM} button[type="submit"]`).click();

    const ahead = templateRe(cat['myticket.ahead']);
    await page.waitForFunction(([sel, a]) => new RegExp(a).test(document.querySelector(sel)?.textContent ?? ''),
      [STATUS, ahead.source], { timeout: 3000 }).catch(async () => {
      assert.fail(`after setting ticket ${ticket} (calling ${now}, distance 2), ${STATUS} says `
        + `"${await page.locator(STATUS).textContent()}", expected "${cat['myticket.ahead']}"`);
    });

    const u = new URL(page.url());
    assert.equal(u.search, new URL(urlBefore).search, `the form changed the query: ${page.url()}`);
    assert.ok(!carries(u.search, ticket), `the page URL carries the ticket: ${page.url()}`);
    assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1,
      'setting the ticket did not navigate');

    const atSet = await page.evaluate(() => window.__alerted);
    assert.equal(atSet, 0, `no 'mado:alert' while ${ticket - now} numbers are still to be called (distance 2)`);

    const soon = templateRe(cat['myticket.soon']);
    let alerted = false;
    for (let i = 0; i < 3 && !alerted; i++) {
      const n = m.madoctl('call', 'kita', 'moving').trim();
      await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
        [CALLING, n], { timeout: LIVE_MS, polling: 100 }).catch(async () => {
        assert.fail(`${CALLING} still shows "${await calling()}" ${LIVE_MS / 1000} s after madoctl call made it ${n}`);
      });
      const st = await page.locator(STATUS).textContent();
      if (soon.test(st)) {
        // the alert comes with the refresh that brought the number within reach
        await page.waitForFunction(() => window.__alerted > 0, null, { timeout: 2000, polling: 100 }).catch(() => {
          assert.fail(`${STATUS} says "${st}" (calling ${n}, ticket ${ticket}, distance 2) but no 'mado:alert' was fired`);
        });
        alerted = true;
      } else {
        assert.match(st, ahead, `calling ${n}, ticket ${ticket}: ${STATUS} should say "${cat['myticket.ahead']}" or "${cat['myticket.soon']}"`);
        assert.equal(await page.evaluate(() => window.__alerted), 0, `'mado:alert' fired while "${st}" (distance 2)`);
      }
    }
    assert.ok(alerted, `three calls brought ticket ${ticket} (distance 2) no 'mado:alert'; calling ${await calling()}, `
      + `${STATUS} "${await page.locator(STATUS).textContent()}"`);
    const alert = await page.evaluate(() => window.__alerts[0].detail);
    if (alert && typeof alert === 'object' && 'ticket' in alert) {
      assert.equal(Number(alert.ticket), ticket, `mado:alert detail names the ticket: ${JSON.stringify(alert)}`);
    }
    await page.screenshot({ path: screenshotPath('live-myticket-ja-phone'), fullPage: true });

    // the number is called: the status says so
    m.madoctl('call', 'kita', 'moving', String(ticket));
    await page.waitForFunction(([sel, want]) => (document.querySelector(sel)?.textContent ?? '').includes(want),
      [STATUS, cat['myticket.called']], { timeout: LIVE_MS, polling: 100 }).catch(async () => {
      assert.fail(`ticket ${ticket} was called, ${STATUS} says "${await page.locator(STATUS).textContent()}" after ${LIVE_MS / 1000} s`);
    });

    const sent = w.requests.filter((r) => { const x = new URL(r); return carries(x.pathname + x.search, ticket); });
    assert.deepEqual(sent, [], `requests carrying the ticket number ${ticket}`);
    const logged = m.accessLog().split('\n').filter((l) => {
      const fields = l.match(/"[^"]*"/g) || [];        // request line, referer, user agent
      return fields.slice(0, 2).some((f) => carries(f, ticket));
    });
    assert.deepEqual(logged, [], `access.log lines carrying the ticket number ${ticket}`);
    assert.deepEqual(w.nonGet, [], 'requests other than GET/HEAD');
    const pr = w.problems().filter((x) => !isFavicon(x));
    assert.deepEqual(pr, [], `console and network:\n${pr.join('\n')}`);
  });

  test('#ticket=N in the fragment is picked up at load', async () => {
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--calling', '4000', '--last-issued', '4030', '--waiting', '30');
    const ticket = 4020;
    const p2 = await ctx.newPage();
    const w2 = watch(p2, m);
    try {
      await p2.goto(m.url(`/kita?lang=ja#ticket=${ticket}`));
      const ahead = templateRe(cat['myticket.ahead']);
      await p2.waitForFunction(([sel, a]) => new RegExp(a).test(document.querySelector(sel)?.textContent ?? ''),
        [STATUS, ahead.source], { timeout: 5000 }).catch(async () => {
        await p2.screenshot({ path: screenshotPath('live-fragment'), fullPage: true });
        assert.fail(`/kita#ticket=${ticket} (calling 4000): ${STATUS} says "${await p2.locator(STATUS).textContent()}", `
          + `expected "${cat['myticket.ahead']}"`);
      });
      assert.equal(await p2.inputValue(TICKET), String(ticket), 'the ticket input shows the number from the fragment');
      const sent = w2.requests.filter((r) => { const x = new URL(r); return carries(x.pathname + x.search, ticket); });
      assert.deepEqual(sent, [], `requests carrying the ticket number ${ticket}`);
      const pr = w2.problems().filter((x) => !isFavicon(x));
      assert.deepEqual(pr, [], `console and network:\n${pr.join('\n')}`);
    } finally {
      await p2.close();
    }
  });

  test('"people ahead of you" counts the numbers between the one called and yours', async () => {
    // calling 4000, ticket 4020: 4001..4019 are ahead, 19 people
    // ("There are {n} people ahead of you" / "あなたの前に{n}人います")
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--calling', '4000', '--last-issued', '4030', '--waiting', '30');
    const p2 = await ctx.newPage();
    try {
      await p2.goto(m.url('/kita?lang=ja#ticket=4020&counter=moving'));
      const ahead = templateRe(cat['myticket.ahead']);
      await p2.waitForFunction(([sel, a]) => new RegExp(a).test(document.querySelector(sel)?.textContent ?? ''),
        [STATUS, ahead.source], { timeout: 5000 });
      const st = (await p2.locator(STATUS).textContent()).trim();
      const want = fill(cat['myticket.ahead'], { n: 19 });
      assert.ok(st === want, `calling 4000, ticket 4020: the people ahead are 4001..4019; ${STATUS} says "${st}", expected "${want}"`);
    } finally {
      await p2.close();
    }
  });

  test('without JavaScript the my-number form sends nothing to the server', async () => {
    const c2 = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    try {
      const p2 = await c2.newPage();
      const w2 = watch(p2, m);
      await p2.goto(m.url('/kita?lang=ja'));
      const ticket = 4567;
      const form = p2.locator(FORM);
      if (!(await form.count()) || !(await form.isVisible())) return;   // hidden without JS: nothing to submit
      const input = p2.locator(TICKET);
      if (!(await input.isVisible()) || !(await input.isEditable())) return;
      await input.fill(String(ticket));
      await Promise.all([
        p2.waitForEvent('framenavigated', { timeout: 2000 }).catch(() => null),
        p2.locator(`${FORM} button[type="submit"]`).click(),
      ]);
      await p2.waitForLoadState('load');
      const sent = w2.requests.filter((r) => { const x = new URL(r); return carries(x.pathname + x.search, ticket); });
      assert.deepEqual(sent, [], 'with JavaScript off, submitting the form sent the ticket number to the server '
        + '(a GET form with named fields puts them in the query); hide the form without JS or give its fields no name');
    } finally {
      await c2.close();
    }
  });
});

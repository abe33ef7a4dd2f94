// A wait that runs past the day's close, in Chromium: on a Tuesday with the
// hours ending at 17:30 and a queue whose estimate no longer fits, the
// office page, the index card and the signage say so under the counter's
// figures in every language (axe-core clean, and with JavaScript off);
// with JavaScript the note goes when the queue empties and comes back,
// worded from the catalog, when it grows again; the staff panel shows it
// with the figures (over http://127.0.0.1, where its Secure cookie is kept).  nginx runs with the
// calendar on and its clock at a fixed Tuesday ("env MADO_NOW;").

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  DESKTOP, LANGS, MADOCTL, Mado, PHONE, axeViolations, catalog, fill, launchBrowser,
  rubyText, screenshotPath, skipReason, watch,
} from './lib.mjs';

const LIVE_MS = 12000;      // mado_refresh 5s: a change shows within two polls
const NOTE = '.counter[data-counter="moving"] .past-close';
const CARD = '[data-office-card="kamigyo"]';

// Tuesday 2027-01-12 in Japan time (UTC+9), as unix seconds
const jst = (h, mi) => Date.UTC(2027, 0, 12, h, mi) / 1000 - 9 * 3600;
const CLOSE = jst(17, 30);

describe('a wait past the close', { skip: skipReason(), timeout: 300000 }, () => {
  let m;
  let browser;
  let now;            // the clock nginx starts from
  let env;            // madoctl writes on the same day

  before(async () => {
    m = new Mado();
    env = { env: { MADO_NOW: String(jst(12, 0)) } };
    m.madoctl('set', 'kamigyo', 'moving', '--status', 'open', '--waiting', '6', '--calling', '30',
      '--last-issued', '36', env);
    m.madoctl('set', 'kamigyo', 'certificates', '--status', 'open', '--waiting', '0', env);
    // five minutes fewer than the estimate before the close: likely
    const wait = m.counter('kamigyo', 'moving').wait_minutes;
    assert.ok(wait > 10 && wait < 300, `a wait to put the clock at (${wait} minutes)`);
    now = CLOSE - (wait - 5) * 60;
    env = { env: { MADO_NOW: String(now) } };
    execFileSync(MADOCTL, ['--store', m.store, 'user', 'add', 'tanaka', '--role', 'staff',
      '--office', 'kamigyo', '--password-stdin'], {
      input: 'counter tablet 2026\n', env: { ...process.env, MADO_AUDIT_KEY: `${m.dir}/audit.key` },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await m.start({
      calendar: true,
      now,
      http: `    mado_audit_key ${m.dir}/audit.key;\n`,
      server: `        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }
        location /staff/ { mado_staff /api/v1/admin/; }
`,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  test('the API says it: closes_at 17:30, past_close likely', async () => {
    const r = await m.request('/api/v1/offices/kamigyo');
    const c = JSON.parse(r.body).office.counters.find((x) => x.id === 'moving');
    assert.equal(c.closes_at, '2027-01-12T17:30:00+09:00');
    assert.equal(c.past_close, 'likely');
  });

  test('every language: office page, index card and signage say it, axe-clean', async () => {
    const fails = [];
    for (const lang of LANGS) {
      const want = rubyText(fill(catalog(lang)['past_close.likely'], { time: '17:30' }));
      assert.notEqual(want, fill(catalog(lang)['past_close.possible'], { time: '17:30' }),
        `${lang}: likely is worded apart from possible`);
      for (const [name, path, scope, device] of [
        ['office', '/kamigyo', '', PHONE],
        ['index', '/', `${CARD} `, DESKTOP],
        ['signage', '/kamigyo/signage', '', DESKTOP],
      ]) {
        const ctx = await browser.newContext(device);
        try {
          const page = await ctx.newPage();
          const w = watch(page, m);
          await page.goto(m.url(`${path}?lang=${lang}`), { waitUntil: 'load' });
          const got = await page.locator(scope + NOTE).textContent().catch(() => null);
          // the signage says ja-easy in kana: the readings alone
          const wanted = name === 'signage'
            ? fill(catalog(lang)['past_close.likely'], { time: '17:30' }).replace(/\{([^{}|]+)\|([^{}|]+)\}/g, '$2')
            : want;
          if (got?.trim() !== wanted) fails.push(`${name} ${lang}: "${got}", not "${wanted}"`);
          const kind = await page.locator(scope + NOTE).getAttribute('data-past-close').catch(() => null);
          if (kind !== 'likely') fails.push(`${name} ${lang}: data-past-close="${kind}"`);
          const prev = await page.locator(scope + NOTE).evaluate((e) => e.previousElementSibling?.className)
            .catch(() => null);
          if (prev !== 'figures') fails.push(`${name} ${lang}: after "${prev}", not the figures`);
          // the note's colours in every language's office page, and on
          // the index and the dark signage once or twice
          if (name === 'office' || lang === 'ja' || (name === 'signage' && lang === 'en')) {
            for (const v of await axeViolations(page)) fails.push(`${name} ${lang}: axe: ${v}`);
          }
          for (const p of w.problems()) fails.push(`${name} ${lang}: ${p}`);
          if (lang === 'ja' || lang === 'en') {
            await page.screenshot({ path: screenshotPath(`close-${name}-${lang}`), fullPage: name !== 'signage' });
          }
        } finally {
          await ctx.close();
        }
      }
    }
    assert.deepEqual(fails, []);
  });

  test('without JavaScript the page says it too', async () => {
    const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      await page.goto(m.url('/kamigyo?lang=ja-easy'));
      assert.equal((await page.locator(NOTE).textContent()).trim(),
        rubyText(fill(catalog('ja-easy')['past_close.likely'], { time: '17:30' })));
    } finally {
      await ctx.close();
    }
  });

  test('the live refresh takes it away when the wait fits, and brings it back', async () => {
    const ctx = await browser.newContext(PHONE);
    try {
      const page = await ctx.newPage();
      const w = watch(page, m);
      await page.goto(m.url('/kamigyo?lang=en'));
      assert.equal(await page.locator(NOTE).count(), 1, 'said at load');
      await page.evaluate(() => { window.__marker = 'kept'; });

      // nobody waiting: called as soon as someone is free
      m.madoctl('set', 'kamigyo', 'moving', '--waiting', '0', env);
      await page.waitForSelector(NOTE, { state: 'detached', timeout: LIVE_MS });
      assert.equal(await page.locator('.counter[data-counter="certificates"] .past-close').count(), 0,
        'nothing under an empty counter either');

      m.madoctl('set', 'kamigyo', 'moving', '--waiting', '6', env);
      await page.waitForSelector(NOTE, { timeout: LIVE_MS });
      const note = await page.locator(NOTE).evaluate((e) => ({
        text: e.textContent.trim(),
        kind: e.getAttribute('data-past-close'),
        prev: e.previousElementSibling?.className,
        marker: window.__marker,
      }));
      assert.deepEqual(note, {
        text: fill(catalog('en')['past_close.likely'], { time: '17:30' }),
        kind: 'likely',
        prev: 'figures',
        marker: 'kept',
      }, 'back, worded from the catalog, right after the figures, without a reload');
      assert.deepEqual((await axeViolations(page)), []);
      assert.deepEqual(w.problems(), []);
    } finally {
      await ctx.close();
    }
  });

  test('the staff panel shows it with the figures', async () => {
    const ctx = await browser.newContext(PHONE);
    try {
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(m.url('/staff/'));
      await page.fill('#login-user', 'tanaka');
      await page.fill('#login-password', 'counter tablet 2026');
      await page.click('#login-form button[type="submit"]');
      await page.locator('#panel-view').waitFor({ state: 'visible' });
      await page.waitForFunction(() => window.madoStaff.refreshes > 0 && !window.madoStaff.busy);
      const note = page.locator('#figures .past-close');
      assert.equal(await note.isVisible(), true, 'shown');
      assert.equal((await note.textContent()).trim(), fill(catalog('ja')['past_close.likely'], { time: '17:30' }));
      assert.equal(await note.getAttribute('data-past-close'), 'likely');
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });
});

// Staff notices in every language (issue 17, problem 2): a preset notice
// (offices.json "notices") shows in the page's language; the free text stays
// as typed, marked lang="ja" and labelled on the pages of other languages
// only; the embed shows the notice whole (it wraps, never clipped); mado.js
// puts a new preset in place; staff pick one in the panel.  axe 0 on each;
// screenshots t/out/screenshots/notices-*.png.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  AXE_JS, DESKTOP, MADOCTL, OFFICES_JSON, PHONE, Mado, axeViolations, catalog, freePort, launchBrowser,
  screenshotPath, seedState, skipReason, watch,
} from './lib.mjs';

const PASSWORD = 'counter tablet 2026';
const MSG = '本日は戸籍の窓口が混み合っています';
const PRESETS = Object.fromEntries(JSON.parse(fs.readFileSync(OFFICES_JSON, 'utf8')).notices
  .map((n) => [n.id, n.text]));
const MOVING = '.counter[data-counter="moving"]';

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function addUser(m, id, ...args) {
  const env = { ...process.env, MADO_AUDIT_KEY: `${m.dir}/audit.key` };
  if (process.env.MADO_ASAN) env.ASAN_OPTIONS = `detect_leaks=1:log_path=${m.dir}/asan-madoctl`;
  execFileSync(MADOCTL, ['--store', m.store, 'user', 'add', id, ...args, '--password-stdin'], {
    input: `${PASSWORD}\n`, env, stdio: ['pipe', 'pipe', 'pipe'],
  });
}

describe('staff notices', { skip: skipReason(), timeout: 300000 }, () => {
  let m;
  let tls;
  let browser;

  before(async () => {
    m = new Mado();
    seedState(m);
    m.madoctl('set', 'kita', 'moving', '--notice', 'away', '--message', MSG);
    addUser(m, 'tanaka', '--role', 'staff', '--office', 'kita');
    tls = await freePort();
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${m.dir}/tls.key`, '-out', `${m.dir}/tls.crt`, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1');
    await m.start({
      http: `    mado_audit_key ${m.dir}/audit.key;\n`,
      server: `        listen 127.0.0.1:${tls} ssl;
        ssl_certificate ${m.dir}/tls.crt;
        ssl_certificate_key ${m.dir}/tls.key;
        location /api/v1/admin/ { mado_admin; }
        location /staff/ { mado_staff /api/v1/admin/; }
`,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await m?.stop();
  });

  // the office page in a language: the notice and message of kita/moving
  async function office(lang, shot) {
    const ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    const w = watch(page, m);
    await page.goto(m.url(`/kita?lang=${lang}`));
    const c = page.locator(MOVING);
    const got = {
      notice: (await c.locator('.notice').textContent()).trim(),
      noticeId: await c.locator('.notice').getAttribute('data-notice'),
      labels: await c.locator('.message .message-label').allTextContents(),
      ja: await c.locator('.message [lang="ja"]').allTextContents(),
    };
    assert.deepEqual(await axeViolations(page), [], `axe on the ${lang} office page`);
    await c.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath(shot) });
    assert.deepEqual(w.problems().filter((x) => !/favicon/.test(x)), [], `${lang}: no problems`);
    await ctx.close();
    return got;
  }

  test('the English page shows the English preset; the free text marked lang="ja" and labelled', async () => {
    const got = await office('en', 'notices-office-en-phone');
    assert.equal(got.notice, PRESETS.away.en);
    assert.equal(got.noticeId, 'away');
    assert.deepEqual(got.labels, [catalog('en')['notice.staff_ja']]);
    assert.deepEqual(got.ja, [MSG]);
  });

  test('Korean: the Korean preset, the label in Korean', async () => {
    const got = await office('ko', 'notices-office-ko-phone');
    assert.equal(got.notice, PRESETS.away.ko);
    assert.deepEqual(got.labels, [catalog('ko')['notice.staff_ja']]);
    assert.deepEqual(got.ja, [MSG]);
  });

  test('Japanese: the Japanese preset, the free text unlabelled', async () => {
    const got = await office('ja', 'notices-office-ja-phone');
    assert.equal(got.notice, PRESETS.away.ja);
    assert.deepEqual(got.labels, []);
    assert.deepEqual(got.ja, [MSG]);
  });

  test('the embed shows the notice and the message whole: they wrap, nothing clipped', async () => {
    const ctx = await browser.newContext({ viewport: { width: 320, height: 260 } });
    const page = await ctx.newPage();
    await page.goto(m.url('/embed/kita?lang=en'));
    for (const sel of ['.notice', '.message']) {
      const box = await page.locator(`${MOVING} ${sel}`).evaluate((e) => {
        const cs = getComputedStyle(e);
        return {
          whiteSpace: cs.whiteSpace, textOverflow: cs.textOverflow,
          sw: e.scrollWidth, cw: e.clientWidth, sh: e.scrollHeight, ch: e.clientHeight, lines: Math.round(e.getBoundingClientRect().height / parseFloat(cs.lineHeight || '16')),
        };
      });
      assert.notEqual(box.whiteSpace, 'nowrap', `${sel}: wraps`);
      assert.ok(box.sw <= box.cw, `${sel}: no text past its width (${box.sw} > ${box.cw})`);
      assert.ok(box.sh <= box.ch + 1, `${sel}: no text past its height (${box.sh} > ${box.ch})`);
    }
    assert.equal((await page.locator(`${MOVING} .notice`).textContent()).trim(), PRESETS.away.en);
    assert.deepEqual(await axeViolations(page), [], 'axe on the embed');
    await page.screenshot({ path: screenshotPath('notices-embed-en'), fullPage: true });
    await ctx.close();
  });

  test('live: mado.js shows a new preset in the page language, and clears it', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const w = watch(page, m);
    await page.goto(m.url('/kita?lang=zh-hans'));
    m.madoctl('set', 'kita', 'moving', '--notice', 'system_down');
    await page.waitForFunction((want) => {
      const e = document.querySelector('.counter[data-counter="moving"] .notice');
      return e && e.textContent === want && e.getAttribute('data-notice') === 'system_down';
    }, PRESETS.system_down['zh-hans'], { timeout: 15000 });
    // the label stays the page language's, the text Japanese
    assert.deepEqual(await page.locator(`${MOVING} .message .message-label`).allTextContents(),
      [catalog('zh-hans')['notice.staff_ja']]);
    assert.deepEqual(await page.locator(`${MOVING} .message [lang="ja"]`).allTextContents(), [MSG]);
    await page.screenshot({ path: screenshotPath('notices-live-zh-hans-desktop') });
    m.madoctl('set', 'kita', 'moving', '--no-notice');
    await page.waitForFunction(() => !document.querySelector('.counter[data-counter="moving"] .notice'),
      null, { timeout: 15000 });
    assert.equal(await page.locator(`${MOVING} .message [lang="ja"]`).count(), 1, 'the message stays');
    assert.deepEqual(w.problems().filter((x) => !/favicon/.test(x)), []);
    await ctx.close();
    m.madoctl('set', 'kita', 'moving', '--notice', 'away');
  });

  test('the staff panel: pick a preset (Japanese labels); citizens get it in their language', async () => {
    const ctx = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e}`));
    await page.goto(`https://127.0.0.1:${tls}/staff/`);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.fill('#login-user', 'tanaka');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    // the choice: none, then every preset by its Japanese text; the one shown selected
    await page.waitForFunction((n) => document.querySelectorAll('#notice option').length === n,
      Object.keys(PRESETS).length + 1);
    const opts = await page.locator('#notice option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(opts.slice(1), Object.entries(PRESETS).map(([id, t]) => [id, t.ja]));
    assert.equal(opts[0][0], '', 'first: none');
    await page.waitForFunction(() => document.getElementById('notice').value === 'away');
    assert.equal((await page.locator('#figures .notice').textContent()).trim(), PRESETS.away.ja);

    await page.selectOption('#notice', 'counter_moved');
    await page.click('#notice-form button[type="submit"]');
    await page.locator('#status', { hasText: '定型のお知らせ' }).waitFor();
    await page.waitForFunction((want) => document.querySelector('#figures .notice').textContent === want,
      PRESETS.counter_moved.ja);
    const api = JSON.parse((await m.request('/api/v1/offices/kita')).body.toString());
    const c = api.office.counters.find((x) => x.id === 'moving');
    assert.equal(c.notice.id, 'counter_moved');
    assert.equal(c.notice.text.en, PRESETS.counter_moved.en);
    assert.equal(c.message, MSG, 'the free text is kept');
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
      await page.evaluate(fs.readFileSync(AXE_JS, 'utf8'));
    }
    assert.deepEqual(await axeViolations(page), [], 'axe on the panel');
    await page.locator('#notice-form').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('notices-staff-phone') });

    // none: cleared
    await page.selectOption('#notice', '');
    await page.click('#notice-form button[type="submit"]');
    await page.locator('#status', { hasText: '定型のお知らせを消しました' }).waitFor();
    const api2 = JSON.parse((await m.request('/api/v1/offices/kita')).body.toString());
    assert.equal(api2.office.counters.find((x) => x.id === 'moving').notice, null);
    assert.deepEqual(problems, []);
    await ctx.close();
  });
});

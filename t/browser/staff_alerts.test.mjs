// The staff panel shows its office's alerts in Japanese: a stalled counter
// (people waiting, nobody called for 30 minutes) is listed with its name,
// a fresh counter is not, and a call clears the alert; axe-core still
// reports 0 violations with the list shown.  The clock is MADO_NOW, a
// Tuesday morning with the calendar on, so that kita is open whatever the
// hour the tests run at.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  AXE_JS, MADOCTL, Mado, axeViolations, freePort, launchBrowser, screenshotPath, skipReason,
} from './lib.mjs';

const TABLET = { viewport: { width: 820, height: 1180 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
const PASSWORD = 'counter tablet 2026';
const T0 = 1795482000;               // 2026-11-24T10:00:00+09:00, a Tuesday
const MIN = 60;

async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(fs.readFileSync(AXE_JS, 'utf8'));
  }
  return axeViolations(page);
}

describe('staff panel alerts', { skip: skipReason(), timeout: 120000 }, () => {
  let m;
  let tls;
  let browser;
  let ctx;
  const problems = [];
  const at = (t) => ({ env: { MADO_NOW: String(t) } });
  const base = (p = '/') => `https://127.0.0.1:${tls}${p}`;

  before(async () => {
    m = new Mado();
    // moving: a call at 10:00, tickets issued since (fresh figures), no
    // call after: stalled at 10:32; the other counters fresh and empty
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '3', '--staff', '1', at(T0));
    m.madoctl('call', 'kita', 'moving', at(T0));
    m.madoctl('issue', 'kita', 'moving', at(T0 + 25 * MIN));
    for (const c of ['certificates', 'family', 'mynumber']) {
      m.madoctl('set', 'kita', c, '--status', 'open', '--waiting', '0', '--staff', '1', at(T0 + 25 * MIN));
    }
    const env = { ...process.env, MADO_AUDIT_KEY: `${m.dir}/audit.key` };
    if (process.env.MADO_ASAN) env.ASAN_OPTIONS = `detect_leaks=1:log_path=${m.dir}/asan-madoctl`;
    execFileSync(MADOCTL, ['--store', m.store, 'user', 'add', 'tanaka', '--role', 'staff', '--office', 'kita',
      '--password-stdin'], { input: `${PASSWORD}\n`, env, stdio: ['pipe', 'pipe', 'pipe'] });
    tls = await freePort();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${m.dir}/tls.key`, '-out', `${m.dir}/tls.crt`, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await m.start({
      now: T0 + 32 * MIN,
      calendar: true,
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
    await ctx?.close().catch(() => {});
    await browser?.close();
    await m?.stop();
  });

  test('the public API says which counter is stalled', async () => {
    const r = await m.request('/api/v1/offices/kita');
    const counters = JSON.parse(r.body.toString()).office.counters;
    const alerts = Object.fromEntries(counters.map((c) => [c.id, c.alerts]));
    assert.deepEqual(alerts, { moving: ['stalled'], certificates: [], family: [], mynumber: [] });
  });

  test('a stalled counter in Japanese, axe 0, and a call clears it', async () => {
    ctx = await browser.newContext({ ...TABLET, ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.stack || e}`));
    await page.goto(base('/staff/'));
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.fill('#login-user', 'tanaka');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.locator('#panel-view').waitFor({ state: 'visible' });

    const list = page.locator('#office-alerts');
    await list.waitFor({ state: 'visible' });
    assert.equal(await page.locator('#alerts-title').textContent(), 'この区役所・支所のアラート');
    const items = await page.locator('#alerts-list li').allTextContents();
    assert.deepEqual(items, ['住民異動届：お待ちの方がいますが、30分以上呼び出しがありません。']);
    assert.equal(await page.getAttribute('#alerts-list li', 'data-alert'), 'stalled');

    assert.deepEqual(await axe(page), [], 'axe on the panel with an alert shown');
    await page.screenshot({ path: screenshotPath('staff-alerts-tablet'), fullPage: true });

    // the counter shown is kita/moving (the first): call the next one
    assert.equal(await page.inputValue('#pick-counter'), 'moving');
    const n = await page.evaluate(() => window.madoStaff.refreshes);
    await page.click('#btn-call');
    await page.waitForFunction((k) => window.madoStaff.refreshes > k && !window.madoStaff.busy, n);
    await list.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#alerts-list li').count(), 0, 'called: no alert');
    assert.deepEqual(problems, []);
  });
});

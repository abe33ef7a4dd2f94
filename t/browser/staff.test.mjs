// The counter staff panel (/staff/) end to end, over real TLS (a self-signed
// certificate made with the openssl CLI; the session cookie is Secure): log
// in (a wrong password, a lockout, the right one), call, and see the called
// number on the citizen office page in another tab; +1/−1, pause, end,
// resume and the message reach the public API; the session survives a
// reload and ends with logout or when the server drops it; a keyboard-only
// run; CSRF; axe-core on both views; screenshots of both views on a phone
// and a tablet (t/out/screenshots/staff-*.png).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';

import {
  AXE_JS, ASSETS_DIR, I18N_DIR, MADOCTL, MODULE, Mado, NGINX, PHONE, axeViolations, freePort, launchBrowser, screenshotPath, skipReason,
} from './lib.mjs';

const TABLET = { viewport: { width: 820, height: 1180 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
const PASSWORD = 'counter tablet 2026';
const CARD = '#figures';

// axe-core evaluated by the driver: the page's CSP (rightly) refuses the
// inline <script> that page.addScriptTag would add
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(fs.readFileSync(AXE_JS, 'utf8'));
  }
  return axeViolations(page);
}

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// madoctl user add … --password-stdin (Mado.madoctl gives no stdin)
function addUser(m, id, ...args) {
  const env = { ...process.env, MADO_AUDIT_KEY: `${m.dir}/audit.key` };
  if (process.env.MADO_ASAN) env.ASAN_OPTIONS = `detect_leaks=1:log_path=${m.dir}/asan-madoctl`;
  execFileSync(MADOCTL, ['--store', m.store, 'user', 'add', id, ...args, '--password-stdin'], {
    input: `${PASSWORD}\n`, env, stdio: ['pipe', 'pipe', 'pipe'],
  });
}

// a POST to the update API from node (over https, the certificate is ours)
function apiPost(port, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body || {});
    const req = https.request({
      host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('counter staff panel', { skip: skipReason(), timeout: 300000 }, () => {
  let m;
  let tls;
  let browser;
  const contexts = [];
  const problems = [];

  const base = (p = '/') => `https://127.0.0.1:${tls}${p}`;
  const kitaMoving = async () => {
    const r = await m.request('/api/v1/offices/kita');
    return JSON.parse(r.body.toString()).office.counters.find((c) => c.id === 'moving');
  };

  // a new context and page, watched for script errors and CSP refusals
  async function newPage(opt = PHONE) {
    const ctx = await browser.newContext({ ...opt, ignoreHTTPSErrors: true });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.stack || e}`));
    page.on('console', (msg) => {
      // the API's 401/403/409 answers are logged by Chromium as failed loads: expected
      if (msg.type() === 'error' && !/Failed to load resource: (the server responded with a status of (401|403|409|429|503)|net::ERR_CONNECTION_RESET)/.test(msg.text())) {
        problems.push(`console error: ${msg.text()}`);
      }
    });
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (!['data:', 'about:'].includes(u.protocol) && u.host !== `127.0.0.1:${tls}`) {
        problems.push(`request to another origin: ${req.url()}`);
      }
    });
    return { ctx, page };
  }

  async function login(page, user = 'tanaka', password = PASSWORD) {
    await page.goto(base('/staff/'));
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login-form button[type="submit"]');
  }

  // the panel's figures after its next refresh
  async function settled(page, count) {
    await page.waitForFunction((n) => window.madoStaff.refreshes > n && !window.madoStaff.busy, count);
  }
  const refreshes = (page) => page.evaluate(() => window.madoStaff.refreshes);
  async function press(page, selector) {
    const n = await refreshes(page);
    await page.click(selector);
    await settled(page, n);
  }
  const figure = (page, cls) => page.locator(`${CARD} .${cls}`).textContent().then((s) => s.trim());

  before(async () => {
    m = new Mado();
    m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '5', '--calling', '10',
      '--last-issued', '15', '--staff', '1', '--message', '');
    m.madoctl('set', 'kita', 'certificates', '--status', 'open', '--waiting', '0', '--calling', '3',
      '--last-issued', '3');
    addUser(m, 'tanaka', '--role', 'staff', '--office', 'kita');
    addUser(m, 'suzuki', '--role', 'staff', '--office', 'sakyo');
    tls = await freePort();
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${m.dir}/tls.key`, '-out', `${m.dir}/tls.crt`, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1');
    m.allowLog(/logins from|failed logins/);
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
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await m?.stop();
  });

  test('the page: strict headers, hashed long-cached assets, no inline script', async () => {
    const r = await m.request('/staff/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
      + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    const html = r.body.toString();
    assert.match(html, /<html lang="ja"/);
    assert.match(html, /data-admin-api="\/api\/v1\/admin\/"/);
    const assets = [...html.matchAll(/(?:href|src)="(\/staff\/assets\/staff\.[0-9a-f]{8}\.(?:css|js))"/g)].map((x) => x[1]);
    assert.equal(assets.length, 2, 'staff.css and staff.js, hashed');
    for (const a of assets) {
      const ar = await m.request(a);
      assert.equal(ar.status, 200, a);
      assert.equal(ar.headers['cache-control'], 'public, max-age=31536000, immutable', a);
      assert.equal(ar.headers['x-content-type-options'], 'nosniff', a);
    }
    assert.equal((await m.request('/staff/assets/staff.00000000.js')).status, 404, 'an old hash: 404');
    assert.equal((await m.request('/staff/other')).status, 404);
    const icon = await m.request('/staff/icon.svg');
    assert.equal(icon.status, 200, 'the icon (a data: URL would break img-src)');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal((await m.request('/staff/', { method: 'POST' })).status, 405);
    // scripts only from files: the one inline <script> is JSON data
    assert.deepEqual([...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((x) => x[1].trim()),
      ['type="application/json" id="mado-i18n"']);
  });

  test('login: a wrong password says so; axe 0 on the login view; screenshots', async () => {
    const { page, ctx } = await newPage(PHONE);
    await page.goto(base('/staff/'));
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.deepEqual(await axe(page), [], 'axe on the login view');
    await page.screenshot({ path: screenshotPath('staff-login-phone'), fullPage: true });
    await page.setViewportSize(TABLET.viewport);
    await page.screenshot({ path: screenshotPath('staff-login-tablet'), fullPage: true });
    await page.setViewportSize(PHONE.viewport);

    await login(page, 'tanaka', 'not the password at all');
    await page.locator('#alert', { hasText: '利用者IDまたはパスワードが違います' }).waitFor();
    assert.equal(await page.locator('#panel-view').isVisible(), false, 'no panel');
    assert.equal(await page.inputValue('#login-password'), '', 'the password field is emptied');
    assert.equal(await page.getAttribute('#login-user', 'autocomplete'), 'username');
    assert.equal(await page.getAttribute('#login-password', 'autocomplete'), 'current-password');

    // an empty form is caught before any request
    await page.fill('#login-user', '');
    await page.click('#login-form button[type="submit"]');
    await page.locator('#alert', { hasText: '利用者IDを入力してください' }).waitFor();

    assert.deepEqual(await axe(page), [], 'axe on the login view with an error shown');
    await ctx.close();
  });

  test('over plain HTTP the login is refused and the panel says HTTPS is needed', async () => {
    // not newPage(): its pages may only talk to the TLS origin
    const ctx = await browser.newContext(PHONE);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.stack || e}`));
    await page.goto(`http://127.0.0.1:${m.port}/staff/`);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.fill('#login-user', 'tanaka');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.locator('#alert', { hasText: '暗号化された接続（HTTPS）でしか使えません' }).waitFor();
    assert.equal(await page.locator('#panel-view').isVisible(), false, 'no panel');
    assert.equal((await ctx.cookies()).find((x) => x.name === 'mado_session'), undefined, 'no cookie');
    await ctx.close();
  });

  test('login lockout: 「しばらく待ってから」 with the Retry-After seconds', async () => {
    const { page, ctx } = await newPage(PHONE);
    await page.goto(base('/staff/'));
    await page.locator('#login-view').waitFor({ state: 'visible' });
    let text = '';
    for (let i = 0; i < 8 && !/しばらく待って/.test(text); i++) {
      await page.fill('#login-user', 'suzuki');
      await page.fill('#login-password', `wrong password ${i}`);
      await page.click('#login-form button[type="submit"]');
      await page.waitForFunction(() => document.getElementById('alert').textContent !== '');
      text = await page.locator('#alert').textContent();
      await page.evaluate(() => { document.getElementById('alert').textContent = ''; });
    }
    assert.match(text, /しばらく待ってから（約\d+秒後に）もう一度お試しください/, text);
    await ctx.close();
  });

  test('login: 503 login_busy is tried again; 429 too_many_logins says so', async () => {
    const { page, ctx } = await newPage(PHONE);
    let calls = 0;
    let answers = [];
    await page.route('**/api/v1/admin/login', async (route) => {
      calls++;
      const a = answers.shift();
      if (a === 'busy') {
        return route.fulfill({ status: 503, headers: { 'Retry-After': '1' }, contentType: 'application/json',
          body: '{"error":"login_busy","message":"too many logins at once: try again in a moment","status":503}' });
      }
      if (a === 'many') {
        return route.fulfill({ status: 429, headers: { 'Retry-After': '1' }, contentType: 'application/json',
          body: '{"error":"too_many_logins","message":"too many logins at once from this address","status":429}' });
      }
      return route.continue();
    });
    await page.goto(base('/staff/'));
    await page.locator('#login-view').waitFor({ state: 'visible' });

    answers = ['many'];
    await page.fill('#login-user', 'tanaka');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.locator('#alert', { hasText: 'ログインが集中しています' }).waitFor();
    assert.equal(calls, 1, 'a 429 is not tried again by itself');

    answers = ['busy'];
    await login(page);
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    assert.equal(calls, 3, 'the 503 login_busy was tried again');
    await page.unroute('**/api/v1/admin/login');
    await ctx.close();
  });

  test('login, call; the citizen page in another tab shows the number called', async () => {
    const { page, ctx } = await newPage(TABLET);
    await login(page);
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    await page.waitForFunction(() => window.madoStaff.refreshes > 0);
    assert.equal(await page.locator('#pick-office').inputValue(), 'kita', 'the only office granted');
    assert.deepEqual(await page.locator('#pick-office option').allTextContents(), ['北区役所'],
      'only the offices granted');
    assert.equal(await page.locator('#pick-counter').inputValue(), 'moving');
    assert.equal(await figure(page, 'calling'), '10');
    assert.equal(await figure(page, 'waiting'), '5人');
    assert.equal(await page.locator('#who-text').textContent(), 'tanaka（窓口職員）');

    // the panel's figures are the citizen page's, word for word
    const pub = await ctx.newPage();
    await pub.goto(base('/kita?lang=ja'));
    const card = pub.locator('.counter[data-counter="moving"]');
    for (const cls of ['status-text', 'calling', 'waiting', 'wait', 'level-text']) {
      assert.equal(await figure(page, cls), (await card.locator(`.${cls}`).textContent()).trim(), cls);
    }

    await press(page, '#btn-call');
    assert.match(await page.locator('#status').textContent(), /^11番を呼び出しました/);
    assert.equal(await figure(page, 'calling'), '11');
    await pub.reload();
    assert.equal((await card.locator('.calling').textContent()).trim(), '11', 'the citizen page shows 11');
    assert.equal((await card.locator('.waiting').textContent()).trim(), '4人');

    // a number given: 14
    await page.fill('#call-number', '14');
    const n = await refreshes(page);
    await page.click('#btn-call-number');
    await settled(page, n);
    assert.equal((await kitaMoving()).calling, 14);
    // one not issued yet: 400, said in Japanese, nothing written
    await page.fill('#call-number', '99');
    await page.click('#btn-call-number');
    await page.locator('#alert', { hasText: 'その番号はまだ発行されていません（最後に発行した番号：15）' }).waitFor();
    assert.equal((await kitaMoving()).calling, 14);

    assert.deepEqual(await axe(page), [], 'axe on the panel view (with an alert)');
    await page.screenshot({ path: screenshotPath('staff-panel-tablet'), fullPage: true });
    await page.setViewportSize(PHONE.viewport);
    assert.deepEqual(await axe(page), [], 'axe on the panel view, phone');
    await page.screenshot({ path: screenshotPath('staff-panel-phone'), fullPage: true });
    await page.setViewportSize(TABLET.viewport);
    await ctx.close();
  });

  test('+1, −1, pause, end, resume and the message reach the public API', async () => {
    const { page, ctx } = await newPage(TABLET);
    await login(page);
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    await page.waitForFunction(() => window.madoStaff.refreshes > 0);

    let c = await kitaMoving();
    const w = c.waiting;
    await press(page, '#btn-plus');
    c = await kitaMoving();
    assert.equal(c.waiting, w + 1, '+1 issues a ticket');
    assert.equal(c.last_issued, 16);
    assert.match(await page.locator('#status').textContent(), /番号札 16番を発行しました/);
    await press(page, '#btn-minus');
    c = await kitaMoving();
    assert.equal(c.waiting, w, '−1: one fewer waiting');
    assert.equal(c.last_issued, 16, '−1 keeps the numbers');

    // a button that makes no sense now is focusable, says why and sends nothing
    assert.equal(await page.getAttribute('#btn-open', 'aria-disabled'), 'true', '再開 while open');
    await page.focus('#btn-open');
    assert.equal(await page.locator('#why').textContent(), 'すでに受付中です。');
    const before = await page.evaluate(() => window.madoStaff.actions);
    await page.click('#btn-open', { force: true });
    assert.equal(await page.evaluate(() => window.madoStaff.actions), before, 'nothing sent');

    await press(page, '#btn-pause');
    assert.equal((await kitaMoving()).status, 'paused');
    assert.equal(await figure(page, 'status-text'), '一時停止中');
    assert.equal(await page.getAttribute('#btn-pause', 'aria-disabled'), 'true');
    await press(page, '#btn-end');
    assert.equal((await kitaMoving()).status, 'ended');
    assert.equal(await figure(page, 'status-text'), '本日の受付は終了しました');
    assert.equal(await page.getAttribute('#btn-plus', 'aria-disabled'), 'true', 'no tickets after 受付終了');
    // the API refuses too (409), said in Japanese
    await page.evaluate(() => document.getElementById('btn-plus').removeAttribute('aria-disabled'));
    await page.click('#btn-plus');
    await page.locator('#alert', { hasText: '本日の受付を終了しているため' }).waitFor();
    await press(page, '#btn-open');
    assert.equal((await kitaMoving()).status, 'open');
    assert.equal(await figure(page, 'status-text'), '受付中');

    // the message, on the citizen page; then cleared
    const text = '10時30分から窓口を2つに増やします';
    await page.fill('#message', text);
    let n = await refreshes(page);
    await page.click('#message-form button[type="submit"]');
    await settled(page, n);
    assert.equal((await kitaMoving()).message, text);
    assert.equal(await figure(page, 'message'), text);
    const pub = await ctx.newPage();
    await pub.goto(base('/kita?lang=ja'));
    assert.equal((await pub.locator('.counter[data-counter="moving"] .message').textContent()).trim(), text);
    // a message changed elsewhere shows in the figures and, unless being edited, in the field
    m.madoctl('set', 'kita', 'moving', '--message', '別の端末から');
    await page.waitForFunction(() => document.getElementById('message').value === '別の端末から',
      null, { timeout: 15000 });
    assert.equal(await figure(page, 'message'), '別の端末から');
    // too long for the API (280 bytes): refused in the page
    await page.fill('#message', 'あ'.repeat(94));
    assert.match(await page.locator('#message-count').textContent(), /282 \/ 280 バイト（長すぎます）/);
    await page.click('#message-form button[type="submit"]');
    await page.locator('#alert', { hasText: '280バイト' }).waitFor();
    await page.fill('#message', '');
    n = await refreshes(page);
    await page.click('#message-form button[type="submit"]');
    await settled(page, n);
    assert.equal((await kitaMoving()).message, null, 'an empty message clears it');
    assert.equal(await page.locator(`${CARD} .message`).isVisible(), false);

    // nobody waiting: 次の方を呼ぶ says why; a 409 from the API says it in Japanese too
    m.madoctl('set', 'kita', 'moving', '--waiting', '0');
    await page.waitForFunction(() => document.getElementById('btn-call').getAttribute('aria-disabled') === 'true',
      null, { timeout: 15000 });
    await page.evaluate(() => document.getElementById('btn-call').removeAttribute('aria-disabled'));
    await page.click('#btn-call');
    await page.locator('#alert', { hasText: 'お待ちの方がいないため、呼び出せません' }).waitFor();
    m.madoctl('set', 'kita', 'moving', '--waiting', '4');
    await ctx.close();
  });

  test('a retried press keeps its Idempotency-Key: network failure, 503 store_busy', async () => {
    const { page, ctx } = await newPage(TABLET);
    await login(page);
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    await page.waitForFunction(() => window.madoStaff.refreshes > 0);
    const keys = [];
    let failures = ['abort', 'busy'];
    await page.route('**/api/v1/admin/offices/**', async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      const f = failures.shift();
      if (f === 'abort') return route.abort('connectionreset');
      if (f === 'busy') {
        return route.fulfill({ status: 503, headers: { 'Retry-After': '1' }, contentType: 'application/json',
          body: '{"error":"store_busy","message":"the map is growing","status":503}' });
      }
      return route.continue();
    });
    const before = await kitaMoving();
    await press(page, '#btn-plus');
    const after1 = await kitaMoving();
    assert.equal(after1.last_issued, before.last_issued + 1, 'applied once');
    assert.equal(keys.length, 3, 'tried three times');
    assert.match(keys[0], /^[0-9a-f-]{32,36}$/);
    assert.ok(keys.every((k) => k === keys[0]), 'one key for the press');
    // the next press has a key of its own
    failures = [];
    await press(page, '#btn-minus');
    assert.notEqual(keys[3], keys[0]);
    await page.unroute('**/api/v1/admin/offices/**');
    await ctx.close();
  });

  test('the session survives a reload; CSRF; logout; a dropped session goes back to login', async () => {
    const { page, ctx } = await newPage(TABLET);
    await login(page);
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    await page.selectOption('#pick-counter', 'certificates');
    await page.waitForFunction(() => window.madoStaff.counter === 'certificates');

    await page.reload();
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#login-view').isVisible(), false, 'no login form after a reload');
    assert.equal(await page.locator('#pick-counter').inputValue(), 'certificates', 'the choice is remembered');

    // the cookie is HttpOnly and Secure; the CSRF token is not stored anywhere
    const cookie = (await ctx.cookies()).find((x) => x.name === 'mado_session');
    assert.ok(cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict', 'cookie flags');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    const csrf = await page.evaluate(() => window.madoStaff.session.csrf);
    assert.match(csrf, /^[0-9a-f]{64}$/);
    assert.ok(!stored.includes(csrf) && !stored.includes(cookie.value), 'no secret in web storage');

    // a change without the CSRF header, from the page itself: 403 csrf, nothing written
    const w = (await kitaMoving()).waiting;
    const r = await page.evaluate(async () => {
      const res = await fetch('/api/v1/admin/offices/kita/counters/moving', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"action":"issue"}',
      });
      return { status: res.status, json: await res.json() };
    });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'csrf');
    assert.equal((await kitaMoving()).waiting, w, 'nothing written');

    // logout: the login form again, and the API refuses the old cookie
    await page.click('#logout');
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#status').textContent(), 'ログアウトしました。');
    const s = await page.evaluate(async () => (await fetch('/api/v1/admin/session', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
    })).status);
    assert.equal(s, 401, 'POST session after logout');
    const old = await apiPost(tls, '/api/v1/admin/offices/kita/counters/moving', { action: 'issue' },
      { Cookie: `mado_session=${cookie.value}`, 'X-CSRF-Token': csrf });
    assert.equal(old.status, 401, 'the old cookie is refused');
    await page.reload();
    await page.locator('#login-view').waitFor({ state: 'visible' });

    // a session that ends on the server (idle, 12 h, logged out elsewhere):
    // the next action goes back to the login form with a message
    await page.fill('#login-user', 'tanaka');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    const c2 = (await ctx.cookies()).find((x) => x.name === 'mado_session');
    const csrf2 = await page.evaluate(() => window.madoStaff.session.csrf);
    const out = await apiPost(tls, '/api/v1/admin/logout', {},
      { Cookie: `mado_session=${c2.value}`, 'X-CSRF-Token': csrf2 });
    assert.equal(out.status, 200);
    await page.click('#btn-plus');
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.locator('#alert', { hasText: 'ログインの有効期限が切れました。もう一度ログインしてください。' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'login-user', 'the focus on the user field');
    await ctx.close();
  });

  test('keyboard only: Tab and Enter to log in, Enter/Space/N to call', async () => {
    const { page, ctx } = await newPage(TABLET);
    await page.goto(base('/staff/'));
    await page.locator('#login-view').waitFor({ state: 'visible' });
    const active = () => page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.className));
    const tabTo = async (id, max = 30) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        if ((await active()) === id) return;
      }
      throw new Error(`Tab never reached #${id} (at ${await active()})`);
    };
    await page.keyboard.press('Tab');
    assert.equal(await active(), 'skip', 'the skip link first');
    await tabTo('login-user', 3);
    await page.keyboard.type('tanaka');
    await page.keyboard.press('Tab');
    assert.equal(await active(), 'login-password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.locator('#panel-view').waitFor({ state: 'visible' });
    await page.waitForFunction(() => window.madoStaff.refreshes > 0);

    const calling = async () => (await kitaMoving()).calling;
    let was = await calling();
    await tabTo('btn-call');
    // a visible focus indicator on the big button
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineWidth);
    assert.ok(parseFloat(outline) >= 2, `focus outline ${outline}`);
    let n = await refreshes(page);
    await page.keyboard.press('Enter');
    await settled(page, n);
    assert.equal(await calling(), was + 1, 'Enter calls');
    was += 1;
    n = await refreshes(page);
    await page.keyboard.press('Space');
    await settled(page, n);
    assert.equal(await calling(), was + 1, 'Space calls');
    was += 1;
    n = await refreshes(page);
    await page.keyboard.press('n');
    await settled(page, n);
    assert.equal(await calling(), was + 1, 'N calls');

    // a number by keyboard: Tab to the field, type, Enter
    await tabTo('call-number');
    await page.keyboard.type('2');
    n = await refreshes(page);
    await page.keyboard.press('Enter');
    await settled(page, n);
    assert.equal(await calling(), 2, 'a number given by keyboard');
    // N typed into a field is text, not a shortcut
    await tabTo('message');
    await page.keyboard.type('n');
    assert.equal(await calling(), 2);
    assert.equal(await page.inputValue('#message'), 'n');
    await ctx.close();
  });

  test('nginx -t refuses a mado_staff it cannot serve', () => {
    const check = (http, location) => {
      const conf = `${m.dir}/check.conf`;
      fs.writeFileSync(conf, `load_module ${MODULE};
error_log ${m.dir}/check.log;
pid ${m.dir}/check.pid;
events {}
http {
    mado_store ${m.store};
${http}
    server { listen 127.0.0.1:1; ${location} }
}
`);
      const env = { ...process.env };
      if (process.env.MADO_ASAN) {
        // the sanitizers' runtimes first, as lib.mjs starts nginx with them
        env.LD_PRELOAD = ['libasan.so', 'libubsan.so']
          .map((l) => execFileSync('gcc', [`-print-file-name=${l}`], { encoding: 'utf8' }).trim()).join(' ');
        env.ASAN_OPTIONS = 'detect_leaks=0';
      }
      const r = spawnSync(NGINX, ['-t', '-q', '-p', `${m.dir}/`, '-c', conf, '-e', `${m.dir}/check.log`],
        { encoding: 'utf8', env });
      return { ok: r.status === 0, err: r.stderr };
    };
    const full = `    mado_messages ${I18N_DIR};\n    mado_assets ${ASSETS_DIR};\n    mado_audit_key ${m.dir}/audit.key;`;
    // the panel's update API: a mado_admin location at its path, in its server
    const admin = 'location /api/v1/admin/ { mado_admin; } ';
    assert.ok(check(full, `${admin}location /staff/ { mado_staff; }`).ok, 'the default admin path');
    assert.ok(check(full, 'location /mado/admin/ { mado_admin; } location /desk/ { mado_staff /mado/admin/; }').ok,
      'another location and path');
    for (const [http, loc, why] of [
      [full, 'location /staff/ { mado_staff; }', /requires a "mado_admin" location with its path in the same server/],
      [full, `location /other/ { mado_admin; } location /staff/ { mado_staff; }`, /requires a "mado_admin" location/],
      [`    mado_audit_key ${m.dir}/audit.key;`, `${admin}location /staff/ { mado_staff; }`,
        /requires "mado_messages" and "mado_assets"/],
      [full, 'location ~ ^/staff/ { mado_staff; }', /must be in a prefix location ending in "\/"/],
      [full, 'location = /staff/ { mado_staff; }', /must be in a prefix location/],
      [full, 'location /staff { mado_staff; }', /must be in a prefix location/],
      [full, 'location /staff/ { mado_staff api/; }', /takes the path of the "mado_admin" location/],
      [full, 'location /staff/ { mado_staff "/api/v1/<x>/"; }', /takes a path of letters, digits/],
      [full, 'location "/st\\"aff/" { mado_staff; }', /must be in a location of letters, digits/],
    ]) {
      const r = check(http, loc);
      assert.equal(r.ok, false, loc);
      assert.match(r.err, why, loc);
    }
  });

  test('nothing went wrong in the pages', () => {
    assert.deepEqual(problems, []);
  });
});

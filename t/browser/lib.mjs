// Test harness for mado's browser tests: the real nginx with the real module
// and the real madoctl against a store in a throw-away directory, and
// Debian's Chromium driven by playwright-core.  The minimal lifecycle of
// t/lib/MadoTest.pm, reimplemented with node's own modules.
//
//   const m = new Mado();            // temp dir, free port, store (init + load)
//   m.madoctl('set', 'kita', 'moving', '--status', 'open');
//   await m.start();                 // nginx.conf as in docs/pages.md
//   ... m.url('/kita') ...
//   await m.stop();                  // QUIT; throws on [alert]/[crit]/[emerg]
//
// Environment: MADO_BUILD (directory of madoctl and ngx_http_mado_module.so,
// default <repo>/build), MADO_NGINX (default /usr/sbin/nginx), CHROMIUM (default
// /usr/bin/chromium), MADO_KEEP (keep the test directory), MADO_ASAN (the
// binaries are built with ASan/UBSan: as in MadoTest.pm), MADO_REQUIRE_BINARIES
// (a missing binary fails the file instead of skipping it).

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = path.resolve(process.env.MADO_BUILD || path.join(REPO, 'build'));
export const MADOCTL = path.join(BUILD, 'madoctl');
export const MODULE = path.join(BUILD, 'ngx_http_mado_module.so');
// not NGINX: nginx itself reads that variable (inherited sockets)
export const NGINX = process.env.MADO_NGINX || '/usr/sbin/nginx';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OFFICES_JSON = path.join(REPO, 'conf.example', 'offices.json');
export const I18N_DIR = path.join(REPO, 'conf.example', 'i18n');
export const ASSETS_DIR = path.join(REPO, 'conf.example', 'assets');
export const OUT_DIR = path.join(REPO, 't', 'out');
export const SCREENSHOT_DIR = path.join(OUT_DIR, 'screenshots');
export const AXE_JS = path.join(REPO, 'node_modules', 'axe-core', 'axe.min.js');

// every language that has a catalog (adding one is its catalog and a line
// of MADO_LANGUAGES in lmdb_store/mado_store.h), Japanese first
export const LANGS = fs.readdirSync(path.join(REPO, 'conf.example', 'i18n'))
  .filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))
  .sort((a, b) => (a === 'ja' ? -1 : b === 'ja' ? 1 : a.localeCompare(b)));

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const asan = () => !!process.env.MADO_ASAN;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const BAD_LOG = /\[(?:alert|emerg|crit)\]|AddressSanitizer|runtime error:|LeakSanitizer/;

// ------------------------------------------------------------ prerequisites

function isExecutable(p) {
  try { fs.accessSync(p, fs.constants.X_OK); return fs.statSync(p).isFile(); } catch { return false; }
}

function moduleHasPages() {
  try {
    // the directive name is a string in the module's command table
    return fs.readFileSync(MODULE).includes(Buffer.from('mado_pages\0'));
  } catch { return false; }
}

// What is missing to run the browser tests ('' when nothing).  Use as
//   describe('…', { skip: skipReason() }, () => …)
// With MADO_REQUIRE_BINARIES=1 a missing piece is an error instead.
export function skipReason({ pages = true, browser = true } = {}) {
  const missing = [];
  if (!isExecutable(MADOCTL)) missing.push(MADOCTL);
  if (!fs.existsSync(MODULE)) missing.push(MODULE);
  else if (pages && !moduleHasPages()) missing.push(`${MODULE} with mado_pages`);
  if (!isExecutable(NGINX)) missing.push(NGINX);
  if (browser && !isExecutable(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (browser && !fs.existsSync(AXE_JS)) missing.push('node_modules (npm ci)');
  if (!missing.length) return false;
  const why = `missing: ${missing.join(', ')}`;
  if (process.env.MADO_REQUIRE_BINARIES) {
    throw new Error(`${why} (MADO_REQUIRE_BINARIES=1)`);
  }
  return `${why} (build first, or set MADO_BUILD)`;
}

// ------------------------------------------------------------ small helpers

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function readFile(f) {
  try { return fs.readFileSync(f, 'utf8'); } catch { return ''; }
}

// alive and not a zombie (no init reaps daemons in some containers)
function alive(pid) {
  if (!pid) return false;
  try { process.kill(pid, 0); } catch { return false; }
  const stat = readFile(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z/s.test(stat);
}

function childrenOf(ppid) {
  const kids = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readFile(`/proc/${d}/stat`);
    const m = /^\d+ \(.*\) (\S) (\d+)/s.exec(stat);
    if (m && m[1] !== 'Z' && Number(m[2]) === ppid) kids.push(Number(d));
  }
  return kids;
}

function kill(pid, sig) {
  try { process.kill(pid, sig); } catch { /* gone */ }
}

async function waitUntil(cond, ms, step = 20) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(step);
  }
  return !!(await cond());
}

let preload;
function asanPreload() {
  if (preload === undefined) {
    preload = ['libasan.so', 'libubsan.so']
      .map((l) => execFileSync('gcc', [`-print-file-name=${l}`], { encoding: 'utf8' }).trim())
      .join(' ');
  }
  return preload;
}

// ------------------------------------------------------------ the instance

// nginx daemons still running when this process ends (a crash, ^C, a test
// runner that gave up) are told to quit, as MadoTest.pm's END block does
const INSTANCES = new Set();
let exitHooked = false;
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const m of INSTANCES) if (m.running && m.master) kill(m.master, 'SIGQUIT');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]));
  }
}

export class Mado {
  constructor({ offices = OFFICES_JSON, init = true } = {}) {
    this.dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mado-browser-')));
    fs.chmodSync(this.dir, 0o755);
    this.store = path.join(this.dir, 'store');
    this.port = 0;
    this.master = 0;
    this.running = false;
    this.allow = [];
    if (isRoot() && asan()) {
      // workers (www-data) must be able to create their sanitizer logs here
      execFileSync('chgrp', ['www-data', this.dir]);
      fs.chmodSync(this.dir, 0o775);
    }
    fs.mkdirSync(this.store);
    if (isRoot()) {
      execFileSync('chgrp', ['www-data', this.store]);
      fs.chmodSync(this.store, 0o2770);
    } else {
      fs.chmodSync(this.store, 0o770);
    }
    if (process.env.MADO_KEEP) console.error(`# MADO_KEEP: test directory ${this.dir}`);
    if (init) {
      this.madoctl('init');
      this.madoctl('load', offices);
    }
  }

  get origin() { return `http://127.0.0.1:${this.port}`; }
  get host() { return `127.0.0.1:${this.port}`; }
  url(p = '/') { return this.origin + p; }

  // madoctl --store STORE ARGS...; stdout.  Throws with stderr on failure.
  // A last argument {env: {...}} adds to the environment (e.g. MADO_NOW).
  madoctl(...args) {
    let opt = {};
    if (args.length && typeof args[args.length - 1] === 'object') opt = args.pop();
    const env = { ...process.env, MADO_AUDIT_KEY: `${this.dir}/audit.key`, ...(opt.env || {}) };
    if (asan()) {
      env.ASAN_OPTIONS = `detect_leaks=1:log_path=${this.dir}/asan-madoctl`;
      env.UBSAN_OPTIONS = `print_stacktrace=1:log_path=${this.dir}/ubsan-madoctl`;
    }
    try {
      return execFileSync(MADOCTL, ['--store', this.store, ...args.map(String)], {
        encoding: 'utf8', env, timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const how = e.status != null ? `exit ${e.status}` : `signal ${e.signal}`;
      throw new Error(`madoctl ${args.join(' ')}: ${how}\nstdout: ${e.stdout || ''}\nstderr: ${e.stderr || ''}`);
    }
  }

  // madoctl show [OFFICE] --json, decoded
  show(office) {
    return JSON.parse(this.madoctl('show', ...(office ? [office] : []), '--json'));
  }

  // the counter object of OFFICE/COUNTER in `madoctl show --json`
  counter(office, counter) {
    const o = this.show(office).offices.find((x) => x.id === office);
    if (!o) throw new Error(`madoctl show ${office} --json: no office ${office}`);
    const c = o.counters.find((x) => x.id === counter);
    if (!c) throw new Error(`madoctl show ${office} --json: no counter ${counter}`);
    return c;
  }

  // now: unix seconds the workers' clock starts from ("env MADO_NOW;"), for
  // calendar: the office calendar applied (t/api_calendar.t's subject), which
  // needs a fixed clock to be the same whatever the hour the tests run at
  config({ pages = true, http = '', server = '', now = null, calendar = false } = {}) {
    const d = this.dir;
    const mod = this.module || MODULE;
    const env = (asan() ? 'env LD_PRELOAD;\nenv ASAN_OPTIONS;\nenv UBSAN_OPTIONS;\n' : '')
      + (now != null ? 'env MADO_NOW;\n' : '');
    return `load_module ${mod};
${isRoot() ? 'user www-data www-data;\n' : ''}${env}worker_processes 2;
daemon on;
pid ${d}/nginx.pid;
error_log ${d}/error.log info;

events { worker_connections 256; }

http {
    access_log ${d}/access.log;
    client_body_temp_path ${d}/body;
    proxy_temp_path ${d}/proxy;
    fastcgi_temp_path ${d}/fastcgi;
    uwsgi_temp_path ${d}/uwsgi;
    scgi_temp_path ${d}/scgi;

    mado_store ${this.store};
    # figures as stored, whatever the hour the tests run at (t/api_calendar.t tests the calendar)
    mado_calendar ${calendar ? 'on' : 'off'};
${pages ? `    mado_messages ${I18N_DIR};
    mado_assets ${ASSETS_DIR};
    mado_public_url http://127.0.0.1:${this.port};
    mado_refresh 5s;
` : ''}${http}
    server {
        listen 127.0.0.1:${this.port};
${server}
        location /api/ { mado_api; }
${pages ? '        location / { mado_pages; }\n' : ''}    }
}
`;
  }

  startupLogs() {
    const d = this.dir;
    return `--- nginx.conf\n${readFile(`${d}/nginx.conf`)}--- nginx stderr\n${readFile(`${d}/nginx.stderr`)}`
      + `--- error.log\n${readFile(`${d}/error.log`)}`;
  }

  // writes nginx.conf (options as config()) and starts nginx; waits for the port
  async start(opt = {}) {
    if (this.running) throw new Error('nginx already running');
    if (!this.port) this.port = await freePort();
    const d = this.dir;
    // a private copy: a `make` during the run rewrites build/*.so in place,
    // which would crash the workers that have it mapped
    this.module = path.join(d, path.basename(MODULE));
    fs.copyFileSync(MODULE, this.module);
    fs.writeFileSync(`${d}/nginx.conf`, this.config(opt));
    fs.rmSync(`${d}/nginx.pid`, { force: true });
    const env = { ...process.env };
    if (opt.now != null) env.MADO_NOW = String(opt.now);
    if (asan()) {
      env.LD_PRELOAD = asanPreload();
      env.ASAN_OPTIONS = `detect_leaks=0:log_path=${d}/asan:abort_on_error=0`;
      env.UBSAN_OPTIONS = `print_stacktrace=1:log_path=${d}/ubsan`;
    }
    const errFd = fs.openSync(`${d}/nginx.stderr`, 'a');
    const r = spawnSync(NGINX, ['-p', `${d}/`, '-c', `${d}/nginx.conf`, '-e', `${d}/error.log`], {
      env, stdio: ['ignore', errFd, errFd], timeout: 30000,
    });
    fs.closeSync(errFd);
    if (r.status !== 0) {
      throw new Error(`nginx failed to start (status ${r.status}${r.signal ? `, ${r.signal}` : ''})\n${this.startupLogs()}`);
    }
    let master = 0;
    const up = await waitUntil(async () => {
      if (!master) master = Number((/^(\d+)/.exec(readFile(`${d}/nginx.pid`)) || [])[1] || 0);
      if (master && !alive(master)) return true;          // died: stop waiting
      return master && canConnect(this.port);
    }, 10000, 50);
    if (!up || !master || !alive(master)) {
      const logs = this.startupLogs();
      if (master && alive(master)) kill(master, 'SIGKILL');
      throw new Error(`nginx did not come up on port ${this.port} within 10 s\n${logs}`);
    }
    this.master = master;
    this.running = true;
    INSTANCES.add(this);
    hookExit();
    return this;
  }

  // QUIT, then TERM, then KILL; then the log check (throws on bad lines)
  async stop() {
    if (this.running) {
      const m = this.master;
      const workers = childrenOf(m);
      kill(m, 'SIGQUIT');
      if (!(await waitUntil(() => !alive(m), 10000))) {
        kill(m, 'SIGTERM');
        if (!(await waitUntil(() => !alive(m), 3000))) {
          kill(m, 'SIGKILL');
          await waitUntil(() => !alive(m), 3000);
        }
      }
      for (const w of workers) if (alive(w)) kill(w, 'SIGKILL');
      this.running = false;
      INSTANCES.delete(this);
    }
    const problems = this.logProblems();
    if (!process.env.MADO_KEEP && !problems.length) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    if (problems.length) {
      throw new Error(`nginx logs (kept in ${this.dir}):\n${problems.join('\n')}`);
    }
  }

  allowLog(re) { this.allow.push(re); return this; }
  errorLog() { return readFile(`${this.dir}/error.log`); }
  accessLog() { return readFile(`${this.dir}/access.log`); }

  // alert/crit/emerg and sanitizer lines of the error log and nginx's
  // stderr, and any non-empty sanitizer report
  logProblems() {
    const bad = [];
    for (const f of ['error.log', 'nginx.stderr']) {
      for (const line of readFile(path.join(this.dir, f)).split('\n')) {
        if (BAD_LOG.test(line) && !this.allow.some((re) => re.test(line))) bad.push(`${f}: ${line}`);
      }
    }
    for (const f of fs.existsSync(this.dir) ? fs.readdirSync(this.dir) : []) {
      if (!/^(asan|ubsan)/.test(f)) continue;
      const t = readFile(path.join(this.dir, f));
      if (t.length) bad.push(`--- ${f}\n${t.slice(0, 6000)}`);
    }
    return bad.slice(0, 40);
  }

  // One request with node's http, no decoding: {status, headers, body
  // (Buffer as received on the wire, de-chunked), wireBytes}.
  request(p, { method = 'GET', headers = {} } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: this.port, path: p, method, agent: false,
        headers: { Host: this.host, Connection: 'close', ...headers },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, body, wireBytes: body.length });
        });
        res.on('error', reject);
      });
      req.setTimeout(10000, () => req.destroy(new Error(`${method} ${p}: timeout`)));
      req.on('error', reject);
      req.end();
    });
  }
}

// ------------------------------------------------------------ browser

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60000 });
}

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
export const DESKTOP = { viewport: { width: 1280, height: 900 } };

// Records on a page what must not happen: console errors, uncaught
// exceptions, failed requests and requests to another host than ours.
// `problems()` lists them as text; `requests` holds every URL requested.
export function watch(page, mado) {
  const w = { consoleErrors: [], pageErrors: [], foreign: [], failed: [], requests: [], nonGet: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      w.consoleErrors.push(`${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => w.pageErrors.push(String(err && err.stack || err)));
  page.on('request', (req) => {
    const u = req.url();
    w.requests.push(u);
    if (!['GET', 'HEAD'].includes(req.method())) w.nonGet.push(`${req.method()} ${u}`);
    let ours = false;
    try {
      const url = new URL(u);
      ours = ['data:', 'blob:', 'about:'].includes(url.protocol)
        || (url.protocol === 'http:' && url.host === mado.host);
    } catch { /* not a URL */ }
    if (!ours) w.foreign.push(`${req.method()} ${u}`);
  });
  page.on('requestfailed', (req) => {
    const f = req.failure();
    w.failed.push(`${req.method()} ${req.url()}: ${f ? f.errorText : '?'}`);
  });
  w.problems = () => [
    ...w.consoleErrors.map((x) => `console error: ${x}`),
    ...w.pageErrors.map((x) => `page error: ${x}`),
    ...w.foreign.map((x) => `request to another host: ${x}`),
    ...w.failed.map((x) => `request failed: ${x}`),
  ];
  return w;
}

// axe-core's WCAG 2 A/AA rules on the page; a list of readable violations.
// axe is evaluated by the driver: the pages' CSP (rightly) refuses the
// inline <script> that page.addScriptTag would add
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(fs.readFileSync(AXE_JS, 'utf8'));
  }
  const res = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    resultTypes: ['violations'],
  }));
  return res.violations.map((v) => {
    const nodes = v.nodes.slice(0, 8).map((n) => `    ${n.target.join(' ')}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`);
    const more = v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more` : '';
    return `${v.id} (${v.impact}): ${v.help}\n  ${v.helpUrl}\n${nodes.join('\n')}${more}`;
  });
}

export function screenshotPath(name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}

// the message catalog of a language, as shipped in conf.example/i18n
export function catalog(lang) {
  return JSON.parse(fs.readFileSync(path.join(I18N_DIR, `${lang}.json`), 'utf8'));
}

export { sleep };

// ------------------------------------------------------------ a day's state

// Counters of Kita in every state the pages must show: open and busy with a
// staff message, open and empty, paused, open but stale (last written 20
// minutes ago); the other offices some traffic, so the index is not blank.
export function seedState(m) {
  m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '7', '--calling', '41',
    '--last-issued', '48', '--staff', '1', '--message', '本日は大変混み合っています。Very busy today.');
  m.madoctl('set', 'kita', 'certificates', '--status', 'open', '--waiting', '0', '--calling', '12',
    '--last-issued', '12', '--staff', '2');
  m.madoctl('set', 'kita', 'family', '--status', 'paused', '--waiting', '2', '--calling', '5',
    '--last-issued', '7');
  const past = String(Math.floor(Date.now() / 1000) - 20 * 60);
  m.madoctl('set', 'kita', 'mynumber', '--status', 'open', '--waiting', '4', '--calling', '3',
    '--last-issued', '7', { env: { MADO_NOW: past } });
  const busy = { kamigyo: 15, sakyo: 3, nakagyo: 30, minami: 1, fushimi: 9 };
  for (const [office, waiting] of Object.entries(busy)) {
    m.madoctl('set', office, 'moving', '--status', 'open', '--waiting', String(waiting),
      '--calling', '20', '--last-issued', String(20 + waiting));
    m.madoctl('set', office, 'certificates', '--status', 'open', '--waiting', '1', '--calling', '8',
      '--last-issued', '9');
  }
  m.madoctl('set', 'ukyo', 'moving', '--status', 'ended', '--waiting', '2', '--calling', '60',
    '--last-issued', '62');
}

// "{n}人" with n filled in
export function fill(template, vars) {
  return String(template).replace(/\{(\w+)\}/g, (all, k) => (k in vars ? String(vars[k]) : all));
}

// a catalog text with readings ({北区役所|きたくやくしょ}, ja-easy) as the
// page's textContent has it: the kanji, then the reading of its <rt>
export function rubyText(s) {
  return String(s).replace(/\{([^{}|]+)\|([^{}|]+)\}/g, '$1$2');
}

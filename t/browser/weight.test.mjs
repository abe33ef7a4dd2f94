// What a citizen's phone downloads for the office page: HTML + CSS + JS,
// gzip as sent on the wire, at most 30 KB; assets with a content hash in
// the name and cached for a year; HTML gzip only when asked, with Vary;
// nothing from another host, no web fonts.

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { Mado, seedState, skipReason } from './lib.mjs';

const BUDGET = 30720;
const YEAR = 31536000;
const GZ = { 'Accept-Encoding': 'gzip' };

// <link …> and <script …> tags of an HTML text, with their attributes
function tags(html, name) {
  const out = [];
  const re = new RegExp(`<${name}\\b([^>]*)>`, 'gi');
  for (const m of html.matchAll(re)) {
    const attrs = {};
    for (const a of m[1].matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
      attrs[a[1].toLowerCase()] = a[2] ?? a[3] ?? a[4] ?? '';
    }
    out.push({ tag: m[0], attrs });
  }
  return out;
}

function maxAge(cc) {
  const m = /(?:^|,)\s*max-age\s*=\s*(\d+)/i.exec(cc || '');
  return m ? Number(m[1]) : -1;
}

function decode(r) {
  return r.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(r.body).toString('utf8') : r.body.toString('utf8');
}

describe('page weight and caching', { skip: skipReason({ browser: false }), timeout: 60000 }, () => {
  let m;
  let html;        // the office page, decoded
  let assets;      // [{url, kind}]

  before(async () => {
    m = new Mado();
    seedState(m);
    await m.start();
  });

  after(async () => {
    await m?.stop();
  });

  test('the office page is gzip-encoded when asked, plain otherwise, with Vary: Accept-Encoding', async () => {
    const gz = await m.request('/kita?lang=ja', { headers: GZ });
    assert.equal(gz.status, 200, 'GET /kita with Accept-Encoding: gzip: status');
    assert.equal(gz.headers['content-encoding'], 'gzip',
      `GET /kita with Accept-Encoding: gzip: Content-Encoding is ${JSON.stringify(gz.headers['content-encoding'])}`);
    assert.match(gz.headers.vary || '', /\bAccept-Encoding\b/i, `GET /kita (gzip): Vary is ${JSON.stringify(gz.headers.vary)}`);
    html = decode(gz);
    assert.match(html, /^<!DOCTYPE html>/i, 'the gzip body is the HTML page');

    const plain = await m.request('/kita?lang=ja');
    assert.equal(plain.status, 200, 'GET /kita without Accept-Encoding: status');
    assert.equal(plain.headers['content-encoding'], undefined,
      `GET /kita without Accept-Encoding: Content-Encoding is ${JSON.stringify(plain.headers['content-encoding'])}, expected none`);
    assert.match(plain.headers.vary || '', /\bAccept-Encoding\b/i, `GET /kita (plain): Vary is ${JSON.stringify(plain.headers.vary)}`);
    assert.match(plain.body.toString('utf8'), /^<!DOCTYPE html>/i, 'the plain body is the HTML page');

    const no = await m.request('/kita?lang=ja', { headers: { 'Accept-Encoding': 'gzip;q=0, identity' } });
    assert.equal(no.headers['content-encoding'], undefined, 'Accept-Encoding: gzip;q=0 gets no gzip');
  });

  test('stylesheet and script: same host, content-hashed, cached for a year', async () => {
    if (!html) html = decode(await m.request('/kita?lang=ja', { headers: GZ }));
    const links = tags(html, 'link');
    const scripts = tags(html, 'script');
    const external = [];
    for (const t of [...links.map((l) => [l, l.attrs.href]), ...scripts.map((s) => [s, s.attrs.src])]) {
      const u = t[1];
      if (u === undefined) continue;
      const abs = new URL(u, m.url('/kita'));
      if (abs.protocol === 'data:') continue; // inline: no request at all
      if (abs.host !== m.host || abs.protocol !== 'http:') external.push(t[0].tag);
    }
    assert.deepEqual(external, [], `<link>/<script> pointing to another host:\n${external.join('\n')}`);

    const css = links.filter((l) => /\bstylesheet\b/i.test(l.attrs.rel || '')).map((l) => l.attrs.href);
    const js = scripts.filter((s) => s.attrs.src).map((s) => s.attrs.src);
    assert.equal(css.length, 1, `one stylesheet expected, found: ${css.join(', ')}`);
    assert.equal(js.length, 1, `one script file expected, found: ${js.join(', ')}`);
    assets = [{ url: css[0], kind: 'css' }, { url: js[0], kind: 'js' }];

    for (const a of assets) {
      const p = new URL(a.url, m.url('/kita')).pathname;
      assert.match(p, new RegExp(`^/assets/mado\\.[0-9A-Za-z_-]{6,}\\.${a.kind}$`),
        `${a.kind} URL "${a.url}" should be /assets/mado.HASH.${a.kind}`);
      for (const headers of [GZ, {}]) {
        const r = await m.request(p, { headers });
        const how = headers['Accept-Encoding'] ? 'gzip' : 'plain';
        assert.equal(r.status, 200, `GET ${p} (${how}): status`);
        const cc = r.headers['cache-control'] || '';
        assert.ok(maxAge(cc) >= YEAR || /\bimmutable\b/i.test(cc),
          `GET ${p} (${how}): Cache-Control "${cc}" should have max-age >= ${YEAR} or immutable`);
        const ct = r.headers['content-type'] || '';
        const want = a.kind === 'css' ? /^text\/css\b/ : /^(?:text|application)\/javascript\b/;
        assert.match(ct, want, `GET ${p} (${how}): Content-Type "${ct}"`);
        if (how === 'plain') {
          assert.equal(r.headers['content-encoding'], undefined, `GET ${p} without Accept-Encoding is not encoded`);
        }
      }
    }
  });

  test(`office page HTML + CSS + JS, gzip on the wire, is at most ${BUDGET} bytes`, async () => {
    const rows = [];
    const page = await m.request('/kita?lang=ja', { headers: GZ });
    rows.push(['/kita?lang=ja', page]);
    html = decode(page);
    const refs = [
      ...tags(html, 'link').filter((l) => /\bstylesheet\b/i.test(l.attrs.rel || '')).map((l) => l.attrs.href),
      ...tags(html, 'script').filter((s) => s.attrs.src).map((s) => s.attrs.src),
    ];
    assert.ok(refs.length >= 2, `the page should reference its stylesheet and script: ${refs.join(', ')}`);
    for (const u of refs) {
      const p = new URL(u, m.url('/kita')).pathname;
      rows.push([p, await m.request(p, { headers: GZ })]);
    }
    let total = 0;
    const lines = rows.map(([p, r]) => {
      total += r.wireBytes;
      const cl = r.headers['content-length'];
      return `  ${p}: ${r.wireBytes} bytes on the wire (${r.headers['content-encoding'] || 'not encoded'}`
        + `${cl !== undefined ? `, Content-Length ${cl}` : ', chunked'}; ${decode(r).length} chars decoded)`;
    });
    for (const [p, r] of rows) {
      const cl = r.headers['content-length'];
      if (cl !== undefined) assert.equal(Number(cl), r.wireBytes, `${p}: Content-Length ${cl} but ${r.wireBytes} bytes received`);
    }
    const report = `${lines.join('\n')}\n  total: ${total} bytes (budget ${BUDGET})`;
    console.log(`# weight of the office page:\n${report.replace(/^/gm, '# ')}`);
    assert.ok(total <= BUDGET, `office page weighs ${total} bytes, over the ${BUDGET}-byte budget:\n${report}`);
  });

  test('the stylesheet loads no web fonts and nothing from another host', async () => {
    if (!assets) {
      const h = decode(await m.request('/kita?lang=ja', { headers: GZ }));
      assets = [{ url: tags(h, 'link').find((l) => /\bstylesheet\b/i.test(l.attrs.rel || ''))?.attrs.href, kind: 'css' }];
    }
    const cssUrl = assets.find((a) => a.kind === 'css')?.url;
    assert.ok(cssUrl, 'the page has a stylesheet');
    const r = await m.request(new URL(cssUrl, m.url('/')).pathname);
    const css = r.body.toString('utf8');
    assert.ok(css.length > 0, 'the stylesheet is not empty');
    assert.ok(!/@font-face/i.test(css), 'the stylesheet has @font-face (web fonts are too heavy for the budget)');
    const ext = [...css.matchAll(/(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?\/\/[^'")\s]+)/gi)].map((x) => x[1])
      .filter((u) => new URL(u, m.url('/')).host !== m.host);
    assert.deepEqual(ext, [], `the stylesheet loads from another host: ${ext.join(', ')}`);
  });
});

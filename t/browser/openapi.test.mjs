// docs/openapi.yaml is the contract of the API: every documented route
// (the public GETs and the staff's update API) is requested from a real
// nginx with the module, and each documented response (200 and the
// errors) must come with the documented content type and a body that the
// documented schema accepts.  Routes the document does not know must not
// answer 200.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import YAML from 'yaml';

import { Mado, MADOCTL, REPO, skipReason } from './lib.mjs';

const SPEC = YAML.parse(fs.readFileSync(path.join(REPO, 'docs', 'openapi.yaml'), 'utf8'));

// ------------------------------------------------------------ a small validator

function resolve(schema) {
  while (schema && schema.$ref) {
    const parts = schema.$ref.replace(/^#\//, '').split('/');
    schema = parts.reduce((o, k) => o[k], SPEC);
  }
  return schema;
}

// the errors of value against schema (OpenAPI 3.0 subset), as paths
function validate(value, schema, where = '$', errors = []) {
  schema = resolve(schema);
  if (!schema) return errors;
  if (value === null) {
    if (!schema.nullable) errors.push(`${where}: null, not allowed`);
    return errors;
  }
  if (schema.allOf) for (const s of schema.allOf) validate(value, s, where, errors);
  const type = schema.type;
  const typeOf = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (type === 'number' && typeof value !== 'number') errors.push(`${where}: ${typeOf}, want number`);
  else if (type && type !== 'number' && type !== typeOf) errors.push(`${where}: ${typeOf}, want ${type}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${where}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'number') {
    if (schema.minimum != null && value < schema.minimum) errors.push(`${where}: ${value} < ${schema.minimum}`);
    if (schema.maximum != null && value > schema.maximum) errors.push(`${where}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern).test(value)) {
    errors.push(`${where}: ${JSON.stringify(value.slice(0, 80))} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems != null && value.length < schema.minItems) errors.push(`${where}: fewer than ${schema.minItems} items`);
    if (schema.maxItems != null && value.length > schema.maxItems) errors.push(`${where}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => validate(v, schema.items, `${where}[${i}]`, errors));
  }
  if (typeOf === 'object') {
    for (const k of schema.required || []) {
      if (!(k in value)) errors.push(`${where}: missing ${k}`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (schema.properties && schema.properties[k]) validate(v, schema.properties[k], `${where}.${k}`, errors);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        validate(v, schema.additionalProperties, `${where}.${k}`, errors);
      }
    }
  }
  return errors;
}

// ------------------------------------------------------------ requests

// an example request for each documented path: parameters from the spec
function exampleUrl(route, op) {
  let url = `/api${route}`;
  const query = [];
  for (let p of op.parameters || []) {
    p = resolve(p);
    const s = resolve(p.schema) || {};
    const value = s.example ?? s.default ?? (s.enum ? s.enum[0] : undefined);
    if (p.in === 'path') url = url.replace(`{${p.name}}`, value);
    else if (p.in === 'query' && value !== undefined) query.push(`${p.name}=${value}`);
  }
  return query.length ? `${url}?${query.join('&')}` : url;
}

// requests that must give each documented error
function errorUrls(route, status) {
  const base = `/api${route}`;
  if (status === '404') return [base.replace('{office}', 'nowhere')];
  if (status === '400') {
    const urls = [];
    if (route.includes('{office}')) urls.push(base.replace('{office}', 'KITA!'));
    if (route.endsWith('/history') || route.endsWith('/history.csv')) urls.push(`${base.replace('{office}', 'kita')}?date=2026-02-30`);
    if (route.endsWith('/forecast')) urls.push(`${base.replace('{office}', 'kita')}?weeks=0`);
    return urls;
  }
  return [];
}

function checkBody(res, content, what) {
  const type = (res.headers['content-type'] || '').split(';')[0];
  assert.ok(content[type], `${what}: content type ${type} is documented (${Object.keys(content)})`);
  const schema = content[type].schema;
  const text = res.body.toString('utf8');
  const value = type === 'application/json' ? JSON.parse(text) : text;
  const errors = validate(value, schema);
  assert.deepEqual(errors.slice(0, 10), [], `${what}: the body matches the documented schema`);
}

const PASSWORD = 'correct horse battery staple';

// a POST with a body: {status, headers, body, json}
function post(m, p, body, headers = {}) {
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: m.port, path: p, method: 'POST', agent: false,
      headers: { Host: m.host, Connection: 'close', 'Content-Type': 'application/json',
        'Content-Length': data.length, ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        let json;
        try { json = JSON.parse(b.toString('utf8')); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: b, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`POST ${p}: timeout`)));
    req.on('error', reject);
    req.end(data);
  });
}

function userAdd(m, ...args) {
  execFileSync(MADOCTL, ['--store', m.store, 'user', 'add', ...args, '--password-stdin'], {
    input: `${PASSWORD}\n`, env: { ...process.env, MADO_AUDIT_KEY: `${m.dir}/audit.key` },
  });
}

describe('docs/openapi.yaml against the running API', { skip: skipReason({ browser: false }) }, () => {
  let m;
  let feedToken;

  before(async () => {
    m = new Mado();
    const now = '2026-11-27T12:00:00+09:00';
    // a morning at kita, so that history and forecast have something
    const log = path.join(m.dir, 'kita.log');
    fs.writeFileSync(log, [
      '20261127,09:00:00,0,21,1', '20261127,09:04:00,0,21,2', '20261127,09:10:00,1,21,1',
      '20261127,09:20:00,1,21,2', '20261127,10:01:00,0,11,101',
    ].join('\r\n') + '\r\n');
    m.madoctl('feed', '--office', 'kita', '--format', 'voicecall', log, { env: { MADO_NOW: now } });
    m.madoctl('set', 'kita', 'family', '--status', 'paused', '--message', '点検中', { env: { MADO_NOW: now } });
    userAdd(m, 'tanaka', '--role', 'staff', '--office', 'kita');
    userAdd(m, 'suzuki', '--role', 'staff', '--office', 'kita');
    // a feed account granted an office that is then no longer loaded
    const defs = JSON.parse(fs.readFileSync(path.join(REPO, 'conf.example', 'offices.json'), 'utf8'));
    const gone = { ...defs.offices[defs.offices.length - 1], id: 'oldbranch' };
    fs.writeFileSync(path.join(m.dir, 'more.json'), JSON.stringify({ ...defs, offices: [...defs.offices, gone] }));
    m.madoctl('load', path.join(m.dir, 'more.json'));
    feedToken = m.madoctl('user', 'add', 'machine', '--role', 'feed', '--office', 'kita', '--office', 'oldbranch')
      .match(/^(mado_[0-9a-f]{64})$/m)[1];
    m.madoctl('load', path.join(REPO, 'conf.example', 'offices.json'));
    await m.start({
      http: `    mado_audit_key ${m.dir}/audit.key;\n`,
      // plain HTTP on loopback: allowed by mado_admin_insecure
      server: '        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }\n',
    });
  });

  after(async () => { if (m) await m.stop(); });

  const routes = Object.entries(SPEC.paths).filter(([, item]) => item.get);
  const updates = Object.entries(SPEC.paths).filter(([, item]) => item.post);

  it('documents the routes of the API', () => {
    assert.deepEqual(routes.map(([r]) => r).sort(), [
      '/v1/offices', '/v1/offices/{office}', '/v1/offices/{office}/forecast',
      '/v1/offices/{office}/history', '/v1/offices/{office}/history.csv',
      '/v1/offices/{office}/notices', '/v1/summary',
    ]);
    assert.deepEqual(updates.map(([r]) => r).sort(), [
      '/v1/admin/login', '/v1/admin/logout', '/v1/admin/offices/{office}/counters/{counter}',
      '/v1/admin/offices/{office}/feed', '/v1/admin/session',
    ]);
    assert.equal(Object.keys(SPEC.paths).length, routes.length + updates.length, 'every path is a GET or a POST');
  });

  for (const [route, item] of routes) {
    const op = item.get;

    it(`GET ${route}: 200 as documented`, async () => {
      const url = exampleUrl(route, op);
      const res = await m.request(url);
      assert.equal(res.status, 200, `${url}: ${res.body}`);
      checkBody(res, resolve(op.responses['200']).content, url);
      for (const h of Object.keys(resolve(op.responses['200']).headers || {})) {
        assert.ok(res.headers[h.toLowerCase()], `${url}: header ${h}`);
      }
    });

    for (const status of Object.keys(op.responses).filter((s) => s !== '200' && s !== '503')) {
      it(`GET ${route}: ${status} as documented`, async () => {
        const urls = errorUrls(route, status);
        assert.ok(urls.length, `a request for ${status} on ${route}`);
        for (const url of urls) {
          const res = await m.request(url);
          assert.equal(res.status, Number(status), `${url}: ${res.body}`);
          checkBody(res, resolve(op.responses[status]).content, url);
        }
      });
    }
  }

  // ---------------------------------------------------------- the update API

  // a session of tanaka's, bearer or cookie
  async function login(session = 'bearer', user = 'tanaka') {
    const res = await post(m, '/api/v1/admin/login', { user, password: PASSWORD, session });
    assert.equal(res.status, 200, `login: ${res.body}`);
    const cookie = (res.headers['set-cookie'] || [''])[0].split(';')[0];
    return { token: res.json.token, cookie, csrf: res.json.csrf };
  }
  const bearer = (s) => ({ Authorization: `Bearer ${s.token}` });
  const big = JSON.stringify({ message: 'x'.repeat(20000) });
  const feed = () => ({ Authorization: `Bearer ${feedToken}`, 'Content-Type': 'application/x-ndjson' });
  const feedExample = () => SPEC.paths['/v1/admin/offices/{office}/feed'].post.requestBody.content['application/x-ndjson'].example;

  // the request that must give each documented answer of each update route
  const cases = {
    '/v1/admin/login': {
      200: async () => [['/api/v1/admin/login', SPEC.paths['/v1/admin/login'].post.requestBody.content['application/json'].example]],
      400: async () => [['/api/v1/admin/login', { user: 'tanaka', colour: 'red' }]],
      401: async () => [['/api/v1/admin/login', { user: 'tanaka', password: 'not the password at all' }]],
      403: async () => [['/api/v1/admin/login', { user: 'tanaka', password: PASSWORD }, { Origin: 'https://evil.example' }],
        ['/api/v1/admin/login', { user: 'tanaka', password: PASSWORD }, { 'Sec-Fetch-Site': 'cross-site' }]],
      413: async () => [['/api/v1/admin/login', big]],
      415: async () => [['/api/v1/admin/login', { user: 'tanaka', password: PASSWORD }, { 'Content-Type': 'text/plain' }]],
      429: async () => {
        for (let i = 0; i < 5; i++) await post(m, '/api/v1/admin/login', { user: 'suzuki', password: `wrong password ${i}!` });
        return [['/api/v1/admin/login', { user: 'suzuki', password: PASSWORD }]];
      },
    },
    '/v1/admin/session': {
      200: async () => [['/api/v1/admin/session', {}, bearer(await login())]],
      400: async () => [['/api/v1/admin/session', { user: 'x' }, bearer(await login())]],
      401: async () => [['/api/v1/admin/session', {}]],
      403: async () => [['/api/v1/admin/session', {}, { Cookie: (await login('cookie')).cookie, Origin: 'https://evil.example' }]],
      415: async () => [['/api/v1/admin/session', {}, { ...bearer(await login()), 'Content-Type': 'text/plain' }]],
    },
    '/v1/admin/logout': {
      200: async () => [['/api/v1/admin/logout', {}, bearer(await login())]],
      401: async () => [['/api/v1/admin/logout', {}, { Authorization: `Bearer mado_s_${'0'.repeat(64)}` }]],
      403: async () => [['/api/v1/admin/logout', {}, { Cookie: (await login('cookie')).cookie }]],
      415: async () => [['/api/v1/admin/logout', {}, { ...bearer(await login()), 'Content-Type': 'application/x-www-form-urlencoded' }]],
    },
    '/v1/admin/offices/{office}/counters/{counter}': {
      200: async () => {
        m.madoctl('set', 'kita', 'moving', '--status', 'open', '--waiting', '3');
        const s = await login('cookie');
        const example = SPEC.paths['/v1/admin/offices/{office}/counters/{counter}'].post.requestBody.content['application/json'].example;
        return [['/api/v1/admin/offices/kita/counters/moving', example, { Cookie: s.cookie, 'X-CSRF-Token': s.csrf }]];
      },
      400: async () => [['/api/v1/admin/offices/kita/counters/moving', { action: 'dance' }, bearer(await login())]],
      401: async () => [['/api/v1/admin/offices/kita/counters/moving', { action: 'call' }]],
      403: async () => {
        const s = await login();
        const c = await login('cookie');
        return [['/api/v1/admin/offices/sakyo/counters/moving', { action: 'issue' }, bearer(s)],
          ['/api/v1/admin/offices/kita/counters/moving', { action: 'issue' }, { Cookie: c.cookie }]];
      },
      404: async () => [['/api/v1/admin/offices/kita/counters/lobby', { action: 'issue' }, bearer(await login())]],
      409: async () => [['/api/v1/admin/offices/kita/counters/moving', { action: 'cancel', number: 9999 }, bearer(await login())]],
      413: async () => [['/api/v1/admin/offices/kita/counters/moving', big, bearer(await login())]],
      415: async () => [['/api/v1/admin/offices/kita/counters/moving', { action: 'issue' }, { ...bearer(await login()), 'Content-Type': 'text/plain' }]],
      422: async () => {
        const h = { ...bearer(await login()), 'Idempotency-Key': 'openapi-422' };
        await post(m, '/api/v1/admin/offices/kita/counters/moving', { action: 'set', message: 'a' }, h);
        return [['/api/v1/admin/offices/kita/counters/moving', { action: 'set', message: 'b' }, h]];
      },
    },
    '/v1/admin/offices/{office}/feed': {
      200: async () => [['/api/v1/admin/offices/kita/feed', feedExample(), feed()]],
      400: async () => [['/api/v1/admin/offices/kita/feed', '{"time":"2026-11-27T09:00:00+09:00","event":"issue","counter":"moving","ticket":0}\n', feed()]],
      401: async () => [['/api/v1/admin/offices/kita/feed', feedExample(), { Authorization: `Bearer mado_${'0'.repeat(64)}`, 'Content-Type': 'application/x-ndjson' }]],
      403: async () => [['/api/v1/admin/offices/sakyo/feed', feedExample(), feed()],
        ['/api/v1/admin/offices/kita/feed', feedExample(), { ...bearer(await login()), 'Content-Type': 'application/x-ndjson' }]],
      404: async () => [['/api/v1/admin/offices/oldbranch/feed', feedExample(), feed()]],
      413: async () => [['/api/v1/admin/offices/kita/feed', `${feedExample()}`.repeat(4000), feed()]],
      415: async () => [['/api/v1/admin/offices/kita/feed', feedExample(), { ...feed(), 'Content-Type': 'application/x-www-form-urlencoded' }]],
      422: async () => {
        const h = { ...feed(), 'Idempotency-Key': 'openapi-feed-422' };
        await post(m, '/api/v1/admin/offices/kita/feed', feedExample(), h);
        return [['/api/v1/admin/offices/kita/feed', feedExample().replace(/201/g, '202'), h]];
      },
      429: async () => {
        for (let i = 0; i < 25; i++) {
          const r = await post(m, '/api/v1/admin/offices/kita/feed', feedExample(),
            { Authorization: `Bearer mado_${String(i).padStart(64, '1')}`, 'Content-Type': 'application/x-ndjson' });
          if (r.status === 429) break;
        }
        return [['/api/v1/admin/offices/kita/feed', feedExample(), feed()]];
      },
    },
  };

  // first: the feed's 429 case makes this address wait for every login
  it('login with a cookie session: the documented cookie and CSRF token', async () => {
    const res = await post(m, '/api/v1/admin/login', { user: 'tanaka', password: PASSWORD, session: 'cookie' });
    assert.equal(res.status, 200);
    checkBody(res, SPEC.paths['/v1/admin/login'].post.responses['200'].content, 'cookie login');
    const c = (res.headers['set-cookie'] || [])[0] || '';
    assert.match(c, /^mado_session=mado_s_[0-9a-f]{64}; Path=\/api\/v1\/admin\/; Secure; HttpOnly; SameSite=Strict$/);
    assert.equal(res.json.token, undefined, 'no token in the body');
    assert.match(res.json.csrf, /^[0-9a-f]{64}$/);
  });

  for (const [route, item] of updates) {
    const op = item.post;
    for (const status of Object.keys(op.responses).filter((s) => s !== '503')) {
      it(`POST ${route}: ${status} as documented`, async () => {
        assert.ok(cases[route] && cases[route][status], `a request for ${status} on ${route}`);
        for (const [url, body, headers] of await cases[route][status]()) {
          const res = await post(m, url, body, headers);
          assert.equal(res.status, Number(status), `${url}: ${res.body}`);
          checkBody(res, resolve(op.responses[status]).content, `POST ${url}`);
          for (const h of Object.keys(resolve(op.responses[status]).headers || {})) {
            if (h === 'Set-Cookie') continue;       // only with a cookie session
            assert.ok(res.headers[h.toLowerCase()], `${url}: header ${h}`);
          }
          assert.match(res.headers['cache-control'] || '', /no-store/, `${url}: never cached`);
        }
      });
    }
  }

  it('answers Accept: text/csv on history with the documented CSV', async () => {
    const res = await m.request('/api/v1/offices/kita/history?date=2026-11-27', { headers: { Accept: 'text/csv' } });
    assert.equal(res.status, 200);
    checkBody(res, SPEC.paths['/v1/offices/{office}/history'].get.responses['200'].content, 'history as CSV');
  });

  it('has no undocumented routes under /api/v1/offices/{office}', async () => {
    for (const p of ['/api/v1/offices/kita/counters', '/api/v1/offices/kita/today', '/api/v1/offices/kita/history.json',
      '/api/v2/offices', '/api/v1/offices/kita/forecast/monday']) {
      const res = await m.request(p);
      assert.notEqual(res.status, 200, `${p} answers 200 but is not documented`);
    }
  });
});

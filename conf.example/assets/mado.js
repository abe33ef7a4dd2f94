/* mado: refreshes the server-rendered figures in place from the JSON API, and keeps
   "my number" on this device only (sessionStorage; never sent to the server). */
(function () {
  'use strict';
  var d = document, root = d.documentElement, W = window;
  function attr(n) { return root.getAttribute(n) || ''; }
  var page = attr('data-page'), api = attr('data-api'), officeId = attr('data-office');
  var lang = (attr('lang') || 'ja').toLowerCase();
  var refresh = parseInt(attr('data-refresh'), 10) || 30;
  if (refresh < 5) refresh = 5;
  // the my-number form only works with this script: CSS hides it until then
  root.classList.add('mado-js');
  var state = W.madoState = { lastJson: null, refreshes: 0, alerts: 0 };

  var T = {};
  try { T = JSON.parse(d.getElementById('mado-i18n').textContent) || {}; } catch (e) { T = {}; }
  function t(k) {
    return typeof T[k] === 'string' ? T[k]
      : ({ people: '{n}', minutes_range: '{low}-{high}', 'live.changed': '{counter}: {calling}' })[k] || '\u2014';
  }
  function fmt(k, v) {
    return t(k).replace(/\{(\w+)\}/g, function (m, n) { return v && v[n] != null ? String(v[n]) : m; });
  }
  function q(sel, scope) { return (scope || d).querySelector(sel); }
  function esc(s) { return W.CSS && CSS.escape ? CSS.escape(String(s)) : String(s).replace(/["\\]/g, '\\$&'); }
  function hhmm(iso) { var m = /T(\d\d:\d\d)/.exec(iso || ''); return m ? m[1] : ''; }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : 0; }
  function setText(el, s) { if (el && el.textContent !== s) el.textContent = s; }
  function drop(el) { if (el && el.parentNode) el.parentNode.removeChild(el); }
  function after(ref, el) { ref.parentNode.insertBefore(el, ref.nextSibling); }
  function make(tag, cls) { var el = d.createElement(tag); el.className = cls; return el; }
  function setTime(el, iso) {
    var tm = el && (el.tagName === 'TIME' ? el : q('time', el));
    if (!tm || typeof iso !== 'string') return;
    setText(tm, hhmm(iso));
    if (tm.getAttribute('datetime') !== iso) tm.setAttribute('datetime', iso);
  }
  function noop() {}
  function resume() { var r = audio && audio.state === 'suspended' && audio.resume(); if (r && r.catch) r.catch(noop); }
  function emit(name, detail) { d.dispatchEvent(new CustomEvent(name, { detail: detail })); }
  function ymd(iso) {
    var m = /^(\d{4})-(\d\d)-(\d\d)/.exec(iso || '');
    return m ? Date.UTC(+m[1], m[2] - 1, +m[3]) : NaN;
  }
  // "{day} {time}" for next_open: today / tomorrow / weekday, both dates already in +09:00
  function dayLabel(iso, now) {
    var a = ymd(iso), diff = Math.round((a - ymd(now)) / 864e5);
    return diff === 0 ? t('today') : diff === 1 ? t('tomorrow') : t('weekday.' + new Date(a).getUTCDay());
  }

  /* ---- easy: readings ({北区役所|きたくやくしょ} in ja-easy texts), plurals, dated times, announcements ---- */
  var RUBY = /\{([^{}|]+)\|([^{}|]+)\}/g, easy = attr('data-lang') === 'ja-easy';
  // the element's text as markup again: what put() would have been given
  function markOf(el) {
    var s = '';
    Array.prototype.forEach.call(el.childNodes, function (n) {
      if (n.nodeType === 3) s += n.nodeValue;
      else if (n.nodeName === 'RUBY') {
        var rt = q('rt', n);
        s += '{' + (n.firstChild && n.firstChild.nodeType === 3 ? n.firstChild.nodeValue : '') + '|' + (rt ? rt.textContent : '') + '}';
      } else if (n.nodeType === 1) s += markOf(n);
    });
    return s;
  }
  // "北区役所（きたくやくしょ）": the API's form of a text with readings
  function plain(s) { return String(s).replace(RUBY, '$1\uff08$2\uff09'); }
  // "北区役所": for the screen reader and notifications, which read the kanji
  function bare(s) { return String(s).replace(RUBY, '$1'); }
  // the text without its readings (what a screen reader needs once)
  function baseText(el) {
    var s = '';
    Array.prototype.forEach.call(el ? el.childNodes : [], function (n) {
      if (n.nodeType === 3) s += n.nodeValue;
      else if (n.nodeType === 1 && n.nodeName !== 'RT') s += baseText(n);
    });
    return s;
  }
  // a catalog text into el: <ruby> for readings, a phrase holding one kept
  // on a line (<span class="ph">), as the module writes it
  function put(el, s) {
    if (!el) return;
    s = String(s);
    // the signage and the embed say ja-easy in kana (readings too small across a room, or
    // in a 320x260 frame), as the module does
    if (easy && (page === 'signage' || page === 'embed')) s = s.replace(RUBY, '$2');
    if (!easy || s.indexOf('|') < 0) return setText(el, s);
    if (markOf(el) === s) return;
    while (el.firstChild) el.removeChild(el.firstChild);
    s.split(/( )/).forEach(function (w) {
      if (!RUBY.test(w)) { RUBY.lastIndex = 0; return el.appendChild(d.createTextNode(w)); }
      RUBY.lastIndex = 0;
      var ph = el.appendChild(make('span', 'ph')), at = 0, m;
      while ((m = RUBY.exec(w))) {
        if (m.index > at) ph.appendChild(d.createTextNode(w.slice(at, m.index)));
        var r = ph.appendChild(d.createElement('ruby')), rt = d.createElement('rt');
        r.appendChild(d.createTextNode(m[1]));
        rt.textContent = m[2];
        r.appendChild(rt);
        at = RUBY.lastIndex;
      }
      if (at < w.length) ph.appendChild(d.createTextNode(w.slice(at)));
    });
  }
  // KEY.one for 1 where the catalog has it ("1 person")
  function fmtN(k, n) { return fmt(n === 1 && typeof T[k + '.one'] === 'string' ? k + '.one' : k, { n: n }); }
  function word(k, i) { return (t(k).split(/\s+/)[i]) || String(i + 1); }
  // "2026年12月3日(木) 10:42", "Thu 3 Dec 2026, 10:42" (asof.datetime), from "2026-12-03T10:42:00+09:00"
  function dated(iso) {
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d)/.exec(iso || '');
    if (!m) return '';
    return fmt('asof.datetime', { year: +m[1], month: word('date.months', m[2] - 1), day: +m[3],
      weekday: word('date.weekdays', new Date(Date.UTC(+m[1], m[2] - 1, +m[3])).getUTCDay()), time: m[4] });
  }
  // now, at the offices (+09:00), as the API writes times
  function jstNow() { return new Date(Date.now() + 9 * 3600e3).toISOString().replace(/\.\d+Z$/, '+09:00'); }
  // the one live region: what matters only (status changes, the user's own number)
  function announce(text) {
    var live = d.getElementById('mado-live');
    if (!live || !text) return;
    state.announced = (state.announced || 0) + 1;
    live.textContent = text;
  }

  /* ---- live refresh ---- */
  var prev = {}, lastText = null, timer = null, busy = false, warned = false, polling = false;

  function readCalling(el) {
    var v = parseInt((((q('.calling', el) || {}).textContent) || '').replace(/\D/g, ''), 10);
    return v > 0 ? v : 0;
  }
  // baseline from the server-rendered page, so nothing is announced on load
  // (prev: the statuses; a call is not announced, a status change is)
  Array.prototype.forEach.call(d.querySelectorAll('.counter[data-counter]'), function (el) {
    var card = el.closest && el.closest('[data-office-card]');
    var key = (card ? card.getAttribute('data-office-card') : officeId) + '/' + el.getAttribute('data-counter');
    if (!(key in prev)) prev[key] = el.getAttribute('data-status') || '';
  });

  var pageLang = d.documentElement.getAttribute('data-lang') || 'ja';

  function updateCounter(el, c, gen) {
    var level = [0, 1, 2, 3].indexOf(c.level) >= 0 ? String(c.level) : 'unknown';
    var status = typeof c.status === 'string' ? c.status : 'closed';
    el.setAttribute('data-status', status);
    el.setAttribute('data-level', level);
    el.setAttribute('data-stale', c.stale ? 'true' : 'false');
    put(q('.status-text', el), t('status.' + status));

    var st = q('.status', el), no = q('.next-open', el);
    var noText = c.next_open && status !== 'open'
      ? fmt('next_open', { day: dayLabel(c.next_open, gen), time: hhmm(c.next_open) }) : '';
    if (!no && noText && st) {
      st.appendChild(d.createTextNode(' '));
      no = st.appendChild(make('span', 'next-open'));
    }
    put(no, noText);

    var cal = q('.calling', el), calText = num(c.calling) > 0 ? String(c.calling) : t('none_called');
    if (cal && cal.textContent !== calText) {
      cal.textContent = calText;
      cal.classList.remove('is-new');
      if (W.requestAnimationFrame) requestAnimationFrame(function () { cal.classList.add('is-new'); });
    }
    put(q('.waiting', el), fmtN('people', num(c.waiting)));
    var r = c.wait_range;
    put(q('.wait', el), status === 'open' && num(c.waiting) === 0 ? t('minutes_none')
      : r && typeof r === 'object' ? fmt('minutes_range', { low: r.low, high: r.high }) : t('unknown'));
    put(q('.level-text', el), status !== 'open' && T['level.not_open'] ? t('level.not_open') : t('level.' + level));

    // right after the figures: a wait that runs past today's close, then
    // the jam message in the page's language
    var fig = q('.figures', el) || q('dl', el);
    function place(p, ref) { if (ref) after(ref, p); else el.insertBefore(p, q('.updated', el)); }
    var pk = c.past_close === 'possible' || c.past_close === 'likely' ? c.past_close : '';
    var pt = pk && typeof c.closes_at === 'string' ? fmt('past_close.' + pk, { time: hhmm(c.closes_at) }) : '';
    var pc = q('.past-close', el);
    if (pt) {
      if (!pc) place(pc = make('p', 'past-close'), fig);
      if (pc.getAttribute('data-past-close') !== pk) pc.setAttribute('data-past-close', pk);
      put(pc, pt);
    } else {
      drop(pc);
      pc = null;
    }

    var jm = c.jam_message && typeof c.jam_message === 'object'
      ? (c.jam_message[pageLang] || c.jam_message.ja || '') : '';
    var jam = q('.jam', el);
    if (jm) {
      if (!jam) place(jam = make('p', 'jam'), pc || fig);
      if (plain(markOf(jam)) !== jm) setText(jam, jm);
    } else {
      drop(jam);
      jam = null;
    }

    staffNotes(el, c, jam || pc || fig, place);
    var up = q('.updated', el);
    setTime(up, c.updated_at);
    staleNote(up, !!c.stale);
    updateRecent(el, c);
    updateBestTime(el, c, gen);
  }

  /* ---- recently called numbers: rebuilt when the API's list differs; not a live region ---- */
  function updateRecent(el, c) {
    var box = q('.recent', el), list = box && q('.recent-list', box);
    if (!list || !Array.isArray(c.recent_calls)) return;
    var calls = c.recent_calls.filter(function (x) { return x && num(x.number) > 0 && typeof x.at === 'string'; });
    var want = calls.map(function (x) { return x.number + '@' + x.at; }).join(' ');
    var have = Array.prototype.map.call(list.children, function (li) {
      var n = q('.recent-number', li), tm = q('time', li);
      return (n ? n.textContent : '') + '@' + (tm ? tm.getAttribute('datetime') : '');
    }).join(' ');
    if (want !== have) {
      while (list.firstChild) list.removeChild(list.firstChild);
      calls.forEach(function (x) {
        var li = d.createElement('li'), n = li.appendChild(make('span', 'recent-number'));
        n.textContent = String(x.number);
        li.appendChild(d.createTextNode(' '));
        var tm = li.appendChild(d.createElement('time'));
        tm.setAttribute('datetime', x.at);
        tm.textContent = hhmm(x.at);
        list.appendChild(li);
      });
    }
    box.hidden = calls.length === 0;
  }


  // best time to visit: the office page's sentence from the API's
  // best_time (computed once per snapshot; none: no sentence)
  function updateBestTime(el, c, gen) {
    if (page !== 'office') return;
    var b = c.best_time && typeof c.best_time === 'object' ? c.best_time : null;
    var p = q('.best-time', el);
    if (!b) { drop(p); return; }
    var m = /^(\d{4})-(\d\d)-(\d\d)/.exec(gen || '');
    var wd = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay() : 0;
    if (!p) {
      p = make('p', 'best-time');
      p.appendChild(make('span', 'best-time-text'));
      p.appendChild(d.createTextNode(' '));
      p.appendChild(make('span', 'best-time-basis'));
      after(q('.figures', el) || q('dl', el), p);
    }
    p.setAttribute('data-from', String(b.from));
    p.setAttribute('data-minutes', String(num(b.typical_minutes)));
    setText(q('.best-time-text', p), fmt(num(b.typical_minutes) ? 'best_time.text' : 'best_time.text_no_wait',
      { from: b.from, minutes: num(b.typical_minutes) }));
    setText(q('.best-time-basis', p), fmt('best_time.basis', { days: num(b.days), weekday: t('weekday.' + wd) }));
  }

  /* ---- staff notices: the preset in the page's language, then the free text,
     which is Japanese (lang="ja", labelled so on other languages' pages) ---- */
  function staffNotes(el, c, ref, place) {
    var n = c.notice && typeof c.notice === 'object' && c.notice.text ? c.notice : null;
    var nt = n ? (n.text[pageLang] || n.text.ja || '') : '';
    var p = q('.notice', el);
    if (nt) {
      if (!p) place(p = make('p', 'notice'), ref);
      if (p.getAttribute('data-notice') !== String(n.id)) p.setAttribute('data-notice', String(n.id));
      setText(p, nt);
      ref = p;
    } else {
      drop(p);
    }
    var msg = q('.message', el);
    if (typeof c.message !== 'string' || c.message === '') { drop(msg); return; }
    if (!msg) place(msg = make('p', 'message'), ref);
    var label = !/^ja(-easy)?$/.test(pageLang) && T['notice.staff_ja'] ? t('notice.staff_ja') : '';
    var lab = q('.message-label', msg), txt = q('.message-text', msg);
    if (!txt) {
      msg.textContent = '';
      if (label) { msg.appendChild(lab = make('span', 'message-label')); msg.appendChild(d.createTextNode(' ')); }
      txt = msg.appendChild(make('span', 'message-text'));
      txt.setAttribute('lang', 'ja');
    }
    setText(lab, label);
    setText(txt, c.message);
  }

  // the module writes "情報が古い可能性があります " before the time of a stale counter
  function staleNote(up, stale) {
    var tm = up && q('time', up);
    if (!tm || !T['stale.counter']) return;
    var want = (stale ? t('stale.counter') + ' ' : '') + t('updated').split('{time}')[0], box = d.createElement('span'), n;
    while ((n = up.firstChild) && n !== tm) box.appendChild(n);
    if (markOf(box) !== want) put(box, want);
    while (box.firstChild) up.insertBefore(box.firstChild, tm);
  }

  /* ---- index: the jump table's and the cards' office figures (/api/v1/summary) ---- */
  function longestText(lw) {
    return !lw || typeof lw !== 'object' ? t('unknown')
      : num(lw.high) === 0 ? t('minutes_none') : fmt('minutes_range', { low: lw.low, high: lw.high });
  }
  function updateOffice(o) {
    if (!('longest_wait' in o)) return;  // a document without the office's figures
    var row = q('[data-office-row="' + esc(o.id) + '"]'), card = q('[data-office-card="' + esc(o.id) + '"]');
    var text = longestText(o.longest_wait);
    [row, card].forEach(function (el) { if (el) setText(q('.longest-wait', el), text); });
    if (!row) return;
    setText(q('.office-waiting', row), fmt('people', { n: num(o.waiting) }));
    row.setAttribute('data-stale', o.counters.some(function (c) { return c && c.stale; }) ? 'true' : 'false');
  }

  function apply(json) {
    var offices = Array.isArray(json.offices) ? json.offices : json.office ? [json.office] : [];
    var stale = false, said = [];
    offices.forEach(function (o) {
      if (!o || !Array.isArray(o.counters)) return;
      var scope = page === 'index' ? q('[data-office-card="' + esc(o.id) + '"]') : d;
      if (!scope) return;
      if (page === 'index') updateOffice(o);
      o.counters.forEach(function (c) {
        if (!c || c.id == null) return;
        var els = scope.querySelectorAll('.counter[data-counter="' + esc(c.id) + '"]');
        if (!els.length) return;
        if (c.stale) stale = true;
        Array.prototype.forEach.call(els, function (el) { updateCounter(el, c, json.generated_at); });
        var key = (page === 'index' ? o.id : officeId) + '/' + c.id, st = typeof c.status === 'string' ? c.status : 'closed';
        if (key in prev && prev[key] !== st) {
          // the page's own name for it, without its readings
          var nm = baseText(q('.name', els[0])).trim();
          nm = nm || (c.name && typeof c.name === 'object' ? c.name[pageLang] || c.name.ja : c.name);
          said.push(bare(fmt('live.status', { counter: nm || c.id, status: t('status.' + st) })));
        }
        prev[key] = st;
      });
    });

    var asof = q('.asof'), banner = q('.stale-banner');
    setTime(asof, json.generated_at);
    var atm = asof && q('time', asof);
    // the embed: the time only (no room in its frame)
    if (atm && page !== 'embed' && T['asof.datetime'] && typeof json.generated_at === 'string') put(atm, dated(json.generated_at));
    if (stale && !banner && asof && asof.parentNode) {
      banner = make('div', 'stale-banner');
      banner.setAttribute('role', 'status');
      put(banner.appendChild(d.createElement('span')), t('stale.banner'));
      after(asof, banner);
    } else if (!stale) {
      drop(banner);
    }
    // status changes only (calls are read on demand); the index has too many counters to read out
    if (said.length && page !== 'index') announce(said.join(/^(ja|zh)/.test(lang) ? '\u3002' : '; '));
  }

  // refreshes failing (unreachable, 5xx, timeout): say so, and since when
  var lastOk = jstNow(), failing = false;
  function refreshFailed(yes) {
    var box = q('.refresh-failed');
    if (!yes) { failing = false; lastOk = jstNow(); return drop(box); }
    state.failures = (state.failures || 0) + 1;
    if (failing && box) return;
    failing = true;
    var asof = q('.asof');
    if (!asof || !asof.parentNode) return;
    if (!box) {
      box = make('div', 'refresh-failed');
      box.setAttribute('role', 'status');
      after(q('.stale-banner') || asof, box);
    }
    put(box.firstChild || box.appendChild(d.createElement('span')), fmt('refresh.failed', { time: hhmm(lastOk) }));
  }

  // a set ticket keeps polling in a background tab, or its alerts could never fire
  function wanted() { return !d.hidden || !!my; }
  function schedule() {
    clearTimeout(timer);
    timer = wanted() ? setTimeout(tick, refresh * 1000) : null;
  }
  function tick() {
    if (!polling || !W.fetch) return;
    if (busy || !wanted()) return schedule();
    busy = true;
    // a hung request counts as a failure after a refresh period (20 s at most)
    var ctl = W.AbortController ? new AbortController() : null;
    var limit = setTimeout(function () { if (ctl) ctl.abort(); }, Math.min(refresh, 20) * 1000);
    fetch(api, { cache: 'no-cache', headers: { Accept: 'application/json' }, signal: ctl ? ctl.signal : undefined })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (text) {
        state.refreshes++;
        refreshFailed(false);
        if (text === lastText) return;
        var json = JSON.parse(text);
        if (!json || typeof json !== 'object') return;
        lastText = text;
        state.lastJson = json;
        apply(json);
        evaluate(false);
        emit('mado:refresh', { generated_at: json.generated_at });
      })
      .catch(function (e) {
        if (!warned && W.console && console.debug) console.debug('mado: refresh failed, keeping the figures', e && e.message);
        warned = true;
        refreshFailed(true);
      })
      .then(function () { clearTimeout(limit); busy = false; schedule(); });
  }
  function now() { clearTimeout(timer); tick(); }
  d.addEventListener('visibilitychange', function () { if (d.hidden) schedule(); else now(); });
  W.addEventListener('pageshow', function (e) { if (e.persisted) now(); });

  /* ---- my number (office page) ---- */
  var my = null, inZone = false, audio = null, form = null, out = null, KEY = 'mado.myticket.' + officeId;

  function store(v) {
    try {
      if (v) sessionStorage.setItem(KEY, JSON.stringify(v)); else sessionStorage.removeItem(KEY);
    } catch (e) { /* no storage: memory only */ }
  }
  function field(n) { return form && form.querySelector('[name="' + n + '"]'); }
  function ticketOf(v) {
    v = String(v == null ? '' : v).trim();
    return /^\d{1,4}$/.test(v) && +v >= 1 ? +v : 0;
  }
  function distOf(v) { v = parseInt(v, 10); return v > 0 && v < 10000 ? v : 3; }
  function setField(el, v) {
    if (el && (el.tagName !== 'SELECT' || Array.prototype.some.call(el.options, function (o) { return o.value === v; }))) el.value = v;
    return el ? el.value : v;
  }
  function show(text, kind) {
    if (!out) return;
    put(out, text);
    if (kind) out.setAttribute('data-state', kind); else out.removeAttribute('data-state');
  }
  // a counter's calling, last issued and numbers (first..last): the API's once refreshed, else the page's
  function counterOf(id) {
    var j = state.lastJson, o = j && (j.office || (j.offices || []).filter(function (x) { return x && x.id === officeId; })[0]);
    var c = o && Array.isArray(o.counters) && o.counters.filter(function (x) { return x && x.id === id; })[0];
    var opt = form && q('option[value="' + esc(id) + '"]', form), r = c && c.ticket_range;
    var k = {
      first: Array.isArray(r) ? num(r[0]) : opt ? num(+opt.getAttribute('data-first')) : 1,
      last: Array.isArray(r) ? num(r[1]) : opt ? num(+opt.getAttribute('data-last')) : 9999
    };
    if (!(k.first >= 1 && k.last > k.first)) { k.first = 1; k.last = 9999; }
    if (c) {
      k.calling = num(c.calling);
      k.issued = typeof c.last_issued === 'number' ? num(c.last_issued) : null;
      return k;
    }
    var el = q('.counter[data-counter="' + esc(id) + '"]');
    if (!el) return null;
    k.calling = readCalling(el);
    k.issued = opt && opt.hasAttribute('data-issued') ? num(+opt.getAttribute('data-issued')) : null;
    return k;
  }
  // a comes after b going round the numbers, as the library has it (mado_ticket_after):
  // less than half the range ahead; anything comes after none (0)
  function later(k, a, b) {
    if (b < k.first || b > k.last) return true;
    var n = k.last - k.first + 1, dd = ((a - b) % n + n) % n;
    return dd !== 0 && dd < Math.floor((n + 1) / 2);
  }

  function evaluate(silent) {
    if (!my || !out) return;
    var k = counterOf(my.counter), n = my.ticket, ahead, kind, text;
    if (!k) { show('', ''); inZone = false; return; }
    if (n < k.first || n > k.last) {
      kind = 'range'; text = fmt('myticket.range', { first: k.first, last: k.last });
    } else if (n === k.calling) {
      ahead = 0; kind = 'called'; text = t('myticket.called');
    } else if (k.issued != null && later(k, n, k.issued)) {
      // not issued yet: no count (it may be, by the next refresh)
      kind = 'unissued'; text = fmt('myticket.unissued', { n: n });
    } else if (!later(k, n, k.calling)) {
      kind = 'passed'; text = t('myticket.passed');
    } else {
      // the numbers strictly between the one called and yours, round the range
      // (calling 4000, ticket 4020: 19; calling 298 of 1..300, ticket 2: 3)
      ahead = k.calling >= k.first && k.calling <= k.last
        ? (n - k.calling + (k.last - k.first + 1)) % (k.last - k.first + 1) - 1
        : n - k.first;
      if (ahead <= my.distance) { kind = 'soon'; text = fmt('myticket.soon', { n: ahead }); }
      else { kind = 'ahead'; text = fmtN('myticket.ahead', ahead); }
    }
    show(text, kind);
    var zone = kind === 'soon' || kind === 'called';
    // announced when it is set, and when its kind changes (soon, called,
    // passed…), not at every count: that is read on demand
    if (!silent && (my.said === undefined || my.said !== kind)) announce(bare(text));
    my.said = kind;
    if (zone && !inZone && !silent) alertNow(ahead, bare(text));
    inZone = zone;
  }

  function beep() {
    try {
      resume();
      var t0 = audio.currentTime;
      [0, 0.3].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.0001, t0 + at);
        g.gain.exponentialRampToValueAtTime(0.3, t0 + at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.2);
        o.connect(g);
        g.connect(audio.destination);
        o.start(t0 + at);
        o.stop(t0 + at + 0.22);
      });
    } catch (e) { /* no sound */ }
  }
  function alertNow(ahead, text) {
    state.alerts++;
    if (audio) beep();
    var ua = navigator.userActivation;
    if (navigator.vibrate && (ua ? ua.hasBeenActive : audio)) {
      try { navigator.vibrate([200, 100, 200]); } catch (e) { /* ignore */ }
    }
    if (W.Notification && Notification.permission === 'granted') {
      try { new Notification(t('myticket.notify_title'), { body: text, tag: 'mado-myticket' }); } catch (e) { /* needs a service worker here */ }
    }
    emit('mado:alert', { counter: my.counter, ticket: my.ticket, ahead: ahead });
  }
  // runs inside the submit (a user gesture), so autoplay and permission rules allow it
  function unlock() {
    var AC = W.AudioContext || W.webkitAudioContext;
    try {
      if (AC && !audio) audio = new AC();
      resume();
    } catch (e) { audio = null; }
    try {
      if (W.Notification && Notification.permission === 'default') {
        var p = Notification.requestPermission();
        if (p && p.catch) p.catch(noop);
      }
    } catch (e) { /* ignore */ }
  }

  function initTicket() {
    var sec = q('section.myticket') || d;
    form = q('form.myticket-form', sec);
    if (!form) return;
    out = q('.myticket-status', sec);
    [sec, form].forEach(function (el) { if (el.removeAttribute) el.removeAttribute('hidden'); });

    form.addEventListener('submit', function (e) {
      e.preventDefault();  // the number never leaves this device
      unlock();
      var ticket = ticketOf((field('ticket') || {}).value);
      if (!ticket) return show(t('myticket.invalid'), 'invalid');
      my = { counter: (field('counter') || {}).value || '', ticket: ticket, distance: distOf((field('distance') || {}).value) };
      store(my);
      inZone = false;
      evaluate(false);
      if (!timer && !busy) schedule();
    });
    var clear = q('.myticket-clear', sec);
    if (clear) clear.addEventListener('click', function (e) {
      e.preventDefault();
      my = null;
      inZone = false;
      store(null);
      setField(field('ticket'), '');
      show('', '');
    });

    // #ticket=N[&counter=ID] (link or QR code): fragments never reach the server
    var silent = true, h = location.hash;
    if (/^#(.*&)?ticket=/.test(h)) {
      var p = {};
      h.slice(1).split('&').forEach(function (kv) {
        var i = kv.indexOf('=');
        try { if (i > 0) p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* ignore */ }
      });
      try { history.replaceState(history.state, '', location.pathname + location.search); } catch (e) { /* ignore */ }
      if (!ticketOf(p.ticket)) return show(t('myticket.invalid'), 'invalid');
      my = { counter: p.counter, ticket: ticketOf(p.ticket), distance: distOf((field('distance') || {}).value) };
      silent = false;
    } else {
      try {
        var s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
        if (s && ticketOf(s.ticket)) my = { counter: String(s.counter || ''), ticket: ticketOf(s.ticket), distance: distOf(s.distance) };
      } catch (e) { my = null; }
    }
    if (!my) return;
    my.counter = setField(field('counter'), String(my.counter || ''));
    setField(field('ticket'), String(my.ticket));
    setField(field('distance'), String(my.distance));
    store(my);
    evaluate(silent);  // restored from storage: it alerted before the reload, if due
  }

  if (page === 'office') {
    try { initTicket(); } catch (e) { /* the figures still refresh */ }
  }
  /* ---- signage: alternate with a second language (/kita/signage?lang=ja#alt=en&every=20) ---- */
  // The page stays complete in its own language; the other is the same page in
  // that language, fetched once (without cookies: the TV's mado_lang stays), and
  // its texts swap in place every `every` seconds; the figures follow the API.
  function initAlternate() {
    var p = {};
    location.hash.slice(1).split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i)] = kv.slice(i + 1).toLowerCase();
    });
    var alt = /^[a-z]{2}(-[a-z]+)?$/.test(p.alt || '') ? p.alt : '';
    if (!alt || alt === pageLang || !W.fetch || !W.DOMParser) return;
    var every = Math.max(5, parseInt(p.every, 10) || 20);
    function capture(doc) {
      var s = { lang: doc.documentElement.getAttribute('lang') || alt, code: doc.documentElement.getAttribute('data-lang'),
        title: doc.title, T: {}, nodes: {} };
      try { s.T = JSON.parse(doc.getElementById('mado-i18n').textContent) || {}; } catch (e) { s.T = {}; }
      var img = q('.signage-qr img', doc);
      s.alt = img ? img.getAttribute('alt') : '';
      [['h1', 'main h1'], ['asof', 'main .asof'], ['cap', '.signage-qr figcaption']].forEach(function (k) {
        var el = q(k[1], doc);
        if (el) s.nodes[k[0]] = el;
      });
      Array.prototype.forEach.call(doc.querySelectorAll('main .counter[data-counter]'), function (el) {
        s.nodes['c:' + el.getAttribute('data-counter')] = el;
      });
      return s;
    }
    function show(s, shown) {
      Object.keys(shown).forEach(function (k) {
        var el = s.nodes[k], cur = shown[k];
        if (!el || el === cur || !cur.parentNode) return;
        cur.parentNode.replaceChild(el, cur);
        shown[k] = el;
      });
      T = s.T;
      lang = s.lang.toLowerCase();
      pageLang = s.code;
      root.setAttribute('lang', s.lang);
      root.setAttribute('data-lang', s.code);
      d.title = s.title;
      var img = q('.signage-qr img');
      if (img && s.alt) img.setAttribute('alt', s.alt);
      setText(q('.stale-banner'), t('stale.banner'));
      if (state.lastJson) apply(state.lastJson);
      emit('mado:language', { lang: s.code });
    }
    fetch(location.pathname + '?lang=' + encodeURIComponent(alt),
      { credentials: 'omit', cache: 'no-cache', headers: { Accept: 'text/html' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        if (doc.documentElement.getAttribute('data-lang') !== alt) return;
        var sets = [capture(d), capture(doc)], shown = {}, cur = 0;
        Object.keys(sets[1].nodes).forEach(function (k) {
          if (sets[0].nodes[k]) sets[1].nodes[k] = d.importNode(sets[1].nodes[k], true);
        });
        Object.keys(sets[0].nodes).forEach(function (k) { if (sets[1].nodes[k]) shown[k] = sets[0].nodes[k]; });
        state.alternate = alt;
        setInterval(function () { cur = 1 - cur; show(sets[cur], shown); }, every * 1000);
      })
      .catch(function (e) {
        if (W.console && console.debug) console.debug('mado: no second language', e && e.message);
      });
  }
  if (page === 'signage') {
    try { initAlternate(); } catch (e) { /* the page stays in its language */ }
  }
  /* ---- embed: tell the host page the widget's height (docs/pages.md, "Embedding") ---- */
  // Only a number leaves, so to any parent ('*'); the host checks the message's origin.
  function initHeight() {
    if (W.parent === W || !W.parent.postMessage) return;
    var last = 0;
    function send() {
      var h = Math.ceil(d.body.getBoundingClientRect().height);
      if (!(h > 0) || h === last) return;
      last = h;
      try { W.parent.postMessage({ type: 'mado:height', office: officeId, height: h }, '*'); } catch (e) { /* ignore */ }
    }
    if (W.ResizeObserver) new ResizeObserver(send).observe(d.body);
    W.addEventListener('load', send);
    d.addEventListener('mado:refresh', send);
    send();
  }
  if (page === 'embed') {
    try { initHeight(); } catch (e) { /* the frame keeps its size */ }
  }
  // only pages with figures poll (not the 404 or "unavailable" pages)
  polling = !!api && /^(index|office|signage|embed)$/.test(page) && !!q('.counter[data-counter]');
  if (polling) schedule();
})();

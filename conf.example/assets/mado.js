/* mado: refreshes the server-rendered figures in place from the JSON API,
   and keeps "my number" on this device only (never sent to the server). */
(function () {
  'use strict';
  var d = document, root = d.documentElement;
  var page = root.getAttribute('data-page') || '';
  var api = root.getAttribute('data-api') || '';
  var officeId = root.getAttribute('data-office') || '';
  var lang = (root.getAttribute('lang') || 'ja').toLowerCase();
  var refresh = parseInt(root.getAttribute('data-refresh'), 10);
  if (!(refresh > 0)) refresh = 30;
  if (refresh < 5) refresh = 5;

  var state = { lastJson: null, refreshes: 0, alerts: 0 };
  window.madoState = state;

  var T = {};
  try {
    var ie = d.getElementById('mado-i18n');
    if (ie) T = JSON.parse(ie.textContent) || {};
  } catch (e) { T = {}; }
  var FALLBACK = {
    people: '{n}', minutes_range: '{low}-{high}', 'myticket.ahead': '{n}', 'myticket.soon': '{n}',
    'live.changed': '{counter}: {calling} / {waiting}', next_open: '{day} {time}'
  };
  function t(key) {
    if (typeof T[key] === 'string') return T[key];
    return FALLBACK[key] || '\u2014';
  }
  function fmt(key, vars) {
    return t(key).replace(/\{(\w+)\}/g, function (m, n) {
      return vars && vars[n] != null ? String(vars[n]) : m;
    });
  }
  function q(sel, scope) { return (scope || d).querySelector(sel); }
  function esc(s) {
    s = String(s);
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&');
  }
  function hhmm(iso) {
    var m = /T(\d\d:\d\d)/.exec(iso || '');
    return m ? m[1] : '';
  }
  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }
  function setTime(el, iso) {
    if (!el || typeof iso !== 'string') return;
    var tm = el.tagName === 'TIME' ? el : q('time', el);
    if (!tm) return;
    setText(tm, hhmm(iso));
    if (tm.getAttribute('datetime') !== iso) tm.setAttribute('datetime', iso);
  }
  function nameOf(c) {
    var n = c && c.name;
    if (n && typeof n === 'object') return n[lang] || n.ja || c.id;
    return typeof n === 'string' ? n : (c && c.id) || '';
  }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : 0; }

  /* "次の受付開始：{day} {time}" from next_open, relative to generated_at (both +09:00) */
  function dayLabel(iso, nowIso) {
    var a = /^(\d{4})-(\d\d)-(\d\d)/.exec(iso), b = /^(\d{4})-(\d\d)-(\d\d)/.exec(nowIso || '');
    if (!a) return '';
    var da = Date.UTC(+a[1], a[2] - 1, +a[3]);
    if (b) {
      var diff = Math.round((da - Date.UTC(+b[1], b[2] - 1, +b[3])) / 864e5);
      if (diff === 0) return t('today');
      if (diff === 1) return t('tomorrow');
    }
    return t('weekday.' + new Date(da).getUTCDay());
  }

  /* ---- live refresh ---- */
  var prevCalling = {}, lastText = null, timer = null, busy = false, warned = false;
  var live = d.getElementById('mado-live');

  function readCalling(el) {
    var v = parseInt(((q('.calling', el) || {}).textContent || '').replace(/\D/g, ''), 10);
    return isNaN(v) ? 0 : v;
  }
  // baseline from the server-rendered page: nothing is announced on load
  Array.prototype.forEach.call(d.querySelectorAll('.counter[data-counter]'), function (el) {
    var card = el.closest ? el.closest('[data-office-card]') : null;
    var o = card ? card.getAttribute('data-office-card') : officeId;
    var key = o + '/' + el.getAttribute('data-counter');
    if (!(key in prevCalling)) prevCalling[key] = readCalling(el);
  });

  function waitText(c) {
    if (c.status === 'open' && num(c.waiting) === 0) return t('minutes_none');
    if (c.wait_range && typeof c.wait_range === 'object') {
      return fmt('minutes_range', { low: c.wait_range.low, high: c.wait_range.high });
    }
    return t('unknown');
  }

  function updateCounter(el, c, genIso) {
    var level = [0, 1, 2, 3].indexOf(c.level) >= 0 ? String(c.level) : 'unknown';
    var status = typeof c.status === 'string' ? c.status : 'closed';
    el.setAttribute('data-status', status);
    el.setAttribute('data-level', level);
    el.setAttribute('data-stale', c.stale ? 'true' : 'false');
    setText(q('.status-text', el), t('status.' + status));

    var st = q('.status', el), no = q('.next-open', el);
    var noText = c.next_open && status !== 'open'
      ? fmt('next_open', { day: dayLabel(c.next_open, genIso), time: hhmm(c.next_open) }) : '';
    if (!no && noText && st) {
      no = d.createElement('span');
      no.className = 'next-open';
      st.appendChild(d.createTextNode(' '));
      st.appendChild(no);
    }
    setText(no, noText);

    var cal = q('.calling', el), calText = num(c.calling) > 0 ? String(c.calling) : t('none_called');
    if (cal && cal.textContent !== calText) {
      cal.textContent = calText;
      cal.classList.remove('is-new');
      if (window.requestAnimationFrame) requestAnimationFrame(function () { cal.classList.add('is-new'); });
    }
    setText(q('.waiting', el), fmt('people', { n: num(c.waiting) }));
    setText(q('.wait', el), waitText(c));
    setText(q('.level-text', el), t('level.' + level));

    var msg = q('.message', el);
    if (typeof c.message === 'string' && c.message !== '') {
      if (!msg) {
        msg = d.createElement('p');
        msg.className = 'message';
        var dl = q('.figures', el) || q('dl', el);
        if (dl && dl.parentNode) dl.parentNode.insertBefore(msg, dl.nextSibling);
        else el.insertBefore(msg, q('.updated', el));
      }
      setText(msg, c.message);
    } else if (msg && msg.parentNode) {
      msg.parentNode.removeChild(msg);
    }
    setTime(q('.updated', el), c.updated_at);
  }

  function apply(json) {
    var offices = Array.isArray(json.offices) ? json.offices : (json.office ? [json.office] : []);
    var anyStale = false, said = [];
    offices.forEach(function (o) {
      if (!o || !Array.isArray(o.counters)) return;
      var scope = d;
      if (page === 'index') {
        scope = q('[data-office-card="' + esc(o.id) + '"]');
        if (!scope) return;
      }
      o.counters.forEach(function (c) {
        if (!c || c.id == null) return;
        var els = scope.querySelectorAll('.counter[data-counter="' + esc(c.id) + '"]');
        if (!els.length) return;
        if (c.stale) anyStale = true;
        Array.prototype.forEach.call(els, function (el) { updateCounter(el, c, json.generated_at); });
        var key = (page === 'index' ? o.id : officeId) + '/' + c.id, cal = num(c.calling);
        if (key in prevCalling && prevCalling[key] !== cal && cal > 0) {
          said.push(fmt('live.changed', {
            counter: nameOf(c), calling: cal, waiting: fmt('people', { n: num(c.waiting) })
          }));
        }
        prevCalling[key] = cal;
      });
    });

    var asof = q('.asof');
    setTime(asof, json.generated_at);
    var banner = q('.stale-banner');
    if (anyStale && !banner && asof && asof.parentNode) {
      banner = d.createElement('div');
      banner.className = 'stale-banner';
      banner.setAttribute('role', 'status');
      banner.textContent = t('stale.banner');
      asof.parentNode.insertBefore(banner, asof.nextSibling);
    } else if (!anyStale && banner && banner.parentNode) {
      banner.parentNode.removeChild(banner);
    }

    // one polite announcement per refresh; the index has too many counters to read out
    if (live && said.length && page !== 'index') {
      live.textContent = said.join(/^(ja|zh)/.test(lang) ? '\u3002' : '; ');
    }
  }

  function keepPolling() { return !!my; }  // a set ticket keeps its alerts working in the background

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!d.hidden || keepPolling()) timer = setTimeout(tick, refresh * 1000);
  }

  function tick() {
    if (!api || !window.fetch) return;
    if (busy || (d.hidden && !keepPolling())) return schedule();
    busy = true;
    fetch(api, { cache: 'no-cache', credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (text) {
        state.refreshes++;
        if (text === lastText) return;
        var json = JSON.parse(text);
        if (!json || typeof json !== 'object') return;
        lastText = text;
        state.lastJson = json;
        apply(json);
        evaluate(false);
        d.dispatchEvent(new CustomEvent('mado:refresh', { detail: { generated_at: json.generated_at } }));
      })
      .catch(function (e) {
        if (!warned && window.console && console.debug) {
          warned = true;
          console.debug('mado: refresh failed, keeping the figures', e && e.message);
        }
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  d.addEventListener('visibilitychange', function () {
    if (!d.hidden) { clearTimeout(timer); tick(); } else schedule();
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) { clearTimeout(timer); tick(); } });

  /* ---- my number (office page only; stays in this tab's sessionStorage) ---- */
  var my = null, inZone = false, audio = null, form = null, out = null;
  var KEY = 'mado.myticket.' + officeId;

  function store(v) {
    try {
      if (v) sessionStorage.setItem(KEY, JSON.stringify(v));
      else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage unavailable: keep it in memory */ }
  }
  function field(name) { return form ? form.querySelector('[name="' + name + '"]') : null; }
  function validTicket(v) {
    v = String(v == null ? '' : v).trim();
    return /^\d{1,4}$/.test(v) && +v >= 1 && +v <= 9999 ? +v : 0;
  }
  function validDistance(v) {
    v = parseInt(v, 10);
    return v > 0 && v < 10000 ? v : 3;
  }
  function hasOption(sel, v) {
    return !!(sel && sel.options && Array.prototype.some.call(sel.options, function (o) { return o.value === v; }));
  }
  function fill() {
    var c = field('counter'), tk = field('ticket'), ds = field('distance');
    if (c && hasOption(c, my.counter)) c.value = my.counter;
    if (tk) tk.value = String(my.ticket);
    if (ds && hasOption(ds, String(my.distance))) ds.value = String(my.distance);
  }
  function show(text, kind) {
    if (!out) return;
    setText(out, text);
    if (kind) out.setAttribute('data-state', kind); else out.removeAttribute('data-state');
  }

  function currentCalling(id) {
    var j = state.lastJson, o = j && (j.office || (Array.isArray(j.offices) && j.offices.filter(function (x) {
      return x && x.id === officeId;
    })[0]));
    if (o && Array.isArray(o.counters)) {
      for (var i = 0; i < o.counters.length; i++) {
        if (o.counters[i] && o.counters[i].id === id) return num(o.counters[i].calling);
      }
    }
    var el = q('.counter[data-counter="' + esc(id) + '"]');
    return el ? readCalling(el) : null;
  }

  function evaluate(silent) {
    if (!my || !out) return;
    var calling = currentCalling(my.counter);
    if (calling == null) { show('', ''); inZone = false; return; }
    var ahead, kind, text;
    if (my.ticket === calling) {
      ahead = 0; kind = 'called'; text = t('myticket.called');
    } else {
      if (my.ticket > calling) ahead = my.ticket - calling;
      else if (calling - my.ticket > 5000) ahead = my.ticket + 9999 - calling;  // numbers wrapped
      else ahead = -1;
      if (ahead < 0) { kind = 'passed'; text = t('myticket.passed'); }
      else if (ahead <= my.distance) { kind = 'soon'; text = fmt('myticket.soon', { n: ahead }); }
      else { kind = 'ahead'; text = fmt('myticket.ahead', { n: ahead }); }
    }
    show(text, kind);
    var zone = kind === 'soon' || kind === 'called';
    if (zone && !inZone && !silent) alertNow(ahead, text);
    inZone = zone;
  }

  function beep() {
    if (!audio) return;
    try {
      if (audio.state === 'suspended' && audio.resume) audio.resume();
      var now = audio.currentTime;
      [0, 0.3].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = 'sine';
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.0001, now + at);
        g.gain.exponentialRampToValueAtTime(0.3, now + at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.2);
        o.connect(g);
        g.connect(audio.destination);
        o.start(now + at);
        o.stop(now + at + 0.22);
      });
    } catch (e) { /* no sound */ }
  }

  function alertNow(ahead, text) {
    state.alerts++;
    beep();
    var ua = navigator.userActivation;
    if (navigator.vibrate && (ua ? ua.hasBeenActive : audio)) {
      try { navigator.vibrate([200, 100, 200]); } catch (e) { /* ignore */ }
    }
    if (window.Notification && Notification.permission === 'granted') {
      try {
        new Notification(t('myticket.notify_title'), { body: text, tag: 'mado-myticket' });
      } catch (e) { /* e.g. Android Chrome needs a service worker */ }
    }
    d.dispatchEvent(new CustomEvent('mado:alert', {
      detail: { counter: my.counter, ticket: my.ticket, ahead: ahead }
    }));
  }

  // called from the submit (a user gesture), so autoplay and permission rules allow it
  function unlock() {
    var AC = window.AudioContext || window.webkitAudioContext;
    try {
      if (AC && !audio) audio = new AC();
      if (audio && audio.state === 'suspended' && audio.resume) audio.resume();
    } catch (e) { audio = null; }
    if (window.Notification && Notification.permission === 'default' && Notification.requestPermission) {
      try {
        var p = Notification.requestPermission();
        if (p && p.catch) p.catch(function () {});
      } catch (e) { /* ignore */ }
    }
  }

  function initTicket() {
    var sec = q('section.myticket');
    form = q('form.myticket-form', sec || d);
    if (!form) return;
    out = q('.myticket-status', sec || d);

    form.addEventListener('submit', function (e) {
      e.preventDefault();  // the number never leaves this device
      unlock();
      var c = field('counter'), tk = field('ticket'), ds = field('distance');
      var ticket = validTicket(tk && tk.value);
      if (!ticket) { show(t('myticket.invalid'), 'invalid'); return; }
      my = { counter: c ? c.value : '', ticket: ticket, distance: validDistance(ds && ds.value) };
      store(my);
      inZone = false;
      evaluate(false);
      if (!timer && !busy) schedule();
    });

    var clear = q('.myticket-clear', form) || q('.myticket-clear', sec || d);
    if (clear) {
      clear.addEventListener('click', function (e) {
        e.preventDefault();
        my = null;
        inZone = false;
        store(null);
        var tk = field('ticket');
        if (tk) tk.value = '';
        show('', '');
      });
    }

    // #ticket=N[&counter=ID] from a link or QR code: fragments are never sent to the server
    var silent = false, h = location.hash || '';
    if (/(^#|&)ticket=/.test(h)) {
      var params = {};
      h.slice(1).split('&').forEach(function (kv) {
        var i = kv.indexOf('=');
        if (i > 0) {
          try { params[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* ignore */ }
        }
      });
      var cs = field('counter'), ticket = validTicket(params.ticket);
      if (ticket) {
        my = {
          counter: hasOption(cs, params.counter) ? params.counter : (cs ? cs.value : params.counter || ''),
          ticket: ticket,
          distance: validDistance((field('distance') || {}).value)
        };
        store(my);
      } else {
        show(t('myticket.invalid'), 'invalid');
      }
      try { history.replaceState(history.state, '', location.pathname + location.search); } catch (e) { /* ignore */ }
    } else {
      try {
        var saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
        if (saved && validTicket(saved.ticket)) {
          my = { counter: String(saved.counter || ''), ticket: validTicket(saved.ticket),
                 distance: validDistance(saved.distance) };
          silent = true;  // already alerted before the reload, if it was due
        }
      } catch (e) { my = null; }
    }
    if (my) {
      fill();
      evaluate(silent);
    }
  }

  if (page === 'office') {
    try { initTicket(); } catch (e) { /* the rest of the page still refreshes */ }
  }
  if (api && page) schedule();
})();

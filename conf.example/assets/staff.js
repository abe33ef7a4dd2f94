/* mado: the counter staff panel (/staff/).  Logs in to the update API with a
   cookie session (HttpOnly cookie; the CSRF token lives in this script's memory
   only), updates one counter, and shows its figures as the public API gives them
   to citizens, worded with the citizen pages' own Japanese catalog. */
(function () {
  'use strict';
  var d = document, W = window, root = d.documentElement;
  function attr(n) { return root.getAttribute(n) || ''; }
  var ADMIN = attr('data-admin-api') || '/api/v1/admin/';
  var PUBLIC = attr('data-public-api') || '/api/v1/offices';
  var PUBLIC_URL = attr('data-public-url');
  var REFRESH = Math.max(5, parseInt(attr('data-refresh'), 10) || 10);
  var STORE_KEY = 'mado-staff-choice', KEYS_KEY = 'mado-staff-shortcuts';
  var MESSAGE_MAX = 280;   /* bytes of UTF-8, as the API checks */

  var T = {};
  try { T = JSON.parse(d.getElementById('mado-i18n').textContent) || {}; } catch (e) { T = {}; }
  function t(k) { return typeof T[k] === 'string' ? T[k] : '\u2014'; }
  function fmt(k, v) {
    return t(k).replace(/\{(\w+)\}/g, function (m, n) { return v && v[n] != null ? String(v[n]) : m; });
  }
  function $(id) { return d.getElementById(id); }
  function q(sel, scope) { return (scope || d).querySelector(sel); }
  function setText(el, s) { if (el && el.textContent !== s) el.textContent = s; }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : 0; }
  function hhmm(iso) { var m = /T(\d\d:\d\d)/.exec(iso || ''); return m ? m[1] : ''; }
  function ymd(iso) {
    var m = /^(\d{4})-(\d\d)-(\d\d)/.exec(iso || '');
    return m ? Date.UTC(+m[1], m[2] - 1, +m[3]) : NaN;
  }
  function dayLabel(iso, now) {
    var a = ymd(iso), diff = Math.round((a - ymd(now)) / 864e5);
    return diff === 0 ? t('today') : diff === 1 ? t('tomorrow') : t('weekday.' + new Date(a).getUTCDay());
  }
  function bytes(s) { return new TextEncoder().encode(s).length; }
  function idemKey() {
    if (W.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  function store(k, v) { try { if (v == null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch (e) { /* private mode */ } }
  function load(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }

  /* ---- state: the session lives in memory, never in storage ---- */
  var S = W.madoStaff = {
    session: null,     /* {user, role, all_offices, offices, csrf} */
    offices: [],       /* public API offices the account may change */
    office: '', counter: '',
    figures: null,     /* the public API's counter object */
    busy: false, refreshes: 0, actions: 0
  };
  var timer = null, msgDirty = false;

  var els = {
    loading: $('loading'), alert: $('alert'), status: $('status'),
    loginView: $('login-view'), loginForm: $('login-form'), user: $('login-user'), password: $('login-password'),
    loginTitle: $('login-title'),
    panelView: $('panel-view'), panelTitle: $('panel-title'), who: $('who'), whoText: $('who-text'), logout: $('logout'),
    office: $('pick-office'), counter: $('pick-counter'),
    card: $('figures'), checked: $('checked'), publicLink: $('public-link'),
    call: $('btn-call'), callForm: $('call-form'), callNumber: $('call-number'), callNumberBtn: $('btn-call-number'),
    plus: $('btn-plus'), minus: $('btn-minus'), pause: $('btn-pause'), end: $('btn-end'), open: $('btn-open'),
    why: $('why'), msgForm: $('message-form'), message: $('message'), msgCount: $('message-count'),
    shortcuts: $('shortcuts'),
    alerts: $('office-alerts'), alertsList: $('alerts-list')
  };

  function alertMsg(s) {
    /* a changed text is announced: clear first so a repeat is read again */
    els.alert.textContent = '';
    if (s) W.setTimeout(function () { els.alert.textContent = s; }, 30);
  }
  function statusMsg(s) { els.status.textContent = s || ''; }

  /* ---- requests ---- */
  function post(path, body, opt) {
    opt = opt || {};
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (opt.csrf && S.session) headers['X-CSRF-Token'] = S.session.csrf;
    if (opt.idem) headers['Idempotency-Key'] = opt.idem;
    var tries = 0;
    function once() {
      tries++;
      return fetch(ADMIN + path, {
        method: 'POST', headers: headers, body: JSON.stringify(body || {}),
        credentials: 'same-origin', cache: 'no-store'
      }).then(function (r) {
        return r.text().then(function (text) {
          var json = null;
          try { json = JSON.parse(text); } catch (e) { json = null; }
          var res = { status: r.status, json: json || {}, retryAfter: parseInt(r.headers.get('Retry-After'), 10) || 0 };
          /* the store is growing its map, or too many logins wait for a
             thread: nothing was done, try again shortly */
          if (r.status === 503 && (res.json.error === 'store_busy' || res.json.error === 'login_busy')
              && tries < 4) {
            var wait = Math.min(5, Math.max(1, res.retryAfter)) * 1000;
            return new Promise(function (ok) { W.setTimeout(ok, wait); }).then(once);
          }
          return res;
        });
      }, function (err) {
        /* the network failed: with an Idempotency-Key one retry is safe */
        if (opt.idem && tries < 2) {
          return new Promise(function (res) { W.setTimeout(res, 1000); }).then(once);
        }
        return { status: 0, json: {}, error: err };
      });
    }
    return once();
  }

  function getOffices(id) {
    return fetch(PUBLIC + (id ? '/' + encodeURIComponent(id) : ''), {
      cache: 'no-store', headers: { Accept: 'application/json' }, credentials: 'omit'
    }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }

  /* ---- views ---- */
  function show(view) {
    els.loading.hidden = true;
    els.loginView.hidden = view !== 'login';
    els.panelView.hidden = view !== 'panel';
    els.who.hidden = view !== 'panel';
    root.setAttribute('data-view', view);
  }

  function toLogin(message) {
    S.session = null;
    S.figures = null;
    W.clearTimeout(timer);
    timer = null;
    show('login');
    els.password.value = '';
    if (message) alertMsg(message);
    els.user.focus();
  }

  function enterPanel(session, announce) {
    S.session = session;
    show('panel');
    var role = session.role === 'admin' ? '管理者' : '窓口職員';
    setText(els.whoText, session.user + '（' + role + '）');
    return getOffices().then(function (json) {
      var all = Array.isArray(json.offices) ? json.offices : [];
      var granted = Array.isArray(session.offices) ? session.offices : [];
      S.offices = all.filter(function (o) {
        return o && typeof o.id === 'string' && (session.all_offices || granted.indexOf(o.id) >= 0);
      });
      fillOffices();
      if (!S.offices.length) {
        alertMsg('このアカウントに操作できる区役所・支所がありません。システム担当者に連絡してください。');
        return;
      }
      if (announce) statusMsg(announce);
      els.panelTitle.focus();
    }, function () {
      alertMsg('区役所・支所の一覧を読み込めませんでした。しばらくしてから再読み込みしてください。');
    });
  }

  function officeName(o) { return o.name && typeof o.name === 'object' ? o.name.ja || o.id : o.id; }

  function option(value, text) {
    var op = d.createElement('option');
    op.value = value;
    op.textContent = text;
    return op;
  }

  function fillOffices() {
    var saved = {};
    try { saved = JSON.parse(load(STORE_KEY) || '{}') || {}; } catch (e) { saved = {}; }
    els.office.textContent = '';
    S.offices.forEach(function (o) { els.office.appendChild(option(o.id, officeName(o))); });
    var o = S.offices.filter(function (x) { return x.id === saved.office; })[0] || S.offices[0];
    if (!o) return;
    els.office.value = o.id;
    fillCounters(o, saved.counter);
  }

  function fillCounters(o, want) {
    msgDirty = false;
    els.message.value = '';
    els.counter.textContent = '';
    var cs = Array.isArray(o.counters) ? o.counters : [];
    cs.forEach(function (c) { els.counter.appendChild(option(c.id, officeName(c))); });
    var c = cs.filter(function (x) { return x.id === want; })[0] || cs[0];
    S.office = o.id;
    S.counter = c ? c.id : '';
    els.counter.value = S.counter;
    store(STORE_KEY, JSON.stringify({ office: S.office, counter: S.counter }));
    els.publicLink.href = (PUBLIC_URL || '') + '/' + encodeURIComponent(S.office) + '#c-' + encodeURIComponent(S.counter);
    if (c) render(c, null, o);
    loadNotices(o.id);
    refresh();
  }

  els.office.addEventListener('change', function () {
    var o = S.offices.filter(function (x) { return x.id === els.office.value; })[0];
    if (o) fillCounters(o, null);
  });
  els.counter.addEventListener('change', function () {
    var o = S.offices.filter(function (x) { return x.id === S.office; })[0];
    if (o) fillCounters(o, els.counter.value);
  });

  /* ---- the figures, worded as the citizen pages word them (mado.js) ---- */
  function render(c, generated, office) {
    var el = els.card;
    S.figures = c;
    var level = [0, 1, 2, 3].indexOf(c.level) >= 0 ? String(c.level) : 'unknown';
    var status = typeof c.status === 'string' ? c.status : 'closed';
    el.setAttribute('data-status', status);
    el.setAttribute('data-level', level);
    el.setAttribute('data-stale', c.stale ? 'true' : 'false');
    setText(q('.name', el), (office ? officeName(office) + ' ' : '') + officeName(c));

    var st = q('.status', el), no = q('.next-open', el);
    setText(q('.status-text', el), t('status.' + status));
    var noText = c.next_open && status !== 'open' && generated
      ? fmt('next_open', { day: dayLabel(c.next_open, generated), time: hhmm(c.next_open) }) : '';
    if (noText && !no) {
      no = d.createElement('span');
      no.className = 'next-open';
      st.appendChild(no);
    }
    if (no) { setText(no, noText); no.hidden = !noText; }

    setText(q('.calling', el), num(c.calling) > 0 ? String(c.calling) : t('none_called'));
    setText(q('.waiting', el), fmt('people', { n: num(c.waiting) }));
    var r = c.wait_range;
    setText(q('.wait', el), status === 'open' && num(c.waiting) === 0 ? t('minutes_none')
      : r && typeof r === 'object' ? fmt('minutes_range', { low: r.low, high: r.high }) : t('unknown'));
    setText(q('.level-text', el), t('level.' + level));

    /* a wait that runs past today's close, as the citizen pages say it */
    var pc = q('.past-close', el), pk = c.past_close === 'possible' || c.past_close === 'likely' ? c.past_close : '';
    var pt = pk && typeof c.closes_at === 'string' ? fmt('past_close.' + pk, { time: hhmm(c.closes_at) }) : '';
    setText(pc, pt);
    pc.hidden = !pt;
    if (pk) pc.setAttribute('data-past-close', pk); else pc.removeAttribute('data-past-close');

    var jam = q('.jam', el), jm = c.jam_message && typeof c.jam_message === 'object' ? c.jam_message.ja || '' : '';
    setText(jam, jm);
    jam.hidden = !jm;
    renderNotice(c);
    var msg = q('.message', el), m = typeof c.message === 'string' ? c.message : '';
    setText(msg, m);
    msg.hidden = !m;
    /* the field starts from the message shown, unless staff are editing it */
    if (!msgDirty && d.activeElement !== els.message && els.message.value !== m) {
      els.message.value = m;
      countMessage();
    }

    /* "{time}更新", with the stale note before it as the citizen page has it */
    var up = q('.updated', el), tm = q('time', up), parts = t('updated').split('{time}');
    setText(q('.stale-note', up), c.stale ? t('stale.counter') + ' ' + (parts[0] || '') : parts[0] || '');
    setText(tm, hhmm(c.updated_at));
    if (c.updated_at) tm.setAttribute('datetime', c.updated_at);
    setText(q('.updated-suffix', up), parts[1] || '');
    if (office) renderAlerts(office);
    updateButtons();
  }

  /*
   * The office's alerts, every counter's, as the public API says them
   * ("alerts": the module's mado_alerts, the conditions and limits of the
   * Prometheus rules and madoctl check): the list is rebuilt only when its
   * text changes, so that a screen reader hears a new alert once.
   */
  var ALERT_TEXT = {
    stalled: '{name}：お待ちの方がいますが、30分以上呼び出しがありません。',
    stale: '{name}：受付時間中ですが、15分以上表示が更新されていません（発券機の連携をご確認ください）。',
    long_wait: '{name}：待ち時間の目安（{wait}分）が基準を超えています。'
  };
  function renderAlerts(office) {
    var items = [];
    ((office && office.counters) || []).forEach(function (c) {
      (Array.isArray(c.alerts) ? c.alerts : []).forEach(function (a) {
        if (!ALERT_TEXT[a]) return;
        items.push({ kind: a, counter: c.id, text: ALERT_TEXT[a].replace('{name}', officeName(c))
          .replace('{wait}', String(num(c.wait_minutes))) });
      });
    });
    var key = items.map(function (x) { return x.text; }).join('\n');
    if (els.alertsList.getAttribute('data-key') === key) return;
    els.alertsList.setAttribute('data-key', key);
    els.alertsList.textContent = '';
    items.forEach(function (x) {
      var li = d.createElement('li');
      li.setAttribute('data-alert', x.kind);
      li.setAttribute('data-counter', x.counter);
      li.textContent = x.text;
      els.alertsList.appendChild(li);
    });
    els.alerts.hidden = items.length === 0;
  }

  /* a button that makes no sense now stays focusable, says why, and does nothing */
  var WHY = {};
  function able(btn, reason) {
    WHY[btn.id] = reason || '';
    if (reason) {
      btn.setAttribute('aria-disabled', 'true');
      btn.setAttribute('aria-describedby', 'why');
    } else {
      btn.removeAttribute('aria-disabled');
      btn.removeAttribute('aria-describedby');
    }
  }
  function updateButtons() {
    var c = S.figures || {}, status = c.status, waiting = num(c.waiting);
    var closed = status === 'closed' ? 'この窓口は受付時間外です。' : '';
    able(els.call, closed || (waiting === 0 ? 'お待ちの方がいません。' : ''));
    able(els.callNumberBtn, closed);
    able(els.plus, closed || (status === 'ended' ? '本日の受付は終了しています（番号札は発行できません）。' : ''));
    able(els.minus, waiting === 0 ? 'お待ちの方がいません。' : '');
    able(els.pause, status === 'paused' ? 'すでに一時停止中です。' : '');
    able(els.end, status === 'ended' ? 'すでに本日の受付を終了しています。' : '');
    able(els.open, status === 'open' ? 'すでに受付中です。' : '');
    var focused = d.activeElement && WHY[d.activeElement.id];
    setText(els.why, focused || '');
  }
  d.addEventListener('focusin', function (e) {
    if (e.target && e.target.id in WHY) setText(els.why, WHY[e.target.id]);
  });

  function refresh() {
    if (!S.session || !S.office) return Promise.resolve();
    W.clearTimeout(timer);
    var office = S.office, counter = S.counter;
    return getOffices(office).then(function (json) {
      var o = json && json.office;
      if (!o || office !== S.office || counter !== S.counter) return;
      var c = (o.counters || []).filter(function (x) { return x.id === counter; })[0];
      if (c) render(c, json.generated_at, o);
      S.refreshes++;
      setText(els.checked, '最終確認 ' + hhmm(json.generated_at));
    }, function () {
      setText(els.checked, '市民向けの表示を読み込めませんでした。');
    }).then(function () {
      if (S.session) timer = W.setTimeout(refresh, REFRESH * 1000);
    });
  }

  /* ---- errors in Japanese ---- */
  function explain(res, action) {
    var j = res.json || {}, m = String(j.message || ''), n;
    switch (res.status) {
    case 0:
      return '通信できませんでした。ネットワークを確認して、もう一度お試しください。';
    case 400:
      if (/^number/.test(m)) return '呼ぶ番号を1から9999までの数字で入力してください。';
      if (/^notice/.test(m)) return 'この定型のお知らせは、この区役所・支所では使えません。画面を再読み込みして選び直してください。';
      if (/^message/.test(m)) return 'お知らせは1行、280バイト（全角で約93文字）までです。改行などの制御文字は使えません。';
      return '入力に誤りがあります（' + (m.split(':')[0] || '不明な項目') + '）。';
    case 401:
      return '';
    case 403:
      /* no JSON of mado's: the web application firewall in front refused it */
      if (!j.error) return '送信した内容は、安全のため受け付けられませんでした（WAF）。記号を減らすなど文面を変えてお試しください。続く場合は管理者にご連絡ください。';
      if (j.error === 'https_required') {
        return 'この画面は暗号化された接続（HTTPS）でしか使えません。https:// で始まるアドレスで開き直してください。';
      }
      if (j.error === 'cross_site') return '別のサイトからの操作は受け付けられません。この画面を開き直してください。';
      return j.error === 'csrf' ? '安全確認（CSRF）に失敗しました。再読み込みしてください。'
        : 'この窓口を操作する権限がありません。';
    case 404:
      return 'この窓口が見つかりません。区役所・支所と窓口を選び直してください。';
    case 409:
      if (/has not been issued/.test(m)) {
        n = /last issued (\d+)/.exec(m);
        return 'その番号はまだ発行されていません' + (n ? '（最後に発行した番号：' + n[1] + '）' : '') + '。番号を確かめてください。';
      }
      if ((n = /ticket_range (\d+)\.\.(\d+)/.exec(m))) {
        return 'この窓口の番号札は' + n[1] + '〜' + n[2] + '番です。番号を確かめてください。';
      }
      if ((n = /has already been called \(calling (\d+)\)/.exec(m))) {
        return 'その番号はすでに呼び出しています（呼出中の番号：' + n[1] + '）。';
      }
      if (/nobody is waiting/.test(m)) return 'お待ちの方がいないため、呼び出せません。';
      if (/has ended/.test(m)) return '本日の受付を終了しているため、番号札を発行できません。「再開」で受付を再開できます。';
      if (/is closed/.test(m)) return 'この窓口は受付時間外のため、この操作はできません。';
      return '窓口の状態により、この操作はできませんでした（' + action + '）。';
    case 429:
      return 'しばらく待ってから' + (res.retryAfter ? '（約' + res.retryAfter + '秒後に）' : '') + 'もう一度お試しください。';
    case 503:
      return 'ただいま保存できません。しばらくしてからもう一度お試しください。';
    default:
      return 'エラーが発生しました（' + res.status + '）。もう一度お試しください。';
    }
  }

  /* ---- counter updates: one Idempotency-Key per press ---- */
  function act(label, body, done) {
    if (!S.session || !S.office || !S.counter) return Promise.resolve();
    if (S.busy) { statusMsg('前の操作を処理しています…'); return Promise.resolve(); }
    S.busy = true;
    alertMsg('');
    statusMsg(label + '…');
    var path = 'offices/' + encodeURIComponent(S.office) + '/counters/' + encodeURIComponent(S.counter);
    var idem = idemKey();
    return post(path, body, { csrf: true, idem: idem }).then(function (res) {
      if (res.status === 403 && res.json.error === 'csrf') {
        /* the token went out of step (another tab logged in again): renew it once */
        return post('session', {}).then(function (s) {
          if (s.status !== 200 || !s.json.csrf) return res;
          S.session.csrf = s.json.csrf;
          return post(path, body, { csrf: true, idem: idem });
        });
      }
      return res;
    }).then(function (res) {
      S.busy = false;
      if (res.status === 200) {
        S.actions++;
        statusMsg(done(res.json));
        return refresh();
      }
      if (res.status === 401) {
        return toLogin('ログインの有効期限が切れました。もう一度ログインしてください。');
      }
      statusMsg('');
      alertMsg(explain(res, label));
      return refresh();
    });
  }

  function blocked(btn) {
    if (btn.getAttribute('aria-disabled') === 'true') {
      statusMsg(WHY[btn.id] || 'いまは使えません。');
      return true;
    }
    return false;
  }

  function call() {
    if (blocked(els.call)) return;
    act('次の方を呼ぶ', { action: 'call' }, function (j) {
      return j.ticket + '番を呼び出しました（お待ち ' + j.waiting + '人）。';
    });
  }
  function plus() {
    if (blocked(els.plus)) return;
    act('待ち人数 +1', { action: 'issue' }, function (j) {
      return '番号札 ' + j.ticket + '番を発行しました（お待ち ' + j.waiting + '人）。';
    });
  }
  /* −1: someone left before being called.  The count is set from the figures
     just read, so a ticket issued meanwhile is not lost. */
  function minus() {
    if (blocked(els.minus)) return;
    refresh().then(function () {
      var w = num((S.figures || {}).waiting);
      if (w === 0) { updateButtons(); statusMsg('お待ちの方がいません。'); return; }
      return act('待ち人数 −1', { action: 'set', waiting: w - 1 }, function (j) {
        return '待ち人数を ' + j.waiting + '人にしました。';
      });
    });
  }
  function setStatus(btn, status, label, said) {
    if (blocked(btn)) return;
    act(label, { action: 'set', status: status }, function () { return said; });
  }

  els.call.addEventListener('click', call);
  els.plus.addEventListener('click', plus);
  els.minus.addEventListener('click', minus);
  els.pause.addEventListener('click', function () { setStatus(els.pause, 'paused', '一時停止', '一時停止にしました。'); });
  els.end.addEventListener('click', function () { setStatus(els.end, 'ended', '受付終了', '本日の受付を終了にしました。'); });
  els.open.addEventListener('click', function () { setStatus(els.open, 'open', '再開', '受付を再開しました。'); });

  els.callForm.addEventListener('submit', function (e) {
    e.preventDefault();
    if (blocked(els.callNumberBtn)) return;
    var v = els.callNumber.value.replace(/[０-９]/g, function (ch) { return String.fromCharCode(ch.charCodeAt(0) - 0xfee0); }).trim();
    if (!/^\d{1,4}$/.test(v) || +v < 1) {
      alertMsg('呼ぶ番号を1から9999までの数字で入力してください。');
      els.callNumber.setAttribute('aria-invalid', 'true');
      els.callNumber.focus();
      return;
    }
    els.callNumber.removeAttribute('aria-invalid');
    act('番号を指定して呼ぶ', { action: 'call', number: +v }, function (j) {
      els.callNumber.value = '';
      return j.ticket + '番を呼び出しました（お待ち ' + j.waiting + '人）。';
    });
  });

  function countMessage() {
    var n = bytes(els.message.value);
    setText(els.msgCount, n + ' / ' + MESSAGE_MAX + ' バイト' + (n > MESSAGE_MAX ? '（長すぎます）' : ''));
    if (n > MESSAGE_MAX) els.message.setAttribute('aria-invalid', 'true');
    else els.message.removeAttribute('aria-invalid');
  }
  els.message.addEventListener('input', function () { msgDirty = true; countMessage(); });
  countMessage();
  els.msgForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var m = els.message.value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
    if (bytes(m) > MESSAGE_MAX) {
      alertMsg('お知らせは280バイト（全角で約93文字）までです。短くしてください。');
      els.message.focus();
      return;
    }
    act('お知らせを送信', { action: 'set', message: m }, function () {
      msgDirty = false;
      return m ? 'お知らせを表示しました。' : 'お知らせを消しました。';
    });
  });

  /* ---- staff notices: the office's presets (offices.json "notices"), shown to
     citizens in their page's language; labelled here in Japanese ---- */
  var noticeForm = $('notice-form'), noticeSel = $('notice'), noticeDirty = false, noticeOffice = '';
  function loadNotices(office) {
    noticeDirty = false;
    if (noticeOffice === office) return;
    noticeOffice = office;
    while (noticeSel.options.length > 1) noticeSel.remove(1);
    fetch(PUBLIC + '/' + encodeURIComponent(office) + '/notices', {
      cache: 'no-store', headers: { Accept: 'application/json' }, credentials: 'omit'
    }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (j) {
      if (noticeOffice !== office) return;
      (Array.isArray(j.notices) ? j.notices : []).forEach(function (n) {
        if (n && n.id && n.text) noticeSel.appendChild(option(n.id, n.text.ja || n.id));
      });
      if (S.figures) renderNotice(S.figures);
    }, function () { noticeOffice = ''; });
  }
  function renderNotice(c) {
    var n = c.notice && typeof c.notice === 'object' ? c.notice : null;
    var p = q('.notice', els.card), nt = n && n.text ? n.text.ja || '' : '';
    setText(p, nt);
    p.hidden = !nt;
    var v = n ? String(n.id) : '';
    if (!noticeDirty && d.activeElement !== noticeSel && noticeSel.value !== v) noticeSel.value = v;
  }
  noticeSel.addEventListener('change', function () { noticeDirty = true; });
  noticeForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = noticeSel.value, label = v ? noticeSel.options[noticeSel.selectedIndex].textContent : '';
    act('定型のお知らせを送信', { action: 'set', notice: v }, function () {
      noticeDirty = false;
      return v ? '定型のお知らせ「' + label + '」を表示しました。' : '定型のお知らせを消しました。';
    });
  });

  /* ---- keyboard: N, +, - (off in fields, with modifiers, or when unticked) ---- */
  els.shortcuts.checked = load(KEYS_KEY) !== 'off';
  els.shortcuts.addEventListener('change', function () { store(KEYS_KEY, els.shortcuts.checked ? null : 'off'); });
  d.addEventListener('keydown', function (e) {
    if (!els.shortcuts.checked || els.panelView.hidden || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    var tg = e.target, tag = tg && tg.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || (tg && tg.isContentEditable)) return;
    if (e.key === 'n' || e.key === 'N') { e.preventDefault(); call(); }
    else if (e.key === '+') { e.preventDefault(); plus(); }
    else if (e.key === '-') { e.preventDefault(); minus(); }
  });

  /* ---- login, session, logout ---- */
  els.loginForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var user = els.user.value.trim(), pw = els.password.value;
    els.user.removeAttribute('aria-invalid');
    els.password.removeAttribute('aria-invalid');
    if (!user || !pw) {
      (user ? els.password : els.user).setAttribute('aria-invalid', 'true');
      alertMsg(!user ? '利用者IDを入力してください。' : 'パスワードを入力してください。');
      (user ? els.password : els.user).focus();
      return;
    }
    alertMsg('');
    statusMsg('ログインしています…');
    post('login', { user: user, password: pw, session: 'cookie' }).then(function (res) {
      statusMsg('');
      if (res.status === 200 && res.json.csrf) {
        els.password.value = '';
        return enterPanel(res.json, res.json.user + ' としてログインしました。');
      }
      els.password.value = '';
      if (res.status === 401) {
        alertMsg('利用者IDまたはパスワードが違います。');
      } else if (res.status === 429 && res.json.error === 'too_many_logins') {
        alertMsg('ログインが集中しています。少し待ってからもう一度お試しください。');
      } else if (res.status === 429) {
        alertMsg('ログインの失敗が続いたため、しばらく待ってから' + (res.retryAfter ? '（約' + res.retryAfter + '秒後に）' : '')
          + 'もう一度お試しください。');
      } else if (res.status === 400) {
        alertMsg('利用者IDとパスワードを確かめてください。');
      } else {
        alertMsg(explain(res, 'ログイン') || 'ログインできませんでした。');
      }
      els.password.focus();
    });
  });

  els.logout.addEventListener('click', function () {
    post('logout', {}, { csrf: true }).then(function (res) {
      if (res.status === 200 || res.status === 401) {
        toLogin('');
        statusMsg('ログアウトしました。');
      } else {
        alertMsg(explain(res, 'ログアウト') || 'ログアウトできませんでした。');
      }
    });
  });

  /* a reload keeps the session: the cookie is still there, the token is asked again */
  post('session', {}).then(function (res) {
    if (res.status === 200 && res.json.csrf) return enterPanel(res.json, '');
    show('login');
  });
}());

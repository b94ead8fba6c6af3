/*
 * Bookwell web chat widget, served by channel.webchat at
 * /webhooks/webchat/widget.js?key=WIDGET_KEY. One script tag on the clinic's
 * site draws a chat bubble and a panel inside a Shadow DOM (the site's CSS
 * does not reach it). The visitor token lives in this origin's localStorage;
 * messages go out by POST with a client message id (a retry is recorded
 * once); the clinic's answers and the visitor's own messages come back as
 * Server-Sent Events, resumed by Last-Event-ID after a dropped connection,
 * so a reloaded page shows the whole conversation again.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__bookwellWebchat) return;
  var src = new URL(script.src, location.href);
  var key = src.searchParams.get('key') || script.getAttribute('data-key') || '';
  var base = src.origin + src.pathname.replace(/\/widget\.js$/, '');
  var storeKey = 'bookwell-webchat:' + key;
  var state = { token: null, visitor: null, config: null, source: null, lastId: 0,
                seen: {}, open: false, pending: {} };
  window.__bookwellWebchat = state;

  function q(path) { return base + '/' + path + '?key=' + encodeURIComponent(key); }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify({ token: state.token })); } catch (e) { /* private mode */ }
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || '{}').token || null; } catch (e) { return null; }
  }
  function newId() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return 'm' + Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  /* ---------------------------------------------------------------- DOM */
  /* A tag of its own, so the site's element selectors do not match the
   * host; inherited properties are set again inside. */
  var host = document.createElement('bookwell-webchat');
  host.setAttribute('data-bookwell-webchat', '');
  var root = host.attachShadow({ mode: 'open' });
  root.innerHTML =
    '<style>' +
    ':host{all:initial;--c:#0f766e}' +
    '*{box-sizing:border-box;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;' +
    'color:inherit;letter-spacing:normal;text-transform:none;text-align:left}' +
    '.bubble,.panel{color:#111}' +
    '.bubble{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;' +
    'background:var(--c);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646;' +
    'display:flex;align-items:center;justify-content:center}' +
    '.bubble:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}' +
    '.panel{position:fixed;right:20px;bottom:92px;width:360px;max-width:calc(100vw - 40px);height:520px;' +
    'max-height:calc(100vh - 120px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);' +
    'display:flex;flex-direction:column;overflow:hidden;z-index:2147483647}' +
    '.panel[hidden]{display:none}' +
    'header{background:var(--c);color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}' +
    'header h2{font-size:16px;font-weight:600;margin:0;flex:1;color:#fff}' +
    'header button{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;min-width:44px;min-height:44px}' +
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f8fafc}' +
    '.msg{max-width:80%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word}' +
    '.visitor{align-self:flex-end;background:var(--c);color:#fff}' +
    '.bubble svg{color:#fff}' +
    '.clinic{align-self:flex-start;background:#e2e8f0;color:#111}' +
    '.msg.sending{opacity:.6}' +
    '.note{font-size:13px;color:#b91c1c;padding:0 12px}' +
    '.phone,.phone *{font-size:13px}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}' +
    'textarea{flex:1;resize:none;font:inherit;padding:8px;border:1px solid #cbd5e1;border-radius:8px;min-height:44px}' +
    'form button,.phone button{background:var(--c);color:#fff;text-align:center;border:0;border-radius:8px;padding:0 14px;min-height:44px;font:inherit;cursor:pointer}' +
    '.phone{padding:8px 10px;border-top:1px solid #e2e8f0;font-size:13px}' +
    '.phone summary{cursor:pointer;color:var(--c)}' +
    '.phone label{display:block;margin:6px 0}' +
    '.phone input[type=tel]{width:100%;font:inherit;padding:6px;border:1px solid #cbd5e1;border-radius:6px;min-height:40px}' +
    '@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}' +
    '</style>' +
    '<button class="bubble" type="button" aria-haspopup="dialog" aria-expanded="false" aria-label="Open chat">' +
    '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg></button>' +
    '<div class="panel" role="dialog" aria-modal="false" hidden>' +
    '<header><h2 class="title"></h2><button class="close" type="button" aria-label="Close chat">&times;</button></header>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation"></div>' +
    '<div class="note" role="status"></div>' +
    '<details class="phone"><summary>Continue by text message</summary>' +
    '<label>Mobile number <input type="tel" class="tel" autocomplete="tel" placeholder="+1 415 555 0123"></label>' +
    '<label><input type="checkbox" class="agree"> <span class="consent"></span></label>' +
    '<button type="button" class="share">Share my number</button></details>' +
    '<form><label style="position:absolute;left:-9999px" for="bw-input">Message</label>' +
    '<textarea id="bw-input" class="input" rows="1" placeholder="Type your message" aria-label="Message"></textarea>' +
    '<button type="submit" class="send">Send</button></form>' +
    '</div>';
  var $ = function (s) { return root.querySelector(s); };
  var bubble = $('.bubble'), panel = $('.panel'), log = $('.log'), input = $('.input'),
      note = $('.note'), form = $('form');

  function applyConfig(c) {
    state.config = c;
    if (c.colour) host.style.setProperty('--c', c.colour);
    $('.title').textContent = c.clinic_name || 'Chat';
    panel.setAttribute('aria-label', 'Chat with ' + (c.clinic_name || 'us'));
    $('.consent').textContent = c.consent_text || '';
  }

  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    bubble.setAttribute('aria-expanded', open ? 'true' : 'false');
    bubble.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    if (open) { input.focus(); connect(); log.scrollTop = log.scrollHeight; }
    else bubble.focus();
  }
  bubble.addEventListener('click', function () { setOpen(!state.open); });
  $('.close').addEventListener('click', function () { setOpen(false); });
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); setOpen(false); }
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : submit(); }
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
  $('.share').addEventListener('click', function () {
    var tel = $('.tel').value.replace(/[\s().-]/g, '');
    if (!/^\+[1-9][0-9]{6,14}$/.test(tel)) { note.textContent = 'Please enter your number with its country code, e.g. +14155550123.'; return; }
    if (!$('.agree').checked) { note.textContent = 'Please tick the box to agree to text messages.'; return; }
    send({ id: newId(), text: 'I would like to continue by text message.', phone: tel, consent: true });
    $('.phone').open = false;
  });

  function bubbleFor(id, who, text) {
    var el = document.createElement('div');
    el.className = 'msg ' + who;
    el.textContent = text;
    if (id) el.setAttribute('data-id', id);
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }

  /* -------------------------------------------------------------- network */
  function session(renew) {
    return fetch(q('session'), {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(renew && state.token ? { token: state.token } : {})
    }).then(function (r) {
      if (!r.ok) throw new Error('session ' + r.status);
      return r.json();
    }).then(function (s) {
      if (state.visitor && s.visitor !== state.visitor) { log.textContent = ''; state.seen = {}; state.lastId = 0; }
      state.token = s.token; state.visitor = s.visitor; save(); applyConfig(s);
      return s;
    });
  }

  function connect() {
    if (state.source || !state.token) return;
    var url = q('events') + '&token=' + encodeURIComponent(state.token) +
              (state.lastId ? '&lastEventId=' + state.lastId : '');
    var es = new EventSource(url);
    state.source = es;
    es.addEventListener('message', function (e) {
      var id = parseInt(e.lastEventId, 10) || 0;
      if (id && id <= state.lastId) return;
      if (id) state.lastId = id;
      var ev; try { ev = JSON.parse(e.data); } catch (x) { return; }
      if (ev.from === 'visitor') {
        var mine = ev.id && state.pending[ev.id];
        if (mine) { mine.classList.remove('sending'); delete state.pending[ev.id]; return; }
        if (ev.id && state.seen[ev.id]) return;
        if (ev.id) state.seen[ev.id] = true;
        bubbleFor(ev.id, 'visitor', ev.text);
      } else {
        bubbleFor(null, 'clinic', ev.text);
      }
    });
    es.addEventListener('error', function () {
      /* A closed stream after a refusal (expired token): renew, reopen.
       * An ordinary end is reconnected by EventSource itself. */
      if (es.readyState === EventSource.CLOSED) {
        state.source = null;
        session(true).then(connect, function () { setTimeout(connect, 5000); });
      }
    });
  }

  function send(body, el, attempt) {
    attempt = attempt || 0;
    return fetch(q('messages'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + state.token },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401 && attempt < 2) return session(true).then(function () { return send(body, el, attempt + 1); });
      if (r.status === 429) { note.textContent = 'You are sending messages quickly; please wait a moment.'; if (el) el.classList.add('failed'); return; }
      if (r.status >= 500) throw new Error('server ' + r.status);
      if (!r.ok) { note.textContent = 'That message could not be sent.'; return; }
      note.textContent = '';
      connect();
    }).catch(function () {
      if (attempt >= 5) { note.textContent = 'No connection; your message will be retried.'; }
      setTimeout(function () { send(body, el, attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
    });
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    var id = newId();
    var el = bubbleFor(id, 'visitor', text);
    el.classList.add('sending');
    state.pending[id] = el;
    state.seen[id] = true;
    send({ id: id, text: text }, el);
  }

  function start() {
    document.body.appendChild(host);
    state.token = load();
    session(!!state.token).then(function () { connect(); }, function () { /* offline: retried on open */ });
  }
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();

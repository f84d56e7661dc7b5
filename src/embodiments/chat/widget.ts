/**
 * The embeddable chat widget (issue 12 item 6): a script a site includes with
 * `<script src="<origin>/agents/<agentId>/chat/widget.js" async></script>` (optionally
 * `data-key="<the agent's API key>"` for a `key`-mode agent — public to every visitor of that page). It
 * adds a chat bubble in a Shadow DOM (the host page's CSS cannot reach it) that talks to
 * `/agents/<agentId>/chat/stream` with `fetch`, without cookies; the agent's allowed origins for `chat`
 * decide, through CORS, which sites may use it. `data-title` overrides the panel's title (else the
 * agent's name from `…/chat/config`). The widget keeps the conversation in the page (the stream is
 * stateless) and shows a skill the agent runs as a line that turns into ✓ or "failed". Any failure —
 * a refusal with the server's reason, an origin CORS does not allow, a cut-off answer — is shown as
 * "The chat is unavailable: …". Plain JavaScript (ES2017, no framework, no build), about 7 kB.
 */

/**
 * The widget's source for `agentId`. `origin` is the server as it saw the request (BASE_URL when set);
 * the script prefers the origin it was loaded from, which is how the site reaches the server.
 */
export function widgetScript(origin: string, agentId: string): string {
  const config = JSON.stringify({ origin, agentId }).replace(/</g, '\\u003c');
  return `(function () {
  'use strict';
  var config = ${config};
  var script = document.currentScript;
  // The server as the site reached it (its scheme, behind a TLS proxy too); else as it saw itself.
  var server = config.origin;
  try { if (script && script.src) server = new URL(script.src).origin; } catch (e) { /* keep it */ }
  var base = server + '/agents/' + encodeURIComponent(config.agentId) + '/chat';
  var key = script && script.getAttribute('data-key');
  var title = script && script.getAttribute('data-title');
  var history = [];
  var busy = false;
  var configured = false;
  var host = document.createElement('div');
  host.setAttribute('data-orrery-chat', config.agentId);
  var root = host.attachShadow({ mode: 'open' });
  root.innerHTML = '<style>' +
    ':host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}' +
    '.bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:#3b5bdb;color:#fff;font-size:24px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.25);z-index:2147483646}' +
    '.panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:460px;max-height:calc(100vh - 120px);display:none;flex-direction:column;background:#fff;color:#1a1b1e;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.25);overflow:hidden;z-index:2147483647}' +
    '.panel.open{display:flex}.head{padding:10px 14px;background:#3b5bdb;color:#fff;font-weight:600}' +
    '.log{flex:1;overflow:auto;padding:10px;display:flex;flex-direction:column;gap:8px}' +
    '.msg{padding:8px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}' +
    '.user{align-self:flex-end;background:#e7f0ff}.assistant{align-self:flex-start;background:#f1f3f5}' +
    '.tool{align-self:flex-start;font-size:12px;color:#495057;border:1px dashed #adb5bd;padding:4px 8px;border-radius:8px}' +
    '.tool.failed{border-color:#e03131;color:#c92a2a}.error{align-self:stretch;background:#fff5f5;color:#c92a2a}' +
    'form{display:flex;gap:6px;padding:8px;border-top:1px solid #dee2e6}input{flex:1;padding:8px;border:1px solid #ced4da;border-radius:8px}' +
    'button.send{padding:8px 12px;border:0;border-radius:8px;background:#3b5bdb;color:#fff;cursor:pointer}button.send:disabled{opacity:.6;cursor:default}' +
    '</style>' +
    '<button class="bubble" aria-label="Open chat">💬</button>' +
    '<div class="panel" role="dialog" aria-label="Chat"><div class="head"></div><div class="log" aria-live="polite"></div>' +
    '<form><input name="message" autocomplete="off" placeholder="Type a message" aria-label="Message"><button class="send" type="submit">Send</button></form></div>';
  var panel = root.querySelector('.panel');
  var log = root.querySelector('.log');
  var form = root.querySelector('form');
  var input = root.querySelector('input');
  var button = root.querySelector('button.send');
  var head = root.querySelector('.head');
  head.textContent = title || 'Chat';
  root.querySelector('.bubble').addEventListener('click', function () {
    panel.classList.toggle('open');
    if (!panel.classList.contains('open')) return;
    configure();
    input.focus();
  });
  function line(kind, text) {
    var el = document.createElement('div');
    el.className = 'msg ' + kind;
    el.textContent = text;
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }
  function authorized(headers) {
    if (key) headers.authorization = 'Bearer ' + key;
    return headers;
  }
  function refused(res) {
    return res.json().catch(function () { return {}; }).then(function (body) {
      var error = body && body.error;
      throw new Error((error && (error.message || error)) || ('HTTP ' + res.status));
    });
  }
  // The agent's name and greeting, once, when the panel first opens; the chat works without them.
  function configure() {
    if (configured) return;
    configured = true;
    fetch(base + '/config', { credentials: 'omit', headers: authorized({ accept: 'application/json' }) })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (agent) {
        if (!agent) return;
        if (!title) head.textContent = agent.name;
        if (agent.intro) log.insertBefore(line('assistant', agent.intro), log.firstChild);
      })
      .catch(function () {});
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = '';
    line('user', text);
    history.push({ role: 'user', content: text });
    send();
  });
  function settle(failure) {
    // What failed is not sent again: the model sees only the turns that were answered.
    if (failure && history.length && history[history.length - 1].role === 'user') history.pop();
    if (failure) line('error', failure);
    busy = false;
    button.disabled = false;
  }
  function send() {
    var answer = null;
    var tools = {};
    var ended = false;
    busy = true;
    button.disabled = true;
    fetch(base + '/stream', {
      method: 'POST', credentials: 'omit',
      headers: authorized({ 'content-type': 'application/json', accept: 'text/event-stream' }),
      body: JSON.stringify({ messages: history })
    }).then(function (res) {
      if (!res.ok || !res.body) return refused(res);
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      function handle(name, data) {
        if (name === 'text') {
          answer = answer || line('assistant', '');
          answer.textContent += data.delta;
          log.scrollTop = log.scrollHeight;
        } else if (name === 'tool_call') {
          answer = null;
          tools[data.id] = line('tool', '\u2699 ' + data.name + ' \u2026');
        } else if (name === 'tool_result' && tools[data.id]) {
          tools[data.id].textContent = '\u2699 ' + data.name + (data.isError ? ' failed' : ' \u2713');
          if (data.isError) tools[data.id].classList.add('failed');
        } else if (name === 'done') {
          ended = true;
          history.push({ role: 'assistant', content: data.text });
          settle();
        } else if (name === 'error') {
          ended = true;
          settle(data.message);
        }
      }
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) {
            if (!ended) throw new Error('the answer was cut off');
            return;
          }
          buffer += decoder.decode(step.value, { stream: true });
          var frames = buffer.split('\\n\\n');
          buffer = frames.pop();
          frames.forEach(function (frame) {
            // Comment lines (keep-alives) have no event.
            var name = /^event: (.*)$/m.exec(frame);
            var data = /^data: (.*)$/m.exec(frame);
            if (name && data) handle(name[1], JSON.parse(data[1]));
          });
          return pump();
        });
      }
      return pump();
    }).catch(function (error) { if (!ended) settle('The chat is unavailable: ' + error.message); });
  }
  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
`;
}

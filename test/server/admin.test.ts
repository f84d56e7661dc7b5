/**
 * The admin port (docs/operations.md "Admin port"), against the real admin port of a real server. It
 * was drained by any `GET /disable`, from any local process or any web page. Now: state changes only
 * by POST, browser-originated requests refused on every route, `ADMIN_TOKEN` required on every route
 * when set. The route × caller matrix is generated from the admin server's own route list, so a new
 * admin route without an expectation here fails the suite.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** One answer read off the wire. */
interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A request with exactly `headers` (plus Node's `Host` and `Connection`, unless overridden): the
 * callers below differ by a header or two, which `fetch` would blur (it adds `Sec-Fetch-Mode: cors`).
 * A fresh connection each time (`agent: false`), like curl.
 */
function call(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: url.pathname, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether the main port takes a new TCP connection (what `/disable` turns off). */
function accepts(s: TestServer): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(Number(new URL(s.url).port), '127.0.0.1', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

/** The admin server's routes as `METHOD /path`, read from Fastify's own route tree. */
function adminRoutes(s: TestServer): string[] {
  const routes: string[] = [];
  for (const m of s.admin.printRoutes({ commonPrefix: false }).matchAll(/(\/\S*) \(([A-Z, ]+)\)/g)) {
    for (const method of m[2]!.split(', ')) routes.push(`${method} ${m[1]}`);
  }
  return routes.sort();
}

/** What each admin route does when an allowed caller calls it. Every admin route must be listed. */
const EFFECT: Record<string, 'read' | 'disable' | 'enable'> = {
  'GET /stats': 'read',
  'HEAD /stats': 'read',
  'GET /metrics': 'read',
  'HEAD /metrics': 'read',
  'POST /disable': 'disable',
  'POST /enable': 'enable',
};

/** Callers that are not a web page: curl, Prometheus, scripts, a URL typed into the address bar. */
const ALLOWED: Record<string, (port: string) => Record<string, string>> = {
  'curl (no browser headers)': () => ({}),
  'Node fetch (Sec-Fetch-Mode: cors, no Sec-Fetch-Site)': () => ({ 'sec-fetch-mode': 'cors', 'user-agent': 'node', 'accept-language': '*' }),
  'address bar (Sec-Fetch-Site: none, navigate)': () => ({ 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-user': '?1' }),
  'Host: localhost': (port) => ({ host: `localhost:${port}` }),
};

/** Callers that are a web page in a browser on the host (or a browser extension). */
const BROWSER: Record<string, (port: string) => Record<string, string>> = {
  'cross-site fetch (Origin + Sec-Fetch-Site)': () => ({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' }),
  'form post from an old browser (Origin only)': () => ({ origin: 'http://evil.example' }),
  'sandboxed page (Origin: null)': () => ({ origin: 'null' }),
  '<img src> (Sec-Fetch-Site: cross-site, no Origin)': () => ({ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }),
  'same-site page (Sec-Fetch-Site: same-site)': () => ({ 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' }),
  'DNS rebinding, modern browser (same-origin)': (port) => ({ host: `rebind.evil.example:${port}`, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' }),
  'DNS rebinding, browser without Fetch Metadata (Host only)': (port) => ({ host: `rebind.evil.example:${port}` }),
  'extension or script-initiated (Sec-Fetch-Site: none, not a navigation)': () => ({ 'sec-fetch-site': 'none', 'sec-fetch-mode': 'cors' }),
};

/** Put the server in the state a route would change (disabled before `/enable`), with a curl call. */
async function arrange(s: TestServer, effect: string, auth: Record<string, string> = {}): Promise<void> {
  if (effect === 'enable') assert.equal((await call(s.adminUrl, 'POST', '/disable', auth)).status, 200);
}

/** Undo what an allowed call (or a wrongly allowed one) did, and check the server is back in service. */
async function restore(s: TestServer, auth: Record<string, string> = {}): Promise<void> {
  assert.equal((await call(s.adminUrl, 'POST', '/enable', auth)).status, 200);
  assert.ok(await accepts(s), 'main port accepts again');
}

/** `accepting` as `/stats` reports it, and whether the main port really takes connections. */
async function state(s: TestServer, auth: Record<string, string> = {}): Promise<{ accepting: boolean; listening: boolean }> {
  const stats = await call(s.adminUrl, 'GET', '/stats', auth);
  assert.equal(stats.status, 200, stats.body);
  return { accepting: JSON.parse(stats.body).accepting, listening: await accepts(s) };
}

function split(route: string): [string, string] {
  const [method, path] = route.split(' ');
  return [method!, path!];
}

describe('admin port without ADMIN_TOKEN', () => {
  let s: TestServer;
  let port: string;
  before(async () => {
    s = await startTestServer();
    port = new URL(s.adminUrl).port;
  });
  after(() => s.close());

  test('every admin route has an expectation in this test', () => {
    assert.deepEqual(adminRoutes(s), Object.keys(EFFECT).sort());
  });

  test('GET /disable (an <img src>, a link, a prefetch) changes nothing: 405, Allow: POST; the main port still answers', async () => {
    for (const [method, path] of [['GET', '/disable'], ['HEAD', '/disable'], ['GET', '/enable']] as const) {
      const r = await call(s.adminUrl, method, path);
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.allow, 'POST');
      if (method === 'GET') {
        assert.match(r.headers['content-type'] ?? '', /^application\/json/);
        assert.match(JSON.parse(r.body).error, /method not allowed.*POST/);
      }
    }
    assert.deepEqual(await state(s), { accepting: true, listening: true });
    assert.equal((await call(s.url, 'GET', '/health')).status, 200);
    const post = await call(s.adminUrl, 'POST', '/stats');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('POST /disable then POST /enable from curl: drains, then serves again; empty bodies of any type accepted', async () => {
    const off = await call(s.adminUrl, 'POST', '/disable');
    assert.equal(off.status, 200, off.body);
    assert.deepEqual(JSON.parse(off.body), { ok: true, accepting: false });
    assert.deepEqual(await state(s), { accepting: false, listening: false });
    // `curl -d ''` and PowerShell's Invoke-RestMethod send an empty form body.
    const on = await call(s.adminUrl, 'POST', '/enable', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' });
    assert.equal(on.status, 200, on.body);
    assert.deepEqual(JSON.parse(on.body), { ok: true, accepting: true });
    assert.deepEqual(await state(s), { accepting: true, listening: true });
    const json = await call(s.adminUrl, 'POST', '/enable', { 'content-type': 'application/json', 'content-length': '0' });
    assert.equal(json.status, 200, json.body);
    assert.equal((await call(s.url, 'GET', '/health')).status, 200);
  });

  test('Node fetch (a script) can drive the admin port', async () => {
    assert.equal((await fetch(s.adminUrl + '/disable', { method: 'POST' })).status, 200);
    assert.equal((await fetch(s.adminUrl + '/stats').then((r) => r.json())).accepting, false);
    assert.equal((await fetch(s.adminUrl + '/enable', { method: 'POST' })).status, 200);
    assert.ok(await accepts(s));
  });

  test('route × caller matrix: scripts are served, every browser-originated request is refused 403 and changes nothing', async () => {
    for (const route of Object.keys(EFFECT)) {
      const [method, path] = split(route);
      const effect = EFFECT[route]!;
      for (const [caller, headers] of Object.entries(ALLOWED)) {
        await arrange(s, effect);
        const r = await call(s.adminUrl, method, path, headers(port));
        assert.equal(r.status, 200, `${route} by ${caller}: ${r.body}`);
        if (effect === 'disable') assert.equal((await state(s)).listening, false, `${route} by ${caller} drains`);
        await restore(s);
      }
      for (const [caller, headers] of Object.entries(BROWSER)) {
        await arrange(s, effect);
        const before = await state(s);
        const r = await call(s.adminUrl, method, path, headers(port));
        assert.equal(r.status, 403, `${route} by ${caller}: ${r.body}`);
        if (method !== 'HEAD') {
          assert.match(r.headers['content-type'] ?? '', /^application\/json/);
          assert.match(JSON.parse(r.body).error, /browser/, `${route} by ${caller}: ${r.body}`);
        }
        assert.deepEqual(await state(s), before, `${route} by ${caller} changes nothing`);
        await restore(s);
      }
    }
  });

  test('a browser is refused on the wrong method and on unknown paths too (403 before 405/404)', async () => {
    const evil = { origin: 'http://evil.example' };
    assert.equal((await call(s.adminUrl, 'GET', '/disable', evil)).status, 403);
    assert.equal((await call(s.adminUrl, 'OPTIONS', '/disable', { ...evil, 'access-control-request-method': 'POST' })).status, 403);
    assert.equal((await call(s.adminUrl, 'GET', '/nope', evil)).status, 403);
    assert.equal((await call(s.adminUrl, 'GET', '/nope')).status, 404);
  });

  test('many concurrent forged-origin POST /disable: all 403, the server keeps accepting', async () => {
    const forged = Array.from({ length: 200 }, (_, i) =>
      call(s.adminUrl, 'POST', i % 2 ? '/disable' : '/enable', i % 3 ? { origin: 'http://evil.example' } : { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }),
    );
    const health = Array.from({ length: 20 }, () => call(s.url, 'GET', '/health'));
    const answers = await Promise.all(forged);
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [403]);
    assert.deepEqual([...new Set((await Promise.all(health)).map((r) => r.status))], [200]);
    assert.deepEqual(await state(s), { accepting: true, listening: true });
  });

  test('concurrent POST /disable and POST /enable from scripts settle, and the last word wins', async () => {
    const offs = await Promise.all(Array.from({ length: 20 }, () => call(s.adminUrl, 'POST', '/disable')));
    assert.deepEqual([...new Set(offs.map((r) => r.status))], [200]);
    assert.deepEqual(await state(s), { accepting: false, listening: false });
    const ons = await Promise.all(Array.from({ length: 20 }, () => call(s.adminUrl, 'POST', '/enable')));
    assert.deepEqual([...new Set(ons.map((r) => r.status))], [200], ons.map((r) => r.body).join('\n'));
    assert.deepEqual(await state(s), { accepting: true, listening: true });
  });
});

describe('admin port with ADMIN_TOKEN', () => {
  const TOKEN = 'admin-token-for-tests-0123456789abcdef';
  const RIGHT = { authorization: `Bearer ${TOKEN}` };
  let s: TestServer;
  let port: string;
  before(async () => {
    s = await startTestServer({ ADMIN_TOKEN: TOKEN });
    port = new URL(s.adminUrl).port;
  });
  after(() => s.close());

  const WRONG: Record<string, Record<string, string>> = {
    'no Authorization': {},
    'wrong token': { authorization: 'Bearer not-the-token' },
    'wrong token of the same length': { authorization: `Bearer ${'x'.repeat(TOKEN.length)}` },
    'token with a suffix': { authorization: `Bearer ${TOKEN}x` },
    'Basic scheme': { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
    'bare token, no scheme': { authorization: TOKEN },
    'token in the query string': {},
  };

  test('every admin route has an expectation in this test', () => {
    assert.deepEqual(adminRoutes(s), Object.keys(EFFECT).sort());
  });

  test('route × caller matrix: without the right bearer token 401 with WWW-Authenticate: Bearer and no change; with it 200', async () => {
    for (const route of Object.keys(EFFECT)) {
      const [method, path] = split(route);
      const effect = EFFECT[route]!;
      for (const [caller, headers] of Object.entries(WRONG)) {
        await arrange(s, effect, RIGHT);
        const before = await state(s, RIGHT);
        const r = await call(s.adminUrl, method, caller === 'token in the query string' ? `${path}?token=${TOKEN}` : path, headers);
        assert.equal(r.status, 401, `${route} with ${caller}: ${r.body}`);
        assert.match(String(r.headers['www-authenticate']), /^Bearer\b/);
        if (method !== 'HEAD') assert.match(JSON.parse(r.body).error, /admin token/);
        assert.deepEqual(await state(s, RIGHT), before, `${route} with ${caller} changes nothing`);
        await restore(s, RIGHT);
      }
      await arrange(s, effect, RIGHT);
      const ok = await call(s.adminUrl, method, path, { ...RIGHT, host: `localhost:${port}` });
      assert.equal(ok.status, 200, `${route} with the right token: ${ok.body}`);
      if (effect === 'disable') assert.equal((await state(s, RIGHT)).listening, false);
      await restore(s, RIGHT);
      const lowercase = await call(s.adminUrl, method, path, { authorization: `bearer ${TOKEN}` });
      assert.equal(lowercase.status, 200, `${route}: the scheme is case-insensitive (RFC 9110 §11.1)`);
      await restore(s, RIGHT);
      // The token does not make a browser request acceptable: a page could not hold it, and must not try.
      const browser = await call(s.adminUrl, method, path, { ...RIGHT, origin: 'http://evil.example' });
      assert.equal(browser.status, 403, `${route} with the token from a browser`);
    }
  });

  test('/metrics with the token is Prometheus text; the wrong method with the token is 405, without it 401', async () => {
    const metrics = await call(s.adminUrl, 'GET', '/metrics', RIGHT);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(metrics.body, /orrery_process_cpu_user_seconds_total/);
    assert.equal((await call(s.adminUrl, 'GET', '/disable', RIGHT)).status, 405);
    assert.equal((await call(s.adminUrl, 'GET', '/disable')).status, 401);
    assert.equal((await call(s.adminUrl, 'GET', '/nope')).status, 401);
  });

  test('many concurrent POST /disable with wrong or no tokens: all 401, the server keeps accepting', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(s.adminUrl, 'POST', '/disable', i % 2 ? {} : { authorization: `Bearer guess-${i}` })),
    );
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [401]);
    assert.deepEqual(await state(s, RIGHT), { accepting: true, listening: true });
  });
});

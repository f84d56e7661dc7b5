import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { addressRange, outboundRequest, OutboundBlockedError, OutboundTimeoutError } from './outbound-http.ts';
import type { OutboundPolicy } from './outbound-http.ts';

let connections = 0;
const requests: string[] = [];
const server = http.createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/hang') return; // never answers
    if (url.pathname === '/redirect') {
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/json' });
      return res.end();
    }
    if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' });
      return res.end();
    }
    if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      return res.end(gzipSync('zipped'));
    }
    if (url.pathname === '/headers') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(req.headers));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' });
    res.end(JSON.stringify({ method: req.method, path: req.url, body: Buffer.concat(chunks).toString(), auth: req.headers.authorization ?? null }));
  });
});
server.on('connection', () => connections++);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
after(() => {
  server.closeAllConnections();
  server.close();
});

const open: OutboundPolicy = { allowPrivateNetwork: true };
const closed: OutboundPolicy = { allowPrivateNetwork: false };

test('address ranges: only public unicast counts as public, IPv4-mapped IPv6 is read as IPv4', () => {
  const cases: Record<string, string> = {
    '8.8.8.8': 'unicast', '2001:4860:4860::8888': 'unicast', '127.0.0.1': 'loopback', '10.0.0.1': 'private',
    '192.168.1.1': 'private', '172.16.0.1': 'private', '169.254.169.254': 'linkLocal', '100.64.0.1': 'carrierGradeNat',
    '0.0.0.0': 'unspecified', '224.0.0.1': 'multicast', '::1': 'loopback', '::': 'unspecified', 'fe80::1': 'linkLocal',
    'fc00::1': 'uniqueLocal', 'ff02::1': 'multicast', '::ffff:127.0.0.1': 'loopback', '::ffff:10.1.2.3': 'private', '[::1]': 'loopback',
  };
  for (const [address, range] of Object.entries(cases)) assert.equal(addressRange(address), range, address);
});

test('GET and POST JSON against a local server when private networks are allowed', async () => {
  const got = await outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/json?a=1`, timeoutMs: 2000 }, open);
  assert.equal(got.status, 200);
  assert.equal(got.headers['x-test'], 'yes');
  assert.deepEqual(JSON.parse(got.body.toString()), { method: 'GET', path: '/json?a=1', body: '', auth: null });
  const posted = await outboundRequest(
    { method: 'POST', url: `http://localhost:${port}/json`, headers: { 'content-type': 'application/json' }, body: '{"x":1}', timeoutMs: 2000 },
    open,
  );
  assert.equal(JSON.parse(posted.body.toString()).body, '{"x":1}');
  const zipped = await outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/gzip`, timeoutMs: 2000 }, open);
  assert.equal(zipped.body.toString(), 'zipped');
});

test('a User-Agent and accept-encoding are sent unless the caller sets them (any case)', async () => {
  const plain = JSON.parse((await outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/headers`, timeoutMs: 2000 }, open)).body.toString());
  assert.equal(plain['user-agent'], 'Orrery (agent APICall)');
  assert.equal(plain['accept-encoding'], 'gzip, deflate, br');
  const own = JSON.parse((await outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/headers`, headers: { 'User-Agent': 'mine' }, timeoutMs: 2000 }, open)).body.toString());
  assert.equal(own['user-agent'], 'mine');
});

test('blocked by default, before any connection: loopback, metadata, 10/8, IPv6 and IPv4-mapped literals', async () => {
  const before = connections;
  for (const url of [
    `http://127.0.0.1:${port}/json`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'http://[::1]:1/',
    'http://[::ffff:127.0.0.1]:1/', 'http://0.0.0.0:1/', 'http://100.64.0.1/', 'http://[fd00::1]/',
  ]) {
    const started = Date.now();
    await assert.rejects(outboundRequest({ method: 'GET', url, timeoutMs: 5000 }, closed), OutboundBlockedError, url);
    // The timeout is 5 s: refusing before any connection answers far sooner, even on a loaded machine.
    assert.ok(Date.now() - started < 2500, `${url} failed fast`);
  }
  assert.equal(connections, before, 'no socket reached the server');
});

test('a name that resolves to loopback (localhost) is refused in the lookup, before connecting', async () => {
  const before = connections;
  await assert.rejects(
    outboundRequest({ method: 'GET', url: `http://localhost:${port}/json`, timeoutMs: 5000 }, closed),
    (err: Error) => err instanceof OutboundBlockedError && /for localhost/.test(err.message) && /loopback/.test(err.message),
  );
  assert.equal(connections, before);
});

test('every redirect hop is checked: an allowed first host redirecting to http://localhost is refused', async () => {
  const firstHostOnly: OutboundPolicy = { allowPrivateNetwork: false, allow: (_address, host) => host === '127.0.0.1' };
  const seen = requests.length;
  const to = encodeURIComponent(`http://localhost:${port}/json`);
  await assert.rejects(
    outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/redirect?to=${to}`, timeoutMs: 5000 }, firstHostOnly),
    OutboundBlockedError,
  );
  assert.deepEqual(requests.slice(seen), [`GET /redirect?to=${to}`], 'only the first hop was sent');
  // With private networks allowed the same redirect is followed.
  const followed = await outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/redirect?to=${to}`, timeoutMs: 5000 }, open);
  assert.equal(followed.status, 200);
  assert.equal(followed.url, `http://localhost:${port}/json`);
});

test('redirects: 303 turns a POST into a GET without body, credentials dropped across hosts, at most 5 hops', async () => {
  const to = encodeURIComponent(`http://localhost:${port}/json`);
  const res = await outboundRequest(
    { method: 'POST', url: `http://127.0.0.1:${port}/redirect?status=303&to=${to}`, headers: { authorization: 'Bearer s' }, body: 'x', timeoutMs: 5000 },
    open,
  );
  assert.deepEqual(JSON.parse(res.body.toString()), { method: 'GET', path: '/json', body: '', auth: null });
  const seen = requests.length;
  await assert.rejects(outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/loop`, timeoutMs: 5000 }, open), /Maximum number of redirects exceeded/);
  assert.equal(requests.length - seen, 6, 'the first request and 5 redirects');
});

test('a request past its timeout fails with axios\'s message; a cancelled one with the abort reason', async () => {
  const started = Date.now();
  await assert.rejects(outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/hang`, timeoutMs: 150 }, open), (err: Error) => err instanceof OutboundTimeoutError && err.message === 'timeout of 150ms exceeded');
  assert.ok(Date.now() - started < 2000);
  const ac = new AbortController();
  const pending = outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/hang`, timeoutMs: 10_000, signal: ac.signal }, open);
  ac.abort(new Error('run cancelled'));
  await assert.rejects(pending, /run cancelled/);
});

test('response size cap and unsupported protocols', async () => {
  await assert.rejects(outboundRequest({ method: 'GET', url: `http://127.0.0.1:${port}/json`, timeoutMs: 2000 }, { ...open, maxResponseBytes: 10 }), /Response body larger than 10 bytes/);
  await assert.rejects(outboundRequest({ method: 'GET', url: 'file:///etc/passwd', timeoutMs: 2000 }, open), /Unsupported protocol file:/);
});

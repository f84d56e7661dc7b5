import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentContext, ComponentData, OutboundHttpPolicy } from '../engine/component.ts';
import { apiCall, apiCallConfig, buildHeaders, parseResponseBody } from './api-call.ts';

let connections = 0;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/hang') return;
    if (url.pathname === '/missing') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"error":"no such thing"}');
    }
    if (url.pathname === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end('plain words');
    }
    if (url.pathname === '/bytes') {
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]));
    }
    if (url.pathname === '/to-localhost') {
      res.writeHead(302, { location: `http://localhost:${port}/echo` });
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'test' });
    res.end(JSON.stringify({ method: req.method, path: req.url, contentType: req.headers['content-type'] ?? null, auth: req.headers['x-token'] ?? null, body: Buffer.concat(chunks).toString() }));
  });
});
server.on('connection', () => connections++);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const base = `http://127.0.0.1:${port}`;
after(() => {
  server.closeAllConnections();
  server.close();
});

function component(data: Record<string, unknown>): ComponentData {
  return { id: 'API1', name: 'APICall', title: 'call', data, inputs: [], outputs: [] };
}
function context(http: Partial<OutboundHttpPolicy> & Record<string, unknown> = {}, signal = new AbortController().signal): ComponentContext {
  return {
    agentId: 'a', runId: 'r', variables: {}, signal, log() {},
    memory: { read: async () => undefined, write: async () => {}, delete: async () => {} },
    http: { allowPrivateNetwork: true, timeoutMs: 2000, ...http } as OutboundHttpPolicy,
    generate: async () => '',
  };
}

test('GET with a templated URL: Response parsed from JSON, Headers lower-case, no _error', async () => {
  const out = await apiCall.process({ id: 42, q: 'a b' }, component({ method: 'GET', url: `${base}/items/{{id}}?q={{q}}&gone={{nothing}}` }), context());
  assert.equal(out._error, undefined);
  assert.deepEqual(out.Response, { method: 'GET', path: '/items/42?q=a%20b&gone=', contentType: null, auth: null, body: '' });
  assert.equal((out.Headers as Record<string, string>)['x-served-by'], 'test');
});

test('POST JSON: body and headers templated, content-type from contentType', async () => {
  const out = await apiCall.process(
    { name: 'Ann "the" tester', n: 3, token: 's3cret' },
    component({ method: 'POST', url: `${base}/echo`, contentType: 'application/json', headers: '{"X-Token": "{{token}}"}', body: '{"name": "{{name}}", "n": {{n}}}' }),
    context(),
  );
  const res = out.Response as Record<string, string>;
  assert.equal(res.contentType, 'application/json');
  assert.equal(res.auth, 's3cret');
  assert.deepEqual(JSON.parse(String(res.body)), { name: 'Ann "the" tester', n: 3 });
});

test('urlencoded, text and multipart bodies', async () => {
  const form = await apiCall.process({ a: 'x y' }, component({ method: 'POST', url: `${base}/echo`, contentType: 'application/x-www-form-urlencoded', body: '{"a":"{{a}}","b":2}' }), context());
  assert.equal((form.Response as Record<string, string>).body, 'a=x+y&b=2');
  const text = await apiCall.process({ who: 'you' }, component({ method: 'PUT', url: `${base}/echo`, contentType: 'text/plain', body: 'hi {{who}}' }), context());
  assert.equal((text.Response as Record<string, string>).body, 'hi you');
  // contentType none: the body is sent as written, and a POST gets axios's default content type (SmythOS's engine does).
  const none = await apiCall.process({ v: 1 }, component({ method: 'POST', url: `${base}/echo`, contentType: 'none', body: 'v={{v}}' }), context());
  assert.deepEqual([(none.Response as Record<string, string>).body, (none.Response as Record<string, string>).contentType], ['v={{v}}', 'application/x-www-form-urlencoded']);
  const multi = await apiCall.process({ f: Buffer.from('filebytes'), t: 'txt' }, component({ method: 'POST', url: `${base}/echo`, contentType: 'multipart/form-data', body: { file: '{{f}}', label: '{{t}}' } }), context());
  const res = multi.Response as Record<string, string>;
  assert.match(String(res.contentType), /^multipart\/form-data; boundary=/);
  assert.match(res.body as string, /name="file"; filename="file"[\s\S]*filebytes/);
  assert.match(res.body as string, /name="label"\r\n\r\ntxt/);
});

test('a non-2xx answer gives axios\'s _error with Response and Headers still set', async () => {
  const out = await apiCall.process({}, component({ method: 'GET', url: `${base}/missing` }), context());
  assert.equal(out._error, 'Request failed with status code 404');
  assert.deepEqual(out.Response, { error: 'no such thing' });
  assert.equal((out.Headers as Record<string, string>)['content-type'], 'application/json');
});

test('text and binary responses', async () => {
  assert.equal((await apiCall.process({}, component({ method: 'GET', url: `${base}/text` }), context())).Response, 'plain words');
  const bin = (await apiCall.process({}, component({ method: 'GET', url: `${base}/bytes` }), context())).Response as Record<string, unknown>;
  assert.deepEqual(bin, { mimetype: 'image/png', size: 5, url: 'data:image/png;base64,iVBORwA=' });
  assert.deepEqual(parseResponseBody({ headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) }), {});
});

test('timeout from data.timeout or context.http.timeoutMs', async () => {
  const started = Date.now();
  const out = await apiCall.process({}, component({ method: 'GET', url: `${base}/hang`, timeout: 100 }), context());
  assert.equal(out._error, 'timeout of 100ms exceeded');
  const viaContext = await apiCall.process({}, component({ method: 'GET', url: `${base}/hang` }), context({ timeoutMs: 120 }));
  assert.equal(viaContext._error, 'timeout of 120ms exceeded');
  assert.ok(Date.now() - started < 2000);
});

test('a cancelled run stops the request', async () => {
  const ac = new AbortController();
  const pending = apiCall.process({}, component({ method: 'GET', url: `${base}/hang` }), context({ timeoutMs: 10_000 }, ac.signal));
  ac.abort(new Error('run cancelled'));
  assert.equal((await pending)._error, 'run cancelled');
});

test('blocked by default: 127.0.0.1, 169.254.169.254, 10.0.0.1 and localhost, before connecting', async () => {
  const before = connections;
  for (const url of [`${base}/echo`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', `http://localhost:${port}/echo`]) {
    const started = Date.now();
    const out = await apiCall.process({}, component({ method: 'GET', url }), context({ allowPrivateNetwork: false, timeoutMs: 5000 }));
    assert.match(out._error as string, /^Refused to connect to .* requests to private networks are not allowed$/, url);
    assert.equal(out.Response, null);
    // The timeout is 5 s: refusing before any connection answers far sooner, even on a loaded machine.
    assert.ok(Date.now() - started < 2500, `${url} fails fast`);
  }
  assert.equal(connections, before);
});

test('a redirect from an allowed host to http://localhost is refused', async () => {
  const policy = { allowPrivateNetwork: false, allow: (_address: string, host: string) => host === '127.0.0.1' };
  const out = await apiCall.process({}, component({ method: 'GET', url: `${base}/to-localhost` }), context(policy));
  assert.match(out._error as string, /^Refused to connect to .* for localhost/);
  const allowed = await apiCall.process({}, component({ method: 'GET', url: `${base}/to-localhost` }), context({ allowPrivateNetwork: true }));
  assert.equal(allowed._error, undefined);
  assert.equal((allowed.Response as Record<string, string>).path, '/echo');
});

test('config validation and header parsing follow SmythOS', async () => {
  assert.equal(apiCallConfig.safeParse({ url: 'http://x' }).error?.issues[0]?.message, '"Method" is required');
  assert.match(apiCallConfig.safeParse({ method: 'FETCH', url: 'http://x' }).error!.issues[0]!.message, /^"Method" must be one of \[GET, POST/);
  assert.equal(apiCallConfig.safeParse({ method: 'GET' }).error?.issues[0]?.message, '"URL" is required');
  assert.equal(apiCallConfig.safeParse({ method: 'GET', url: '' }).error?.issues[0]?.message, '"URL" is not allowed to be empty');
  assert.equal(apiCallConfig.safeParse({ method: 'GET', url: 'http://x', contentType: '' }).error?.issues[0]?.message, '"Content-Type" is not allowed to be empty');
  assert.deepEqual(buildHeaders({}, { method: 'GET', url: '', headers: 'not json', contentType: 'text/plain' }), { 'x-smyth-error': 'Error parsing headers', 'content-type': 'text/plain' });
  assert.deepEqual(buildHeaders({}, { method: 'GET', url: '', headers: { Accept: 'a/b', 'Content-Type': 'c/d' }, contentType: 'application/json' }), { accept: 'a/b', 'content-type': 'c/d' });
  await assert.rejects(Promise.resolve(apiCall.process({}, component({ method: 'GET', url: 'not a url' }), context())), /Invalid URL/);
});

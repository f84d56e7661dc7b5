import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client } from '../helpers/client.ts';
import { captureLog, startTestApp, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

describe('server shell', () => {
  let s: TestServer;
  const log = captureLog();
  const logLines = log.lines;
  before(async () => {
    s = await startTestServer({ LOG_LEVEL: 'info', MAX_BODY_BYTES: '2048' }, { logStream: log.stream });
  });
  after(() => s.close());

  test('GET /health → 200 with mode, modules, version, uptime and database check', async () => {
    const r = await new Client(s.url).get('/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.mode, 'runtime');
    assert.deepEqual(r.body.modules, ['accounts', 'runtime', 'matrix', 'bots', 'agents', 'agent-runner', 'debugger', 'embodiments', 'web']);
    assert.match(r.body.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof r.body.uptime_s, 'number');
    // PostgreSQL adds the cross-instance event bus (LISTEN connection) as a dependency.
    assert.deepEqual(r.body.checks, s.store.dialect === 'postgres' ? { database: 'ok', event_bus: 'ok' } : { database: 'ok' });
  });

  test('correlation id: echoed when sent, generated otherwise, present in the request log line', async () => {
    const c = new Client(s.url);
    const echoed = await c.get('/health', { 'x-correlation-id': 'abc-123' });
    assert.equal(echoed.headers.get('x-correlation-id'), 'abc-123');
    const generated = await c.get('/health');
    assert.match(generated.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
    const unsafe = await c.get('/health', { 'x-correlation-id': 'bad id\twith tabs' });
    assert.notEqual(unsafe.headers.get('x-correlation-id'), 'bad id\twith tabs');
    // The access-log line is written when the response is finished, which may be after the client has it.
    const line = await waitFor(() => logLines.map((l) => JSON.parse(l)).find((l) => l.correlation_id === 'abc-123'), {
      what: 'a log line carrying the correlation id',
    });
    assert.equal(line.route, '/health');
    assert.match(line.reason, /matched \/health/);
  });

  test('unknown route → 404 JSON with the path', async () => {
    const r = await new Client(s.url).get('/api/nothing/here?x=1');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'not found', code: 'ORR_NOT_FOUND', path: '/api/nothing/here' });
    const html = await new Client(s.url).get('/api/nothing', { accept: 'text/html' });
    assert.equal(html.status, 404, 'API paths never fall back to the UI');
  });

  test('bad bodies: invalid JSON → 400, too large → 413, wrong media type → 415; never 500', async () => {
    const c = new Client(s.url);
    const badJson = await c.req('POST', '/api/auth/login', '{"username":', { 'content-type': 'application/json' });
    assert.equal(badJson.status, 400);
    assert.equal(typeof badJson.body.error, 'string');
    const big = await c.post('/api/auth/login', { username: 'x'.repeat(5000), password: 'y' });
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'ORR_PAYLOAD_TOO_LARGE');
    const media = await c.req('POST', '/api/auth/login', 'username=a', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(media.status, 415);
  });

  test('security headers are set', async () => {
    const r = await new Client(s.url).get('/health');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(r.headers.get('x-frame-options'), 'SAMEORIGIN');
  });

  test('OpenAPI is generated from the route schemas; Swagger UI is served locally', async () => {
    const c = new Client(s.url);
    const spec = await c.get('/openapi.json');
    assert.equal(spec.status, 200);
    assert.match(spec.body.openapi, /^3\./);
    assert.ok(spec.body.paths['/api/auth/login'].post.requestBody);
    assert.ok(spec.body.paths['/health'].get);
    const docs = await fetch(s.url + '/docs/');
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  test('the UI is served at / and client routes fall back to index.html', async () => {
    const root = await fetch(s.url + '/', { headers: { accept: 'text/html' } });
    assert.equal(root.status, 200);
    assert.match(await root.text(), /<div id="root">|Orrery/);
    const deep = await fetch(s.url + '/runtime', { headers: { accept: 'text/html' } });
    assert.equal(deep.status, 200);
  });

  test('admin server: bound to 127.0.0.1 only; stats, metrics, drain and enable', async () => {
    const addr = s.admin.server.address() as net.AddressInfo;
    assert.equal(addr.address, '127.0.0.1');
    const stats = await (await fetch(s.adminUrl + '/stats')).json();
    assert.equal(stats.accepting, true);
    assert.equal(typeof stats.open_connections, 'number');
    assert.equal(typeof stats.requests_in_flight, 'number');
    assert.equal(typeof stats.uptime_s, 'number');
    const metrics = await (await fetch(s.adminUrl + '/metrics')).text();
    assert.match(metrics, /orrery_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    assert.match(metrics, /orrery_http_request_duration_seconds_bucket/);
    assert.match(metrics, /orrery_process_cpu_user_seconds_total/);

    assert.deepEqual(await (await fetch(s.adminUrl + '/disable', { method: 'POST' })).json(), { ok: true, accepting: false });
    const port = (s.orrery.app.server.address() ?? { port: Number(new URL(s.url).port) }) as net.AddressInfo;
    await assert.rejects(
      new Promise((resolve, reject) => {
        const sock = net.connect(Number(new URL(s.url).port), '127.0.0.1', () => resolve(sock));
        sock.on('error', reject);
      }),
      /ECONNREFUSED/,
    );
    void port;
    assert.equal((await (await fetch(s.adminUrl + '/stats')).json()).accepting, false);
    await fetch(s.adminUrl + '/enable', { method: 'POST' });
    assert.equal((await fetch(s.url + '/health')).status, 200);
  });

  test('health → 503 degraded naming the failing check when the database does not answer', async () => {
    const t = await startTestApp();
    try {
      await t.store.close();
      const r = await t.client().get('/health');
      assert.equal(r.status, 503);
      assert.equal(r.body.status, 'degraded');
      assert.match(r.body.checks.database, /^failed/);
    } finally {
      await t.close();
    }
  });
});

describe('server modes', () => {
  test('SERVER_MODE=agent serves agents alone: the platform modules and the agents, no UI', async () => {
    const s = await startTestApp({ SERVER_MODE: 'agent' });
    try {
      const h = await s.client().get('/health');
      assert.equal(h.body.mode, 'agent');
      assert.deepEqual(h.body.modules, ['accounts', 'agents', 'agent-runner']);
      assert.equal((await s.client().get('/api/runtime/spec')).status, 404);
      const root = await s.client().get('/', { accept: 'text/html' });
      assert.equal(root.status, 404);
      // Debug headers route to a debugger this mode does not run.
      const debug = await s.client().req('POST', '/api/x', {}, { 'x-agent-id': 'a1', 'x-debug-run': '' });
      assert.equal(debug.status, 501);
      assert.match(String(debug.body.error), /debugger/);
      assert.equal((await s.client().get('/agent/a1/debugSession')).status, 404);
    } finally {
      await s.close();
    }
  });

  test('SERVER_MODE=debugger serves the skill routes (through the smart router) and the debugger', async () => {
    const s = await startTestApp({ SERVER_MODE: 'debugger' });
    try {
      const h = await s.client().get('/health');
      assert.deepEqual(h.body.modules, ['accounts', 'agent-runner', 'debugger']);
      assert.equal((await s.client().get('/agent/a1/debugSession')).status, 401, 'the route is there (and wants a person)');
      assert.equal((await s.client().req('POST', '/api/x', {}, { 'x-agent-id': 'a1', 'x-debug-run': '' })).status, 401);
    } finally {
      await s.close();
    }
  });

  test('SERVER_MODE=embodiment serves the embodiments alone: no skill routes, no debugger, no UI', async () => {
    const s = await startTestApp({ SERVER_MODE: 'embodiment' });
    try {
      assert.deepEqual((await s.client().get('/health')).body.modules, ['accounts', 'embodiments']);
      assert.equal((await s.client().get('/v1/models')).body.error.message, 'Invalid Authentication');
      assert.equal((await s.client().req('POST', '/agents/a1/mcp', {})).status, 404);
      assert.equal((await s.client().req('POST', '/agents/a1/api/x', {})).status, 404, 'skills are the agent mode\'s');
    } finally {
      await s.close();
    }
  });

  test('a comma list of modes is accepted', async () => {
    const s = await startTestApp({ SERVER_MODE: 'agent,embodiment' });
    try {
      assert.equal((await s.client().get('/health')).body.mode, 'agent,embodiment');
      assert.deepEqual((await s.client().get('/health')).body.modules, ['accounts', 'agents', 'agent-runner', 'embodiments']);
    } finally {
      await s.close();
    }
  });
});

describe('production CORS', () => {
  test('only CORS_ORIGINS are allowed', async () => {
    const s = await startTestServer({ NODE_ENV: 'production', CORS_ORIGINS: 'https://ok.example' });
    try {
      const pre = (origin: string) =>
        new Client(s.url).req('OPTIONS', '/api/auth/login', undefined, { origin, 'access-control-request-method': 'POST' });
      assert.equal((await pre('https://ok.example')).headers.get('access-control-allow-origin'), 'https://ok.example');
      assert.equal((await pre('https://evil.example')).headers.get('access-control-allow-origin'), null);
      const login = await new Client(s.url).register('prod');
      assert.match(login.headers.getSetCookie().join(';'), /Secure/);
    } finally {
      await s.close();
    }
  });
});

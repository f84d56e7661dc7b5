/**
 * Regression (issue 7 item 2): `npm start` runs in development mode, where CORS reflected any
 * `Origin` with credentials, so a page on any origin could read `GET /api/auth/whoami` (CSRF token
 * included) and then act as the signed-in user. Credentialed CORS is now allowed only for
 * `BASE_URL`, `CORS_ORIGINS` and (development) the loopback origins of its port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const mode of ['development', 'production'] as const) {
  describe(`CORS in ${mode} mode`, () => {
    let s: TestServer;
    let signedIn: Client;
    before(async () => {
      s = await startTestServer({ NODE_ENV: mode, CORS_ORIGINS: 'https://app.example.com, https://ops.example.com/' });
      signedIn = new Client(s.url);
      await signedIn.register('alice');
    });
    after(() => s.close());

    /** `whoami` with the session cookie, as a browser page on `origin` would send it. */
    const whoamiFrom = (origin: string) => signedIn.get('/api/auth/whoami', { origin });
    const preflightFrom = (origin: string) =>
      new Client(s.url).req('OPTIONS', '/api/auth/whoami', undefined, { origin, 'access-control-request-method': 'GET' });

    test('a foreign origin gets no CORS headers: the browser keeps the response (and the CSRF token) from the page', async () => {
      for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'null', 'http://127.0.0.1.nip.io']) {
        const r = await whoamiFrom(origin);
        assert.equal(r.headers.get('access-control-allow-origin'), null, `${origin} must not be allowed`);
        assert.equal(r.headers.get('access-control-allow-credentials'), null);
        const p = await preflightFrom(origin);
        assert.equal(p.headers.get('access-control-allow-origin'), null, `${origin} preflight must not be allowed`);
      }
    });

    test('CORS_ORIGINS are allowed with credentials; the server\'s own pages need no CORS', async () => {
      // Same-origin requests are never subject to CORS; they carry an Origin and must simply work.
      assert.equal((await whoamiFrom(s.url)).status, 200);
      for (const origin of ['https://app.example.com', 'https://ops.example.com']) {
        const r = await whoamiFrom(origin);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('access-control-allow-origin'), origin);
        assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
        const p = await preflightFrom(origin);
        assert.equal(p.status, 204);
        assert.equal(p.headers.get('access-control-allow-origin'), origin);
      }
    });

    test('a skill call from an allowed origin may send the agent and debug headers and read x-run-id (research §12 item 36)', async () => {
      const p = await new Client(s.url).req('OPTIONS', '/api/pipe', undefined, {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, x-monitor-id, x-agent-id, content-type',
      });
      assert.equal(p.status, 204);
      assert.equal(p.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.equal(p.headers.get('access-control-allow-credentials'), 'true');
      const allowed = (p.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const h of ['authorization', 'x-monitor-id', 'x-agent-id']) assert.ok(allowed.includes(h), `${h} in ${allowed}`);
      const r = await new Client(s.url).post('/api/pipe', {}, { origin: 'https://app.example.com' });
      assert.match(r.headers.get('access-control-expose-headers') ?? '', /x-run-id/);
    });

    test('embodiment paths: any origin\'s preflight passes without credentials; responses carry no platform CORS headers (the agent\'s origins decide)', async () => {
      for (const path of ['/v1/chat/completions', '/agents/a1/mcp', '/agents/a1/chat/stream', '/api-docs/openapi.json']) {
        const p = await new Client(s.url).req('OPTIONS', path, undefined, {
          origin: 'https://shop.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
        });
        assert.equal(p.status, 204, path);
        assert.equal(p.headers.get('access-control-allow-origin'), 'https://shop.example', path);
        assert.equal(p.headers.get('access-control-allow-credentials'), null, `${path}: never with credentials`);
        assert.match((p.headers.get('access-control-allow-headers') ?? '').toLowerCase(), /mcp-protocol-version/);
        // An allowed platform origin is no different there: it gets what the agent allows, not the cookie.
        const r = await signedIn.get(path, { origin: 'https://app.example.com' });
        assert.equal(r.headers.get('access-control-allow-credentials'), null, `${path} response`);
      }
      // Skills keep the platform policy, a deployment's `/v1/api/…` included.
      for (const path of ['/agents/a1/api/pipe', '/v1/api/pipe']) {
        const skill = await new Client(s.url).req('OPTIONS', path, undefined, { origin: 'https://shop.example', 'access-control-request-method': 'POST' });
        assert.equal(skill.headers.get('access-control-allow-origin'), null, path);
      }
    });

    test('a state change from a foreign origin fails even with the CSRF token: it cannot be read, and guessing it is refused', async () => {
      const r = await signedIn.post('/api/auth/tokens', { label: 'x' }, { origin: 'https://evil.example', 'x-csrf-token': 'guess' });
      assert.equal(r.status, 403);
      assert.equal(r.body.code, 'ORR_AUTH_CSRF');
    });
  });
}

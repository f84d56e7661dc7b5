/**
 * Authorization, generated from the route table (CONVENTIONS "Authorization is generated, not
 * remembered"): every route of the app is tried with every kind of caller, and a route without an
 * expectation below fails the test, so a new route cannot be forgotten.
 *
 * Regression (issue 7 item 3): `POST /api/runtime/token/rotate|revoke` were declared public, so a
 * cookie session passed without `x-csrf-token` (a wrong one passed too). Every unsafe request a valid
 * session authenticates must carry the CSRF token, whatever the route declares.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../helpers/client.ts';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { linkedUser } from '../runtime/helpers.ts';

/** Who may call a route, as the test expects it (independently of what the route declares). */
type Access = 'public' | 'user' | 'admin' | 'runtime' | 'runtime_or_user' | 'admin_or_bootstrap' | 'gone';
type Caller = 'anonymous' | 'session' | 'access_token' | 'jwt' | 'runtime_token' | 'admin_session';
const CALLERS: Caller[] = ['anonymous', 'session', 'access_token', 'jwt', 'runtime_token', 'admin_session'];

/** Every API route and who may call it. HEAD routes follow their GET. */
const EXPECTED: Record<string, Access> = {
  'GET /api/auth/config': 'public',
  'POST /api/auth/register': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'user',
  'GET /api/auth/whoami': 'user',
  'POST /api/auth/password': 'user',
  'POST /api/auth/sessions/revoke': 'user',
  'POST /api/auth/tokens': 'user',
  'GET /api/admin/users': 'admin',
  'POST /api/admin/users': 'admin',
  'POST /api/admin/users/:user_id/revoke-sessions': 'admin',
  'GET /api/runtime/spec': 'public',
  'POST /api/runtime/invite/create': 'user',
  'POST /api/runtime/invite/claim': 'user',
  'GET /api/runtime/me': 'runtime',
  'POST /api/runtime/presence': 'runtime',
  'DELETE /api/runtime/presence': 'runtime',
  'GET /api/runtime/presence': 'user',
  'GET /api/runtime/feed': 'runtime_or_user',
  'GET /api/runtime/stream': 'runtime_or_user',
  'POST /api/runtime/shared': 'runtime_or_user',
  'POST /api/runtime/claim-identity': 'gone',
  'POST /api/runtime/token': 'gone',
  'POST /api/runtime/token/rotate': 'admin_or_bootstrap',
  'POST /api/runtime/token/revoke': 'admin_or_bootstrap',
  'GET /api/runtime/tokens': 'user',
  'DELETE /api/runtime/tokens/:token_id': 'user',
  'GET /health': 'public',
  'GET /openapi.json': 'public',
};
/** Routes outside the API that anyone may read: the UI, its assets, the API docs. */
const STATIC_PUBLIC = [/^\/$/, /^\/\*$/, /^\/index\.html$/, /^\/assets\//, /^\/docs(\/|$)/];

/** Routes whose allowed call ends the caller's own credential: fresh callers after each. */
const ENDS_CREDENTIAL = new Set(['POST /api/auth/logout', 'POST /api/auth/sessions/revoke']);

/** Which callers get in (anything but 401/403), per access class; the others get 401 or 403 as noted. */
const OUTCOME: Record<Access, Record<Caller, 'ok' | 401 | 403 | 410>> = {
  public: { anonymous: 'ok', session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 'ok', admin_session: 'ok' },
  user: { anonymous: 401, session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 401, admin_session: 'ok' },
  admin: { anonymous: 401, session: 403, access_token: 403, jwt: 403, runtime_token: 401, admin_session: 'ok' },
  runtime: { anonymous: 401, session: 401, access_token: 401, jwt: 401, runtime_token: 'ok', admin_session: 401 },
  runtime_or_user: { anonymous: 401, session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 'ok', admin_session: 'ok' },
  admin_or_bootstrap: { anonymous: 401, session: 403, access_token: 403, jwt: 403, runtime_token: 401, admin_session: 'ok' },
  gone: { anonymous: 410, session: 410, access_token: 410, jwt: 410, runtime_token: 410, admin_session: 410 },
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A concrete path for a route pattern; the stream gets a bad cursor so an allowed call answers at once. */
function pathOf(url: string): string {
  const path = url.replace(':token_id', '999999').replace(':user_id', encodeURIComponent('@nobody:localhost')).replace(/\*$/, 'some/page');
  return path === '/api/runtime/stream' ? `${path}?after=not-a-cursor` : path;
}

describe('every route × every kind of caller', () => {
  let t: TestApp;
  let n = 0;
  let callers: Record<Caller, Client>;

  /** A fresh set of callers, each on an account of its own. */
  async function makeCallers(): Promise<Record<Caller, Client>> {
    const k = ++n;
    const session = t.client();
    await session.register(`sess${k}`);
    const login = async (name: string, issue: 'access_token' | 'jwt') => {
      await t.client().register(name);
      const c = t.client();
      c.bearer = (await c.post('/api/auth/login', { username: name, password: `password-${name}`, issue })).body.access_token;
      return c;
    };
    const admin = t.client();
    await admin.post('/api/auth/login', { username: 'admin', password: 'password-admin' });
    return {
      anonymous: t.client(),
      session,
      access_token: await login(`tok${k}`, 'access_token'),
      jwt: await login(`jwt${k}`, 'jwt'),
      runtime_token: (await linkedUser(t, `bot${k}`)).bot,
      admin_session: admin,
    };
  }

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_MIN_GAP_MS: '0' });
    await t.client().register('admin'); // the first account is the admin
    callers = await makeCallers();
  });
  after(() => t.close());

  test('every route has an expectation, and routes declare the access the table expects', () => {
    const missing: string[] = [];
    for (const r of t.orrery.routes) {
      if (r.method === 'OPTIONS') continue;
      const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
      const access = EXPECTED[key];
      if (!access) {
        if (!(r.method === 'GET' || r.method === 'HEAD') || !STATIC_PUBLIC.some((re) => re.test(r.url))) missing.push(`${r.method} ${r.url}`);
        continue;
      }
      const declared = r.auth ?? 'public';
      const consistent = access === declared || (access === 'admin_or_bootstrap' && declared === 'public') || (access === 'gone' && (declared === 'public' || declared === 'user'));
      assert.ok(consistent, `${key} declares ${declared}, the table expects ${access}`);
    }
    assert.deepEqual(missing, [], 'routes without an expectation in route-access.test.ts');
  });

  test('each caller gets in exactly where the table says, and a clear 401/403/410 elsewhere', async () => {
    const failures: string[] = [];
    for (const r of t.orrery.routes) {
      if (r.method === 'OPTIONS') continue;
      const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
      const access = EXPECTED[key] ?? 'public';
      for (const caller of CALLERS) {
        const res = await callers[caller].req(r.method, pathOf(r.url), UNSAFE.has(r.method) ? {} : undefined);
        const expected = OUTCOME[access][caller];
        const got = res.status;
        if (got >= 500) failures.push(`${r.method} ${r.url} as ${caller}: ${got} ${JSON.stringify(res.body)}`);
        else if (expected === 'ok' ? got === 401 || got === 403 : got !== expected) {
          failures.push(`${r.method} ${r.url} as ${caller}: ${got}, expected ${expected}`);
        } else if (expected !== 'ok' && r.method !== 'HEAD' && typeof res.body?.error !== 'string') {
          failures.push(`${r.method} ${r.url} as ${caller}: ${got} without an error string`);
        }
        if (expected === 'ok' && ENDS_CREDENTIAL.has(key) && caller !== 'anonymous') callers = await makeCallers();
      }
    }
    assert.deepEqual(failures, []);
  });

  test('every unsafe request with a valid session cookie needs the CSRF token, whatever the route declares', async () => {
    const failures: string[] = [];
    for (const r of t.orrery.routes) {
      if (!UNSAFE.has(r.method)) continue;
      for (const caller of ['session', 'admin_session'] as const) {
        for (const header of ['', 'forged-token']) {
          const res = await callers[caller].req(r.method, pathOf(r.url), {}, { 'x-csrf-token': header });
          if (res.status !== 403 || res.body?.code !== 'ORR_AUTH_CSRF') {
            failures.push(`${r.method} ${r.url} as ${caller} with x-csrf-token=${JSON.stringify(header)}: ${res.status} ${res.body?.code}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('the same holds under concurrency: 50 forged admin revokes at once change nothing', async () => {
    const victim = await linkedUser(t, 'victim');
    const admin = callers.admin_session;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => admin.req('POST', '/api/runtime/token/revoke', { token: victim.token }, { 'x-csrf-token': '' })),
    );
    assert.ok(results.every((r) => r.status === 403 && r.body.code === 'ORR_AUTH_CSRF'));
    assert.equal((await victim.bot.post('/api/runtime/presence')).status, 200, 'the token still works');
  });
});

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
import { OPENAI_ACCESS } from '../embodiments/openai.access.ts';
import { MCP_ACCESS } from '../embodiments/mcp.access.ts';
import { OPENAPI_ACCESS } from '../embodiments/openapi.access.ts';
import { CHAT_ACCESS } from '../embodiments/chat.access.ts';
import { ALEXA_ACCESS } from '../embodiments/alexa.access.ts';

/** Who may call a route, as the test expects it (independently of what the route declares). */
type Access = 'public' | 'user' | 'admin' | 'runtime' | 'runtime_or_user' | 'admin_or_bootstrap' | 'gone' | 'bot_jwt' | 'agent';
type Caller = 'anonymous' | 'session' | 'access_token' | 'jwt' | 'runtime_token' | 'admin_session' | 'bot_jwt';
const CALLERS: Caller[] = ['anonymous', 'session', 'access_token', 'jwt', 'runtime_token', 'admin_session', 'bot_jwt'];

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
  'GET /_matrix/client/versions': 'public',
  'GET /.well-known/matrix/client': 'public',
  // The token is the query's `access_token` (an OpenID token), checked by the handler: 400 without one.
  'GET /_matrix/federation/v1/openid/userinfo': 'public',
  // The bot endpoints (docs/bot-runner.md): the session exchange takes an OpenID token or a web
  // session (400 without either); the others take only the bot JWT it issues.
  'POST /_server-session': 'public',
  'POST /_bot-registration': 'bot_jwt',
  'GET /_bot-registrations': 'bot_jwt',
  'DELETE /_bot-registration': 'bot_jwt',
  'POST /_bot-commands': 'bot_jwt',
  'GET /_bot-commands': 'bot_jwt',
  'DELETE /_bot-commands': 'bot_jwt',
  'POST /_run-command': 'bot_jwt',
  'DELETE /_job': 'bot_jwt',
  // Monitoring: Orrery's admins (the original used a separate monitoring credential).
  'GET /_queue-status': 'admin',
  // The UI's Bots and Queue pages (docs/bot-runner.md "UI"): the caller's bot jobs; the queue's admin API.
  'GET /api/bots/jobs': 'user',
  'GET /api/admin/queue': 'admin',
  'POST /api/admin/queue/jobs/:id/retry': 'admin',
  'POST /api/admin/queue/jobs/:id/cancel': 'admin',
  // Agents (docs/api.md "Agents"): any signed-in user for their own agents; another user's are 404s
  // (test/agents/api.test.ts), which this walk's placeholder ids are for everyone.
  'GET /api/agents': 'user',
  'POST /api/agents': 'user',
  'GET /api/agents/:agentId': 'user',
  'PUT /api/agents/:agentId': 'user',
  'PATCH /api/agents/:agentId': 'user',
  'DELETE /api/agents/:agentId': 'user',
  'POST /api/agents/:agentId/deploy': 'user',
  'GET /api/agents/:agentId/versions': 'user',
  'GET /api/agents/:agentId/export': 'user',
  'GET /api/agents/:agentId/keys': 'user',
  'PUT /api/agents/:agentId/keys/:name': 'user',
  'DELETE /api/agents/:agentId/keys/:name': 'user',
  'GET /api/agents/:agentId/runs': 'user',
  'GET /api/agents/:agentId/runs/:runId': 'user',
  // Skills (src/agents/runner-routes.ts): declared public because the agent decides — owner-only by
  // default, a vault key, or anyone; test/agents/runner.test.ts walks those callers per mode.
  'GET /api/*': 'public',
  'POST /api/*': 'public',
  'GET /:version/api/*': 'public',
  'POST /:version/api/*': 'public',
  'GET /agents/:agentId/api/*': 'public',
  'POST /agents/:agentId/api/*': 'public',
  'GET /agents/:agentId/:version/api/*': 'public',
  'POST /agents/:agentId/:version/api/*': 'public',
  // The debugger (src/debugger): a person's credential, the agent's owner or an admin; anyone else
  // is a 404 (test/debugger/access.test.ts), which this walk's placeholder ids are for everyone.
  'GET /agent/:agentId/debugSession': 'user',
  'GET /agent/:agentId/monitor': 'user',
  // Embodiments (src/embodiments), one table per surface beside its tests.
  ...OPENAI_ACCESS,
  ...MCP_ACCESS,
  ...OPENAPI_ACCESS,
  ...CHAT_ACCESS,
  ...ALEXA_ACCESS,
};

/**
 * The Matrix client-server routes (src/matrix/client/index.ts), each served under both
 * `/_matrix/client/v3` and `/_matrix/client/r0`. Every Matrix credential kind — access token, runtime
 * token, JWT, web session — is one user on this API, so all of them are `runtime_or_user` unless the
 * spec lets anyone call (login, registration, directory lookups, public profiles).
 */
const MATRIX_CLIENT: Record<string, Access> = {
  'GET /capabilities': 'runtime_or_user',
  'GET /pushrules/': 'runtime_or_user',
  'GET /login': 'public',
  'POST /login': 'public',
  'POST /logout': 'runtime_or_user',
  'POST /logout/all': 'runtime_or_user',
  'POST /register': 'public',
  'GET /register/available': 'public',
  'GET /account/whoami': 'runtime_or_user',
  'POST /user/:userId/filter': 'runtime_or_user',
  'GET /user/:userId/filter/:filterId': 'runtime_or_user',
  'GET /sync': 'runtime_or_user',
  'POST /createRoom': 'runtime_or_user',
  'GET /joined_rooms': 'runtime_or_user',
  'GET /directory/room/:roomAlias': 'public',
  'PUT /directory/room/:roomAlias': 'runtime_or_user',
  'DELETE /directory/room/:roomAlias': 'runtime_or_user',
  'GET /rooms/:roomId/aliases': 'runtime_or_user',
  'GET /directory/list/room/:roomId': 'public',
  'PUT /directory/list/room/:roomId': 'runtime_or_user',
  'GET /publicRooms': 'public',
  'POST /publicRooms': 'runtime_or_user',
  'POST /join/:roomIdOrAlias': 'runtime_or_user',
  'POST /rooms/:roomId/join': 'runtime_or_user',
  'POST /rooms/:roomId/invite': 'runtime_or_user',
  'POST /rooms/:roomId/leave': 'runtime_or_user',
  'POST /rooms/:roomId/kick': 'runtime_or_user',
  'POST /rooms/:roomId/ban': 'runtime_or_user',
  'POST /rooms/:roomId/unban': 'runtime_or_user',
  'POST /rooms/:roomId/forget': 'runtime_or_user',
  'PUT /rooms/:roomId/send/:eventType/:txnId': 'runtime_or_user',
  'PUT /rooms/:roomId/state/:eventType/:stateKey': 'runtime_or_user',
  'PUT /rooms/:roomId/state/:eventType': 'runtime_or_user',
  'GET /rooms/:roomId/state/:eventType/:stateKey': 'runtime_or_user',
  'GET /rooms/:roomId/state/:eventType': 'runtime_or_user',
  'GET /rooms/:roomId/state': 'runtime_or_user',
  'GET /rooms/:roomId/messages': 'runtime_or_user',
  'GET /rooms/:roomId/event/:eventId': 'runtime_or_user',
  'GET /rooms/:roomId/context/:eventId': 'runtime_or_user',
  'GET /rooms/:roomId/members': 'runtime_or_user',
  'GET /rooms/:roomId/joined_members': 'runtime_or_user',
  'PUT /rooms/:roomId/redact/:eventId/:txnId': 'runtime_or_user',
  'PUT /rooms/:roomId/typing/:userId': 'runtime_or_user',
  'POST /rooms/:roomId/receipt/:receiptType/:eventId': 'runtime_or_user',
  'POST /rooms/:roomId/read_markers': 'runtime_or_user',
  'GET /presence/:userId/status': 'runtime_or_user',
  'PUT /presence/:userId/status': 'runtime_or_user',
  'GET /profile/:userId': 'public',
  'GET /profile/:userId/displayname': 'public',
  'PUT /profile/:userId/displayname': 'runtime_or_user',
  'GET /profile/:userId/avatar_url': 'public',
  'PUT /profile/:userId/avatar_url': 'runtime_or_user',
  'GET /user/:userId/account_data/:type': 'runtime_or_user',
  'PUT /user/:userId/account_data/:type': 'runtime_or_user',
  'GET /user/:userId/rooms/:roomId/account_data/:type': 'runtime_or_user',
  'PUT /user/:userId/rooms/:roomId/account_data/:type': 'runtime_or_user',
  'POST /user_directory/search': 'runtime_or_user',
  'POST /user/:userId/openid/request_token': 'runtime_or_user',
};
const MATRIX_PREFIXES = ['/_matrix/client/v3', '/_matrix/client/r0'];
for (const [key, access] of Object.entries(MATRIX_CLIENT)) {
  const [method, path] = key.split(' ') as [string, string];
  for (const prefix of MATRIX_PREFIXES) EXPECTED[`${method} ${prefix}${path}`] = access;
}
/** Routes outside the API that anyone may read: the UI, its assets, the API docs. */
const STATIC_PUBLIC = [/^\/$/, /^\/\*$/, /^\/index\.html$/, /^\/assets\//, /^\/docs(\/|$)/];

/** Routes whose allowed call ends the caller's own credential: a fresh caller after each. */
const ENDS_CREDENTIAL = new Set(['POST /api/auth/logout', 'POST /api/auth/sessions/revoke', ...MATRIX_PREFIXES.flatMap((p) => [`POST ${p}/logout`, `POST ${p}/logout/all`])]);
/** Routes whose allowed call takes the caller out of their own room: they join it again after each. */
const LEAVES_ROOM = new Set(MATRIX_PREFIXES.map((p) => `POST ${p}/rooms/:roomId/leave`));

/** Which callers get in (anything but 401/403), per access class; the others get 401 or 403 as noted. */
const OUTCOME: Record<Access, Record<Caller, 'ok' | 'ok_or_401' | 401 | 403 | 410>> = {
  public: { anonymous: 'ok', session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 'ok', admin_session: 'ok', bot_jwt: 'ok' },
  user: { anonymous: 401, session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 401, admin_session: 'ok', bot_jwt: 401 },
  admin: { anonymous: 401, session: 403, access_token: 403, jwt: 403, runtime_token: 401, admin_session: 'ok', bot_jwt: 401 },
  runtime: { anonymous: 401, session: 401, access_token: 401, jwt: 401, runtime_token: 'ok', admin_session: 401, bot_jwt: 401 },
  runtime_or_user: { anonymous: 401, session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 'ok', admin_session: 'ok', bot_jwt: 401 },
  admin_or_bootstrap: { anonymous: 401, session: 403, access_token: 403, jwt: 403, runtime_token: 401, admin_session: 'ok', bot_jwt: 401 },
  gone: { anonymous: 410, session: 410, access_token: 410, jwt: 410, runtime_token: 410, admin_session: 410, bot_jwt: 410 },
  // The bot JWT only, whatever else the caller holds (a session, an API JWT of another key: 401).
  bot_jwt: { anonymous: 401, session: 401, access_token: 401, jwt: 401, runtime_token: 401, admin_session: 401, bot_jwt: 'ok' },
  // Embodiments (src/embodiments): declared public, the agent decides. A person is never refused for
  // a missing credential (the walk's placeholder agents are 404s); anyone else may be (OpenAI's 401
  // `Invalid Authentication`), never with a 403.
  agent: { anonymous: 'ok_or_401', session: 'ok', access_token: 'ok', jwt: 'ok', runtime_token: 'ok_or_401', admin_session: 'ok', bot_jwt: 'ok_or_401' },
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a caller's paths are filled with: their own user, a room they created and an event in it. */
interface CallerContext {
  userId: string;
  roomId: string;
  eventId: string;
}
/** The anonymous caller's: nobody, nowhere. */
const NOBODY: CallerContext = { userId: '@nobody:localhost', roomId: '!nowhere:localhost', eventId: '$nothing' };

/**
 * A concrete path for a route pattern, for `ctx`'s caller: Matrix paths name the caller's own user and
 * room (so an allowed call is not refused by the room's rules), the stream gets a bad cursor and
 * `/sync` `timeout=0` so an allowed call answers at once.
 */
function pathOf(url: string, ctx: CallerContext = NOBODY): string {
  const values: Record<string, string> = {
    token_id: '999999',
    user_id: '@nobody:localhost',
    userId: ctx.userId,
    roomId: ctx.roomId,
    roomIdOrAlias: ctx.roomId,
    eventId: ctx.eventId,
    roomAlias: '#route-access-none:localhost',
    filterId: '1',
    eventType: 'org.example.probe',
    stateKey: 'probe',
    txnId: 'route-access',
    receiptType: 'm.read',
    type: 'org.example.probe',
  };
  const path = url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? name)).replace(/\*$/, 'some/page');
  if (path === '/api/runtime/stream') return `${path}?after=not-a-cursor`;
  if (/^\/_matrix\/client\/(v3|r0)\/sync$/.test(path)) return `${path}?timeout=0`;
  return path;
}

/** A body that lets an allowed call answer at once (registration without `auth` is a 401 challenge by the spec). */
function bodyOf(url: string): Record<string, unknown> {
  return /^\/_matrix\/client\/(v3|r0)\/register$/.test(url) ? { auth: { type: 'm.login.dummy' } } : {};
}

const CSRF_MESSAGE = 'missing or invalid csrf token';
/** A CSRF refusal, on the platform surface (`code`), the Matrix one (`errcode` + the same message) or the bot endpoints' (`errors: [message]`). */
function isCsrfRefusal(res: { status: number; body: any }): boolean {
  if (res.status !== 403) return false;
  return res.body?.code === 'ORR_AUTH_CSRF' || res.body?.error?.code === 'ORR_AUTH_CSRF' || (res.body?.errcode === 'M_FORBIDDEN' && res.body?.error === CSRF_MESSAGE) || res.body?.errors?.[0] === CSRF_MESSAGE;
}

/** The error string of a refusal: `error` on most surfaces, the first of `errors` on the bot endpoints (the original's string array). */
function errorStringOf(body: any): string | undefined {
  if (typeof body?.error === 'string') return body.error;
  // OpenAI's `{error: {message, type, code}}`; MCP's JSON-RPC `{error: {code, message}}`.
  if (typeof body?.error?.message === 'string') return body.error.message;
  return Array.isArray(body?.errors) && typeof body.errors[0] === 'string' ? body.errors[0] : undefined;
}

describe('every route × every kind of caller', () => {
  let t: TestApp;
  let n = 0;
  let callers: Record<Caller, { client: Client; ctx: CallerContext }>;

  /** One fresh caller of `kind` on an account of its own, with a room of its own holding one event. */
  async function makeCaller(kind: Caller): Promise<{ client: Client; ctx: CallerContext }> {
    const k = ++n;
    const login = async (name: string, issue: 'access_token' | 'jwt') => {
      await t.client().register(name);
      const c = t.client();
      c.bearer = (await c.post('/api/auth/login', { username: name, password: `password-${name}`, issue })).body.access_token;
      return c;
    };
    let client: Client;
    switch (kind) {
      case 'anonymous':
        return { client: t.client(), ctx: NOBODY };
      case 'session':
        client = t.client();
        await client.register(`sess${k}`);
        break;
      case 'access_token':
        client = await login(`tok${k}`, 'access_token');
        break;
      case 'jwt':
        client = await login(`jwt${k}`, 'jwt');
        break;
      case 'runtime_token':
        client = (await linkedUser(t, `bot${k}`)).bot;
        break;
      case 'admin_session':
        client = t.client();
        await client.post('/api/auth/login', { username: 'admin', password: 'password-admin' });
        break;
      case 'bot_jwt': {
        // Set up with a session, then call with nothing but the bot JWT (raw, as the original's scripts).
        client = t.client();
        await client.register(`botjwt${k}`);
        const ctx = await setUp(client, kind);
        const { token } = await t.orrery.services.accounts.issueBotJwt(ctx.userId);
        const botClient = t.client();
        const req = botClient.req.bind(botClient);
        botClient.req = (method, path, body, headers = {}) => req(method, path, body, { authorization: token, ...headers });
        return { client: botClient, ctx };
      }
    }
    return { client, ctx: await setUp(client, kind) };
  }

  /** The caller's own room holding one event. */
  async function setUp(client: Client, kind: Caller): Promise<CallerContext> {
    const userId = (await client.get('/_matrix/client/v3/account/whoami')).body.user_id as string;
    const roomId = (await client.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id as string;
    const sent = await client.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/setup`, { msgtype: 'm.text', body: 'hello' });
    assert.equal(sent.status, 200, `${kind} setup: ${JSON.stringify(sent.body)}`);
    return { userId, roomId, eventId: sent.body.event_id as string };
  }

  /** A fresh set of callers. */
  async function makeCallers(): Promise<Record<Caller, { client: Client; ctx: CallerContext }>> {
    const entries = [];
    for (const caller of CALLERS) entries.push([caller, await makeCaller(caller)] as const);
    return Object.fromEntries(entries) as Record<Caller, { client: Client; ctx: CallerContext }>;
  }

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_MIN_GAP_MS: '0' });
    await t.client().register('admin'); // the first account is the admin
    callers = await makeCallers();
  });
  after(() => t.close());

  /** Routes whose declared access (`OrreryApp.routes[].auth`) differs from the table's. */
  function inconsistent(): string[] {
    const out: string[] = [];
    for (const r of t.orrery.routes) {
      if (r.method === 'OPTIONS') continue;
      const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
      const access = EXPECTED[key];
      if (!access) continue;
      const declared = r.auth ?? 'public';
      const consistent = access === declared || (access === 'agent' && declared === 'public') || (access === 'admin_or_bootstrap' && declared === 'public') || (access === 'gone' && (declared === 'public' || declared === 'user'));
      if (!consistent) out.push(`${key} declares ${declared}, the table expects ${access}`);
    }
    return out;
  }
  const isMatrix = (line: string) => / \/_matrix\//.test(line);

  test('every route has an expectation, and routes declare the access the table expects', () => {
    const missing: string[] = [];
    for (const r of t.orrery.routes) {
      if (r.method === 'OPTIONS') continue;
      const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
      if (!EXPECTED[key] && (!(r.method === 'GET' || r.method === 'HEAD') || !STATIC_PUBLIC.some((re) => re.test(r.url)))) missing.push(`${r.method} ${r.url}`);
    }
    assert.deepEqual(missing, [], 'routes without an expectation in route-access.test.ts');
    assert.deepEqual(inconsistent().filter((line) => !isMatrix(line)), []);
  });

  // Regression: OrreryApp.routes read `config.auth` when the app's onRoute hook ran, before the
  // Matrix plugin's own hook gave its routes their `runtime_or_user` default (src/matrix/client/index.ts),
  // so every Matrix route read as public there; it now reads the route's final config.
  test('Matrix routes declare the access the table expects', () => {
    assert.deepEqual(inconsistent().filter(isMatrix), []);
  });

  test('each caller gets in exactly where the table says, and a clear 401/403/410 elsewhere', async () => {
    const failures: string[] = [];
    for (const r of t.orrery.routes) {
      if (r.method === 'OPTIONS') continue;
      const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
      const access = EXPECTED[key] ?? 'public';
      // The callers are on accounts of their own: they go at once, which keeps the walk fast.
      await Promise.all(
        CALLERS.map(async (caller) => {
          const { client, ctx } = callers[caller];
          const res = await client.req(r.method, pathOf(r.url, ctx), UNSAFE.has(r.method) ? bodyOf(r.url) : undefined);
          const expected = OUTCOME[access][caller];
          const got = res.status;
          if (got >= 500) failures.push(`${r.method} ${r.url} as ${caller}: ${got} ${JSON.stringify(res.body)}`);
          else if (expected === 'ok' ? got === 401 || got === 403 : expected === 'ok_or_401' ? got === 403 : got !== expected) {
            failures.push(`${r.method} ${r.url} as ${caller}: ${got}, expected ${expected}`);
          } else if ((expected === 'ok_or_401' ? got === 401 : expected !== 'ok') && r.method !== 'HEAD' && errorStringOf(res.body) === undefined) {
            failures.push(`${r.method} ${r.url} as ${caller}: ${got} without an error string`);
          }
          if (expected === 'ok' && ENDS_CREDENTIAL.has(key) && caller !== 'anonymous') callers[caller] = await makeCaller(caller);
          if (expected === 'ok' && LEAVES_ROOM.has(key) && caller !== 'anonymous') {
            const rejoin = await client.post(`/_matrix/client/v3/rooms/${encodeURIComponent(ctx.roomId)}/join`, {});
            assert.equal(rejoin.status, 200, `${caller} rejoins: ${JSON.stringify(rejoin.body)}`);
          }
        }),
      );
    }
    assert.deepEqual(failures, []);
  });

  test('every unsafe request with a valid session cookie needs the CSRF token, whatever the route declares', async () => {
    const failures: string[] = [];
    for (const r of t.orrery.routes) {
      if (!UNSAFE.has(r.method)) continue;
      for (const caller of ['session', 'admin_session'] as const) {
        for (const header of ['', 'forged-token']) {
          const res = await callers[caller].client.req(r.method, pathOf(r.url, callers[caller].ctx), bodyOf(r.url), { 'x-csrf-token': header });
          if (!isCsrfRefusal(res)) {
            failures.push(`${r.method} ${r.url} as ${caller} with x-csrf-token=${JSON.stringify(header)}: ${res.status} ${res.body?.code ?? res.body?.errcode}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('the same holds under concurrency: 50 forged admin revokes at once change nothing', async () => {
    const victim = await linkedUser(t, 'victim');
    const admin = callers.admin_session.client;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => admin.req('POST', '/api/runtime/token/revoke', { token: victim.token }, { 'x-csrf-token': '' })),
    );
    assert.ok(results.every((r) => r.status === 403 && r.body.code === 'ORR_AUTH_CSRF'));
    assert.equal((await victim.bot.post('/api/runtime/presence')).status, 200, 'the token still works');
  });
});

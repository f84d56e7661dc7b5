/**
 * Who may debug (issue 11 item 5): every debug operation and the held-session route, for the
 * anonymous caller, another user, the owner (session + CSRF, access token) and an admin. Anyone but the
 * owner or an admin learns nothing — not whether the agent exists, nor whether a session does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { agentCallers, fixture, importFixture, type AgentCallers } from '../agents/api-helpers.ts';

describe('debugger authorization', () => {
  let t: TestServer;
  let who: AgentCallers;
  let linear: string;
  let session: string;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    who = await agentCallers(t);
    linear = await importFixture(who.alice, fixture('linear-utility.smyth'));
    // Even a public agent is debugged by its owner only.
    await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { skill_access: 'public' });
    session = (await who.aliceToken.req('POST', '/api/pipe', { message: 'hi' }, { 'x-agent-id': linear, 'x-debug-run': '' })).body.dbgSession as string;
    assert.match(session, /^dbg-/);
  });
  after(() => t.close());

  const operations = () => ({
    start: { 'x-debug-run': '' },
    step: { 'x-debug-run': session },
    read: { 'x-debug-read': session },
    inject: { 'x-debug-inj': session },
    stop: { 'x-debug-stop': session },
  });
  const bodyOf = (op: string) => (op === 'inject' ? [{ id: 'C1', ctx: { active: true, input: { Data: 'x' } } }] : { message: 'hi' });

  test('anonymous: 401 for every operation and the held-session route', async () => {
    for (const [op, headers] of Object.entries(operations())) {
      const res = await who.anonymous.req('POST', '/api/pipe', bodyOf(op), { 'x-agent-id': linear, ...headers });
      assert.equal(res.status, 401, op);
    }
    assert.equal((await who.anonymous.get(`/agent/${linear}/debugSession`)).status, 401);
  });

  test('another user: the same 404 as for an agent that does not exist, for every operation', async () => {
    for (const [op, headers] of Object.entries(operations())) {
      const res = await who.bob.req('POST', '/api/pipe', bodyOf(op), { 'x-agent-id': linear, ...headers });
      const none = await who.bob.req('POST', '/api/pipe', bodyOf(op), { 'x-agent-id': 'anosuchagent0000000000', ...headers });
      assert.equal(res.status, 404, op);
      assert.deepEqual(res.body, none.body, `${op}: nothing tells the two apart`);
    }
    assert.equal((await who.bob.get(`/agent/${linear}/debugSession`)).status, 404);
    // Bob's own agent with Alice's session id: no session, exactly as a made-up id.
    const bobs = await importFixture(who.bob, fixture('linear-utility.smyth'));
    const foreign = await who.bob.req('POST', '/api/pipe', {}, { 'x-agent-id': bobs, 'x-debug-read': session });
    const madeUp = await who.bob.req('POST', '/api/pipe', {}, { 'x-agent-id': bobs, 'x-debug-read': 'dbg-00000000000000000000' });
    assert.deepEqual({ ...foreign.body, expiredDbgSession: 'x' }, { ...madeUp.body, expiredDbgSession: 'x' });
  });

  test('the owner on a web session needs its CSRF token; with it, and with an access token, every operation works', async () => {
    const noCsrf = await who.alice.req('POST', '/api/pipe', { message: 'hi' }, { 'x-agent-id': linear, 'x-debug-read': session, 'x-csrf-token': 'wrong' });
    assert.equal(noCsrf.status, 403, 'a cookie with a wrong CSRF token is refused (central CSRF check)');
    const csrf = (await who.alice.get('/api/auth/whoami')).body.csrf_token as string;
    assert.ok(csrf, 'whoami gives the session CSRF token');
    for (const [op, headers] of Object.entries(operations())) {
      const res = await who.alice.req('POST', '/api/pipe', bodyOf(op), { 'x-agent-id': linear, 'x-csrf-token': csrf, ...headers });
      assert.equal(res.status, 200, `${op}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await who.aliceToken.get(`/agent/${linear}/debugSession`)).status, 200);
  });

  test('an admin may debug any agent', async () => {
    const res = await who.admin.req('POST', '/api/pipe', { message: 'hi' }, { 'x-agent-id': linear, 'x-debug-run': '', 'x-csrf-token': (await who.admin.get('/api/auth/whoami')).body.csrf_token as string });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.dbgSession, /^dbg-/);
    assert.equal((await who.admin.get(`/agent/${linear}/debugSession`)).status, 200);
  });

  test('runtime tokens are not a debugging credential', async () => {
    const res = await who.anonymous.req('POST', '/api/pipe', {}, { 'x-agent-id': linear, 'x-debug-run': '', authorization: 'Bearer kzrt_notarealtoken' });
    assert.equal(res.status, 401);
  });
});

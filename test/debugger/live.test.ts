/**
 * Live debug (issue 11 item 3; research/smythos.md §6.6, §12 item 25): with debugging switched on, a
 * plain call of the draft is held as a session; `GET /agent/:id/debugSession` finds it; stepping it to
 * the end answers the held call; a stop answers it 400; a newer live call interrupts it; a hold
 * expires; `X-DEBUG-SKIP`, deployed versions and nested calls are never held.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { agentCallers, fixture, importFixture, type AgentCallers } from '../agents/api-helpers.ts';

const HASH = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

describe('live debug', () => {
  let t: TestServer;
  let who: AgentCallers;
  let linear: string;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    who = await agentCallers(t);
    linear = await importFixture(who.alice, fixture('linear-utility.smyth'));
    assert.equal((await who.aliceToken.req('POST', `/api/agents/${linear}/deploy`, {})).status, 201);
    const on = await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { debug_enabled: true });
    assert.equal(on.status, 200);
    assert.equal(on.body.agent.debug_enabled, true);
  });
  after(() => t.close());

  const plain = (headers: Record<string, string> = {}, path = '/api/pipe') => who.aliceToken.req('POST', path, { message: 'hello world' }, { 'x-agent-id': linear, ...headers });
  const debug = (headers: Record<string, string>) => who.aliceToken.req('POST', '/api/pipe', {}, { 'x-agent-id': linear, ...headers });
  /** The held session's id, once the held call has made it. */
  const heldSession = (previous?: string) =>
    waitFor(async () => {
      const r = await who.aliceToken.get(`/agent/${linear}/debugSession`);
      assert.equal(r.status, 200);
      const id = r.body.dbgSession as string | undefined;
      return id && id !== previous ? id : undefined;
    }, { what: 'a held live session' });

  test('a held call is answered with the final result once its session is stepped to the end (item 25)', async () => {
    assert.deepEqual((await who.aliceToken.get(`/agent/${linear}/debugSession`)).body, {}, 'nothing held yet');
    const held = plain();
    const id = await heldSession();
    assert.match(id, /^dbg-/);
    let settled = false;
    void held.then(() => (settled = true));
    let res = await debug({ 'x-debug-run': id });
    assert.equal(res.body.dbgSession, id);
    assert.equal(settled, false, 'still held mid-session');
    while (res.body.dbgSession) res = await debug({ 'x-debug-run': id });
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { result: HASH });
    assert.deepEqual(answer.body, res.body.finalResult);
    assert.deepEqual((await who.aliceToken.get(`/agent/${linear}/debugSession`)).body, {}, 'nothing held afterwards');
  });

  test('X-DEBUG-STOP answers the held call 400 Debug Session Stopped', async () => {
    const held = plain();
    const id = await heldSession();
    assert.equal((await debug({ 'x-debug-stop': id })).body.success, true);
    const answer = await held;
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'Debug Session Stopped' });
  });

  test('a second live call interrupts the first (400), and is held itself', async () => {
    const first = plain();
    const firstId = await heldSession();
    const second = plain();
    const secondId = await heldSession(firstId);
    const interrupted = await first;
    assert.equal(interrupted.status, 400);
    assert.deepEqual(interrupted.body, { error: 'Debug session interrupted by another request' });
    await debug({ 'x-debug-stop': secondId });
    assert.equal((await second).status, 400);
  });

  test('X-DEBUG-SKIP and a deployed version are not held', async () => {
    assert.deepEqual((await plain({ 'x-debug-skip': '' })).body, { result: HASH });
    assert.deepEqual((await plain({}, '/v1.0/api/pipe')).body, { result: HASH });
  });

  test('switched off, plain calls run at once; only the owner can switch it', async () => {
    assert.equal((await who.bob.req('PATCH', `/api/agents/${linear}`, { debug_enabled: false })).status, 404);
    assert.equal((await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { debug_enabled: false })).status, 200);
    try {
      assert.deepEqual((await plain()).body, { result: HASH });
    } finally {
      await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { debug_enabled: true });
    }
  });

  test('a caller that goes away closes its held session', async () => {
    const abort = new AbortController();
    const held = fetch(new URL('/api/pipe', t.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who.aliceToken.bearer}`, 'x-agent-id': linear },
      body: JSON.stringify({ message: 'hello world' }),
      signal: abort.signal,
    }).catch(() => undefined);
    const id = await heldSession();
    abort.abort();
    await held;
    await waitFor(async () => (await who.aliceToken.get(`/agent/${linear}/debugSession`)).body.dbgSession !== id, { what: 'the session to be released' });
    const read = await debug({ 'x-debug-read': id });
    assert.equal(read.body.sessionClosed, true);
  });
});

describe('live debug hold expiry', () => {
  let t: TestServer;
  let who: AgentCallers;
  let linear: string;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', DEBUG_LIVE_HOLD_MS: '300' });
    who = await agentCallers(t);
    linear = await importFixture(who.alice, fixture('linear-utility.smyth'));
    await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { debug_enabled: true });
  });
  after(() => t.close());

  test('a hold expires after DEBUG_LIVE_HOLD_MS with 408 Debug Session Expired', async () => {
    const answer = await who.aliceToken.req('POST', '/api/pipe', { message: 'x' }, { 'x-agent-id': linear });
    assert.equal(answer.status, 408);
    assert.deepEqual(answer.body, { error: 'Debug Session Expired' });
  });
});

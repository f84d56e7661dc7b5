/**
 * Two instances on one PostgreSQL database (issue 11 items 2-3, 7): a session started on one is
 * stepped and read on the other — no sticky routing — and a live call held by one instance is
 * answered when the other steps its session to the end (the event bus carries the wake-up).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { fixture, importFixture } from '../agents/api-helpers.ts';
import type { Client } from '../helpers/client.ts';

const HASH = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

describe('debugger across two instances', { skip: TEST_DB !== 'postgres' ? 'PostgreSQL only (two instances share a database)' : false }, () => {
  let a: TestServer;
  let b: TestServer;
  let onA: Client;
  let onB: Client;
  let linear: string;

  before(async () => {
    a = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    b = await startTestServer({ RATE_LIMIT_MAX: '100000' }, { peerOf: a });
    const owner = a.client();
    assert.equal((await owner.register('alice')).status, 201);
    const login = await owner.post('/api/auth/login', { username: 'alice', password: 'password-alice', issue: 'access_token' });
    onA = a.client();
    onA.bearer = login.body.access_token as string;
    onB = b.client();
    onB.bearer = onA.bearer;
    linear = await importFixture(onA, fixture('linear-utility.smyth'));
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  const debug = (client: Client, headers: Record<string, string>) => client.req('POST', '/api/pipe', { message: 'hello world' }, { 'x-agent-id': linear, ...headers });

  test('start on one instance, step and read on the other, alternately, to the same final result', async () => {
    let res = await debug(onA, { 'x-debug-run': '' });
    const id = res.body.dbgSession as string;
    assert.match(id, /^dbg-/);
    const clients = [onB, onA];
    for (let i = 0; res.body.dbgSession; i++) {
      const client = clients[i % 2]!;
      const read = await debug(client, { 'x-debug-read': id });
      assert.equal(read.body.dbgSession, id);
      res = await debug(client, { 'x-debug-run': id });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assert.deepEqual(res.body.finalResult, { result: HASH });
    assert.equal(res.body.step, 5, 'five waves, none lost or repeated between instances');
  });

  test('a live call held on one instance is answered when the other steps it to the end, and stopped from the other', async () => {
    assert.equal((await onA.req('PATCH', `/api/agents/${linear}`, { debug_enabled: true })).status, 200);
    try {
      const held = onA.req('POST', '/api/pipe', { message: 'hello world' }, { 'x-agent-id': linear });
      const id = await waitFor(async () => (await onB.get(`/agent/${linear}/debugSession`)).body.dbgSession as string | undefined, { what: 'the held session, seen from B' });
      let res = await debug(onB, { 'x-debug-run': id });
      while (res.body.dbgSession) res = await debug(onB, { 'x-debug-run': id });
      const answer = await held;
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { result: HASH });

      const second = onA.req('POST', '/api/pipe', { message: 'hello world' }, { 'x-agent-id': linear });
      const id2 = await waitFor(async () => {
        const seen = (await onB.get(`/agent/${linear}/debugSession`)).body.dbgSession as string | undefined;
        return seen && seen !== id ? seen : undefined;
      });
      assert.equal((await debug(onB, { 'x-debug-stop': id2 })).body.success, true);
      const stopped = await second;
      assert.equal(stopped.status, 400);
      assert.deepEqual(stopped.body, { error: 'Debug Session Stopped' });
    } finally {
      await onA.req('PATCH', `/api/agents/${linear}`, { debug_enabled: false });
    }
  });
});

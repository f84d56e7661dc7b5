/**
 * The debug protocol over HTTP (issue 11 items 1-2; research/smythos.md §6, §12 items 18-23): start,
 * step, read, includeNewState, inject, stop, mock data, expired sessions, idle gaps and closed
 * sessions on the injectable clock, concurrent steps, and the run record of a session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/lib/clock.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { agentCallers, fixture, importFixture, type AgentCallers } from '../agents/api-helpers.ts';

const HASH = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

describe('debug protocol', () => {
  let t: TestServer;
  let who: AgentCallers;
  let linear: string;
  const clock = new ManualClock();

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' }, { clock });
    who = await agentCallers(t);
    linear = await importFixture(who.alice, fixture('linear-utility.smyth'));
  });
  after(() => t.close());

  const call = (headers: Record<string, string>, body: unknown = { message: 'hello world' }, path = '/api/pipe', client = who.aliceToken) =>
    client.req('POST', path, body, { 'x-agent-id': linear, ...headers });
  const start = () => call({ 'x-debug-run': '' });
  const stepOf = (id: string, query = '') => call({ 'x-debug-run': id }, { message: 'hello world' }, `/api/pipe${query}`);

  test('X-DEBUG-RUN "" starts a dbg- session that has run only the endpoint (item 18)', async () => {
    const res = await start();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.dbgSession, /^dbg-[0-9a-f]{20}$/);
    assert.equal(res.body.sessionClosed, false);
    assert.equal(res.body.step, 1);
    assert.match(res.headers.get('x-run-id') ?? '', /^run_/);
    const [downstream, own] = res.body.state as [unknown, { id: string; name: string }];
    assert.equal(own.id, 'EP');
    assert.deepEqual(downstream, { id: 'C1', name: 'FEncDec', inputs: { Data: 'hello world' } }, 'the endpoint activated C1 (which has not run)');
    const read = await call({ 'x-debug-read': res.body.dbgSession });
    assert.equal(read.body.state.C1.active, true, 'C1 waits for the next wave');
    assert.equal(read.body.state.C2.active, false, 'C2 was not touched yet (the first read holds every component)');
  });

  test('each step runs exactly one wave; the last gives dbgSession null, sessionClosed and the plain answer as finalResult (item 19)', async () => {
    const plain = await call({});
    assert.equal(plain.status, 200);
    const started = await start();
    const id = started.body.dbgSession as string;
    const ran: string[] = [];
    let res = started;
    for (let i = 0; i < 10 && res.body.dbgSession; i++) {
      res = await stepOf(id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      if (Array.isArray(res.body.state)) ran.push((res.body.state as [unknown, { id: string }])[1].id);
    }
    assert.deepEqual(ran, ['C1', 'C2', 'C3', 'OUT'], 'one component per wave, in order');
    assert.equal(res.body.dbgSession, null);
    assert.equal(res.body.sessionClosed, true);
    assert.deepEqual(res.body.finalResult, plain.body);
    assert.deepEqual(res.body.finalResult, { result: HASH });
    assert.equal(res.body.finalStatus, 200);
    // Stepping a finished session says so; nothing runs.
    const again = await stepOf(id);
    assert.deepEqual(again.body, { state: { sessionClosed: true }, dbgSession: null, expiredDbgSession: id, sessionClosed: true });
  });

  test('X-DEBUG-READ is a delta, idempotent, and runs nothing (item 20)', async () => {
    const id = (await start()).body.dbgSession as string;
    await stepOf(id);
    const a = await call({ 'x-debug-read': id });
    const b = await call({ 'x-debug-read': id });
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, b.body);
    assert.equal(a.body.dbgSession, id);
    assert.equal(a.body.sessionClosed, false);
    assert.equal(a.body.step, 1);
    assert.deepEqual(Object.keys(a.body.state).sort(), ['C1', 'C2'], 'the delta: C1 ran in the last wave and activated C2');
    assert.equal(a.body.state.C2.active, true);
    assert.deepEqual(a.body.state.C2.input, { Data: '68656c6c6f20776f726c64' }, 'C1 hex-encoded the message');
    const next = await stepOf(id);
    assert.equal((next.body.state as [unknown, { id: string }])[1].id, 'C2', 'the reads did not advance the run');
  });

  test('?includeNewState=true adds newState equal to the read that follows (item 21)', async () => {
    const id = (await start()).body.dbgSession as string;
    const res = await stepOf(id, '?includeNewState=true');
    assert.ok(res.body.newState);
    const read = await call({ 'x-debug-read': id });
    assert.deepEqual(res.body.newState, read.body);
  });

  test('X-DEBUG-INJ with an output uses it without running the component; a new injected session is inj- (item 22)', async () => {
    const injected = await call({ 'x-debug-inj': '' }, [{ id: 'C3', ctx: { active: true, output: { Hash: 'injected-hash' } } }]);
    assert.equal(injected.status, 200, JSON.stringify(injected.body));
    assert.match(injected.body.dbgSession, /^inj-/);
    const [, own] = injected.body.state as [unknown, { id: string; result: Record<string, unknown> }];
    assert.equal(own.id, 'C3');
    assert.equal(own.result.Hash, 'injected-hash', 'FHash would have hashed something; the injected output was used');
    const end = await stepOf(injected.body.dbgSession);
    assert.equal(end.body.sessionClosed, true);
    assert.deepEqual(end.body.finalResult, { result: 'injected-hash' });
  });

  test('X-DEBUG-INJ with an input alone runs the component on it, inside an existing session', async () => {
    const id = (await start()).body.dbgSession as string;
    const res = await call({ 'x-debug-inj': id }, [{ id: 'C3', ctx: { active: true, input: { Data: 'hello world' } } }]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.dbgSession, id);
    const [, own] = res.body.state as [unknown, { id: string; result: Record<string, unknown> }];
    assert.equal(own.id, 'C3');
    assert.equal(own.result.Hash, HASH);
  });

  test('an injected input replaces the inputs a component already gathered (it does not merge into arrays)', async () => {
    const id = (await start()).body.dbgSession as string;
    await stepOf(id); // C1 ran: C2 holds its input
    const res = await call({ 'x-debug-inj': id }, [{ id: 'C2', ctx: { active: true, input: { Data: '68656c6c6f' } } }]);
    const [, own] = res.body.state as [unknown, { id: string; result: Record<string, unknown> }];
    assert.equal(own.id, 'C2');
    assert.equal(own.result.Output, 'hello', 'decoded from the injected value alone');
  });

  test('a bad injection body is a 400 naming the shape; nothing is created', async () => {
    for (const body of [{ id: 'C3' }, [{ id: 3, ctx: {} }], [{ id: 'C3', ctx: { output: 'x' } }]]) {
      const res = await call({ 'x-debug-inj': '' }, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(String(res.body.error), /X-DEBUG-INJ/);
    }
  });

  test('X-DEBUG-STOP ends a session: no further wave runs, reads report it closed', async () => {
    const id = (await start()).body.dbgSession as string;
    const stop = await call({ 'x-debug-stop': id });
    assert.equal(stop.status, 200);
    assert.deepEqual(stop.body, { success: true, dbgSession: null, sessionClosed: true });
    const step = await stepOf(id);
    assert.equal(step.body.expiredDbgSession, id);
    const read = await call({ 'x-debug-read': id });
    assert.equal(read.body.sessionClosed, true);
    assert.equal(read.body.dbgSession, null);
    const twice = await call({ 'x-debug-stop': id });
    assert.equal(twice.body.success, false);
  });

  test('unknown sessions, and a session of another agent, are expired sessions', async () => {
    const other = await importFixture(who.alice, fixture('linear-utility.smyth'), 'other');
    const id = (await start()).body.dbgSession as string;
    const foreign = await who.aliceToken.req('POST', '/api/pipe', {}, { 'x-agent-id': other, 'x-debug-run': id });
    assert.deepEqual(foreign.body, { state: { sessionClosed: true }, dbgSession: null, expiredDbgSession: id, sessionClosed: true });
    const unknown = await stepOf('dbg-nosuchsession000000');
    assert.equal(unknown.body.expiredDbgSession, 'dbg-nosuchsession000000');
    const read = await call({ 'x-debug-read': 'dbg-nosuchsession000000' });
    assert.equal(read.body.dbgSession, null);
    assert.equal(read.body.sessionClosed, true);
  });

  test('a session survives an idle gap of 11 minutes; a closed one is readable for 5 minutes, then gone (item 23)', async () => {
    const id = (await start()).body.dbgSession as string;
    clock.advance(11 * 60_000);
    const step = await stepOf(id);
    assert.equal(step.body.dbgSession, id, 'still there after 11 idle minutes');
    let res = step;
    while (res.body.dbgSession) res = await stepOf(id);
    clock.advance(4 * 60_000);
    const late = await call({ 'x-debug-read': id });
    assert.equal(late.body.sessionClosed, true);
    assert.ok(Object.keys(late.body.state).length > 0, 'the closed session still reads');
    assert.equal(late.body.expiredDbgSession, undefined);
    clock.advance(2 * 60_000);
    const gone = await call({ 'x-debug-read': id });
    assert.equal(gone.body.expiredDbgSession, id);
  });

  test('an unknown skill is a 404 and starts no session', async () => {
    const res = await call({ 'x-debug-run': '' }, {}, '/api/nope');
    assert.equal(res.status, 404);
    assert.match(String(res.body.error), /Endpoint POST \/api\/nope Not Found/);
  });

  test('two steps of one session at once: one wave runs, the other is told the session is busy or gets the next wave', async () => {
    const id = (await start()).body.dbgSession as string;
    const [a, b] = await Promise.all([stepOf(id), stepOf(id)]);
    const ran = [a, b].filter((r) => r.status === 200 && Array.isArray(r.body.state)).map((r) => (r.body.state as [unknown, { id: string }])[1].id);
    for (const r of [a, b]) assert.ok(r.status === 200 || r.status === 409, `${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(new Set(ran).size, ran.length, 'no wave ran twice');
    const read = await call({ 'x-debug-read': id });
    assert.equal(read.body.step, ran.length, 'the session advanced once per wave that answered');
  });

  test('mock data stubs a component in debug sessions only', async () => {
    const patch = await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { mock_data: { C3: { data: { outputs: { Hash: 'mocked' } } } } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    assert.deepEqual(patch.body.agent.mock_data, { C3: { data: { outputs: { Hash: 'mocked' } } } });
    try {
      let res = await start();
      const id = res.body.dbgSession as string;
      while (res.body.dbgSession) res = await stepOf(id);
      assert.deepEqual(res.body.finalResult, { result: 'mocked' });
      assert.deepEqual((await call({})).body, { result: HASH }, 'a plain call runs the real component');
    } finally {
      await who.aliceToken.req('PATCH', `/api/agents/${linear}`, { mock_data: null });
    }
  });

  test('a finished session is recorded as a run with its debug_session_id and every call', async () => {
    let res = await start();
    const id = res.body.dbgSession as string;
    const runId = res.headers.get('x-run-id');
    while (res.body.dbgSession) res = await stepOf(id);
    const run = await waitFor(async () => {
      const r = await who.alice.get(`/api/agents/${linear}/runs/${runId}`);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(run.body.run.debug_session_id, id);
    assert.equal(run.body.run.status, 'completed');
    assert.deepEqual(run.body.run.result, { result: HASH });
    assert.deepEqual(
      run.body.calls.map((c: { component_id: string }) => c.component_id),
      ['EP', 'C1', 'C2', 'C3', 'OUT'],
    );
  });
});

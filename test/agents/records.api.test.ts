/**
 * What the agents module keeps beside the documents, on a real server and database: the key vault
 * (values never readable over the API, encrypted at rest, bound to their agent and name), memory with
 * TTLs, the run recorder (runs and calls written in batches, listed newest first, paged, read with
 * calls in order; odd values stored, never thrown), the runner's loading (draft, versions, `latest`,
 * typed not-founds, the parse cache) and skill access by mode; deleting an agent removes all of it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { createAgentsStore } from '../../src/agents/store.ts';
import { createAgentMemory } from '../../src/agents/memory.ts';
import { decryptSecret, deriveVaultKey, encryptSecret } from '../../src/agents/vault.ts';
import type { CallRecord, RunRecord } from '../../src/agents/types.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { agentCallers, fixture, importFixture, type AgentCallers } from './api-helpers.ts';

const SECRET_VALUE = 'sk-live-0123456789-very-secret';

function run(agentId: string, id: string, startedAt: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    agentId,
    version: null,
    method: 'POST',
    skill: '/api/pipe',
    status: 'completed',
    input: { body: { message: 'hello' }, query: {} },
    result: { result: 'ok' },
    error: null,
    httpStatus: 200,
    callerId: null,
    correlationId: `corr-${id}`,
    parentRunId: null,
    debugSessionId: null,
    steps: 3,
    startedAt,
    endedAt: startedAt + 5,
    ...extra,
  };
}

function call(runId: string, seq: number, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    runId,
    seq,
    componentId: `C${seq}`,
    componentName: 'FHash',
    title: `step ${seq}`,
    step: seq + 1,
    sourceId: seq === 0 ? null : `C${seq - 1}`,
    input: { Data: 'x' },
    output: { Hash: 'abc' },
    error: null,
    startedAt: 1000 + seq,
    endedAt: 1001 + seq,
    logs: [{ level: 'info', message: `call ${seq}`, at: 1000 + seq }],
    ...extra,
  };
}

describe('agents: vault, memory, runs', () => {
  let t: TestServer;
  let u: AgentCallers;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
  });
  after(() => t.close());

  test('keys: stored, listed by name only, never readable, encrypted at rest and bound to agent and name', async () => {
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const put = await u.alice.req('PUT', `/api/agents/${id}/keys/OPENAI_KEY`, { value: SECRET_VALUE });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal(put.body.key.name, 'OPENAI_KEY');
    assert.equal((await u.alice.req('PUT', `/api/agents/${id}/keys/OPENAI_KEY`, { value: `${SECRET_VALUE}-2` })).status, 200, 'replaced');
    await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'bearer-value' });
    const list = await u.alice.get(`/api/agents/${id}/keys`);
    assert.deepEqual(list.body.keys.map((k: any) => k.name), ['API_KEY', 'OPENAI_KEY']);
    for (const path of [`/api/agents/${id}/keys`, `/api/agents/${id}`, `/api/agents/${id}/export`, '/api/agents']) {
      const text = JSON.stringify((await u.alice.get(path)).body);
      assert.equal(text.includes(SECRET_VALUE), false, `${path} shows no value`);
    }
    assert.equal((await u.alice.req('PUT', `/api/agents/${id}/keys/bad%20name`, { value: 'v' })).body.code, 'ORR_AGENTS_INVALID_KEY_NAME');
    assert.equal((await u.alice.req('PUT', `/api/agents/${id}/keys/X`, { value: '' })).status, 400);

    const rows = await t.store.db.selectFrom('agent_keys').selectAll().where('agent_id', '=', id).execute();
    assert.equal(rows.length, 2);
    for (const row of rows) {
      for (const plain of [SECRET_VALUE, Buffer.from(SECRET_VALUE).toString('base64'), Buffer.from(SECRET_VALUE).toString('hex'), 'bearer-value']) {
        assert.equal(row.ciphertext.includes(plain), false, 'no plaintext at rest');
      }
    }
    const openai = rows.find((r) => r.name === 'OPENAI_KEY')!;
    const key = deriveVaultKey(t.config.sessionSecret);
    assert.equal(decryptSecret(key, id, 'OPENAI_KEY', openai.ciphertext), `${SECRET_VALUE}-2`);
    assert.throws(() => decryptSecret(key, id, 'API_KEY', openai.ciphertext), 'another name cannot decrypt it');
    assert.throws(() => decryptSecret(key, 'aother', 'OPENAI_KEY', openai.ciphertext), 'another agent cannot decrypt it');
    assert.throws(() => decryptSecret(deriveVaultKey('another-secret-another-secret-1234'), id, 'OPENAI_KEY', openai.ciphertext), 'another server secret cannot');
    assert.notEqual(encryptSecret(key, id, 'N', 'v'), encryptSecret(key, id, 'N', 'v'), 'a fresh IV each time');

    assert.deepEqual(await t.orrery.services.agents.resolveKeys(id), { API_KEY: 'bearer-value', OPENAI_KEY: `${SECRET_VALUE}-2` });
    assert.equal((await u.alice.req('DELETE', `/api/agents/${id}/keys/OPENAI_KEY`)).status, 204);
    const again = await u.alice.req('DELETE', `/api/agents/${id}/keys/OPENAI_KEY`);
    assert.equal(again.status, 404);
    assert.equal(again.body.code, 'ORR_AGENTS_KEY_NOT_FOUND');
    assert.deepEqual(Object.keys(await t.orrery.services.agents.resolveKeys(id)), ['API_KEY']);
  });

  test('skill access: owner (default), key (the vault bearer), public', async () => {
    const agents = t.orrery.services.agents;
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'the-bearer' });
    const load = async () => {
      const loaded = await agents.loadForRun(id);
      assert.ok(!('notFound' in loaded), 'loads');
      return loaded.agent;
    };
    const bobId = '@bob:localhost';
    const check = async (who: Parameters<typeof agents.checkSkillAccess>[1]) => agents.checkSkillAccess(await load(), who);
    assert.equal(await check({ userId: u.aliceId }), 'ok');
    assert.equal(await check({ userId: bobId, admin: true }), 'ok');
    assert.equal(await check({ userId: bobId }), 'forbidden');
    assert.equal(await check({}), 'unauthorized');
    assert.equal(await check({ bearer: 'the-bearer' }), 'unauthorized', 'owner mode takes no key');

    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' });
    assert.equal(await check({ bearer: 'the-bearer' }), 'ok');
    assert.equal(await check({ bearer: 'the-bearer-' }), 'unauthorized');
    assert.equal(await check({ bearer: 'wrong' }), 'unauthorized');
    assert.equal(await check({ userId: bobId, bearer: 'wrong' }), 'forbidden');
    assert.equal(await check({ userId: u.aliceId }), 'ok');
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_key_name: 'OTHER' });
    assert.equal(await check({ bearer: 'the-bearer' }), 'unauthorized', 'a missing key accepts nothing');

    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' });
    assert.equal(await check({}), 'ok');
  });

  test('loadForRun: draft, versions, latest, typed not-founds; the parsed document is cached until the agent changes', async () => {
    const agents = t.orrery.services.agents;
    const id = await importFixture(u.alice, fixture('sre-echo-LLMPrompt.smyth'));
    assert.deepEqual(await agents.loadForRun('anone'), { notFound: 'agent' });
    assert.deepEqual(await agents.loadForRun(id, 'latest'), { notFound: 'version' });
    assert.deepEqual(await agents.loadForRun(id, '1.0'), { notFound: 'version' });

    const draft = await agents.loadForRun(id);
    assert.ok(!('notFound' in draft), 'draft');
    assert.equal(draft.version, null);
    assert.equal(draft.document, fixture('sre-echo-LLMPrompt.smyth'));
    assert.equal(draft.agent.ownerId, u.aliceId);
    assert.ok(draft.definition.components.some((c) => c.name === 'PromptGenerator'), 'definition');
    const again = await agents.loadForRun(id);
    assert.ok(!('notFound' in again) && again.definition === draft.definition, 'cached: not parsed again');

    await u.alice.req('POST', `/api/agents/${id}/deploy`, {});
    await u.alice.req('PUT', `/api/agents/${id}`, fixture('linear-utility.smyth'));
    await u.alice.req('POST', `/api/agents/${id}/deploy`, {});
    const changed = await agents.loadForRun(id);
    assert.ok(!('notFound' in changed) && changed.definition !== draft.definition && changed.document === fixture('linear-utility.smyth'), 'a new draft is read');
    const v10 = await agents.loadForRun(id, '1.0');
    assert.ok(!('notFound' in v10) && v10.version === '1.0' && v10.document === fixture('sre-echo-LLMPrompt.smyth'), '1.0');
    const latest = await agents.loadForRun(id, 'latest');
    assert.ok(!('notFound' in latest) && latest.version === '1.1' && latest.document === fixture('linear-utility.smyth'), 'latest is 1.1');

    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public', name: 'Renamed' });
    const patched = await agents.loadForRun(id, '1.0');
    assert.ok(!('notFound' in patched) && patched.agent.skillAccess === 'public' && patched.agent.name === 'Renamed', 'settings are read fresh');
  });

  test('memory: read, write with a TTL, delete; expired entries read as missing', async () => {
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const clock = new ManualClock(1_000_000);
    const memory = createAgentMemory(createAgentsStore(t.store.db, t.store.dialect), clock, id);
    assert.equal(await memory.read('m', 'k'), undefined);
    await memory.write('m', 'k', { deep: [1, 'two'] }, 10);
    await memory.write('m', 'forever', 'stays');
    await memory.write('other', 'k', 42);
    assert.deepEqual(await memory.read('m', 'k'), { deep: [1, 'two'] });
    assert.equal(await memory.read('other', 'k'), 42, 'names keep entries apart');
    clock.advance(9_999);
    assert.deepEqual(await memory.read('m', 'k'), { deep: [1, 'two'] });
    clock.advance(1);
    assert.equal(await memory.read('m', 'k'), undefined, 'expired at 10 s');
    clock.advance(1_000_000_000);
    assert.equal(await memory.read('m', 'forever'), 'stays');
    await memory.write('m', 'k', 'back', 5);
    assert.equal(await memory.read('m', 'k'), 'back', 'a write after expiry counts');
    await memory.delete('m', 'k');
    assert.equal(await memory.read('m', 'k'), undefined);
    const big = 10n;
    await memory.write('m', 'odd', { big });
    assert.equal(await memory.read('m', 'odd'), '[unserializable value]');
    // The service hands out the same memory on the server's clock.
    await t.orrery.services.agents.memoryFor(id).write('svc', 'k', 'v');
    assert.equal(await memory.read('svc', 'k'), 'v');
  });

  test('runs: recorded in batches, listed newest first with paging, read with calls in order', async () => {
    const agents = t.orrery.services.agents;
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const other = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    agents.recordRun(run(id, 'run_a', 1000), [call('run_a', 2), call('run_a', 0), call('run_a', 1)]);
    agents.recordRun(run(id, 'run_b', 2000, { status: 'failed', error: 'bad\u0000thing', httpStatus: 500, result: null }), [call('run_b', 0, { output: cyclic, error: 'boom', input: { n: 5n } })]);
    agents.recordRun(run(id, 'run_c', 3000, { version: '1.0', callerId: u.aliceId, parentRunId: 'run_a', debugSessionId: 'dbg1' }), []);
    agents.recordRun(run(id, 'run_d', 3000), []);
    agents.recordRun(run(other, 'run_other', 5000), []);
    await agents.flushRuns();

    const all = await u.alice.get(`/api/agents/${id}/runs`);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(all.body.runs.map((r: any) => r.id), ['run_d', 'run_c', 'run_b', 'run_a']);
    assert.equal(all.body.next_before, null);
    const c = all.body.runs[1];
    assert.deepEqual([c.version, c.caller_id, c.parent_run_id, c.debug_session_id, c.steps, c.duration_ms], ['1.0', u.aliceId, 'run_a', 'dbg1', 3, 5]);
    assert.equal(c.started_at, new Date(3000).toISOString());
    assert.deepEqual(c.input, { body: { message: 'hello' }, query: {} });

    const page1 = await u.alice.get(`/api/agents/${id}/runs?limit=2`);
    assert.deepEqual(page1.body.runs.map((r: any) => r.id), ['run_d', 'run_c']);
    const page2 = await u.alice.get(`/api/agents/${id}/runs?limit=2&before=${page1.body.next_before}`);
    assert.deepEqual(page2.body.runs.map((r: any) => r.id), ['run_b', 'run_a']);
    assert.equal((await u.alice.get(`/api/agents/${id}/runs?limit=0`)).status, 400);

    const a = await u.alice.get(`/api/agents/${id}/runs/run_a`);
    assert.deepEqual(a.body.calls.map((x: any) => x.seq), [0, 1, 2]);
    assert.deepEqual(a.body.calls[1], {
      seq: 1,
      component_id: 'C1',
      component_name: 'FHash',
      title: 'step 1',
      step: 2,
      source_id: 'C0',
      input: { Data: 'x' },
      output: { Hash: 'abc' },
      error: null,
      started_at: new Date(1001).toISOString(),
      ended_at: new Date(1002).toISOString(),
      duration_ms: 1,
      logs: [{ level: 'info', message: 'call 1', at: new Date(1001).toISOString() }],
    });
    const b = await u.alice.get(`/api/agents/${id}/runs/run_b`);
    assert.deepEqual([b.body.run.status, b.body.run.http_status, b.body.run.result], ['failed', 500, null]);
    assert.equal(b.body.run.error, 'bad\uFFFDthing', 'NUL kept out of text columns');
    assert.equal(b.body.calls[0].error, 'boom');
    assert.match(String(b.body.calls[0].output), /^\[unserializable: /);
    assert.deepEqual(b.body.calls[0].input, { n: '5' }, 'a BigInt as its digits');

    const wrongAgent = await u.alice.get(`/api/agents/${id}/runs/run_other`);
    assert.equal(wrongAgent.status, 404);
    assert.equal(wrongAgent.body.code, 'ORR_AGENTS_RUN_NOT_FOUND');
    assert.equal((await u.bob.get(`/api/agents/${id}/runs/run_a`)).status, 404);
    assert.equal((await u.bob.get(`/api/agents/${id}/runs`)).status, 404);
  });

  test('a run recorded again (running, then ended) is updated, its calls kept once', async () => {
    const agents = t.orrery.services.agents;
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    agents.recordRun(run(id, 'run_twice', 1000, { status: 'running', endedAt: null, result: null, httpStatus: null }), [call('run_twice', 0)]);
    await agents.flushRuns();
    assert.equal((await u.alice.get(`/api/agents/${id}/runs/run_twice`)).body.run.status, 'running');
    agents.recordRun(run(id, 'run_twice', 1000), [call('run_twice', 0), call('run_twice', 1)]);
    await agents.flushRuns();
    const res = await u.alice.get(`/api/agents/${id}/runs/run_twice`);
    assert.deepEqual([res.body.run.status, res.body.run.ended_at, res.body.calls.length], ['completed', new Date(1005).toISOString(), 2]);
  });

  test('2 000 runs of 5 calls recorded at once are all written', async () => {
    const agents = t.orrery.services.agents;
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const started = performance.now();
    for (let i = 0; i < 2000; i++) {
      const runId = `run_bulk_${String(i).padStart(5, '0')}`;
      agents.recordRun(run(id, runId, 10_000 + i), Array.from({ length: 5 }, (_, seq) => call(runId, seq)));
    }
    const handedOver = performance.now() - started;
    await agents.flushRuns();
    const runs = await t.store.db.selectFrom('agent_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('agent_id', '=', id).executeTakeFirstOrThrow();
    const calls = await t.store.db.selectFrom('agent_calls').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', 'like', 'run_bulk_%').executeTakeFirstOrThrow();
    assert.deepEqual([Number(runs.n), Number(calls.n)], [2000, 10_000]);
    assert.ok(handedOver < 1000, `record() does not wait on the database (${handedOver.toFixed(0)} ms for 2 000)`);
  });

  test('deleting an agent removes its versions, keys, runs, calls and memory', async () => {
    const agents = t.orrery.services.agents;
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const keep = await importFixture(u.alice, fixture('linear-utility.smyth'));
    for (const agent of [id, keep]) {
      await u.alice.req('POST', `/api/agents/${agent}/deploy`, {});
      await u.alice.req('PUT', `/api/agents/${agent}/keys/K`, { value: 'v' });
      await agents.memoryFor(agent).write('m', 'k', 1);
      agents.recordRun(run(agent, `run_del_${agent}`, 1), [call(`run_del_${agent}`, 0)]);
    }
    // Recorded but not yet written when the delete comes: it must not outlive the agent.
    agents.recordRun(run(id, 'run_late', 2), [call('run_late', 0)]);
    assert.equal((await u.alice.req('DELETE', `/api/agents/${id}`)).status, 204);
    await agents.flushRuns();
    const db = t.store.db;
    const count = async (agent: string) => [
      (await db.selectFrom('agents').select('id').where('id', '=', agent).execute()).length,
      (await db.selectFrom('agent_versions').select('version').where('agent_id', '=', agent).execute()).length,
      (await db.selectFrom('agent_keys').select('name').where('agent_id', '=', agent).execute()).length,
      (await db.selectFrom('agent_runs').select('id').where('agent_id', '=', agent).execute()).length,
      (await db.selectFrom('agent_calls').select('seq').where('run_id', 'in', [`run_del_${agent}`, 'run_late']).execute()).length,
      (await db.selectFrom('agent_memory').select('key').where('agent_id', '=', agent).execute()).length,
    ];
    assert.deepEqual(await count(id), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(await count(keep), [1, 1, 1, 1, 1, 1], 'another agent keeps its own');
    assert.deepEqual(await agents.loadForRun(id), { notFound: 'agent' });
  });
});

/**
 * `/api/agents` (src/agents/routes.ts over src/agents/service.ts), on a real server and database:
 * every `smyth/` fixture imports and exports back byte for byte; list, read, replace, settings,
 * delete; deploy numbering (1.0, 1.1, an explicit 1.2, a duplicate's 409, concurrent deploys);
 * bad documents refused listing every problem; and who may call every route — anonymous (401),
 * another user (404, so existence does not leak), the owner on a session or a token, an admin —
 * with the CSRF token required on a session's unsafe calls.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { FIXTURES, agentCallers, fixture, importFixture, type AgentCallers } from './api-helpers.ts';

describe('/api/agents', () => {
  let t: TestServer;
  let u: AgentCallers;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
  });
  after(() => t.close());

  test('each fixture imports with its skills and exports back exactly as imported', async () => {
    for (const name of FIXTURES) {
      const text = fixture(name);
      const res = await u.alice.req('POST', '/api/agents', text);
      assert.equal(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
      const agent = res.body.agent;
      assert.match(agent.id, /^a[a-z2-7]{20}$/, 'a DNS label');
      assert.equal(agent.owner_id, u.aliceId);
      assert.equal(agent.skill_access, 'owner', 'owner-only by default');
      assert.equal(agent.skill_key_name, 'API_KEY');
      assert.equal(agent.debug_enabled, false);
      assert.ok(agent.skills.length > 0, `${name} has skills`);
      assert.deepEqual(agent.versions, []);
      const exported = await u.alice.get(`/api/agents/${agent.id}/export`);
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get('content-disposition')!, new RegExp(`^attachment; filename="${agent.name.replace(/[^A-Za-z0-9 ._()-]/g, '_')}\\.smyth"`));
      assert.deepEqual(exported.body, JSON.parse(text), `${name} round trip`);
      const raw = await fetch(`${t.url}/api/agents/${agent.id}/export`, { headers: { authorization: `Bearer ${u.aliceToken.bearer}` } });
      assert.equal(await raw.text(), text, `${name}: byte-stable`);
    }
    const echo = (await u.alice.get('/api/agents')).body.agents.find((a: any) => a.name === 'Untitled Agent');
    assert.ok(echo, 'a document without a name keeps SmythOS’s default');
  });

  test('skills list each APIEndpoint with method, path and inputs', async () => {
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const { agent } = (await u.alice.get(`/api/agents/${id}`)).body;
    assert.equal(agent.name, 'bench-linear-utility');
    assert.deepEqual(
      agent.skills.map((s: any) => [s.method, s.path, s.endpoint]),
      [['POST', '/api/pipe', 'pipe']],
    );
    assert.equal(typeof agent.skills[0].component_id, 'string');
    assert.ok(Array.isArray(agent.skills[0].inputs), 'inputs');
  });

  test('?name= names the agent; list shows the caller’s own, an admin everyone’s', async () => {
    const mine = await importFixture(u.alice, fixture('sre-echo-LLMPrompt.smyth'), 'Echo bot');
    const bobs = await importFixture(u.bob, fixture('sre-echo-LLMPrompt.smyth'));
    const alice = (await u.alice.get('/api/agents')).body.agents.map((a: any) => a.id);
    const bob = (await u.bob.get('/api/agents')).body.agents.map((a: any) => a.id);
    const admin = (await u.admin.get('/api/agents')).body.agents.map((a: any) => a.id);
    assert.ok(alice.includes(mine) && !alice.includes(bobs), 'alice sees hers only');
    assert.deepEqual(bob, [bobs]);
    assert.ok(admin.includes(mine) && admin.includes(bobs), 'admin sees both');
    assert.equal((await u.alice.get(`/api/agents/${mine}`)).body.agent.name, 'Echo bot');
  });

  test('PUT replaces the draft, PATCH changes settings, DELETE removes', async () => {
    const id = await importFixture(u.alice, fixture('sre-echo-LLMPrompt.smyth'));
    const replaced = await u.alice.req('PUT', `/api/agents/${id}`, fixture('linear-utility.smyth'));
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.agent.name, 'bench-linear-utility');
    assert.deepEqual(replaced.body.agent.skills.map((s: any) => s.path), ['/api/pipe']);
    assert.deepEqual((await u.alice.get(`/api/agents/${id}/export`)).body, JSON.parse(fixture('linear-utility.smyth')));

    const patched = await u.alice.req('PATCH', `/api/agents/${id}`, { name: 'Piper', skill_access: 'key', skill_key_name: 'PIPE_KEY' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual([patched.body.agent.name, patched.body.agent.skill_access, patched.body.agent.skill_key_name], ['Piper', 'key', 'PIPE_KEY']);
    assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'everyone' })).status, 400);
    assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, { skill_key_name: 'has space' })).status, 400);
    assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, { skill_key_name: null })).body.agent.skill_key_name, null);

    assert.equal((await u.alice.req('DELETE', `/api/agents/${id}`)).status, 204);
    const gone = await u.alice.get(`/api/agents/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'ORR_AGENTS_NOT_FOUND');
    assert.equal((await u.alice.req('DELETE', `/api/agents/${id}`)).status, 404);
  });

  test('PATCH embodiments: defaults, a partial change kept across changes, origins normalised, bad ones 400 naming them; another user 404', async () => {
    const id = await importFixture(u.alice, fixture('sre-echo-LLMPrompt.smyth'));
    const fresh = (await u.alice.get(`/api/agents/${id}`)).body.agent;
    assert.deepEqual(fresh.embodiments, {
      openai: { enabled: true, allowed_origins: [] },
      mcp: { enabled: true, allowed_origins: [] },
      openapi: { enabled: true, allowed_origins: [] },
      chat: { enabled: true, allowed_origins: [] },
      alexa: { enabled: false, allowed_origins: [] },
      chat_model: null,
    });
    const first = await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { alexa: { enabled: true }, chat: { allowed_origins: ['https://Shop.Example/'] }, chat_model: 'echo' } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { mcp: { enabled: false } } });
    assert.deepEqual(second.body.agent.embodiments, {
      ...fresh.embodiments,
      alexa: { enabled: true, allowed_origins: [] },
      chat: { enabled: true, allowed_origins: ['https://shop.example'] },
      mcp: { enabled: false, allowed_origins: [] },
      chat_model: 'echo',
    });
    assert.deepEqual((await u.alice.get(`/api/agents/${id}`)).body.agent.embodiments, second.body.agent.embodiments, 'stored');
    for (const bad of [{ chat: { allowed_origins: ['shop.example'] } }, { chat: { allowed_origins: ['https://a.example/path'] } }, { voice: { enabled: true } }, { openai: { enabled: 'yes' } }]) {
      const res = await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: bad });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    const named = await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat: { allowed_origins: ['ftp://x.example'] } } });
    assert.match(JSON.stringify(named.body), /ftp:\/\/x\.example/);
    assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: null } })).body.agent.embodiments.chat_model, null);
    assert.equal((await u.bob.req('PATCH', `/api/agents/${id}`, { embodiments: { alexa: { enabled: false } } })).status, 404);
    assert.equal((await u.alice.get(`/api/agents/${id}`)).body.agent.embodiments.alexa.enabled, true, 'unchanged by bob');
  });

  test('deploy: 1.0, then the next minor, an explicit version, a duplicate 409; versions are immutable', async () => {
    const id = await importFixture(u.alice, fixture('sre-echo-LLMPrompt.smyth'));
    const deploy = (body?: unknown) => u.alice.req('POST', `/api/agents/${id}/deploy`, body);
    const first = await deploy({});
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.version.version, '1.0');
    assert.equal(first.body.version.created_by, u.aliceId);
    assert.equal((await deploy()).body.version.version, '1.1', 'no body at all: the next minor');
    assert.equal((await deploy({ version: '1.2' })).body.version.version, '1.2');
    const dup = await deploy({ version: '1.2' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'ORR_AGENTS_VERSION_EXISTS');
    assert.equal((await deploy({ version: '1.02' })).status, 409, '1.02 is 1.2');
    assert.equal((await deploy({ version: 'v1' })).body.code, 'ORR_AGENTS_INVALID_VERSION');
    assert.equal((await deploy({ version: '3.0' })).body.version.version, '3.0');
    assert.equal((await deploy({})).body.version.version, '3.1', 'the next minor after the latest');
    const versions = (await u.alice.get(`/api/agents/${id}/versions`)).body.versions.map((v: any) => v.version);
    assert.deepEqual(versions, ['3.1', '3.0', '1.2', '1.1', '1.0']);

    // The draft changes; version 1.0 does not.
    await u.alice.req('PUT', `/api/agents/${id}`, fixture('linear-utility.smyth'));
    assert.deepEqual((await u.alice.get(`/api/agents/${id}/export?version=1.0`)).body, JSON.parse(fixture('sre-echo-LLMPrompt.smyth')));
    assert.deepEqual((await u.alice.get(`/api/agents/${id}/export`)).body, JSON.parse(fixture('linear-utility.smyth')));
    const missing = await u.alice.get(`/api/agents/${id}/export?version=9.9`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'ORR_AGENTS_VERSION_NOT_FOUND');
    assert.deepEqual(
      (await u.alice.get(`/api/agents/${id}`)).body.agent.versions.map((v: any) => v.version),
      versions,
    );
  });

  test('concurrent deploys each get a version of their own', async () => {
    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const results = await Promise.all(Array.from({ length: 4 }, () => u.alice.req('POST', `/api/agents/${id}/deploy`, {})));
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201, 201], JSON.stringify(results.map((r) => r.body)));
    assert.deepEqual(results.map((r) => r.body.version.version).sort(), ['1.0', '1.1', '1.2', '1.3']);
    const same = await Promise.all(Array.from({ length: 4 }, () => u.alice.req('POST', `/api/agents/${id}/deploy`, { version: '7.0' })));
    assert.deepEqual(same.map((r) => r.status).sort(), [201, 409, 409, 409]);
  });

  test('a bad document is refused with every problem, naming component ids and titles', async () => {
    const bad = {
      version: '1.0.0',
      components: [{ id: 'EP1', name: 'APIEndpoint', title: 'Bad skill', data: { endpoint: 'bad endpoint!', method: 'PUT' }, inputs: [], outputs: [] }],
      connections: [{ sourceId: 'EP1', sourceIndex: 0, targetId: 'ZZ', targetIndex: 0 }],
    };
    const res = await u.alice.post('/api/agents', bad);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'ORR_AGENTS_INVALID_DOCUMENT');
    assert.match(res.body.error, /^the agent has 3 problems: /);
    assert.equal(res.body.problems.length, 3);
    assert.ok(res.body.problems.every((p: any) => p.severity === 'error' && p.component_id === 'EP1' && p.title === 'Bad skill' && p.path && p.message), JSON.stringify(res.body.problems));
    assert.deepEqual(res.body.problems.map((p: any) => p.path).sort(), ['components[0].data.endpoint', 'components[0].data.method', 'connections[0].targetId']);

    const notAgent = await u.alice.post('/api/agents', { hello: 'world' });
    assert.equal(notAgent.status, 400);
    assert.ok(notAgent.body.problems.length >= 1, 'problems listed');
    assert.equal((await u.alice.req('POST', '/api/agents', '[1,2]')).body.code, 'ORR_AGENTS_INVALID_DOCUMENT');
    assert.equal((await u.alice.req('POST', '/api/agents', '{"components": [')).status, 400, 'not JSON');
    assert.equal((await u.alice.req('POST', '/api/agents', '')).body.code, 'ORR_AGENTS_DOCUMENT_REQUIRED');
    assert.equal((await u.alice.req('POST', '/api/agents', 'x', { 'content-type': 'text/csv' })).status, 415);

    const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
    const put = await u.alice.req('PUT', `/api/agents/${id}`, bad);
    assert.equal(put.status, 400);
    assert.deepEqual((await u.alice.get(`/api/agents/${id}/export`)).body, JSON.parse(fixture('linear-utility.smyth')), 'the draft is unchanged');
    const agents = (await u.alice.get('/api/agents')).body.agents;
    assert.ok(agents.every((a: any) => a.name !== 'Bad skill'), 'nothing imported');
  });

  test('an unknown component type imports with a warning naming it and the component', async () => {
    const doc = JSON.parse(fixture('linear-utility.smyth'));
    doc.components.push({ id: 'UNK1', name: 'NoSuchComponent', title: 'Mystery', data: {}, inputs: [], outputs: [] });
    const res = await u.alice.post('/api/agents', doc);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.problems.length, 1, JSON.stringify(res.body.problems));
    const [warning] = res.body.problems;
    assert.deepEqual([warning.severity, warning.component_id, warning.title], ['warning', 'UNK1', 'Mystery']);
    assert.match(warning.message, /NoSuchComponent/);
    assert.deepEqual((await u.alice.get(`/api/agents/${res.body.agent.id}`)).body.agent.problems, res.body.problems);
  });

  test('a document of a few MB imports', async () => {
    const doc = JSON.parse(fixture('linear-utility.smyth'));
    doc.description = 'x'.repeat(3 * 1024 * 1024);
    const res = await u.alice.post('/api/agents', doc);
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
    const exported = await u.alice.get(`/api/agents/${res.body.agent.id}/export`);
    assert.equal(exported.body.description.length, 3 * 1024 * 1024);
  });

  describe('who may call every route', () => {
    /** Every route with a path for `id` and a body that an allowed caller gets a 2xx for. */
    const routes = (id: string, run: string): Array<[method: string, path: string, body?: unknown]> => [
      ['GET', '/api/agents'],
      ['POST', '/api/agents', fixture('linear-utility.smyth')],
      ['GET', `/api/agents/${id}`],
      ['PUT', `/api/agents/${id}`, fixture('linear-utility.smyth')],
      ['PATCH', `/api/agents/${id}`, { name: 'renamed' }],
      ['POST', `/api/agents/${id}/deploy`, {}],
      ['GET', `/api/agents/${id}/versions`],
      ['GET', `/api/agents/${id}/export`],
      ['PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'k' }],
      ['GET', `/api/agents/${id}/keys`],
      ['DELETE', `/api/agents/${id}/keys/API_KEY`],
      ['GET', `/api/agents/${id}/runs`],
      ['GET', `/api/agents/${id}/runs/${run}`],
      ['DELETE', `/api/agents/${id}`],
    ];

    /** An agent of alice's with one recorded run. */
    async function aliceAgent(): Promise<{ id: string; run: string }> {
      const id = await importFixture(u.alice, fixture('linear-utility.smyth'));
      const run = `run_${id}`;
      t.orrery.services.agents.recordRun(
        { id: run, agentId: id, version: null, method: 'POST', skill: '/api/pipe', status: 'completed', input: { body: {}, query: {} }, result: { ok: 1 }, error: null, httpStatus: 200, callerId: null, correlationId: 'c', parentRunId: null, debugSessionId: null, steps: 1, startedAt: Date.now(), endedAt: Date.now() },
        [],
      );
      await t.orrery.services.agents.flushRuns();
      return { id, run };
    }

    async function walk(client: Client, expect: (method: string, path: string, status: number, body: any) => string | undefined): Promise<string[]> {
      const { id, run } = await aliceAgent();
      const failures: string[] = [];
      for (const [method, path, body] of routes(id, run)) {
        const res = await client.req(method, path, body);
        const problem = expect(method, path, res.status, res.body);
        if (problem) failures.push(`${method} ${path}: ${problem}`);
      }
      return failures;
    }

    test('anonymous: 401 everywhere', async () => {
      assert.deepEqual(await walk(u.anonymous, (_m, _p, s, b) => (s === 401 && b.code === 'ORR_AUTH_UNAUTHORIZED' ? undefined : `${s}`)), []);
    });

    test('another user: 404 on every route of the agent (its existence does not leak); their own list and import work', async () => {
      const failures = await walk(u.bob, (method, path, s, b) => {
        if (path === '/api/agents') return s === (method === 'POST' ? 201 : 200) ? undefined : `${s}`;
        return s === 404 && b.code === 'ORR_AGENTS_NOT_FOUND' ? undefined : `${s} ${b?.code}`;
      });
      assert.deepEqual(failures, []);
    });

    for (const who of ['alice', 'aliceToken', 'admin'] as const) {
      test(`${who === 'alice' ? 'the owner (session)' : who === 'aliceToken' ? 'the owner (access token)' : 'an admin'}: every route answers`, async () => {
        const failures = await walk(u[who], (_m, _p, s) => (s >= 200 && s < 300 ? undefined : `${s}`));
        assert.deepEqual(failures, []);
      });
    }

    test('a session’s unsafe calls need the CSRF token', async () => {
      const { id } = await aliceAgent();
      for (const [method, path, body] of routes(id, 'run_x').filter(([m]) => m !== 'GET')) {
        for (const token of ['', 'forged']) {
          const res = await u.alice.req(method, path, body, { 'x-csrf-token': token });
          assert.equal(res.status, 403, `${method} ${path}`);
          assert.equal(res.body.code, 'ORR_AUTH_CSRF');
        }
      }
      assert.equal((await u.alice.get(`/api/agents/${id}`)).status, 200, 'nothing was deleted');
    });
  });
});

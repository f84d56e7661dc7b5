/**
 * Skills over HTTP (issue 10 §4; research/smythos.md §4-5, §12 items 3-9): agent selection by header,
 * host and path, versions, smart routing, inputs from query, JSON, forms and multipart, SmythOS's
 * answers, skill access (anonymous, another user, owner, vault key, public) and the run record.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { agentCallers, fixture, importFixture, type AgentCallers } from './api-helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { agent, endpoint } from './agent-builder.ts';

describe('agent runner over HTTP', () => {
  let t: TestServer;
  let who: AgentCallers;
  let linear: string;
  let functions: string;
  let typing: string;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', DEFAULT_AGENT_DOMAIN: 'agents.test', PROD_AGENT_DOMAIN: 'agents.prod', AGENT_HTTP_ALLOW_PRIVATE: 'true' });
    who = await agentCallers(t);
    linear = await importFixture(who.alice, fixture('linear-utility.smyth'));
    functions = await importFixture(who.alice, fixture('functions-components.smyth'));
    typing = await importFixture(who.alice, fixture('general-unit-tests.smyth'));
  });
  after(() => t.stop());

  /** POST with a chosen Host header (fetch cannot set one). */
  const viaHost = (host: string, path: string, body: unknown, bearer = who.aliceToken.bearer!) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const url = new URL(path, t.url);
      const payload = JSON.stringify(body);
      const req = http.request(
        url,
        { method: 'POST', headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${bearer}` } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as unknown }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const pipe = (headers: Record<string, string> = {}, client = who.alice) =>
    client.post('/api/pipe', { message: 'hello world' }, { 'x-agent-id': linear, ...headers });
  const HASH = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

  test('POST /api/<endpoint> with X-AGENT-ID answers as SmythOS does, with x-correlation-id and x-run-id (items 3-4)', async () => {
    const res = await pipe({ 'x-correlation-id': 'corr-123' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { result: HASH });
    assert.equal(res.headers.get('x-correlation-id'), 'corr-123');
    assert.match(res.headers.get('x-run-id') ?? '', /^run_/);
    const hash = await who.alice.post('/api/hash', { data: 'hello world' }, { 'x-agent-id': functions });
    assert.deepEqual(hash.body, { id: 'CLYQPM7QOHE', name: 'FHash', result: { Hash: '5eb63bbbe01eeed093cb22bb8f5acdc3' } });
  });

  test('the agent from the host <agentId>.<DEFAULT_AGENT_DOMAIN>, and the explicit /agents/<id>/api/<endpoint> (item 5)', async () => {
    assert.deepEqual((await viaHost(`${linear}.agents.test:8080`, '/api/pipe', { message: 'hello world' })).body, { result: HASH });
    assert.deepEqual((await who.alice.post(`/agents/${linear}/api/pipe`, { message: 'hello world' })).body, { result: HASH });
    const none = await who.alice.post('/api/pipe', { message: 'x' });
    assert.equal(none.status, 404);
    assert.deepEqual(none.body, { error: '/api/pipe Not Found' });
    const unknown = await who.alice.post('/api/pipe', { message: 'x' }, { 'x-agent-id': 'anothernonexistent' });
    assert.equal(unknown.status, 404);
  });

  test('versions: /v1.0/api/x and X-AGENT-VERSION run that deployment; a production host runs the newest; unknown → 404 (item 6)', async () => {
    const id = await importFixture(who.alice, fixture('linear-utility.smyth'));
    assert.equal((await who.alice.post(`/api/agents/${id}/deploy`, {})).status, 201);
    // The draft changes after 1.0: its skill is renamed.
    const changed = fixture('linear-utility.smyth').replace('"endpoint": "pipe"', '"endpoint": "pipe2"');
    assert.notEqual(changed, fixture('linear-utility.smyth'));
    assert.equal((await who.alice.req('PUT', `/api/agents/${id}`, changed)).status, 200);
    assert.equal((await who.alice.post('/api/pipe', { message: 'hello world' }, { 'x-agent-id': id })).status, 404, 'the draft has no /api/pipe any more');
    assert.deepEqual((await who.alice.post('/v1.0/api/pipe', { message: 'hello world' }, { 'x-agent-id': id })).body, { result: HASH });
    assert.deepEqual((await who.alice.post('/api/pipe', { message: 'hello world' }, { 'x-agent-id': id, 'x-agent-version': '1.0' })).body, { result: HASH });
    assert.deepEqual((await viaHost(`${id}.agents.prod`, '/api/pipe', { message: 'hello world' })).body, { result: HASH });
    assert.deepEqual((await who.alice.post('/api/pipe2', { message: 'hello world' }, { 'x-agent-id': id })).body, { result: HASH });
    const missing = await who.alice.post('/v9.9/api/pipe', { message: 'x' }, { 'x-agent-id': id });
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.error), /version 9\.9/);
  });

  test('smart routing: debug headers (even empty) go to the debugger; X-FORCE-AGENT-RUNNER wins; X-ROUTING-MODE (item 3)', async () => {
    // Only the debugger answers a debug read; a plain run through it answers as the runner does.
    const read = (headers: Record<string, string>) => pipe({ 'x-debug-read': 'dbg-none', ...headers });
    assert.equal((await read({})).body.expiredDbgSession, 'dbg-none');
    assert.match(String((await pipe({ 'x-debug-run': '' })).body.dbgSession), /^dbg-/, 'an empty X-DEBUG-RUN is present');
    for (const header of ['x-debug-skip', 'x-monitor-id', 'x-force-debugger']) assert.deepEqual((await pipe({ [header]: '' })).body, { result: HASH }, header);
    assert.deepEqual((await read({ 'x-force-agent-runner': '' })).body, { result: HASH }, 'X-FORCE-AGENT-RUNNER wins over debug headers');
    assert.deepEqual((await pipe({ 'x-force-agent-runner': '', 'x-debug-run': '' })).body, { result: HASH });
    assert.deepEqual((await read({ 'x-request-tag': 'nested' })).body, { result: HASH }, 'a nested call ignores debug headers');
    const logged = (await pipe({ 'x-routing-mode': 'debugger' })).body;
    assert.deepEqual(logged, { result: HASH });
  });

  test('GET skills read the query; a POST-only skill called with GET names the endpoint (item 7)', async () => {
    const get = await who.aliceToken.get('/api/hash?data=hello%20world', { 'x-agent-id': functions });
    assert.equal(get.status, 404);
    assert.deepEqual(get.body, { error: 'Endpoint GET /api/hash Not Found' });
    const typed = await who.alice.post('/api/test_strong_typing', { number: 'abc' }, { 'x-agent-id': typing });
    assert.deepEqual(typed.body, { id: 'CLYO8XZSVA6', name: 'APIEndpoint', result: { _error: 'Invalid Number value' } });
  });

  test('urlencoded and multipart bodies; 6 files → 400 Too many files; a file over 5 MB → 400 (item 8)', async () => {
    const form = await who.alice.req('POST', '/api/pipe', 'message=hello+world', { 'x-agent-id': linear, 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(form.body, { result: HASH });
    const multipart = (files: number, size = 10) => {
      const body = new FormData();
      body.append('message', 'hello world');
      for (let i = 0; i < files; i++) body.append(`f${i}`, new Blob([Buffer.alloc(size, 97)]), `f${i}.txt`);
      return fetch(`${t.url}/api/pipe`, { method: 'POST', body, headers: { 'x-agent-id': linear, authorization: `Bearer ${who.aliceToken.bearer}` } });
    };
    const ok = await multipart(1);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { result: HASH });
    const many = await multipart(6);
    assert.equal(many.status, 400);
    assert.deepEqual(await many.json(), { error: 'Too many files' });
    const big = await multipart(1, 5 * 1024 * 1024 + 1);
    assert.equal(big.status, 400);
    assert.match(((await big.json()) as { error: string }).error, /^File too large/);
    const notObject = await who.alice.req('POST', '/api/pipe', '[1,2]', { 'x-agent-id': linear });
    assert.equal(notObject.status, 400);
  });

  test('skill access: owner-only by default (anonymous 401, another user 403, owner and admin 200), then key and public', async () => {
    assert.equal((await pipe({}, who.anonymous)).status, 401);
    assert.equal((await pipe({}, who.bob)).status, 403);
    assert.equal((await pipe({}, who.aliceToken)).status, 200);
    assert.equal((await pipe({}, who.admin)).status, 200);
    const id = await importFixture(who.alice, fixture('linear-utility.smyth'));
    assert.equal((await who.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'sk-vault-secret' })).status, 201);
    assert.equal((await who.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' })).status, 200);
    const call = (bearer?: string) =>
      fetch(`${t.url}/api/pipe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-agent-id': id, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify({ message: 'hello world' }),
      });
    assert.equal((await call()).status, 401);
    assert.equal((await call('sk-wrong')).status, 401);
    assert.equal((await call('sk-vault-secret')).status, 200);
    assert.equal((await who.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' })).status, 200);
    assert.equal((await call()).status, 200);
  });

  test('platform paths are never an agent skill: /api/agents/* and unknown platform paths stay the server’s', async () => {
    const list = await who.alice.get('/api/agents', { 'x-agent-id': linear });
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(list.body.agents));
    const unknown = await who.alice.get('/api/runtime/nope', { 'x-agent-id': linear });
    assert.equal(unknown.status, 404);
    assert.notDeepEqual(unknown.body, { error: '/api/runtime/nope Not Found' });
  });

  test('AgentPlugin calls another agent’s skill as the owner; someone else’s private agent fails; a self-call stops at the depth limit', async () => {
    const parent = (target: string) =>
      JSON.stringify(
        agent(
          [
            endpoint('EP', 'ask', ['message']),
            { id: 'AP', name: 'AgentPlugin', data: { agentId: target, endpoint: 'pipe', version: 'dev-latest' }, inputs: ['message'], outputs: ['Response!'] },
            { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['answer'], outputs: ['Output!'] },
          ],
          [
            ['EP', 'body.message', 'AP', 'message'],
            ['AP', 'Response', 'OUT', 'answer'],
          ],
        ),
      );
    const mine = await importFixture(who.alice, parent(linear));
    const res = await who.alice.post('/api/ask', { message: 'hello world' }, { 'x-agent-id': mine });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { answer: { result: HASH } });
    const bobs = await importFixture(who.bob, parent(linear));
    const refused = await who.bob.post('/api/ask', { message: 'hello world' }, { 'x-agent-id': bobs });
    assert.match(JSON.stringify(refused.body), /Error on running Agent Component!\\nYou do not have access to this agent/);
    const loop = await importFixture(who.alice, parent('placeholder'));
    const selfCalling = parent(loop).replace('"endpoint":"pipe"', '"endpoint":"ask"');
    assert.equal((await who.alice.req('PUT', `/api/agents/${loop}`, selfCalling)).status, 200);
    const deep = await who.alice.post('/api/ask', { message: 'x' }, { 'x-agent-id': loop });
    assert.match(JSON.stringify(deep.body), /nested deeper than 8/);
  });

  test('Async branches run as durable queue jobs: Await gets Results[<componentId>-<queue job id>] done with the branch’s answer', async () => {
    const doc = agent(
      [
        endpoint('EP', 'bg', ['a']),
        { id: 'AS', name: 'Async', inputs: ['Data'], outputs: ['JobID!', 'Data!'] },
        { id: 'E1', name: 'FEncDec', data: { action: 'Encode', encoding: 'hex' }, inputs: ['Data'], outputs: ['Output!'] },
        { id: 'AW', name: 'Await', data: { jobs_count: 1, max_time: 10 }, inputs: ['Jobs'], outputs: ['Results!'] },
        { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['results'], outputs: ['Output!'] },
      ],
      [
        ['EP', 'body.a', 'AS', 'Data'],
        ['AS', 'Data', 'E1', 'Data'],
        ['AS', 'JobID', 'AW', 'Jobs'],
        ['AW', 'Results', 'OUT', 'results'],
      ],
    );
    const id = await importFixture(who.alice, JSON.stringify(doc));
    const res = await who.alice.post('/api/bg', { a: 'hi' }, { 'x-agent-id': id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const results = res.body.results as Record<string, { output: unknown; status: string }>;
    const [jobId] = Object.keys(results);
    const queueId = /^AS-(\d+)$/.exec(jobId ?? '')?.[1];
    assert.ok(queueId, `job id ${jobId}`);
    assert.deepEqual(results[jobId!], { output: { id: 'E1', name: 'FEncDec', result: { Output: '6869' } }, status: 'done' });
    const job = await t.orrery.services.queue.get(queueId);
    assert.equal(job?.type, 'agent-async');
    assert.equal(job?.state, 'completed');
    // Another agent's Await sees nothing of it, nor of any other queue job (regression: ids are
    // sequential, and Await read any job's result).
    const spy = agent(
      [
        endpoint('EP', 'spy', ['jobs']),
        { id: 'AW', name: 'Await', data: { jobs_count: 1, max_time: 1 }, inputs: ['Jobs'], outputs: ['Results!'] },
        { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['results'], outputs: ['Output!'] },
      ],
      [
        ['EP', 'body.jobs', 'AW', 'Jobs'],
        ['AW', 'Results', 'OUT', 'results'],
      ],
    );
    const bobs = await importFixture(who.bob, JSON.stringify(spy));
    const guesses = [jobId!, `x-${queueId}`, `AS-${Number(queueId) - 1}`];
    const seen = await who.bob.post('/api/spy', { jobs: guesses }, { 'x-agent-id': bobs });
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    for (const g of guesses) assert.deepEqual(seen.body.results[g], { status: 'unknown_job' }, g);
  });

  test('vault keys fill a component’s configuration but never a caller’s input: {{KEY(x)}} sent by a caller stays text (regression: any caller read every key)', async () => {
    const doc = agent(
      [
        { ...endpoint('EP', 'say', ['m']) },
        { id: 'PG', name: 'PromptGenerator', data: { model: 'Echo', prompt: '{{Input}} / k={{KEY(OPENAI)}} / t={{TOKEN}}' }, inputs: ['Input'], outputs: ['Reply!'] },
        { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['r', 'm'], outputs: ['Output!'] },
      ],
      [
        ['EP', 'body.m', 'PG', 'Input'],
        ['PG', 'Reply', 'OUT', 'r'],
        ['EP', 'body.m', 'OUT', 'm'],
      ],
      { variables: { TOKEN: '{{KEY(OPENAI)}}', PLAIN: 'visible' } },
    );
    const id = await importFixture(who.alice, JSON.stringify(doc));
    assert.equal((await who.alice.req('PUT', `/api/agents/${id}/keys/OPENAI`, { value: 'sk-SECRET' })).status, 201);
    assert.equal((await who.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' })).status, 200);
    const res = await who.anonymous.post('/api/say', { m: 'x {{KEY(OPENAI)}} {{TOKEN}} {{PLAIN}}' }, { 'x-agent-id': id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.m, 'x {{KEY(OPENAI)}} {{TOKEN}} visible');
    // The author's own configuration gets the key (here the Echo model repeats it, the author's choice).
    assert.equal(res.body.r, 'x {{KEY(OPENAI)}} {{TOKEN}} visible / k=sk-SECRET / t=sk-SECRET');
  });

  test('a caller that goes away cancels its POST run, down to the outbound call it was waiting on (regression: only GET runs were cancelled)', async () => {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    let closed!: () => void;
    const released = new Promise<void>((resolve) => (closed = resolve));
    const upstream = http.createServer((req) => {
      arrived();
      req.socket.once('close', () => closed());
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    try {
      const port = (upstream.address() as { port: number }).port;
      const doc = agent(
        [endpoint('EP', 'wait', ['a']), { id: 'AC', name: 'APICall', data: { method: 'GET', url: `http://127.0.0.1:${port}/hang`, timeout: 30_000 }, inputs: ['a'], outputs: ['Response!'] }],
        [['EP', 'body.a', 'AC', 'a']],
      );
      const id = await importFixture(who.alice, JSON.stringify(doc));
      const controller = new AbortController();
      const call = fetch(`${t.url}/api/wait`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-agent-id': id, authorization: `Bearer ${who.aliceToken.bearer}` },
        body: JSON.stringify({ a: 'x' }),
        signal: controller.signal,
      }).catch(() => undefined);
      await reached;
      controller.abort();
      await call;
      await released;
      const run = await waitFor(
        async () => ((await who.alice.get(`/api/agents/${id}/runs`)).body.runs as { status: string }[]).find((r) => r.status === 'cancelled'),
        { what: 'the cancelled run' },
      );
      assert.equal(run.status, 'cancelled');
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  });

  test('a multipart body for an agent the caller may not run is refused before it is read', async () => {
    const body = new FormData();
    body.append('message', 'x');
    body.append('f', new Blob([Buffer.alloc(1024, 97)]), 'f.txt');
    const res = await fetch(`${t.url}/api/pipe`, { method: 'POST', body, headers: { 'x-agent-id': linear } });
    assert.equal(res.status, 401);
    const big = new FormData();
    big.append('message', 'x'.repeat(70 * 1024));
    const tooBig = await fetch(`${t.url}/api/pipe`, { method: 'POST', body: big, headers: { 'x-agent-id': linear, authorization: `Bearer ${who.aliceToken.bearer}` } });
    assert.equal(tooBig.status, 400);
  });

  test('a session cookie counts on a skill only with its CSRF token, GET included (a cross-site page could make the browser call a GET skill)', async () => {
    const doc = agent(
      [endpoint('EP', 'look', ['a'], 'GET'), { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['a'], outputs: ['Output!'] }],
      [['EP', 'query.a', 'OUT', 'a']],
    );
    const id = await importFixture(who.alice, JSON.stringify(doc));
    assert.equal((await who.alice.get('/api/look?a=1', { 'x-agent-id': id })).status, 401);
    const ok = await who.alice.get('/api/look?a=1', { 'x-agent-id': id, 'x-csrf-token': who.alice.csrf! });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { a: '1' });
    assert.equal((await who.aliceToken.get('/api/look?a=2', { 'x-agent-id': id })).status, 200, 'an access token needs no CSRF token');
  });

  test('every run is recorded with its component calls, readable by the owner', async () => {
    const res = await pipe();
    const runId = res.headers.get('x-run-id')!;
    const read = await waitFor(
      async () => {
        const r = await who.alice.get(`/api/agents/${linear}/runs/${runId}`);
        return r.status === 200 ? r : undefined;
      },
      { what: 'the run record' },
    );
    assert.equal(read.body.run.status, 'completed');
    assert.deepEqual(read.body.run.result, { result: HASH });
    assert.deepEqual(
      read.body.calls.map((c: { component_name?: string; componentName?: string }) => c.component_name ?? c.componentName),
      ['APIEndpoint', 'FEncDec', 'FEncDec', 'FHash', 'APIOutput'],
    );
    assert.equal((await who.bob.get(`/api/agents/${linear}/runs/${runId}`)).status, 404);
  });
});

/**
 * The OpenAI-compatible embodiment (issue 12 item 2; research/smythos.md §7, §12 items 26-28) with the
 * official `openai` client against a live server, on both databases. Conversations with tools run
 * against a fake model server that speaks the OpenAI API (test/helpers/openai-fake.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AuthenticationError, NotFoundError } from 'openai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startOpenAiFake, type OpenAiFake } from '../helpers/openai-fake.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';

/** An agent with one skill `shout` (POST text → {said}) and one `hdr` (GET → the request headers). */
function toolAgent(behavior: string) {
  return agent(
    [
      { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
      { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
      endpoint('EH', 'hdr', [], 'GET'),
      { id: 'OH', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['headers'], outputs: ['Output!'] },
    ],
    [
      ['EP', 'body.text', 'OUT', 'said'],
      ['EH', 'headers', 'OH', 'headers'],
    ],
    { behavior },
  );
}

describe('OpenAI-compatible API', () => {
  let t: TestServer;
  let fake: OpenAiFake;
  let u: AgentCallers;
  let echoAgent: string;
  let toolId: string;
  let token: string;
  const client = (apiKey: string, base = '/v1') => new OpenAI({ apiKey, baseURL: `${t.url}${base}`, maxRetries: 0 });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  before(async () => {
    fake = await startOpenAiFake();
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-fake' });
    u = await agentCallers(t);
    token = u.aliceToken.bearer!;
    echoAgent = await importFixture(u.alice, JSON.stringify(toolAgent('You are Ada.')));
    assert.equal((await u.alice.req('PATCH', `/api/agents/${echoAgent}`, { embodiments: { chat_model: 'echo' } })).status, 200);
    toolId = await importFixture(u.alice, JSON.stringify(toolAgent('You shout.')));
    assert.equal((await u.alice.req('PATCH', `/api/agents/${toolId}`, { embodiments: { chat_model: 'gpt-test' } })).status, 200);
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  test('a chat completion with the official client: chat.completion, chatcmpl- id, the model echoed, created in seconds (§12 item 26)', async () => {
    const answer = await client(token).chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'hello there' }] });
    assert.equal(answer.object, 'chat.completion');
    assert.match(answer.id, /^chatcmpl-[0-9a-f-]{36}$/);
    assert.equal(answer.model, echoAgent);
    assert.ok(Math.abs(answer.created - Date.now() / 1000) < 60, `created in seconds: ${answer.created}`);
    assert.deepEqual(answer.choices, [{ index: 0, message: { role: 'assistant', content: 'hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    assert.deepEqual(Object.keys(answer.usage!).sort(), ['completion_tokens', 'prompt_tokens', 'total_tokens']);
    for (const base of ['/_openai/v1', '/emb/openai/v1']) {
      const again = await client(token, base).chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'same' }] });
      assert.equal(again.choices[0]!.message.content, 'same', base);
    }
  });

  test('streamed: text/event-stream, every frame a chat.completion.chunk, the pieces make the answer, data: [DONE] last (§12 item 27)', async () => {
    const stream = await client(token).chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'one two three four five six seven eight nine' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage = false;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = true;
    }
    assert.equal(text, 'one two three four five six seven eight nine');
    assert.ok(usage, 'include_usage gives a usage chunk');
    const raw = await post('/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'hi' }], stream: true }, { authorization: `Bearer ${token}` });
    assert.match(raw.headers.get('content-type') ?? '', /^text\/event-stream/);
    const frames = (await raw.text()).split('\n\n').filter(Boolean);
    assert.equal(frames.at(-1), 'data: [DONE]');
    for (const frame of frames.slice(0, -1)) assert.equal(JSON.parse(frame.slice('data: '.length)).object, 'chat.completion.chunk');
  });

  test('errors are OpenAI\'s: no token 401 Invalid Authentication, a wrong one 401 Incorrect API key provided, no messages 400 naming it (§12 item 26)', async () => {
    const none = await post('/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { error: { message: 'Invalid Authentication', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    const wrong = await post('/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'x' }] }, { authorization: 'Bearer sk-nope' });
    assert.equal(wrong.status, 401);
    assert.match((await wrong.json()).error.message, /^Incorrect API key provided/);
    await assert.rejects(client('sk-nope').chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'x' }] }), AuthenticationError);
    const noMessages = await post('/v1/chat/completions', { model: echoAgent }, { authorization: `Bearer ${token}` });
    assert.equal(noMessages.status, 400);
    const body = (await noMessages.json()).error;
    assert.match(body.message, /messages/);
    assert.equal(body.param, 'messages');
    assert.equal(body.type, 'invalid_request_error');
    for (const [bad, param] of [
      [{ model: echoAgent, messages: 'hi' }, 'messages'],
      [{ model: echoAgent, messages: [] }, 'messages'],
      [{ model: echoAgent, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
      [{ model: echoAgent, messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 'stream'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    ] as const) {
      const res = await post('/v1/chat/completions', bad, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal((await res.json()).error.param, param, JSON.stringify(bad));
    }
    const notJson = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"model":' });
    assert.equal(notJson.status, 400);
    assert.equal(typeof (await notJson.json()).error.message, 'string');
  });

  test('who may call: another user and an unknown model get model_not_found; a vault key in key mode and an admin get in', async () => {
    const bobToken = (await t.client().post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'access_token' })).body.access_token as string;
    const bob = await post('/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'x' }] }, { authorization: `Bearer ${bobToken}` });
    assert.equal(bob.status, 404);
    assert.equal((await bob.json()).error.code, 'model_not_found');
    await assert.rejects(client(token).chat.completions.create({ model: 'a-no-such-agent', messages: [{ role: 'user', content: 'x' }] }), NotFoundError);
    const admin = await u.admin.req('POST', '/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'from admin' }] });
    assert.equal(admin.status, 200, JSON.stringify(admin.body));
    const noCsrf = await u.admin.req('POST', '/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'x' }] }, { 'x-csrf-token': '' });
    assert.equal(noCsrf.status, 403, 'a session needs its CSRF token');

    // The original took any vault key; Orrery takes the skill key in `key` mode (docs/embodiments.md).
    assert.equal((await u.alice.req('PUT', `/api/agents/${echoAgent}/keys/API_KEY`, { value: 'sk-agent-key-1' })).status < 300, true);
    await assert.rejects(client('sk-agent-key-1').chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'x' }] }), AuthenticationError, 'owner mode: no key');
    await u.alice.req('PATCH', `/api/agents/${echoAgent}`, { skill_access: 'key' });
    try {
      const keyed = await client('sk-agent-key-1').chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'keyed' }] });
      assert.equal(keyed.choices[0]!.message.content, 'keyed');
      await assert.rejects(client('sk-agent-key-2').chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'x' }] }), AuthenticationError);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${echoAgent}`, { skill_access: 'owner' });
    }
  });

  test('a switched-off embodiment is model_not_found; switched on again it answers', async () => {
    await u.alice.req('PATCH', `/api/agents/${echoAgent}`, { embodiments: { openai: { enabled: false } } });
    try {
      await assert.rejects(client(token).chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'x' }] }), NotFoundError);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${echoAgent}`, { embodiments: { openai: { enabled: true } } });
    }
    assert.equal((await client(token).chat.completions.create({ model: echoAgent, messages: [{ role: 'user', content: 'back' }] })).choices[0]!.message.content, 'back');
  });

  test('tools: the model calls a skill, it runs server-side as the caller, its result goes back, the answer follows; system prompt and history as SmythOS builds them', async () => {
    fake.requests.length = 0;
    fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hey"}' }] });
    const answer = await client(token).chat.completions.create({
      model: toolId,
      messages: [
        { role: 'system', content: 'Be loud.' },
        { role: 'user', content: 'earlier' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'shout hey' },
      ],
    });
    assert.equal(answer.choices[0]!.message.content, 'model says: {"said":"hey"}');
    const [first, second] = fake.requests;
    assert.deepEqual(first!.messages.map((m) => [m.role, m.content]), [
      ['system', 'You shout.\n\n######\nBe loud.'],
      ['user', 'earlier'],
      ['assistant', 'ok'],
      ['user', 'shout hey'],
    ]);
    assert.deepEqual(first!.tools!.map((x) => x.function.name), ['shout', 'hdr']);
    assert.deepEqual(first!.tools![0]!.function.parameters, { type: 'object', properties: { text: { type: 'string' } } });
    const tool = second!.messages.at(-1)!;
    assert.equal(tool.role, 'tool');
    assert.equal(tool.content, '{"said":"hey"}');
    const runs = (await u.alice.get(`/api/agents/${toolId}/runs`)).body;
    assert.ok(JSON.stringify(runs).includes('shout'), 'the skill run is recorded');
  });

  test('X-AUTH-TOKEN is forwarded to skill calls; ?include_status=true streams tool-status deltas (§12 items 27-28)', async () => {
    fake.requests.length = 0;
    fake.queue.push({ toolCalls: [{ name: 'hdr', arguments: '{}' }] });
    const res = await post(`/v1/chat/completions?include_status=true`, { model: toolId, messages: [{ role: 'user', content: 'headers?' }], stream: true }, { authorization: `Bearer ${token}`, 'x-auth-token': 'tok-123' });
    const text = await res.text();
    const deltas = text.split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)).choices[0]?.delta ?? {});
    assert.ok(deltas.some((d) => d.status === 'hdr'), text);
    assert.ok(deltas.some((d) => d.smyth_event?.type === 'toolCall' && d.smyth_event.content.name === 'hdr'));
    assert.match(fake.requests[1]!.messages.at(-1)!.content ?? '', /"x-auth-token":"tok-123"/);
    assert.doesNotMatch(fake.requests[1]!.messages.at(-1)!.content ?? '', /authorization/, 'the caller\'s credential never reaches a skill');
  });

  test('@dev is the draft, @prod and @1.0 the deployment (§12 item 28)', async () => {
    const id = await importFixture(u.alice, JSON.stringify(toolAgent('Version one.')));
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'gpt-test' } });
    assert.equal((await u.alice.post(`/api/agents/${id}/deploy`, {})).status, 201);
    await u.alice.req('PUT', `/api/agents/${id}`, JSON.stringify(toolAgent('Version two.')));
    const systemOf = async (model: string) => {
      fake.requests.length = 0;
      await client(token).chat.completions.create({ model, messages: [{ role: 'user', content: 'v?' }] });
      return fake.requests[0]!.messages[0]!.content;
    };
    assert.equal(await systemOf(`${id}@prod`), 'Version one.');
    assert.equal(await systemOf(`${id}@1.0`), 'Version one.');
    assert.equal(await systemOf(`${id}@dev`), 'Version two.');
    assert.equal(await systemOf(id), 'Version two.');
    await assert.rejects(client(token).chat.completions.create({ model: `${id}@9.9`, messages: [{ role: 'user', content: 'x' }] }), NotFoundError);
  });

  test('a failing model is a 502 naming it, not a 500; streamed, an error frame then [DONE]', async () => {
    fake.queue.push({ status: 400, message: 'context too long' });
    const res = await post('/v1/chat/completions', { model: toolId, messages: [{ role: 'user', content: 'x' }] }, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 502);
    assert.match((await res.json()).error.message, /context too long/);
    fake.queue.push({ status: 400, message: 'bad turn' });
    const streamed = await post('/v1/chat/completions', { model: toolId, messages: [{ role: 'user', content: 'x' }], stream: true }, { authorization: `Bearer ${token}` });
    const text = await streamed.text();
    assert.match(text, /"error":\{"message":"The agent's model failed: .*bad turn/);
    assert.match(text, /data: \[DONE\]\n\n$/);
  });

  test('the Responses API: whole and streamed with the official client; instructions are the system prompt', async () => {
    const whole = await client(token).responses.create({ model: echoAgent, input: 'respond please' });
    assert.equal(whole.object, 'response');
    assert.match(whole.id, /^resp_/);
    assert.equal(whole.status, 'completed');
    assert.equal(whole.output_text, 'respond please');
    const events: string[] = [];
    let text = '';
    const stream = await client(token).responses.create({ model: echoAgent, input: [{ role: 'user', content: [{ type: 'input_text', text: 'streamed reply here' }] }], stream: true });
    for await (const event of stream) {
      events.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    assert.equal(text, 'streamed reply here');
    assert.equal(events[0], 'response.created');
    assert.equal(events.at(-1), 'response.completed');
    fake.requests.length = 0;
    await client(token).responses.create({ model: toolId, instructions: 'Answer briefly.', input: 'hi' });
    assert.equal(fake.requests[0]!.messages[0]!.content, 'You shout.\n\n######\nAnswer briefly.');
    const bad = await post('/v1/responses', { model: echoAgent }, { authorization: `Bearer ${token}` });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, 'input');
    assert.equal((await post('/v1/responses', { model: echoAgent, input: 'x' })).status, 401);
  });

  test('models: a user lists the agents they may use; a key sees the agent it opens; nobody gets 401', async () => {
    const list = await client(token).models.list();
    const ids = list.data.map((m) => m.id);
    assert.ok(ids.includes(echoAgent) && ids.includes(toolId));
    assert.ok(list.data.every((m) => m.object === 'model' && m.created < 1e11));
    assert.equal((await client(token).models.retrieve(`${echoAgent}@dev`)).id, `${echoAgent}@dev`);
    const nobody = await fetch(`${t.url}/v1/models`);
    assert.equal(nobody.status, 401);
    assert.equal((await nobody.json()).error.message, 'Invalid Authentication');
    const bobList = await fetch(`${t.url}/v1/models`, { headers: { 'x-agent-id': echoAgent, authorization: 'Bearer sk-nope' } });
    assert.equal(bobList.status, 401);
  });

  test('CORS: an allowed page origin may read the answer; another may not', async () => {
    await u.alice.req('PATCH', `/api/agents/${echoAgent}`, { embodiments: { openai: { allowed_origins: ['https://shop.example'] } } });
    const allowed = await post('/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'x' }] }, { authorization: `Bearer ${token}`, origin: 'https://shop.example' });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
    const other = await post('/v1/chat/completions', { model: echoAgent, messages: [{ role: 'user', content: 'x' }] }, { authorization: `Bearer ${token}`, origin: 'https://evil.example' });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

/**
 * The chat stream, its config and the widget script (issue 12 item 6), on both databases: SSE frames
 * with the echo model, tool calls shown as they run (a fake OpenAI model server calls the skill), who
 * may chat, CORS for the widget (refusals included), bad bodies, a deployed version, and a client
 * hanging up. The wire format alone: test/embodiments/chat-stream.test.ts. The page and the widget in a
 * real browser: test/web/chat.browser.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startOpenAiFake, type OpenAiFake } from '../helpers/openai-fake.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { waitFor } from '../helpers/wait.ts';

const doc = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
  ],
  [['EP', 'body.text', 'OUT', 'said']],
  { behavior: 'You shout.', introMessage: 'Hi! Ask me to shout.' },
);

/** The events of an SSE body, in order. */
function eventsOf(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => ({ event: /^event: (.*)$/m.exec(frame)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) }));
}

describe('chat stream and widget', () => {
  let t: TestServer;
  let fake: OpenAiFake;
  let u: AgentCallers;
  let id: string;
  let token: string;
  const stream = (agentId: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/agents/${agentId}/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const auth = () => ({ authorization: `Bearer ${token}` });
  const hello = { messages: [{ role: 'user', content: 'hello out there' }] };

  before(async () => {
    fake = await startOpenAiFake();
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-fake' });
    u = await agentCallers(t);
    token = u.aliceToken.bearer!;
    id = await importFixture(u.alice, JSON.stringify(doc));
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'echo' } });
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  test('the echo model streams text events, then done with the whole answer', async () => {
    const res = await stream(id, hello, auth());
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = eventsOf(await res.text());
    const texts = events.filter((e) => e.event === 'text');
    assert.ok(texts.length > 1, 'in pieces');
    assert.equal(texts.map((e) => e.data.delta).join(''), 'hello out there');
    assert.deepEqual(events.at(-1), { event: 'done', data: { text: 'hello out there', model: 'echo', usage: { prompt_tokens: 0, completion_tokens: 0 } } });
  });

  test('a model calling a skill: tool_call, then tool_result, then the text and done; history goes to the model', async () => {
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'gpt-test' } });
    try {
      fake.requests.length = 0;
      fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hey"}' }] });
      const res = await stream(id, { messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'shout hey' }] }, auth());
      const events = eventsOf(await res.text());
      assert.deepEqual(events.map((e) => e.event).filter((e, i, all) => e !== all[i - 1]), ['tool_call', 'tool_result', 'text', 'done']);
      assert.deepEqual(events[0]!.data, { id: 'call_1', name: 'shout', arguments: '{"text":"hey"}' });
      assert.deepEqual(events[1]!.data, { id: 'call_1', name: 'shout', text: '{"said":"hey"}', isError: false });
      assert.equal(events.at(-1)!.data.text, 'model says: {"said":"hey"}');
      assert.deepEqual(fake.requests[0]!.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
      fake.queue.push({ status: 400, message: 'no more' });
      const failed = eventsOf(await (await stream(id, hello, auth())).text());
      assert.equal(failed.at(-1)!.event, 'error');
      assert.match(failed.at(-1)!.data.message, /no more/);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'echo' } });
    }
  });

  test('config: name, intro, model and tools, for whoever may chat', async () => {
    const res = await u.alice.get(`/agents/${id}/chat/config`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { agent_id: id, name: 'test agent', intro: 'Hi! Ask me to shout.', model: 'echo', tools: [{ name: 'shout', description: 'Shout the text back' }] });
    assert.equal((await u.anonymous.get(`/agents/${id}/chat/config`)).status, 401);
    assert.equal((await u.bob.get(`/agents/${id}/chat/config`)).status, 404);
  });

  test('who may chat: anonymous 401, bob 404, the owner\'s session only with its CSRF token, a vault key in key mode, anyone when public; switched off 404', async () => {
    assert.equal((await stream(id, hello)).status, 401);
    assert.equal((await u.bob.req('POST', `/agents/${id}/chat/stream`, hello)).status, 404);
    const session = await u.alice.req('POST', `/agents/${id}/chat/stream`, hello);
    assert.equal(session.status, 200);
    assert.equal((await u.alice.req('POST', `/agents/${id}/chat/stream`, hello, { 'x-csrf-token': 'forged' })).status, 403);
    assert.equal((await u.admin.req('POST', `/agents/${id}/chat/stream`, hello)).status, 200);
    await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'chat-key' });
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' });
    try {
      assert.equal((await stream(id, hello, { authorization: 'Bearer chat-key' })).status, 200);
      assert.equal((await stream(id, hello, { authorization: 'Bearer nope' })).status, 401);
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' });
      assert.equal((await stream(id, hello)).status, 200);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
    }
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat: { enabled: false } } });
    try {
      assert.equal((await stream(id, hello, auth())).status, 404);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat: { enabled: true } } });
    }
    assert.equal((await stream('a-nope', hello, auth())).status, 404);
  });

  test('bad bodies are 400s naming what is wrong', async () => {
    for (const [body, what] of [
      [{}, /messages/],
      [{ messages: [] }, /at least/],
      [{ messages: [{ role: 'system', content: 'x' }] }, /role/],
      [{ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] }, /last message/],
      [{ messages: [{ role: 'user', content: 'x'.repeat(200_001) }] }, /characters/],
      [{ messages: Array.from({ length: 201 }, () => ({ role: 'user', content: 'x' })) }, /at most 200 messages/],
      [{ messages: [{ role: 'user', content: 'x' }], extra: 1 }, null],
      [[{ role: 'user', content: 'x' }], /JSON object/],
      [{ messages: 'hi' }, /array/],
      [{ messages: [{ role: 'user', content: 7 }] }, /content/],
    ] as const) {
      const res = await stream(id, body, auth());
      if (!what) {
        assert.equal(res.status, 200, 'unknown fields are ignored');
        await res.text();
        continue;
      }
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match((await res.json()).error, what);
    }
    const broken = await fetch(`${t.url}/agents/${id}/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: '{"messages": [' });
    assert.equal(broken.status, 400);
    assert.equal(typeof (await broken.json()).error, 'string');
  });

  test('a client hanging up stops the answer: the model request under way is abandoned', async () => {
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'gpt-test' } });
    let release!: (turn: { text: string }) => void;
    try {
      fake.requests.length = 0;
      const abandoned = fake.abandoned;
      fake.queue.push(new Promise((resolve) => (release = resolve)));
      const hangUp = new AbortController();
      const res = await fetch(`${t.url}/agents/${id}/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify(hello), signal: hangUp.signal });
      assert.equal(res.status, 200, 'the head comes at once, before the model answers');
      await waitFor(() => fake.requests.length === 1, { what: 'the model was asked' });
      hangUp.abort();
      await waitFor(() => fake.abandoned === abandoned + 1, { what: 'the model request was abandoned' });
    } finally {
      release?.({ text: 'too late' });
      await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'echo' } });
    }
  });

  test('X-AGENT-VERSION chats with a deployed version; an unknown version is a 404', async () => {
    assert.equal((await u.alice.post(`/api/agents/${id}/deploy`, { version: '3.0' })).status, 201);
    const res = await stream(id, hello, { ...auth(), 'x-agent-version': '3.0' });
    assert.equal(res.status, 200);
    assert.equal(eventsOf(await res.text()).at(-1)!.event, 'done');
    const missing = await stream(id, hello, { ...auth(), 'x-agent-version': '9.9' });
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).error, /9\.9/);
  });

  test('the widget: a script anyone may include; its stream answers only the agent\'s allowed origins (CORS, no credentials)', async () => {
    const script = await fetch(`${t.url}/agents/${id}/chat/widget.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal(script.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.match(await script.text(), new RegExp(`"agentId":"${id}"`));
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public', embodiments: { chat: { allowed_origins: ['https://shop.example'] } } });
    try {
      const pre = await fetch(`${t.url}/agents/${id}/chat/stream`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
      assert.equal(pre.status, 204);
      assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/i);
      const allowed = await stream(id, hello, { origin: 'https://shop.example' });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://shop.example');
      assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
      await allowed.text();
      const other = await stream(id, hello, { origin: 'https://evil.example' });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      await other.text();
      const config = await fetch(`${t.url}/agents/${id}/chat/config`, { headers: { origin: 'https://shop.example' } });
      assert.equal(config.status, 200, 'a public agent\'s config for anyone');
      assert.equal(config.headers.get('access-control-allow-origin'), 'https://shop.example');
      assert.equal((await config.json()).name, 'test agent');

      // A refusal is readable by an allowed page (the widget shows why), and by no other.
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' });
      const refused = await stream(id, hello, { origin: 'https://shop.example', authorization: 'Bearer wrong' });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('access-control-allow-origin'), 'https://shop.example');
      assert.equal(typeof (await refused.json()).error, 'string');
      const refusedElsewhere = await stream(id, hello, { origin: 'https://evil.example', authorization: 'Bearer wrong' });
      assert.equal(refusedElsewhere.status, 401);
      assert.equal(refusedElsewhere.headers.get('access-control-allow-origin'), null);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner', embodiments: { chat: { allowed_origins: [] } } });
    }
  });

  test('no widget for an agent that does not exist or whose chat is off', async () => {
    const gone = await fetch(`${t.url}/agents/a-nope/chat/widget.js`);
    assert.equal(gone.status, 404);
    assert.match((await gone.json()).error, /not found/);
    assert.equal((await fetch(`${t.url}/agents/bad_id!/chat/widget.js`)).status, 404);
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat: { enabled: false } } });
    try {
      assert.equal((await fetch(`${t.url}/agents/${id}/chat/widget.js`)).status, 404);
      assert.equal((await u.alice.get(`/agents/${id}/chat/config`)).status, 404);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat: { enabled: true } } });
    }
  });
});

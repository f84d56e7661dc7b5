/**
 * The conversation engine (issue 12 item 1; research/smythos.md §7) end to end: a live server whose agent
 * has `chat_model: 'gpt-test'`, so every model turn goes through the official `openai` client to a real
 * HTTP server speaking OpenAI's API (test/helpers/openai-fake.ts); callers come in through
 * `/v1/chat/completions`. What the model was sent is read from the fake, what the skills did from the
 * agent's runs. The engine alone, against a scripted model port, is in src/embodiments/conversation.test.ts.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startOpenAiFake, type FakeTurn, type OpenAiFake } from '../helpers/openai-fake.ts';
import { waitFor } from '../helpers/wait.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';

/** Most model turns per answer on this server (CHAT_MAX_TOOL_ROUNDS). */
const ROUNDS = 3;

/** One skill, `shout` (POST text → {said}), and one that is not AI-exposed (never offered as a tool). */
const adaAgent = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
    { ...endpoint('EH', 'hidden', ['text']), data: { endpoint: 'hidden', method: 'POST', description: 'Not for models', ai_exposed: false } },
    { id: 'OH', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['got'], outputs: ['Output!'] },
  ],
  [
    ['EP', 'body.text', 'OUT', 'said'],
    ['EH', 'body.text', 'OH', 'got'],
  ],
  { behavior: 'You are Ada.' },
);

interface Run {
  skill: string;
  status: string;
  input: { body: Record<string, unknown> };
  caller_id: string | null;
}

describe('conversation engine against an OpenAI-speaking model server', () => {
  let t: TestServer;
  let fake: OpenAiFake;
  let u: AgentCallers;
  let id: string;
  let openai: OpenAI;
  const runs = async (): Promise<Run[]> => (await u.alice.get(`/api/agents/${id}/runs?limit=100`)).body.runs;
  const ask = (messages: OpenAI.Chat.ChatCompletionMessageParam[]) => openai.chat.completions.create({ model: id, messages });

  before(async () => {
    fake = await startOpenAiFake();
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-fake', CHAT_MAX_TOOL_ROUNDS: String(ROUNDS) });
    u = await agentCallers(t);
    id = await importFixture(u.alice, JSON.stringify(adaAgent));
    assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'gpt-test' } })).status, 200);
    openai = new OpenAI({ apiKey: u.aliceToken.bearer!, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.queue.length = 0;
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  test('the system prompt is the behavior, ######, then the caller\'s system messages; the history is replayed in order', async () => {
    const answer = await ask([
      { role: 'system', content: 'Be loud.' },
      { role: 'user', content: [{ type: 'text', text: 'first ' }, { type: 'text', text: 'question' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c0', type: 'function', function: { name: 'shout', arguments: '{"text":"a"}' } }] },
      { role: 'tool', tool_call_id: 'c0', content: '{"said":"a"}' },
      { role: 'assistant', content: 'first answer' },
      { role: 'developer', content: 'Use French.' },
      { role: 'user', content: 'second question' },
    ]);
    assert.equal(answer.choices[0]!.message.content, 'model says: second question');
    assert.equal(fake.requests.length, 1);
    const [sent] = fake.requests;
    assert.equal(sent!.model, 'gpt-test');
    assert.deepEqual(sent!.messages.map((m) => [m.role, m.content]), [
      ['system', 'You are Ada.\n\n######\nBe loud.\nUse French.'],
      ['user', 'first question'],
      // An earlier turn's tool work is the caller's history, replayed as text: only the agent's own tools run.
      ['assistant', ''],
      ['user', 'Tool result: {"said":"a"}'],
      ['assistant', 'first answer'],
      ['user', 'second question'],
    ]);
    assert.deepEqual(sent!.tools!.map((x) => x.function.name), ['shout'], 'AI-exposed skills only');
    assert.deepEqual(sent!.tools![0], { type: 'function', function: { name: 'shout', description: 'Shout the text back', parameters: { type: 'object', properties: { text: { type: 'string' } } } } });
  });

  test('a tool call runs the skill as the caller (a recorded run) and its result reaches the model as the call\'s tool message', async () => {
    const before = (await runs()).length;
    fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hey"}' }] });
    const answer = await ask([{ role: 'user', content: 'shout hey' }]);
    assert.equal(answer.choices[0]!.message.content, 'model says: {"said":"hey"}');
    assert.equal(answer.choices[0]!.finish_reason, 'stop');
    assert.equal(answer.usage!.prompt_tokens, 22, 'usage sums both model turns');

    const after = await runs();
    assert.equal(after.length, before + 1);
    assert.equal(after[0]!.skill, '/api/shout');
    assert.equal(after[0]!.status, 'completed');
    assert.deepEqual(after[0]!.input.body, { text: 'hey' });
    assert.equal(after[0]!.caller_id, u.aliceId, 'the skill runs as the caller');

    const second = fake.requests[1]!.messages;
    const assistant = second.at(-2)!;
    const tool = second.at(-1)!;
    assert.equal(assistant.role, 'assistant');
    assert.deepEqual(assistant.tool_calls!.map((c) => [c.function.name, c.function.arguments]), [['shout', '{"text":"hey"}']]);
    assert.deepEqual([tool.role, tool.tool_call_id, tool.content], ['tool', assistant.tool_calls![0]!.id, '{"said":"hey"}']);
  });

  test('parallel tool calls all run, and each result answers its own call', async () => {
    const before = (await runs()).length;
    fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"one"}' }, { name: 'shout', arguments: '{"text":"two"}' }] });
    await ask([{ role: 'user', content: 'twice' }]);
    const after = await runs();
    assert.equal(after.length, before + 2);
    assert.deepEqual(after.slice(0, 2).map((r) => r.input.body.text).sort(), ['one', 'two']);
    const messages = fake.requests[1]!.messages;
    const calls = messages.at(-3)!.tool_calls!;
    assert.equal(calls.length, 2);
    assert.deepEqual(messages.slice(-2).map((m) => [m.tool_call_id, m.content]), [
      [calls[0]!.id, '{"said":"one"}'],
      [calls[1]!.id, '{"said":"two"}'],
    ]);
  });

  test('an unknown tool, a skill that is not AI-exposed, and arguments that are not JSON or not an object come back to the model as errors; the answer still comes', async () => {
    const before = (await runs()).length;
    fake.queue.push({
      toolCalls: [
        { name: 'nope', arguments: '{}' },
        { name: 'shout', arguments: '{bad' },
        { name: 'shout', arguments: '[1]' },
        { name: 'hidden', arguments: '{"text":"x"}' },
      ],
    });
    fake.queue.push({ text: 'I could not.' });
    const answer = await ask([{ role: 'user', content: 'try' }]);
    assert.equal(answer.choices[0]!.message.content, 'I could not.');
    const results = fake.requests[1]!.messages.slice(-4).map((m) => m.content ?? '');
    assert.equal(results[0], 'Error: Unknown tool: nope');
    assert.match(results[1]!, /^Error: Invalid arguments for shout: /);
    assert.equal(results[2], 'Error: Invalid arguments for shout: the arguments are not a JSON object');
    assert.equal(results[3], 'Error: Unknown tool: hidden');
    assert.equal((await runs()).length, before, 'nothing ran');
  });

  test(`after CHAT_MAX_TOOL_ROUNDS (${ROUNDS}) model turns the answer ends: the last turn offers no tools, and finish_reason says tools were still wanted`, async () => {
    const before = (await runs()).length;
    fake.reply = () => ({ toolCalls: [{ name: 'shout', arguments: '{"text":"again"}' }] });
    try {
      const answer = await ask([{ role: 'user', content: 'loop' }]);
      assert.equal(answer.choices[0]!.finish_reason, 'tool_calls');
      assert.equal(answer.choices[0]!.message.content, '');
    } finally {
      fake.reply = (request) => ({ text: `model says: ${request.messages.at(-1)?.content ?? ''}` });
    }
    assert.equal(fake.requests.length, ROUNDS);
    assert.deepEqual(fake.requests.map((r) => (r.tools ?? []).length > 0), [true, true, false]);
    assert.equal((await runs()).length, before + ROUNDS - 1, 'the last turn\'s calls do not run');
  });

  test('streamed: the model\'s text streams as it comes, the tool call is reported between, its result feeds the next turn', async () => {
    fake.queue.push({ text: 'Let me shout. ', toolCalls: [{ name: 'shout', arguments: '{"text":"loud"}' }] });
    fake.queue.push({ text: 'It said loud.' });
    const stream = await openai.chat.completions.create({ model: id, messages: [{ role: 'user', content: 'go' }], stream: true });
    const seen: string[] = [];
    let text = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; smyth_event?: { type: string; content: { name: string } } } | undefined;
      if (delta?.content) {
        text += delta.content;
        if (seen.at(-1) !== 'text') seen.push('text');
      }
      if (delta?.smyth_event?.type === 'toolCall') seen.push(`tool:${delta.smyth_event.content.name}`);
      if (chunk.choices[0]?.finish_reason) seen.push(`finish:${chunk.choices[0].finish_reason}`);
    }
    // Each model turn's text comes trimmed from the provider and the turns are joined as they are.
    assert.match(text, /^Let me shout\.\s*It said loud\.$/);
    assert.deepEqual(seen, ['text', 'tool:shout', 'text', 'finish:stop']);
    assert.equal(fake.requests[0]!.stream, true, 'the model is asked to stream');
    assert.equal(fake.requests[1]!.messages.at(-1)!.content, '{"said":"loud"}');
    assert.equal(fake.requests[1]!.messages.at(-2)!.content, 'Let me shout.', 'the text said with the call is history too');
  });

  test('a caller who hangs up stops the conversation: the model turn under way is abandoned and no tool runs', async () => {
    const before = (await runs()).length;
    let release!: (turn: FakeTurn) => void;
    fake.queue.push(new Promise<FakeTurn>((resolve) => (release = resolve)));
    const hangUp = new AbortController();
    // A streamed answer's headers (and its role chunk) go out before the model answers.
    const stream = await openai.chat.completions.create({ model: id, messages: [{ role: 'user', content: 'slow' }], stream: true }, { signal: hangUp.signal });
    await waitFor(() => fake.requests.length === 1, { what: 'the model was asked' });
    hangUp.abort();
    // The client ends an aborted stream quietly.
    for await (const chunk of stream) void chunk;
    await waitFor(() => fake.abandoned === 1, { what: 'the model request was abandoned' });
    release({ toolCalls: [{ name: 'shout', arguments: '{"text":"late"}' }] });
    // The next conversation is the only other thing the model sees; the hung-up one asked nothing more.
    await ask([{ role: 'user', content: 'next' }]);
    assert.deepEqual(fake.requests.map((r) => r.messages.at(-1)!.content), ['slow', 'next']);
    assert.equal((await runs()).length, before);
  });
});

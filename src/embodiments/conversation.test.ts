/**
 * The conversation engine against a scripted model (the ChatRouter port): prompt assembly, the tool
 * loop and its bounds. The same engine against a real OpenAI-speaking HTTP server is in
 * test/embodiments/conversation.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentDefinition } from '../agents/definition.ts';
import type { ChatModelRequest } from '../llm/models.ts';
import type { ChatReply } from '../llm/types.ts';
import { createConversations, SYSTEM_SEPARATOR, withSystemPrompt } from './conversation.ts';
import type { SkillTool } from './tools.ts';

const definition = { behavior: 'You are Ada.', variables: {}, components: [], connections: [] } as AgentDefinition;
const tool = (name: string): SkillTool => ({
  name,
  description: `the ${name} skill`,
  skill: { componentId: name, endpoint: name, method: 'POST', path: `/api/${name}`, ai_exposed: true, inputs: [] },
  inputSchema: { type: 'object', properties: {} },
});

/** A model that answers from `script`, one reply per turn, recording what it was asked. */
function scripted(script: ChatReply[]) {
  const asked: ChatModelRequest[] = [];
  return {
    asked,
    chat: async (request: ChatModelRequest): Promise<ChatReply> => {
      asked.push(structuredClone({ ...request, signal: undefined, onText: undefined }));
      const reply = script.shift();
      if (!reply) throw new Error('the script ran out');
      if (request.onText && reply.text) request.onText(reply.text);
      return reply;
    },
  };
}
const say = (text: string): ChatReply => ({ text, toolCalls: [], finishReason: 'stop', usage: { promptTokens: 3, completionTokens: 2 } });
const call = (...calls: [string, string, string][]): ChatReply => ({ text: '', toolCalls: calls.map(([id, name, args]) => ({ id, name, arguments: args })), finishReason: 'tool_calls' });

test('the system prompt is the behavior, then the caller\'s system messages after ######', () => {
  assert.deepEqual(
    withSystemPrompt(definition, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'Use French.' },
    ]),
    [
      { role: 'system', content: `You are Ada.${SYSTEM_SEPARATOR}Be brief.\nUse French.` },
      { role: 'user', content: 'hi' },
    ],
  );
  assert.deepEqual(withSystemPrompt({ ...definition, behavior: '' }, [{ role: 'user', content: 'hi' }]), [{ role: 'user', content: 'hi' }]);
});

test('tool calls run, their results go back to the model, and its answer ends the turn', async () => {
  const model = scripted([call(['c1', 'add', '{"a":1}'], ['c2', 'nope', '{}'], ['c3', 'add', '{bad']), say('done')]);
  const ran: unknown[] = [];
  const events: string[] = [];
  const conversations = createConversations({ chat: model.chat, maxToolRounds: 4 });
  const result = await conversations.converse(
    {
      definition,
      model: 'm',
      messages: [{ role: 'user', content: 'add it' }],
      tools: [tool('add')],
      runTool: async (_tool, args) => {
        ran.push(args);
        return { text: '{"sum":2}', isError: false };
      },
    },
    { text: (d) => events.push(`text:${d}`), toolCall: (c) => events.push(`call:${c.id}`), toolResult: (c) => events.push(`result:${c.id}:${c.isError}`) },
  );
  assert.equal(result.text, 'done');
  assert.equal(result.finishReason, 'stop');
  assert.deepEqual(ran, [{ a: 1 }], 'only the known tool with good arguments ran');
  assert.deepEqual(
    result.toolCalls.slice(0, 2).map((c) => [c.id, c.isError, c.text]),
    [
      ['c1', false, '{"sum":2}'],
      ['c2', true, 'Unknown tool: nope'],
    ],
  );
  assert.equal(result.toolCalls[2]!.isError, true);
  assert.match(result.toolCalls[2]!.text, /^Invalid arguments for add: ./);
  assert.deepEqual(events.filter((e) => e.startsWith('call')), ['call:c1', 'call:c2', 'call:c3']);
  assert.ok(events.includes('text:done'));
  const second = model.asked[1]!;
  assert.deepEqual(second.messages.slice(-4).map((m) => m.role), ['assistant', 'tool', 'tool', 'tool']);
  assert.equal((second.messages.at(-2) as { content: string }).content, 'Error: Unknown tool: nope');
  assert.deepEqual(result.usage, { promptTokens: 3, completionTokens: 2 });
});

test('the last round offers no tools; a model still calling them ends with finish_reason tool_calls', async () => {
  const model = scripted([call(['c1', 'add', '{}']), call(['c2', 'add', '{}'])]);
  const conversations = createConversations({ chat: model.chat, maxToolRounds: 2 });
  const result = await conversations.converse({
    definition,
    model: 'm',
    messages: [{ role: 'user', content: 'loop' }],
    tools: [tool('add')],
    runTool: async () => ({ text: 'ok', isError: false }),
  });
  assert.equal(model.asked.length, 2);
  assert.equal(model.asked[0]!.tools?.length, 1);
  assert.equal(model.asked[1]!.tools, undefined, 'no tools on the last round');
  assert.equal(result.finishReason, 'tool_calls');
  assert.equal(result.toolCalls.length, 1);
});

test('an aborted conversation stops before its next model turn', async () => {
  const abort = new AbortController();
  const model = scripted([call(['c1', 'add', '{}']), say('never')]);
  const conversations = createConversations({ chat: model.chat, maxToolRounds: 4 });
  await assert.rejects(
    conversations.converse({
      definition,
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [tool('add')],
      signal: abort.signal,
      runTool: async () => {
        abort.abort(new Error('caller left'));
        return { text: 'ok', isError: false };
      },
    }),
    /caller left/,
  );
  assert.equal(model.asked.length, 1);
});

test("the texts of successive turns are one answer's paragraphs, streamed the same", async () => {
  const model = scripted([{ ...call(['c1', 'add', '{}']), text: 'Let me add.' }, call(['c2', 'add', '{}']), say('It is 2.')]);
  const streamed: string[] = [];
  const conversations = createConversations({ chat: model.chat, maxToolRounds: 4 });
  const result = await conversations.converse(
    { definition, model: 'm', messages: [{ role: 'user', content: 'add' }], tools: [tool('add')], runTool: async () => ({ text: '2', isError: false }) },
    { text: (d) => streamed.push(d) },
  );
  assert.equal(result.text, 'Let me add.\n\nIt is 2.');
  assert.equal(streamed.join(''), result.text);
});

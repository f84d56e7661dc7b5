/**
 * PromptGenerator / LLMPrompt / GenAILLM against a fake context whose `generate` is the real model router (Echo) or a
 * scripted model; the Echo answers are also checked against SmythOS's own engine (SRE) running the same component
 * behind an APIEndpoint, when SRE loads.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createModelRouter, UnknownModelError, type ModelRequest } from '../../llm/models.ts';
import type { ComponentContext, ComponentData, ComponentLog, ComponentType, OutputDef } from '../engine/component.ts';
import { runOnSre, sreUnavailable } from '../../../test/helpers/sre-oracle.ts';
import { enhancePrompt, genAiLlm, genAiLlmConfig, llmPrompt, promptGenerator, promptGeneratorConfig } from './llm-prompt.ts';

const outputs = (...extra: OutputDef[]): OutputDef[] => [{ name: 'Reply', index: 0, default: true }, ...extra];

function component(name: string, data: Record<string, unknown>, outs: OutputDef[] = outputs()): ComponentData {
  return { id: 'PG', name, title: 'P', displayName: 'LLM', data, inputs: [{ name: 'Input', type: 'Any', index: 0 }], outputs: outs };
}

/** A context whose model is `generate` (default: the router, Echo only); requests and logs are recorded. */
function context(generate: (r: ModelRequest) => Promise<string> = createModelRouter()) {
  const requests: ModelRequest[] = [];
  const logs: Array<Pick<ComponentLog, 'level' | 'message'>> = [];
  const ctx: ComponentContext = {
    agentId: 'a',
    runId: 'r',
    variables: {},
    signal: new AbortController().signal,
    log: (level, message) => logs.push({ level, message }),
    memory: { read: async () => undefined, write: async () => {}, delete: async () => {} },
    http: { allowPrivateNetwork: false, timeoutMs: 1000 },
    generate: (r) => (requests.push(r), generate(r)),
  };
  return { ctx, requests, logs };
}

const run = (type: ComponentType, data: Record<string, unknown>, input: Record<string, unknown>, outs?: OutputDef[]) =>
  type.process(input, component(type.name, data, outs), context().ctx);

let sreMissing: string | undefined;
before(async () => {
  sreMissing = await sreUnavailable();
});

/** SRE's result for `type` with `data`, fed `message` through an APIEndpoint's `body.message`. */
async function onSre(type: string, data: Record<string, unknown>, message: unknown, outs: OutputDef[] = outputs()) {
  const endpoint = {
    id: 'EP', name: 'APIEndpoint', title: 'EP', data: { endpoint: 'go', method: 'POST' },
    inputs: [{ name: 'message', type: 'Any', optional: false, index: 0 }],
    outputs: [{ name: 'headers', index: 0, default: true }, { name: 'body', index: 1, default: true }, { name: 'query', index: 2, default: true }, { name: 'body.message', index: 3 }],
  };
  const agent = { version: '1.0.0', id: 'agent-llm', name: 'llm', teamId: 't', variables: {}, components: [endpoint, component(type, data, outs)], connections: [{ sourceId: 'EP', sourceIndex: 3, targetId: 'PG', targetIndex: 0 }] };
  const answer = await runOnSre(agent, { method: 'POST', path: '/api/go', body: { message } }, { fast: true });
  return (answer.data as { result: unknown }).result;
}

/** Orrery's output for the component equals `expected`, and SRE's answer equals it too (when SRE loads). */
async function same(type: ComponentType, data: Record<string, unknown>, message: unknown, expected: unknown, outs?: OutputDef[]) {
  assert.deepEqual(await run(type, data, { Input: message }, outs), expected, 'Orrery');
  if (!sreMissing) assert.deepEqual(await onSre(type.name, data, message, outs), expected, 'SRE');
}

describe('Echo, as SmythOS answers', () => {
  test('the fixture: "Saying : {{Input}}" echoes the prompt (sre-echo-LLMPrompt.smyth)', async () => {
    await same(promptGenerator, { model: 'Echo', prompt: 'Saying : {{Input}}' }, 'Write a poem about flowers, the word Rose', { Reply: 'Saying : Write a poem about flowers, the word Rose' });
  });

  test('quotes of inserted strings are escaped; objects go in as JSON; unknown placeholders stay (research §13)', async () => {
    await same(promptGenerator, { model: 'Echo', prompt: 'Saying : {{Input}}' }, 'hi "x"', { Reply: 'Saying : hi \\"x\\"' });
    await same(genAiLlm, { model: 'Echo', prompt: 'x {{Input}} {{nope}}' }, { k: 'v' }, { Reply: 'x {"k":"v"} {{nope}}' });
  });

  test('a JSON-looking prompt comes back parsed, repaired if need be; one with an error field comes back as text', async () => {
    await same(promptGenerator, { model: 'Echo', prompt: '{"a": "{{Input}}"}' }, 'hi "x"', { Reply: { a: 'hi "x"' } });
    await same(promptGenerator, { model: 'Echo', prompt: '{"a": {{Input}}' }, 'hi', { Reply: { a: 'hi' } });
    await same(promptGenerator, { model: 'Echo', prompt: '{{Input}}' }, '[1,2', { Reply: [1, 2] });
    await same(promptGenerator, { model: 'Echo', prompt: '{"error": "{{Input}}"}' }, 'hi', { Reply: '{"error": "hi"}' });
    await same(genAiLlm, { model: 'Echo', prompt: '{"error": "{{Input}}"}' }, 'hi', { Reply: '{"error": "hi"}' });
    await same(promptGenerator, { model: 'Echo', prompt: '{{Input}}' }, '12345678901234567890', { Reply: '12345678901234567890' });
  });

  test('LLMPrompt is PromptGenerator under its other name; a custom output reads the parsed reply', async () => {
    await same(llmPrompt, { model: 'Echo', prompt: 'Saying : {{Input}}' }, 'hi', { Reply: 'Saying : hi' });
    const outs = outputs({ name: 'title', index: 1, default: false });
    await same(promptGenerator, { model: 'Echo', prompt: '{"title":"{{Input}}"}' }, 'T', { Reply: { title: 'T' } }, outs);
  });

  test('an unknown model: SmythOS\'s message, and the reason in the log', async () => {
    await same(promptGenerator, { model: 'gpt-nope', prompt: '{{Input}}' }, 'hi', { _error: "The model 'gpt-nope' is not available. Please try a different one." });
    const { ctx, logs } = context();
    const out = await genAiLlm.process({ Input: 'hi' }, component('GenAILLM', { model: 'gpt-nope', prompt: '{{Input}}' }), ctx);
    assert.deepEqual(out, { _error: "The model 'gpt-nope' is not available. Please try a different one." });
    assert.match(logs[0]!.message, /model 'gpt-nope' is not available: .*OPENAI_BASE_URL/);
  });

  test('an empty reply: each class\'s own error', async () => {
    assert.deepEqual(await run(promptGenerator, { model: 'Echo', prompt: '{{Input}}' }, { Input: '' }), { _error: ' LLM Error = Empty Response!' });
    assert.deepEqual(await run(genAiLlm, { model: 'Echo', prompt: '{{Input}}' }, { Input: '' }), {
      _error: "Empty response. This is usually due to output token limit reached. Please try again with a higher 'Maximum Output Tokens'.",
    });
  });
});

describe('other models, through context.generate', () => {
  test('PromptGenerator asks for JSON by default: a system instruction, the expected shape appended, the reply parsed', async () => {
    const { ctx, requests } = context(async () => 'Sure: {"title": "Roses"} hope it helps');
    const outs = outputs({ name: 'title', index: 1, default: false, description: 'a short title' });
    const out = await promptGenerator.process({ Input: 'roses' }, component('PromptGenerator', { model: 'gpt-4o-mini', prompt: 'Title for {{Input}}', maxTokens: '64' }, outs), ctx);
    assert.deepEqual(out, { Reply: { title: 'Roses' } });
    assert.equal(requests[0]!.model, 'gpt-4o-mini');
    assert.equal(requests[0]!.maxOutputTokens, 64);
    assert.match(requests[0]!.system!, /JSON/);
    assert.equal(requests[0]!.prompt, 'Title for roses\n##\nExpected output format = {"title":"<value> (a short title)"}\nThe output JSON should only use the entries from the output format.');
    assert.equal(requests[0]!.signal, ctx.signal);
  });

  test('text format sends no system prompt; GenAILLM asks for JSON only with custom outputs', async () => {
    const { ctx, requests } = context(async () => '  plain answer ');
    assert.deepEqual(await promptGenerator.process({ Input: 'x' }, component('PromptGenerator', { model: 'm', prompt: '{{Input}}', responseFormat: 'text' }), ctx), { Reply: 'plain answer' });
    assert.equal(requests[0]!.system, undefined);
    assert.deepEqual(await genAiLlm.process({ Input: 'x' }, component('GenAILLM', { model: 'm', prompt: '{{Input}}' }), ctx), { Reply: 'plain answer' });
    assert.equal(requests[1]!.system, undefined);
    assert.equal(requests[1]!.maxOutputTokens, 1024);
    await genAiLlm.process({ Input: 'x' }, component('GenAILLM', { model: 'm', prompt: '{{Input}}' }, outputs({ name: 'a', index: 1 })), ctx);
    assert.match(requests[2]!.system!, /JSON/);
  });

  test('a failed call and a reply carrying an error field, in each class\'s words', async () => {
    const failing = context(async () => {
      throw new Error('HTTP 500: boom');
    }).ctx;
    assert.deepEqual(await promptGenerator.process({ Input: 'x' }, component('PromptGenerator', { model: 'm', prompt: '{{Input}}' }), failing), { _error: 'Error: HTTP 500: boom ' });
    assert.deepEqual(await genAiLlm.process({ Input: 'x' }, component('GenAILLM', { model: 'm', prompt: '{{Input}}' }), failing), { _error: 'HTTP 500: boom ' });
    const refusing = context(async () => '{"error": "cannot"}').ctx;
    assert.deepEqual(await promptGenerator.process({ Input: 'x' }, component('PromptGenerator', { model: 'm', prompt: '{{Input}}' }), refusing), { _error: 'Error: cannot ' });
    assert.deepEqual(await genAiLlm.process({ Input: 'x' }, component('GenAILLM', { model: 'm', prompt: '{{Input}}' }), refusing), { _error: 'cannot' });
  });

  test('an UnknownModelError from the router maps to SmythOS\'s message whatever the model name', async () => {
    const { ctx } = context(async (r) => {
      throw new UnknownModelError(r.model);
    });
    assert.deepEqual(await promptGenerator.process({ Input: 'x' }, component('PromptGenerator', { model: 'claude-x', prompt: 'p' }), ctx), {
      _error: "The model 'claude-x' is not available. Please try a different one.",
    });
  });
});

test('enhancePrompt: nothing added without custom outputs; Classifier placeholders', () => {
  assert.equal(enhancePrompt('p', { name: 'PromptGenerator', outputs: outputs() }), 'p');
  assert.equal(enhancePrompt('', { name: 'PromptGenerator', outputs: outputs({ name: 'a' }) }), '');
  assert.match(enhancePrompt('p', { name: 'Classifier', outputs: [{ name: 'happy' }, { name: '_error' }] }), /= \{"happy":"<Boolean\|String>"\}\n/);
});

test('config schemas: the fixture\'s data passes (numbers as strings); a missing model or empty prompt fails', () => {
  const fixture = { model: 'Echo', prompt: 'Saying : {{Input}}', temperature: '1', maxTokens: '1024', stopSequences: '', topP: '1', topK: '0', frequencyPenalty: '0', presencePenalty: '0', passthrough: false };
  assert.ok(promptGeneratorConfig.safeParse(fixture).success);
  assert.ok(genAiLlmConfig.safeParse({ ...fixture, responseFormat: '' }).success);
  assert.ok(!promptGeneratorConfig.safeParse({ ...fixture, responseFormat: '' }).success);
  assert.ok(!promptGeneratorConfig.safeParse({ prompt: 'p' }).success);
  assert.ok(!promptGeneratorConfig.safeParse({ model: '', prompt: 'p' }).success, 'Joi strings are non-empty unless allowed');
  assert.ok(!promptGeneratorConfig.safeParse({ model: 'Echo', prompt: '' }).success);
  assert.ok(!promptGeneratorConfig.safeParse({ ...fixture, temperature: '9' }).success);
  assert.ok(!promptGeneratorConfig.safeParse({ ...fixture, topP: 'abc' }).success);
});

test('the fixture end to end through the engine with the router as the model: SmythOS\'s exact answer', async () => {
  const { readFileSync } = await import('node:fs');
  const { importAgent } = await import('../definition.ts');
  const { compileAgent } = await import('../engine/compile.ts');
  const { executeRun } = await import('../engine/execute.ts');
  const { builtinComponents } = await import('./index.ts');
  const mine = new Map([promptGenerator, llmPrompt, genAiLlm].map((t) => [t.name, t]));
  // `shared/` beside the repository, as test/agents/sre-oracle.test.ts finds it (ORRERY_SHARED_DIR overrides).
  const shared = process.env.ORRERY_SHARED_DIR ?? new URL('../../../../shared', import.meta.url).pathname;
  const document = JSON.parse(readFileSync(`${shared}/smyth/sre-echo-LLMPrompt.smyth`, 'utf8')) as unknown;
  const { definition, problems } = importAgent(document, { isKnownType: () => true });
  assert.ok(definition, JSON.stringify(problems));
  const outcome = await executeRun({
    agent: compileAgent(definition, (name) => mine.get(name) ?? builtinComponents(name)),
    request: { method: 'POST', path: '/api/say', body: { message: 'Write a poem about flowers, the word Rose' }, query: {}, headers: {} },
    services: { memory: context().ctx.memory, http: { allowPrivateNetwork: false, timeoutMs: 1000 }, generate: createModelRouter() },
  });
  assert.deepEqual(outcome.data, { result: 'Saying : Write a poem about flowers, the word Rose' });
});

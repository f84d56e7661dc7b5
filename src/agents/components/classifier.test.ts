/**
 * Classifier against a fake context: with the offline Echo model (checked against SmythOS's own engine running the
 * same component behind an APIEndpoint, when it loads) and with a scripted model whose JSON verdict decides which
 * categories remain.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createModelRouter, type ModelRequest } from '../../llm/models.ts';
import type { ComponentContext, ComponentData, OutputDef } from '../engine/component.ts';
import { runOnSre, sreUnavailable } from '../../../test/helpers/sre-oracle.ts';
import { classifier, classifierConfig, classifierPrompt, classify, disguiseJson, undisguiseJson } from './classifier.ts';

const categories = (...entries: Array<[string, string]>): OutputDef[] => entries.map(([name, description], index) => ({ name, description, index }));

function component(data: Record<string, unknown>, outputs: OutputDef[]): ComponentData {
  return { id: 'CL', name: 'Classifier', title: 'C', displayName: 'Classifier', data, inputs: [{ name: 'Input', type: 'Any', index: 0 }], outputs };
}

function context(generate: (r: ModelRequest) => Promise<string> = createModelRouter()) {
  const requests: ModelRequest[] = [];
  const ctx: ComponentContext = {
    agentId: 'a',
    runId: 'r',
    variables: {},
    signal: new AbortController().signal,
    log() {},
    memory: { read: async () => undefined, write: async () => {}, delete: async () => {} },
    http: { allowPrivateNetwork: false, timeoutMs: 1000 },
    generate: (r) => (requests.push(r), generate(r)),
  };
  return { ctx, requests };
}

let sreMissing: string | undefined;
before(async () => {
  sreMissing = await sreUnavailable();
});

/** Orrery's output equals `expected`; so does SRE's result for the same component fed `message` (when SRE loads). */
async function same(data: Record<string, unknown>, outputs: OutputDef[], message: unknown, expected: unknown) {
  const ours = await classifier.process({ Input: message }, component(data, outputs), context().ctx);
  assert.deepEqual(JSON.parse(JSON.stringify(ours)), expected, 'Orrery');
  if (sreMissing) return;
  const endpoint = {
    id: 'EP', name: 'APIEndpoint', title: 'EP', data: { endpoint: 'go', method: 'POST' },
    inputs: [{ name: 'message', type: 'Any', optional: false, index: 0 }],
    outputs: [{ name: 'headers', index: 0, default: true }, { name: 'body', index: 1, default: true }, { name: 'query', index: 2, default: true }, { name: 'body.message', index: 3 }],
  };
  const agent = { version: '1.0.0', id: 'agent-cls', name: 'cls', teamId: 't', variables: {}, components: [endpoint, component(data, outputs)], connections: [{ sourceId: 'EP', sourceIndex: 3, targetId: 'CL', targetIndex: 0 }] };
  const answer = await runOnSre(agent, { method: 'POST', path: '/api/go', body: { message } }, { fast: true });
  assert.deepEqual((answer.data as { result: unknown }).result, expected, 'SRE');
}

describe('with Echo, as SmythOS answers: no category fires', () => {
  test('the echoed prompt parses into an array naming no category', async () => {
    await same({ model: 'Echo', prompt: 'Classify the input' }, categories(['happy', 'when happy'], ['sad', '']), 'He said "hi" {x}', [
      { Input: 'He said `hi` <[<(x)>]>' },
      '---',
      'Categories:',
      { happy: 'when happy', sad: '' },
    ]);
  });

  test('{{Input}} in the prompt inserts the raw value; object inputs are disguised in the JSON part', async () => {
    await same({ model: 'Echo', prompt: 'Classify: {{Input}}' }, categories(['happy', 'when "happy"'], ['sad', '']), { a: [1, null, true], b: 'q' }, [
      { a: [1, null, true], b: 'q' },
      { Input: '<[<(`a`:[1,null,true],`b`:`q`)>]>' },
      '---',
      'Categories:',
      { happy: 'when "happy"', sad: '' },
    ]);
  });

  test('prompts that bend the repair: a stray brace, an open array', async () => {
    await same({ model: 'Echo', prompt: '{ bad json' }, categories(['yes', ''], ['no', '']), 'x', [{ 'bad json': { Input: 'x' }, '---': 'Categories:' }, { yes: '', no: '' }]);
    await same({ model: 'Echo', prompt: '[1,' }, categories(['yes', ''], ['no', '']), 'x', [1, { Input: 'x' }, '---', 'Categories:', { yes: '', no: '' }]);
  });

  test('a prompt the repair cannot save: the text stays a string and walking it fails with JavaScript\'s strict-mode message', async () => {
    for (const prompt of ['{:', '{"a":1}}']) {
      const echoed = `${prompt}\n{\n  "Input": "x"\n}\n\n---\nCategories: \n{\n  "a": ""\n}`;
      await same({ model: 'Echo', prompt }, categories(['a', '']), 'x', { _error: `Cannot assign to read only property '0' of string '${echoed}'` });
    }
  });

  test('no categories, or an unknown model: SmythOS\'s errors', async () => {
    await same({ model: 'Echo', prompt: 'Pick one.' }, [], 'plain', { _error: 'Missing information, Cannot run classifier' });
    await same({ model: 'gpt-nope', prompt: 'Pick one.' }, categories(['yes', ''], ['no', '']), 'plain', { _error: "The model 'gpt-nope' is not available. Please try a different one." });
  });
});

describe('with a model that answers', () => {
  test('falsy categories are deleted, string verdicts undisguised and parsed when JSON; the prompt carries the categories', async () => {
    const { ctx, requests } = context(async () => 'Result: {"happy": false, "sad": true, "angry": "", "mixed": "<[<(`why`: `tone`)>]>", "other": "maybe"}');
    const outputs = categories(['happy', 'cheerful'], ['sad', 'gloomy'], ['angry', ''], ['mixed', ''], ['other', '']);
    const out = await classifier.process({ Input: 'I am "down"' }, component({ model: 'gpt-4o-mini', prompt: 'Classify.' }, outputs), ctx);
    assert.deepEqual(out, { sad: true, mixed: { why: 'tone' }, other: 'maybe' });
    const prompt = requests[0]!.prompt;
    assert.ok(prompt.startsWith('Classify.\n{\n  "Input": "I am `down`"\n}\n\n---\nCategories: \n{\n  "happy": "cheerful",'), prompt);
    assert.match(prompt, /\n##\nExpected output format = \{"happy":"<Boolean\|String> \(cheerful\)",/);
    assert.equal(requests[0]!.system, undefined);
  });

  test('an error entry moves to _error; a failed call and a non-object reply give SmythOS\'s messages', async () => {
    assert.deepEqual(classify({ yes: 1, error: 'bad' }), { yes: 1, _error: 'bad' });
    const failing = context(async () => {
      throw new Error('HTTP 429: slow down');
    }).ctx;
    const data = { model: 'm', prompt: 'p' };
    const outputs = categories(['a', '']);
    assert.deepEqual(await classifier.process({ Input: 'x' }, component(data, outputs), failing), { _error: 'Error: HTTP 429: slow down ' });
    const refusing = context(async () => '{"error": "nope"}').ctx;
    assert.deepEqual(await classifier.process({ Input: 'x' }, component(data, outputs), refusing), { _error: 'Error: nope ' });
    const chatty = context(async () => 'no idea').ctx;
    assert.deepEqual(await classifier.process({ Input: 'x' }, component(data, outputs), chatty), { _error: "Cannot assign to read only property '0' of string 'no idea'" });
    const silent = context(async () => '').ctx;
    assert.deepEqual(await classifier.process({ Input: 'x' }, component(data, outputs), silent), { _error: "Cannot create property '_debug' on string ''" });
    const nullish = context(async () => '[null]').ctx;
    assert.deepEqual(JSON.parse(JSON.stringify(await classifier.process({ Input: 'x' }, component(data, outputs), nullish))), [null]);
  });
});

test('the strict-mode messages kept for string replies are JavaScript\'s own', () => {
  const walk = (s: string) => {
    try {
      (s as unknown as Record<string, unknown>)[s === '' ? '_debug' : '0'] = 'x';
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };
  assert.equal(classify('ab')._error, walk('ab'));
  assert.equal(classify('')._error, walk(''));
});

test('disguise/undisguise, the prompt without categories, the config schema', () => {
  assert.equal(disguiseJson('{"a"}'), '<[<(`a`)>]>');
  assert.equal(undisguiseJson(disguiseJson('{"a": {"b": 1}}')), '{"a": {"b": 1}}');
  assert.equal(classifierPrompt({ Input: 'x' }, component({ model: 'Echo', prompt: 'p' }, [{ name: '_error' }])), '');
  assert.ok(classifierConfig.safeParse({ model: 'Echo', prompt: '' }).success);
  assert.ok(!classifierConfig.safeParse({ prompt: 'p' }).success);
  assert.ok(!classifierConfig.safeParse({ model: '', prompt: 'p' }).success);
});

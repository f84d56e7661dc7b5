/**
 * The shared `.smyth` fixtures answer exactly what SmythOS's own engine answers
 * (../shared/smyth/SOURCES.md), timestamps and binary urls aside — run in-process through the engine,
 * no server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { importAgent } from '../../src/agents/definition.ts';
import { builtinComponents, isKnownComponentType } from '../../src/agents/components/index.ts';
import { compileAgent } from '../../src/agents/engine/compile.ts';
import { executeRun } from '../../src/agents/engine/execute.ts';
import { testServices } from './engine-harness.ts';
import { createModelRouter } from '../../src/llm/models.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../shared/smyth');

function load(name: string) {
  const { definition, problems } = importAgent(readFileSync(path.join(fixtures, name), 'utf8'), { isKnownType: isKnownComponentType });
  assert.ok(definition, JSON.stringify(problems));
  return compileAgent(definition, builtinComponents);
}

async function call(file: string, skill: string, body: Record<string, unknown>, method = 'POST') {
  const outcome = await executeRun({
    agent: load(file),
    request: { method, path: skill, body, query: {}, headers: {} },
    services: testServices({ generate: createModelRouter() }),
  });
  return outcome;
}

describe('SmythOS fixtures answer as SmythOS does', () => {
  it('echo-LLMPrompt /api/say: the Echo model says the prompt, APIOutput minimal → {result}', async () => {
    const { status, data } = await call('sre-echo-LLMPrompt.smyth', '/api/say', { message: 'Write a poem about flowers, the word Rose' });
    assert.equal(status, 200);
    assert.deepEqual(data, { result: 'Saying : Write a poem about flowers, the word Rose' });
  });

  it('functions /api/hash: md5 hex of "hello world", the last component\'s {id, name, result}', async () => {
    const { status, data } = await call('functions-components.smyth', '/api/hash', { data: 'hello world' });
    assert.equal(status, 200);
    assert.deepEqual(data, { id: 'CLYQPM7QOHE', name: 'FHash', result: { Hash: '5eb63bbbe01eeed093cb22bb8f5acdc3' } });
  });

  it('functions /api/enc and /api/dec: hex both ways', async () => {
    assert.deepEqual((await call('functions-components.smyth', '/api/enc', { data: 'hello' })).data, {
      id: 'CLYQPMF218O',
      name: 'FEncDec',
      result: { Output: '68656c6c6f' },
    });
    assert.deepEqual((await call('functions-components.smyth', '/api/dec', { data: '68656c6c6f' })).data, {
      id: 'LYQPVTHUTUJ',
      name: 'FEncDec',
      result: { Output: 'hello' },
    });
  });

  it('functions /api/timestamp: {Timestamp: ms since epoch}', async () => {
    const before = Date.now();
    const { data } = (await call('functions-components.smyth', '/api/timestamp', {})) as { data: { result: { Timestamp: number } } };
    assert.equal((data as unknown as { id: string }).id, 'CLYQPG97PT0G');
    assert.ok(data.result.Timestamp >= before && data.result.Timestamp <= Date.now());
  });

  it('functions /api/sign: both body fields wired into Key are collected into an array, and Node refuses it', async () => {
    const { data } = (await call('functions-components.smyth', '/api/sign', { data: 'hello', key: 'k' })) as {
      data: { id: string; name: string; result: { _error: string } };
    };
    assert.equal(data.id, 'CLYQPR6ESZF');
    assert.equal(data.name, 'FSign');
    assert.match(data.result._error, /^The "key" argument must be of type string or .*Received an instance of Array/s);
  });

  it('functions /api/nope: Endpoint POST /api/nope Not Found', async () => {
    const { status, data } = await call('functions-components.smyth', '/api/nope', {});
    assert.equal(status, 404);
    assert.deepEqual(data, { error: 'Endpoint POST /api/nope Not Found' });
  });

  it('strong typing: every declared type converted', async () => {
    const body = { any: 'x', string: 's', number: '1', integer: '1', boolean: 'true', array: '[1]', object: '{"a":1}', date: '2024-01-01', binary: '' };
    const { data } = await call('general-unit-tests.smyth', '/api/test_strong_typing', body);
    assert.deepEqual(data, {
      id: 'CLYO8XZSVA6',
      name: 'APIEndpoint',
      result: {
        headers: {},
        body: { any: 'x', string: 's', number: 1, integer: 1, boolean: true, array: [1], object: { a: 1 }, date: '2024-01-01T00:00:00.000Z', binary: '' },
        query: {},
        params: {},
      },
    });
  });

  it('strong typing: Invalid Number value', async () => {
    const { data } = await call('general-unit-tests.smyth', '/api/test_strong_typing', { number: 'abc' });
    assert.deepEqual(data, { id: 'CLYO8XZSVA6', name: 'APIEndpoint', result: { _error: 'Invalid Number value' } });
  });

  it('strong typing: defaults fill an empty body (binary aside)', async () => {
    const { data } = (await call('general-unit-tests.smyth', '/api/test_strong_typing_default_vals', {})) as {
      data: { result: { body: Record<string, unknown> } };
    };
    const body = { ...data.result.body };
    delete body.binary;
    assert.deepEqual(body, {
      string: 'Hello world',
      number: 123,
      integer: 1234,
      boolean: true,
      array: ['a', 'b', 'c', 'd'],
      object: { message: 'hello world' },
      date: '2024-01-20T00:00:00.000Z',
    });
  });

  it('linear-utility /api/pipe: hex encode, decode, sha256 → {result}', async () => {
    const { status, data } = await call('linear-utility.smyth', '/api/pipe', { message: 'hello world' });
    assert.equal(status, 200);
    assert.deepEqual(data, { result: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' });
  });
});

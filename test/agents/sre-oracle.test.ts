/**
 * The SRE oracle (test/helpers/sre-oracle.ts) gives back every answer that `shared/smyth/SOURCES.md`
 * records SmythOS's own engine giving on the shared agents, so differential tests can trust it as
 * the reference. Timestamps are checked against the test's clock, binary URLs by shape (both vary per
 * run). Most runs use the fast path (no 100 ms ready-poll, no between-wave sleep); one case checks
 * that the normal path answers the same. Skipped, with the reason, when `@smythos/sre` cannot load.
 * Database-independent: it runs on both passes like every integration test, touching no database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnSre, sreUnavailable, type SreAnswer } from '../helpers/sre-oracle.ts';

/** `shared/smyth/` beside the repository (`ORRERY_SHARED_DIR` overrides the `shared/` folder). */
const smythDir = path.join(process.env.ORRERY_SHARED_DIR ?? path.resolve(fileURLToPath(import.meta.url), '../../../../shared'), 'smyth');
const agent = (file: string): unknown => JSON.parse(readFileSync(path.join(smythDir, file), 'utf8'));
const post = (file: string, endpoint: string, body: unknown): Promise<SreAnswer> =>
  runOnSre(agent(file), { method: 'POST', path: endpoint, body }, { fast: true });

const unavailable = await sreUnavailable();

describe('SRE oracle: the answers of shared/smyth/SOURCES.md', { skip: unavailable ?? false }, () => {
  test('echo-LLMPrompt /api/say answers through the Echo model, minimal output', async () => {
    const r = await post('sre-echo-LLMPrompt.smyth', '/api/say', { message: 'Write a poem about flowers, the word Rose' });
    assert.deepEqual(r, { data: { result: 'Saying : Write a poem about flowers, the word Rose' } });
  });

  test('functions /api/hash, /api/enc, /api/dec: the last component {id, name, result} without an APIOutput', async () => {
    assert.deepEqual((await post('functions-components.smyth', '/api/hash', { data: 'hello world' })).data, {
      id: 'CLYQPM7QOHE',
      name: 'FHash',
      result: { Hash: '5eb63bbbe01eeed093cb22bb8f5acdc3' },
    });
    assert.deepEqual((await post('functions-components.smyth', '/api/enc', { data: 'hello' })).data, {
      id: 'CLYQPMF218O',
      name: 'FEncDec',
      result: { Output: '68656c6c6f' },
    });
    assert.deepEqual((await post('functions-components.smyth', '/api/dec', { data: '68656c6c6f' })).data, {
      id: 'LYQPVTHUTUJ',
      name: 'FEncDec',
      result: { Output: 'hello' },
    });
  });

  test('functions /api/timestamp gives the time of the run in ms', async () => {
    const before = Date.now();
    const { data } = await post('functions-components.smyth', '/api/timestamp', {});
    const after = Date.now();
    const { id, name, result } = data as { id: string; name: string; result: { Timestamp: number } };
    assert.deepEqual({ id, name }, { id: 'CLYQPG97PT0G', name: 'FTimestamp' });
    assert.ok(result.Timestamp >= before && result.Timestamp <= after, `Timestamp ${result.Timestamp} outside [${before}, ${after}]`);
  });

  test('functions /api/sign collects body.data and body.key into FSign\'s Key input: an _error from node:crypto', async () => {
    const { data } = await post('functions-components.smyth', '/api/sign', { data: 'hello', key: 'k' });
    const { id, name, result } = data as { id: string; name: string; result: { _error: string } };
    assert.deepEqual({ id, name, keys: Object.keys(result) }, { id: 'CLYQPR6ESZF', name: 'FSign', keys: ['_error'] });
    assert.match(result._error, /^The "key" argument must be of type string or .*Received an instance of Array$/);
  });

  test('functions /api/nope: an unknown endpoint is an {error}, not a throw', async () => {
    assert.deepEqual(await post('functions-components.smyth', '/api/nope', {}), { data: { error: 'Endpoint POST /api/nope Not Found' } });
  });

  test('strong typing converts every typed input', async () => {
    const body = { any: 'x', string: 's', number: '1', integer: '1', boolean: 'true', array: '[1]', object: '{"a":1}', date: '2024-01-01', binary: '' };
    assert.deepEqual((await post('general-unit-tests.smyth', '/api/test_strong_typing', body)).data, {
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

  test('strong typing refuses a number that is not one', async () => {
    assert.deepEqual((await post('general-unit-tests.smyth', '/api/test_strong_typing', { number: 'abc' })).data, {
      id: 'CLYO8XZSVA6',
      name: 'APIEndpoint',
      result: { _error: 'Invalid Number value' },
    });
  });

  test('strong typing fills a missing body from the default values (binary stored under smythfs://)', async () => {
    const { data } = await post('general-unit-tests.smyth', '/api/test_strong_typing_default_vals', {});
    const { binary, ...body } = (data as { result: { body: Record<string, unknown> } }).result.body;
    assert.deepEqual(body, {
      string: 'Hello world',
      number: 123,
      integer: 1234,
      boolean: true,
      array: ['a', 'b', 'c', 'd'],
      object: { message: 'hello world' },
      date: '2024-01-20T00:00:00.000Z',
    });
    const file = binary as { mimetype: string; size: number; url: string };
    assert.deepEqual({ mimetype: file.mimetype, size: file.size }, { mimetype: '', size: 6 });
    assert.match(file.url, /^smythfs:\/\/default\.team\/clyo8xvj50rxr65fr5t528rcp\/_temp\/\w+-binary\.$/);
  });

  test('linear-utility /api/pipe answers the same on the normal path and the fast one', async () => {
    const expected = { data: { result: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' } };
    const request = { method: 'POST', path: '/api/pipe', body: { message: 'hello world' } };
    assert.deepEqual(await runOnSre(agent('linear-utility.smyth'), request), expected);
    assert.deepEqual(await runOnSre(agent('linear-utility.smyth'), request, { fast: true }), expected);
  });

  test('the oracle leaves the caller\'s agent and request as they were', async () => {
    const definition = agent('general-unit-tests.smyth');
    const copy = structuredClone(definition);
    const request = { method: 'POST', path: '/api/test_strong_typing', body: { number: '1', array: '[1]' } };
    await runOnSre(definition, request, { fast: true });
    assert.deepEqual(definition, copy);
    assert.deepEqual(request.body, { number: '1', array: '[1]' });
  });
});

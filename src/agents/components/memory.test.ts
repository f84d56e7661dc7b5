/**
 * MemoryWriteKeyVal / ReadKeyVal / DeleteKeyVal over an in-memory fake AgentMemory with a controllable clock:
 * templated keys and values, SmythOS's scopes (`request` per run, `ttl`, shared 3-hour default), misses as
 * `_warning: 'key not found'`.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentMemory, ComponentContext, ComponentData } from '../engine/component.ts';
import { runOnSre, sreUnavailable } from '../../../test/helpers/sre-oracle.ts';
import { DEFAULT_MEMORY_TTL_S, memoryDeleteKeyVal, memoryKeyConfig, memoryReadKeyVal, memoryWriteConfig, memoryWriteKeyVal } from './memory.ts';

/** A Map-backed AgentMemory; `now` is advanced by the tests to expire entries. */
function fakeMemory() {
  const clock = { now: 0 };
  const entries = new Map<string, { value: unknown; expiresAt?: number }>();
  const writes: Array<{ memoryName: string; key: string; ttlS?: number }> = [];
  const id = (m: string, k: string) => JSON.stringify([m, k]);
  const memory: AgentMemory = {
    async read(memoryName, key) {
      const entry = entries.get(id(memoryName, key));
      if (!entry || (entry.expiresAt !== undefined && entry.expiresAt <= clock.now)) return undefined;
      // Values go through JSON, as the persisted store keeps them.
      return JSON.parse(JSON.stringify(entry.value)) as unknown;
    },
    async write(memoryName, key, value, ttlS) {
      writes.push({ memoryName, key, ttlS });
      entries.set(id(memoryName, key), { value, expiresAt: ttlS === undefined ? undefined : clock.now + ttlS * 1000 });
    },
    async delete(memoryName, key) {
      entries.delete(id(memoryName, key));
    },
  };
  return { memory, clock, entries, writes };
}

const context = (memory: AgentMemory, runId = 'run-1'): ComponentContext => ({
  agentId: 'a',
  runId,
  variables: {},
  signal: new AbortController().signal,
  log() {},
  memory,
  http: { allowPrivateNetwork: false, timeoutMs: 1000 },
  generate: async () => '',
});

const component = (name: string, data: Record<string, unknown>): ComponentData => ({
  id: name,
  name,
  title: name,
  data,
  inputs: [{ name: 'Key' }, { name: 'Value' }],
  outputs: [{ name: name === 'MemoryReadKeyVal' ? 'Value' : 'Key', default: true }],
});

const write = (ctx: ComponentContext, data: Record<string, unknown>, input: Record<string, unknown>) =>
  memoryWriteKeyVal.process(input, component('MemoryWriteKeyVal', { memoryName: 'm', key: '{{Key}}', value: '{{Value}}', ...data }), ctx);
const read = (ctx: ComponentContext, input: Record<string, unknown>, data: Record<string, unknown> = {}) =>
  memoryReadKeyVal.process(input, component('MemoryReadKeyVal', { memoryName: 'm', key: '{{Key}}', ...data }), ctx);
const remove = (ctx: ComponentContext, input: Record<string, unknown>) =>
  memoryDeleteKeyVal.process(input, component('MemoryDeleteKeyVal', { memoryName: 'm', key: '{{Key}}' }), ctx);

test('write then read: the key and value are templates; objects are stored as JSON text (SmythOS\'s own answer)', async () => {
  const { memory, writes } = fakeMemory();
  const ctx = context(memory);
  assert.deepEqual(await write(ctx, {}, { Key: 'k1', Value: { message: 'k1' } }), { Key: 'k1' });
  assert.deepEqual(await read(ctx, { Key: 'k1' }), { Value: '{"message":"k1"}' });
  assert.deepEqual(writes, [{ memoryName: 'm', key: 'k1', ttlS: DEFAULT_MEMORY_TTL_S }]);
  await write(ctx, { key: 'user-{{Key}}', value: 'said "{{Value}}"' }, { Key: 7, Value: 'hi "there"' });
  assert.deepEqual(await read(ctx, { Key: 7 }, { key: 'user-{{Key}}' }), { Value: 'said "hi \\"there\\""' });
});

let sreMissing: string | undefined;
before(async () => {
  sreMissing = await sreUnavailable();
});

test('SmythOS gives the same answer for an endpoint that writes its body under body.message and reads it back', async (t) => {
  const { memory } = fakeMemory();
  const ctx = context(memory);
  const written = await write(ctx, {}, { Key: 'k1', Value: { message: 'k1' } });
  const ours = await read(ctx, { Key: written.Key });
  if (sreMissing) return t.skip(sreMissing);
  const endpoint = {
    id: 'EP', name: 'APIEndpoint', title: 'EP', data: { endpoint: 'go', method: 'POST' },
    inputs: [{ name: 'message', type: 'Any', optional: false, index: 0 }],
    outputs: [{ name: 'headers', index: 0, default: true }, { name: 'body', index: 1, default: true }, { name: 'query', index: 2, default: true }, { name: 'body.message', index: 3 }],
  };
  const w = { ...component('MemoryWriteKeyVal', { memoryName: 'm', key: '{{Key}}', value: '{{Value}}', scope: 'request' }), id: 'W' };
  const r = { ...component('MemoryReadKeyVal', { memoryName: 'm', key: '{{Key}}' }), id: 'R', inputs: [{ name: 'Key' }] };
  const connections = [
    { sourceId: 'EP', sourceIndex: 3, targetId: 'W', targetIndex: 0 },
    { sourceId: 'EP', sourceIndex: 1, targetId: 'W', targetIndex: 1 },
    { sourceId: 'W', sourceIndex: 0, targetId: 'R', targetIndex: 0 },
  ];
  const agent = { version: '1.0.0', id: 'agent-mem', name: 'mem', teamId: 't', variables: {}, components: [endpoint, w, r], connections };
  const answer = await runOnSre(agent, { method: 'POST', path: '/api/go', body: { message: 'k1' } }, { fast: true });
  assert.deepEqual(answer.data, { id: 'R', name: 'MemoryReadKeyVal', result: ours });
});

test('a missing key, another memory name, an expired entry: _warning "key not found" and no Value', async () => {
  const { memory, clock } = fakeMemory();
  const ctx = context(memory);
  assert.deepEqual(await read(ctx, { Key: 'nope' }), { _warning: 'key not found' });
  await write(ctx, {}, { Key: 'k', Value: 'v' });
  assert.deepEqual(await read(ctx, { Key: 'k' }, { memoryName: 'other' }), { _warning: 'key not found' });
  clock.now = DEFAULT_MEMORY_TTL_S * 1000 - 1;
  assert.deepEqual(await read(ctx, { Key: 'k' }), { Value: 'v' });
  clock.now = DEFAULT_MEMORY_TTL_S * 1000;
  assert.deepEqual(await read(ctx, { Key: 'k' }), { _warning: 'key not found' });
});

test('scopes: request and session are this run\'s only; ttl uses data.ttl (none when unset); others are shared', async () => {
  const { memory, writes, clock } = fakeMemory();
  const mine = context(memory, 'run-1');
  const theirs = context(memory, 'run-2');
  for (const scope of ['request', 'session']) {
    await write(mine, { scope }, { Key: scope, Value: 'v' });
    assert.deepEqual(await read(mine, { Key: scope }), { Value: 'v' }, scope);
    assert.deepEqual(await read(theirs, { Key: scope }), { _warning: 'key not found' }, scope);
    assert.deepEqual(await remove(theirs, { Key: scope }), { _warning: 'key not found' }, `${scope}: another run cannot delete it`);
  }
  await write(mine, { scope: 'ttl', ttl: '600' }, { Key: 't', Value: 'v' });
  await write(mine, { scope: 'ttl' }, { Key: 'forever', Value: 'v' });
  await write(mine, { scope: 'Session' }, { Key: 'shared', Value: 'v' });
  assert.deepEqual(writes.slice(2).map((w) => w.ttlS), [600, undefined, DEFAULT_MEMORY_TTL_S]);
  assert.deepEqual(await read(theirs, { Key: 't' }), { Value: 'v' });
  assert.deepEqual(await read(theirs, { Key: 'shared' }), { Value: 'v' });
  clock.now = 600_000;
  assert.deepEqual(await read(theirs, { Key: 't' }), { _warning: 'key not found' });
  assert.deepEqual(await read(theirs, { Key: 'forever' }), { Value: 'v' });
});

test('delete: {Key, deleted: true}, then the key reads as missing; deleting a missing key warns', async () => {
  const { memory } = fakeMemory();
  const ctx = context(memory);
  await write(ctx, {}, { Key: 'k', Value: 'v' });
  assert.deepEqual(await remove(ctx, { Key: 'k' }), { Key: 'k', deleted: true });
  assert.deepEqual(await read(ctx, { Key: 'k' }), { _warning: 'key not found' });
  assert.deepEqual(await remove(ctx, { Key: 'k' }), { _warning: 'key not found' });
});

test('memory components are ordinary components, as in SmythOS (neither always-active nor exclusive)', () => {
  for (const type of [memoryWriteKeyVal, memoryReadKeyVal, memoryDeleteKeyVal]) {
    assert.equal(type.alwaysActive, undefined, type.name);
    assert.equal(type.exclusive, undefined, type.name);
  }
});

test('config schemas: SmythOS\'s limits (ttl 300-604800 or empty, names up to 255)', () => {
  assert.ok(memoryWriteConfig.safeParse({ memoryName: 'm', key: '{{Key}}', value: '{{Value}}', scope: 'ttl', ttl: '300' }).success);
  assert.ok(memoryWriteConfig.safeParse({ memoryName: '', key: '', value: '', scope: '', ttl: '' }).success);
  assert.ok(!memoryWriteConfig.safeParse({ ttl: 299 }).success);
  assert.ok(!memoryWriteConfig.safeParse({ scope: 'x'.repeat(21) }).success);
  assert.ok(memoryKeyConfig.safeParse({ memoryName: 'm', key: 'k' }).success);
  assert.ok(!memoryKeyConfig.safeParse({ memoryName: 'm'.repeat(256) }).success);
});

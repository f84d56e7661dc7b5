import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, createVerify } from 'node:crypto';
import type { ComponentContext, ComponentData } from '../engine/component.ts';
import { fHash } from './fhash.ts';
import { fEncDec } from './fencdec.ts';
import { fSign } from './fsign.ts';
import { fTimestamp, fTimestampConfig } from './ftimestamp.ts';
import { fSleep, sleepDelayMs } from './fsleep.ts';
import { jsonFilter, filterFields } from './json-filter.ts';

function component(name: string, data: Record<string, unknown>, inputs: string[] = []): ComponentData {
  return { id: 'C1', name, title: name, data, inputs: inputs.map((n) => ({ name: n })), outputs: [] };
}

function context(signal: AbortSignal = new AbortController().signal): ComponentContext {
  return {
    agentId: 'a', runId: 'r', variables: {}, signal, log() {},
    memory: { read: async () => undefined, write: async () => {}, delete: async () => {} },
    http: { allowPrivateNetwork: false, timeoutMs: 1000 },
    generate: async () => '',
  };
}

test('FHash md5/hex of "hello world" is SmythOS\'s answer', async () => {
  const out = await fHash.process({ Data: 'hello world' }, component('FHash', { algorithm: 'md5', encoding: 'hex' }), context());
  assert.deepEqual(out, { Hash: '5eb63bbbe01eeed093cb22bb8f5acdc3' });
});

test('FHash with an unknown algorithm throws Node\'s message', async () => {
  assert.throws(() => fHash.process({ Data: 'x' }, component('FHash', { algorithm: 'nope', encoding: 'hex' }), context()), /Digest method not supported/);
});

test('FEncDec hex encodes "hello" and decodes it back', async () => {
  const enc = await fEncDec.process({ Data: 'hello' }, component('FEncDec', { action: 'Encode', encoding: 'hex' }), context());
  assert.deepEqual(enc, { Output: '68656c6c6f' });
  const dec = await fEncDec.process({ Data: '68656c6c6f' }, component('FEncDec', { action: 'Decode', encoding: 'hex' }), context());
  assert.deepEqual(dec, { Output: 'hello' });
  const b64 = await fEncDec.process({ Data: 'hello' }, component('FEncDec', { encoding: 'base64' }), context());
  assert.deepEqual(b64, { Output: 'aGVsbG8=' }, 'Encode is the default action');
});

test('FSign HMAC md5/hex by default, key from the Key input or the templated key setting', async () => {
  const expected = createHmac('md5', 'k').update('hello').digest('hex');
  assert.deepEqual(await fSign.process({ Data: 'hello', Key: 'k' }, component('FSign', {}), context()), { Signature: expected });
  assert.deepEqual(await fSign.process({ Data: 'hello', secret: 'k' }, component('FSign', { key: '{{secret}}' }), context()), { Signature: expected });
  const sha = createHmac('sha256', 'k').update('{"a":1}').digest('base64');
  const out = await fSign.process({ Data: { a: 1 }, Key: 'k' }, component('FSign', { hashType: 'sha256', encoding: 'base64', dataTransform: 'Stringify' }), context());
  assert.deepEqual(out, { Signature: sha });
});

test('FSign with an array key fails with Node\'s own message (the fixture\'s /api/sign answer)', async () => {
  assert.throws(
    () => fSign.process({ Key: ['hello', 'k'] }, component('FSign', { signMethod: 'HMAC', hashType: 'md5', encoding: 'hex' }), context()),
    (err: Error) => /^The "key" argument must be of type string or .* Received an instance of Array$/.test(err.message),
  );
});

test('FSign RSA signs with a PEM private key; an unknown sign method answers null', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const out = await fSign.process({ Data: 'hello', Key: pem }, component('FSign', { signMethod: 'RSA', hashType: 'sha256', encoding: 'base64' }), context());
  const ok = createVerify('RSA-SHA256').update('hello').verify(publicKey, out.Signature as string, 'base64');
  assert.equal(ok, true);
  assert.deepEqual(await fSign.process({ Data: 'x', Key: 'k' }, component('FSign', { signMethod: 'DSA' }), context()), { Signature: null });
});

test('FTimestamp: unix ms by default, iso, custom dayjs formats, and SmythOS\'s format check', async () => {
  const before = Date.now();
  const out = await fTimestamp.process({}, component('FTimestamp', {}), context());
  assert.equal(typeof out.Timestamp, 'number');
  assert.ok((out.Timestamp as number) >= before && (out.Timestamp as number) <= Date.now());
  const iso = await fTimestamp.process({}, component('FTimestamp', { format: 'iso' }), context());
  assert.match(iso.Timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const custom = await fTimestamp.process({}, component('FTimestamp', { format: 'YYYY/MM/DD' }), context());
  assert.match(custom.Timestamp as string, /^\d{4}\/\d\d\/\d\d$/);
  const bad = fTimestampConfig.safeParse({ format: 'YYYY<script>' });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /^Invalid format string: YYYY<script>$/);
  assert.equal(fTimestampConfig.safeParse({ format: null }).success, true);
});

test('FSleep computes SmythOS\'s delay: whole seconds, default 1 s', () => {
  assert.equal(sleepDelayMs(undefined), 1000);
  assert.equal(sleepDelayMs(0), 1000);
  assert.equal(sleepDelayMs('2.9'), 2000);
  assert.equal(sleepDelayMs('abc'), 0);
  assert.equal(sleepDelayMs(-3), 0);
  assert.equal(sleepDelayMs(1e9), 2 ** 31 - 1);
});

test('FSleep passes Input on after the delay, and a cancelled run does not wait it out', async () => {
  const done = await fSleep.process({ Input: { a: 1 } }, component('FSleep', { delay: 'x' }), context());
  assert.deepEqual(done, { Output: { a: 1 } });
  const ac = new AbortController();
  const started = Date.now();
  const pending = fSleep.process({ Input: 1 }, component('FSleep', { delay: 10 }), context(ac.signal));
  ac.abort(new Error('run cancelled'));
  await assert.rejects(Promise.resolve(pending), /run cancelled/);
  assert.ok(Date.now() - started < 1000);
  await assert.rejects(Promise.resolve(fSleep.process({ Input: 1 }, component('FSleep', { delay: 10 }), context(ac.signal))), /run cancelled/);
});

test('JSONFilter keeps listed keys at every depth and across arrays; _error is null on success', async () => {
  const value = { a: 1, b: { a: 2, c: 3 }, list: [{ a: 4, d: 5 }, 6], c: 7 };
  const out = await jsonFilter.process({ Input: value }, component('JSONFilter', { fields: 'a, b ,list' }), context());
  assert.deepEqual(out, { Output: { a: 1, b: { a: 2 }, list: [{ a: 4 }, 6] }, _error: null });
  assert.ok(Object.hasOwn(out, '_error'), 'the error output carries null, so a wired error branch fires (research §13)');
  assert.deepEqual(filterFields('plain', undefined), 'plain');
  const logged: string[] = [];
  const failed = await jsonFilter.process({ Input: { a: 1 } }, component('JSONFilter', {}), { ...context(), log: (_level, message) => logged.push(message) });
  assert.deepEqual(failed.Output, {});
  assert.ok(failed._error instanceof TypeError);
  assert.equal(JSON.stringify(failed), '{"Output":{},"_error":{}}', 'what SmythOS answers');
  assert.match(logged[0]!, /^JSONFilter: .*includes/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUsername, userIdOf, LOCALPART_RULE } from './localpart.ts';

test('accepts the Matrix localpart grammar and full ids on this server', () => {
  assert.deepEqual(parseUsername('alice', 'localhost'), { ok: true, localpart: 'alice' });
  assert.deepEqual(parseUsername('a.b_c=d-e/f+g9', 'localhost'), { ok: true, localpart: 'a.b_c=d-e/f+g9' });
  assert.deepEqual(parseUsername('@bob:example.org', 'example.org'), { ok: true, localpart: 'bob' });
  assert.equal(userIdOf('bob', 'example.org'), '@bob:example.org');
});

test('rejects uppercase, spaces, other servers, empty and over-long ids with the rule', () => {
  assert.deepEqual(parseUsername('Alice', 'localhost'), { ok: false, reason: LOCALPART_RULE });
  assert.deepEqual(parseUsername('al ice', 'localhost'), { ok: false, reason: LOCALPART_RULE });
  assert.equal(parseUsername('@bob:other', 'localhost').ok, false);
  assert.equal(parseUsername('   ', 'localhost').ok, false);
  assert.equal(parseUsername('a'.repeat(260), 'localhost').ok, false);
});

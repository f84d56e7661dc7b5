import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MissingArgError, resolveConnectOptions, triggerRegexOf } from './options.ts';

test('required args, in the original order, with the original message', () => {
  assert.throws(() => resolveConnectOptions({}, {}), (e: unknown) => e instanceof MissingArgError && e.message === 'missing required arg: base-url');
  assert.throws(() => resolveConnectOptions({ baseUrl: 'http://x' }, {}), /missing required arg: token/);
  assert.throws(() => resolveConnectOptions({ baseUrl: 'http://x', token: 't' }, {}), /missing required arg: openai-key/);
  assert.doesNotThrow(() => resolveConnectOptions({ baseUrl: 'http://x', token: 't', model: 'echo' }, {}));
});

test('defaults, minimums, env fallback and flag precedence', () => {
  const o = resolveConnectOptions({ baseUrl: 'http://x/', token: 't' }, { OPENAI_API_KEY: 'k', KOZMOS_POLL_SECONDS: '1', KOZMOS_FEED_LIMIT: '500' });
  assert.equal(o.baseUrl, 'http://x');
  assert.equal(o.heartbeatSeconds, 25);
  assert.equal(o.pollSeconds, 2);
  assert.equal(o.feedLimit, 100);
  assert.equal(o.lookbackSeconds, 120);
  assert.equal(o.openaiModel, 'gpt-4.1-mini');
  assert.equal(o.triggerName, 'runtime');
  assert.equal(o.replyAll, false);
  assert.equal(o.answerOwner, false, 'never answering its own account is the default');
  const f = resolveConnectOptions({ baseUrl: 'http://x', token: 't', heartbeatSeconds: '3', replyAll: true, username: 'ann' }, { OPENAI_API_KEY: 'k', KOZMOS_HEARTBEAT_SECONDS: '60' });
  assert.equal(f.heartbeatSeconds, 10, 'flag wins, then the minimum applies');
  assert.equal(f.replyAll, true);
  assert.equal(f.triggerName, 'ann');
  assert.equal(resolveConnectOptions({ baseUrl: 'x', token: 't', heartbeatSeconds: 'abc' }, { OPENAI_API_KEY: 'k' }).heartbeatSeconds, 25);
  assert.equal(resolveConnectOptions({ baseUrl: 'x', token: 't', answerOwner: true }, { OPENAI_API_KEY: 'k' }).answerOwner, true);
  assert.equal(resolveConnectOptions({ baseUrl: 'x', token: 't' }, { OPENAI_API_KEY: 'k', KOZMOS_ANSWER_OWNER: 'true' }).answerOwner, true);
});

test('the default trigger matches whole whitespace-delimited words only', () => {
  const re = triggerRegexOf({ triggerName: 'ann', triggerRegex: '' });
  for (const yes of ['hey ann', '@ann hi', 'hey bot', 'AI please', 'ann']) assert.ok(re.test(yes), yes);
  for (const no of ['bot?', '@ann,', 'robot', 'annabel', 'said']) assert.ok(!re.test(no), no);
  assert.ok(triggerRegexOf({ triggerName: 'x', triggerRegex: '^!ask' }).test('!ASK me'));
});

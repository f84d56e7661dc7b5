import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MissingArgError, resolveConnectOptions, triggerRegexOf } from './options.ts';
import { defaultStateFile } from './state.ts';

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

test('the default trigger: the name, @name, ai or bot as whole words, punctuation counting as a boundary', () => {
  const re = triggerRegexOf({ triggerName: 'alice', triggerRegex: '' });
  const yes = ['hey alice, are you there?', 'alice?', '(alice)', 'alice', '@alice hi', 'hi @alice!', '"alice"', 'ALICE.', 'alice…', '¿alice?', 'hey bot', 'bot?', 'AI please', 'ai, help', 'hi\nalice'];
  for (const text of yes) assert.ok(re.test(text), `should trigger: ${JSON.stringify(text)}`);
  const no = ['malice', 'alice2', 'alices', 'robot', 'said', 'bottle', 'naive', 'aliceé', 'åalice', 'hello everyone'];
  for (const text of no) assert.ok(!re.test(text), `should not trigger: ${JSON.stringify(text)}`);
});

test('the default trigger is Unicode-aware and escapes the name', () => {
  const zoe = triggerRegexOf({ triggerName: 'Zoë', triggerRegex: '' });
  assert.ok(zoe.test('ZOË, bist du da?'), 'case folding beyond ASCII');
  assert.ok(!zoe.test('zoëy'), 'a letter after the name is not a boundary');
  const dotted = triggerRegexOf({ triggerName: 'a.b', triggerRegex: '' });
  assert.ok(dotted.test('hi a.b!'));
  assert.ok(!dotted.test('hi axb'), 'the name is literal, not a pattern');
  assert.ok(triggerRegexOf({ triggerName: '日本', triggerRegex: '' }).test('「日本」さん'));
  assert.ok(!triggerRegexOf({ triggerName: '日本', triggerRegex: '' }).test('日本語'));
});

test('--trigger-regex keeps exact control (case-insensitive, nothing added)', () => {
  const re = triggerRegexOf({ triggerName: 'alice', triggerRegex: '^!ask' });
  assert.ok(re.test('!ASK me'));
  assert.ok(!re.test('hey alice?'), 'the name no longer triggers');
  assert.throws(() => triggerRegexOf({ triggerName: 'x', triggerRegex: '(' }), SyntaxError);
});

test('the state file defaults to the state directory, not the working directory', () => {
  const o = (env: NodeJS.ProcessEnv, flags: Record<string, string> = {}) =>
    resolveConnectOptions({ baseUrl: 'http://x', token: 'kzrt_abc', model: 'echo', ...flags }, env, '/home/ann').stateFile;
  const name = /^connect-[0-9a-f]{12}\.json$/;
  const home = o({});
  assert.equal(path.dirname(home), '/home/ann/.local/state/orrery');
  assert.match(path.basename(home), name);
  assert.equal(path.dirname(o({ XDG_STATE_HOME: '/xdg/state' })), '/xdg/state/orrery');
  assert.equal(path.dirname(o({ XDG_STATE_HOME: 'relative/state' })), '/home/ann/.local/state/orrery', 'a relative XDG_STATE_HOME is ignored');
  assert.equal(path.dirname(o({ ORRERY_STATE_DIR: '/srv/bot', XDG_STATE_HOME: '/xdg/state' })), '/srv/bot', 'ORRERY_STATE_DIR wins');
  assert.equal(o({ KOZMOS_STATE_FILE: '/tmp/k.json' }), '/tmp/k.json');
  assert.equal(o({ ORRERY_STATE_DIR: '/srv/bot' }, { stateFile: '/tmp/f.json' }), '/tmp/f.json', '--state-file wins over everything');
  assert.equal(path.basename(home), path.basename(o({ XDG_STATE_HOME: '/xdg/state' })), 'one name per token');
  assert.notEqual(home, resolveConnectOptions({ baseUrl: 'http://x', token: 'kzrt_other', model: 'echo' }, {}, '/home/ann').stateFile);
  assert.ok(!home.includes('kzrt_abc'), 'the token itself never appears');
  assert.equal(defaultStateFile('kzrt_abc', {}, '/home/ann'), home);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { botRunnerOptions, BotRunnerOptionsError, categoryLoggers, parseLogLevels } from './options.ts';

test('bot-runner options: the seed defaults', () => {
  const o = botRunnerOptions({});
  assert.equal(o.matrixUrl, 'http://localhost:8008');
  assert.equal(o.username, 'bot-runner');
  assert.equal(o.password, 'password');
  assert.equal(o.logLevels.default, 'info');
  assert.equal(o.sentryDsn, undefined);
  assert.equal(o.sentryEnvironment, 'development');
});

test('bot-runner options: production refuses a missing or default password', () => {
  assert.throws(() => botRunnerOptions({ NODE_ENV: 'production' }), BotRunnerOptionsError);
  assert.throws(() => botRunnerOptions({ NODE_ENV: 'production', BOT_RUNNER_PASSWORD: 'password' }), /development default/);
  assert.equal(botRunnerOptions({ NODE_ENV: 'production', BOT_RUNNER_PASSWORD: 's3cret-long' }).password, 's3cret-long');
});

test('bot-runner options: MATRIX_URL must be http(s)', () => {
  assert.throws(() => botRunnerOptions({ MATRIX_URL: 'ftp://x' }), /http/);
  assert.throws(() => botRunnerOptions({ MATRIX_URL: 'not a url' }), /not a URL/);
  assert.equal(botRunnerOptions({ MATRIX_URL: 'http://h:1/' }).matrixUrl, 'http://h:1');
});

test('LOG_LEVELS: a default and per-category levels; a bad pair is named', () => {
  const l = parseLogLevels('*=warn, bot-runner=debug,queue=debug');
  assert.equal(l.default, 'warn');
  assert.equal(l.categories.get('bot-runner'), 'debug');
  assert.throws(() => parseLogLevels('bot-runner=loud'), /bot-runner=loud/);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
  const logger = categoryLoggers(l, sink);
  logger('bot-runner').debug('shown');
  logger('queue').info('shown too');
  logger('other').info('hidden');
  logger('other').warn('shown at warn');
  assert.deepEqual(lines.map((x) => (JSON.parse(x) as { msg: string }).msg), ['shown', 'shown too', 'shown at warn']);
});

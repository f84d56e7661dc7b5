/**
 * End to end: a real Orrery and a real `orrery connect` process (echo model) talking over HTTP.
 * Nothing waits on time: "the bot did not answer" is asserted once its state file's cursor has moved
 * past the message (the cursor moves only after a message is handled).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser, type LinkedUser } from '../runtime/helpers.ts';
import { waitForCursorPast } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const started: Bot[] = [];
process.once('exit', () => started.forEach((b) => b.child.kill('SIGKILL')));

interface Bot {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * The bot runs in this very process (`node --import tsx`, not the tsx CLI, which would put a second
 * process in between): SIGKILL in `after` must reach it, or an orphan keeps our pipes open and the
 * test run never exits after a failure. `entry` is the connect command alone (bot-process.ts, fast to
 * start) unless a test asks for the whole `orrery` CLI.
 */
function startBot(s: TestServer, token: string, stateFile: string, extra: string[] = [], entry: 'bot' | 'cli' = 'bot'): Bot {
  const program = entry === 'cli' ? [path.join(ROOT, 'src/cli/main.ts'), 'connect'] : [path.join(ROOT, 'test/connect/bot-process.ts')];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...program,
      '--base-url', s.url, '--token', token, '--trigger-name', 'botowner', '--model', 'echo', '--state-file', stateFile, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENAI_API_KEY: '' } },
  );
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const bot = { child, lines, exited };
  started.push(bot);
  return bot;
}

/** Wait for a log line of `bot` matching `re` (the timeout message carries the whole log). */
const waitForLine = (bot: Bot, re: RegExp, timeoutMs = 20_000) =>
  waitFor(() => bot.lines.find((l) => re.test(l)), { timeoutMs, what: `${re}\n${bot.lines.join('\n')}` });

/** Post as a user, waiting out the user's own cooldown (a 429 stores nothing); returns the new id. */
async function post(user: Client, content: string): Promise<number> {
  const res = await waitFor(
    async () => {
      const r = await user.post('/api/runtime/shared', { content });
      return r.status !== 429 && r;
    },
    { what: `posting ${JSON.stringify(content)}`, intervalMs: 50 },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id as number;
}

describe('orrery connect end to end (echo model)', () => {
  let s: TestServer;
  let owner: LinkedUser;
  let alice: Client;
  let bob: Client;
  const stateFile = path.join(mkdtempSync(path.join(tmpdir(), 'orrery-connect-')), 'state.json');
  const replies = async () =>
    (await alice.get('/api/runtime/feed?limit=100')).body.messages.filter((m: { username: string }) => m.username === 'botowner');

  before(async () => {
    // A short cooldown: the bot still meets a real 429 (and waits its retry_after_ms), but briefly.
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '300' });
    owner = await linkedUser(s, 'botowner');
    alice = new Client(s.url);
    await alice.register('alice');
    bob = new Client(s.url);
    await bob.register('bob');
    await owner.bot.req('DELETE', '/api/runtime/presence');
  });
  after(async () => {
    for (const b of started) b.child.kill('SIGKILL');
    await s.close();
  });

  test('presence, one reply per trigger, none for others or itself, 429 retried, SIGTERM clears presence, restart resumes', async () => {
    let bot = startBot(s, owner.token, stateFile, [], 'cli');
    await waitFor(async () => (await alice.get('/api/runtime/presence')).body.users.some((u: { username: string }) => u.username === 'botowner'), {
      timeoutMs: 20_000,
      what: 'presence',
    });
    await waitForLine(bot, /stream connected/);

    // Two triggers at once (from two people, so neither waits for a cooldown of their own): the
    // second reply meets the bot's cooldown (429) and is retried, not dropped.
    await Promise.all([post(bob, 'hey botowner, are you there?'), post(alice, '@botowner first')]);
    await waitFor(async () => (await replies()).length >= 2, { what: `two replies\n${bot.lines.join('\n')}` });
    await waitForLine(bot, /post retry in \d+ ms: rate limited/);
    await post(alice, 'hello everyone');
    await post(bob, 'bot second');
    await waitFor(async () => (await replies()).length >= 3, { what: 'a third reply' });
    const all = await replies();
    await waitForCursorPast(stateFile, Math.max(...all.map((m: { id: number }) => m.id)));
    assert.deepEqual(
      (await replies()).map((m: { content: string }) => m.content).sort(),
      ['alice: echo: @botowner first', 'bob: echo: bot second', 'bob: echo: hey botowner, are you there?'],
      'exactly one reply per trigger, none to "hello everyone", none to its own replies',
    );
    await waitForLine(bot, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] replied to bob$/);

    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0);
    assert.ok(bot.lines.some((l) => /SIGTERM received, clearing presence\.\.\./.test(l)));
    assert.ok(bot.lines.some((l) => /presence cleared/.test(l)));
    assert.ok(!(await alice.get('/api/runtime/presence')).body.users.some((u: { username: string }) => u.username === 'botowner'));

    // While it is down, a trigger arrives; after a restart it is answered once and nothing old is re-answered.
    await post(alice, 'botowner missed me?');
    bot = startBot(s, owner.token, stateFile);
    await waitFor(async () => (await replies()).length >= 4, { timeoutMs: 20_000, what: `the missed trigger answered\n${bot.lines.join('\n')}` });
    const after = await replies();
    await waitForCursorPast(stateFile, after[after.length - 1].id);
    assert.equal((await replies()).length, 4);
    assert.equal(after[3].content, 'alice: echo: botowner missed me?');
    bot.child.kill('SIGINT');
    assert.equal(await bot.exited, 0);
  });

  test('its own account is never answered by default; with --answer-owner the owner talks to it from the web, and its bots are still never answered', async () => {
    const solo = await linkedUser(s, 'solo');
    // A second runtime token of the same account: a sibling bot.
    const invite = await solo.web.post('/api/runtime/invite/create', {});
    const sibling = new Client(s.url);
    sibling.bearer = (await solo.web.post('/api/runtime/invite/claim', { code: invite.body.code })).body.token;
    const soloState = path.join(mkdtempSync(path.join(tmpdir(), 'orrery-connect-')), 'state.json');
    const soloReplies = async () =>
      (await alice.get('/api/runtime/feed?limit=100')).body.messages.filter((m: { content: string }) => /^solo: echo:/.test(m.content));

    let bot = startBot(s, solo.token, soloState, ['--trigger-name', 'solo']);
    await waitForLine(bot, /stream connected/);
    assert.ok(bot.lines.some((l) => /answer-owner=false/.test(l)), bot.lines.join('\n'));
    const ownPost = await post(solo.web, 'can you hear me solo');
    await waitForCursorPast(soloState, ownPost);
    assert.equal((await soloReplies()).length, 0, 'the default never answers its own account');
    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0);

    bot = startBot(s, solo.token, soloState, ['--trigger-name', 'solo', '--answer-owner']);
    await waitForLine(bot, /stream connected/);
    assert.ok(bot.lines.some((l) => /answer-owner=true/.test(l)), bot.lines.join('\n'));
    await post(solo.web, 'hey solo it is me');
    const replied = await waitFor(async () => ((await soloReplies()).length >= 1 ? await soloReplies() : false), {
      what: `the reply to its owner\n${bot.lines.join('\n')}`,
    });
    assert.equal(replied[0].content, 'solo: echo: hey solo it is me');
    // The sibling bot's post names the trigger too; like the bot's own reply, it is not heard. The
    // server leaves it out of the stream, so the cursor moving past a later post proves it went by.
    await post(sibling, 'solo sibling bot here');
    await waitForCursorPast(soloState, await post(alice, 'a later, ordinary post'));
    assert.equal((await soloReplies()).length, 1, 'one reply: the old message stays handled, no bot post is answered');
    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0);
  });

  test('missing required args → fatal line and exit 1; a revoked token → token unauthorized, exit 1', async () => {
    const missing = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/connect/bot-process.ts'), '--token', 'x'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KOZMOS_BASE_URL: '', OPENAI_API_KEY: '' },
    });
    let err = '';
    missing.stderr!.on('data', (d) => (err += d));
    assert.equal(await new Promise((r) => missing.once('close', r)), 1);
    assert.match(err, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] fatal: missing required arg: base-url/);

    const revoked = await linkedUser(s, 'revoked');
    await revoked.web.req('DELETE', `/api/runtime/tokens/${(await revoked.web.get('/api/runtime/tokens')).body.tokens[0].id}`);
    const bot = startBot(s, revoked.token, path.join(tmpdir(), `orrery-revoked-${Date.now()}.json`));
    assert.equal(await bot.exited, 1);
    assert.ok(bot.lines.some((l) => /token unauthorized, exiting\./.test(l)), bot.lines.join('\n'));
  });
});

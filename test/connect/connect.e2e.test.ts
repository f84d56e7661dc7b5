/**
 * End to end: a real Orrery and a real `orrery connect` process (echo model) talking over HTTP.
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
import { linkedUser, type LinkedUser } from '../runtime/helpers.ts';

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
 * test run never exits after a failure.
 */
function startBot(s: TestServer, token: string, stateFile: string, extra: string[] = []): Bot {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'connect',
      '--base-url', s.url, '--token', token, '--trigger-name', 'botowner', '--model', 'echo', '--state-file', stateFile, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENAI_API_KEY: '' } },
  );
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const bot = { child, lines, exited };
  started.push(bot);
  return bot;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
    s = await startTestServer();
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
    let bot = startBot(s, owner.token, stateFile);
    await until('presence', async () => (await alice.get('/api/runtime/presence')).body.users.some((u: { username: string }) => u.username === 'botowner'));
    await until('stream', async () => bot.lines.some((l) => /stream connected/.test(l)));

    assert.equal((await alice.post('/api/runtime/shared', { content: 'hello everyone' })).status, 200);
    assert.equal((await bob.post('/api/runtime/shared', { content: 'hey botowner are you there?' })).status, 200);
    const first = await until('a reply', async () => ((await replies()).length >= 1 ? await replies() : false)).catch((e) => {
      throw new Error(`${e.message}\n${bot.lines.join('\n')}`);
    });
    assert.equal(first[0].content, 'bob: echo: hey botowner are you there?');

    // Two triggers at once: the second reply meets the bot's 1.5 s cooldown (429) and is retried, not dropped.
    await new Promise((r) => setTimeout(r, 1600));
    await Promise.all([alice.post('/api/runtime/shared', { content: '@botowner first' }), bob.post('/api/runtime/shared', { content: 'bot second' })]);
    await until('two more replies', async () => (await replies()).length >= 3);
    assert.ok(bot.lines.some((l) => /post retry in \d+ ms: rate limited/.test(l)), bot.lines.join('\n'));
    await new Promise((r) => setTimeout(r, 1000));
    const all = await replies();
    assert.equal(all.length, 3, 'exactly one reply per trigger, none to "hello everyone", none to its own replies');
    assert.ok(bot.lines.some((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] replied to bob$/.test(l)));

    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0);
    assert.ok(bot.lines.some((l) => /SIGTERM received, clearing presence\.\.\./.test(l)));
    assert.ok(bot.lines.some((l) => /presence cleared/.test(l)));
    assert.ok(!(await alice.get('/api/runtime/presence')).body.users.some((u: { username: string }) => u.username === 'botowner'));

    // While it is down, a trigger arrives; after a restart it is answered once and nothing old is re-answered.
    await new Promise((r) => setTimeout(r, 1600));
    await alice.post('/api/runtime/shared', { content: 'botowner missed me?' });
    bot = startBot(s, owner.token, stateFile);
    await until('the missed trigger answered', async () => (await replies()).length >= 4);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await replies();
    assert.equal(after.length, 4);
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
    await until('stream', async () => bot.lines.some((l) => /stream connected/.test(l)));
    assert.ok(bot.lines.some((l) => /answer-owner=false/.test(l)), bot.lines.join('\n'));
    assert.equal((await solo.web.post('/api/runtime/shared', { content: 'can you hear me solo' })).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await soloReplies()).length, 0, 'the default never answers its own account');
    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0);

    bot = startBot(s, solo.token, soloState, ['--trigger-name', 'solo', '--answer-owner']);
    await until('stream', async () => bot.lines.some((l) => /stream connected/.test(l)));
    assert.ok(bot.lines.some((l) => /answer-owner=true/.test(l)), bot.lines.join('\n'));
    assert.equal((await solo.web.post('/api/runtime/shared', { content: 'hey solo it is me' })).status, 200);
    const replied = await until('the reply to its owner', async () => ((await soloReplies()).length >= 1 ? await soloReplies() : false)).catch((e) => {
      throw new Error(`${e.message}\n${bot.lines.join('\n')}`);
    });
    assert.equal(replied[0].content, 'solo: echo: hey solo it is me');
    // The sibling bot's post names the trigger too; like the bot's own reply, it is not heard.
    assert.equal((await sibling.post('/api/runtime/shared', { content: 'solo sibling bot here' })).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await soloReplies()).length, 1, 'one reply: the old message stays handled, no bot post is answered');
    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0);
  });

  test('missing required args → fatal line and exit 1; a revoked token → token unauthorized, exit 1', async () => {
    const missing = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'connect', '--token', 'x'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KOZMOS_BASE_URL: '', OPENAI_API_KEY: '' },
    });
    let err = '';
    missing.stderr!.on('data', (d) => (err += d));
    assert.equal(await new Promise((r) => missing.once('exit', r)), 1);
    assert.match(err, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] fatal: missing required arg: base-url/);

    const revoked = await linkedUser(s, 'revoked');
    await revoked.web.req('DELETE', `/api/runtime/tokens/${(await revoked.web.get('/api/runtime/tokens')).body.tokens[0].id}`);
    const bot = startBot(s, revoked.token, path.join(tmpdir(), `orrery-revoked-${Date.now()}.json`));
    assert.equal(await bot.exited, 1);
    assert.ok(bot.lines.some((l) => /token unauthorized, exiting\./.test(l)), bot.lines.join('\n'));
  });
});

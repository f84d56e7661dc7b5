/**
 * The bot's state file, against a real server: a restart neither re-answers nor misses messages, a
 * crash between a reply and the state write does not answer twice, and a state file an earlier version
 * left in the working directory is carried over.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '../helpers/client.ts';
import type { TestServer } from '../helpers/server.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { defaultStateFile, legacyStateFile } from '../../src/connect/state.ts';
import { sharedMatching, startInProcessBot, tempStateFile, waitForCursorPast, waitForLine, startBotWorld, stopBotWorld, type BotWorld, type FaultProxy } from './helpers.ts';

interface SavedState {
  cursor: string | null;
  handled: number[];
}
const readState = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as SavedState;

describe('orrery connect state file (real server)', () => {
  let s: TestServer;
  let proxy: FaultProxy;
  let alice: Client;
  let world: BotWorld;
  before(async () => {
    world = await startBotWorld();
    ({ s, proxy, alice } = world);
  });
  after(() => stopBotWorld(world));

  test('a restart neither re-answers what was answered nor misses what came while it was down', async () => {
    const owner = await linkedUser(s, 'keeper');
    const stateFile = tempStateFile();
    const flags = { baseUrl: proxy.url, token: owner.token, triggerName: 'keeper', stateFile };
    let bot = startInProcessBot(flags);
    await waitForLine(bot, /stream connected/);
    await alice.post('/api/runtime/shared', { content: 'keeper: one' });
    await waitForLine(bot, /replied to alice/);
    const [first] = await sharedMatching(alice, /^alice: echo: keeper: one$/);
    await waitForCursorPast(stateFile, first!.id);
    await bot.stop();
    const saved = readState(stateFile);
    assert.match(saved.cursor!, /^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+$/, 'the compound feed cursor');
    assert.ok(saved.handled.includes(first!.id), 'its own reply is remembered as handled');

    // While it is down: a trigger and a message that is not one.
    await alice.post('/api/runtime/shared', { content: 'keeper: two, while you slept' });
    await alice.post('/api/runtime/shared', { content: 'just chatting' });
    bot = startInProcessBot(flags);
    await waitForLine(bot, /replied to alice/);
    const replies = await sharedMatching(alice, /^alice: echo: keeper/);
    await waitForCursorPast(stateFile, Math.max(...replies.map((m) => m.id)));
    assert.deepEqual(
      (await sharedMatching(alice, /^alice: echo:/)).map((m) => m.content),
      ['alice: echo: keeper: one', 'alice: echo: keeper: two, while you slept'],
    );
    assert.equal(bot.lines.filter((l) => /replied to/.test(l)).length, 1, bot.log());
    await bot.stop();
  });

  test('a crash after the reply but before the state was written does not answer twice (Idempotency-Key)', async () => {
    const owner = await linkedUser(s, 'crasher');
    const stateFile = tempStateFile();
    const flags = { baseUrl: proxy.url, token: owner.token, triggerName: 'crasher', stateFile };
    let bot = startInProcessBot(flags);
    await waitForLine(bot, /stream connected/);
    const before = existsSync(stateFile) ? readState(stateFile) : { cursor: null, handled: [] };
    await alice.post('/api/runtime/shared', { content: 'crasher, answer once' });
    await waitForLine(bot, /replied to alice/);
    const [reply] = await sharedMatching(alice, /^alice: echo: crasher/);
    await waitForCursorPast(stateFile, reply!.id);
    await bot.stop();

    // Put the state back to what it was before the trigger, as if the process died right after posting.
    writeFileSync(stateFile, JSON.stringify(before));
    bot = startInProcessBot(flags);
    await waitForLine(bot, /replied to alice/);
    await waitForCursorPast(stateFile, reply!.id);
    assert.deepEqual((await sharedMatching(alice, /^alice: echo: crasher/)).map((m) => m.id), [reply!.id], 'the retry got the first post back');
    await bot.stop();
  });

  test('a state file an earlier version left in the working directory is carried over to the state directory', async () => {
    const owner = await linkedUser(s, 'mover');
    const stateDir = mkdtempSync(path.join(tmpdir(), 'orrery-state-'));
    const workDir = mkdtempSync(path.join(tmpdir(), 'orrery-cwd-'));
    const cwd = process.cwd();
    try {
      // The old bot answered this trigger and saved its cursor past it.
      await alice.post('/api/runtime/shared', { content: 'mover, old news' });
      const [old] = await sharedMatching(alice, /^mover, old news$/);
      const tail = (await alice.get('/api/runtime/feed?limit=1')).body.nextCursor as string;
      process.chdir(workDir);
      writeFileSync(legacyStateFile(owner.token), JSON.stringify({ cursor: tail, handled: [old!.id] }));
      const stateFile = defaultStateFile(owner.token, { ORRERY_STATE_DIR: stateDir });
      const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, triggerName: 'mover', stateFile });
      await waitForLine(bot, /stream connected/);
      await alice.post('/api/runtime/shared', { content: 'mover, new news' });
      await waitForLine(bot, /replied to alice/);
      assert.deepEqual((await sharedMatching(alice, /^alice: echo: mover/)).map((m) => m.content), ['alice: echo: mover, new news'], 'the old trigger is not answered again');
      assert.ok(existsSync(stateFile), 'the state now lives in the state directory');
      await bot.stop();
    } finally {
      process.chdir(cwd);
    }
  });
});

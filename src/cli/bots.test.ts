import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterOfTrigger, splitCommand } from './bots.ts';

test('orrery bots register: triggers stand for filters', () => {
  const message = { type: 'matrix-event', event_type: 'm.room.message' };
  assert.deepEqual(filterOfTrigger('!echo'), { ...message, prefix: '!echo' });
  assert.deepEqual(filterOfTrigger('@mention'), { ...message, mention: true });
  assert.deepEqual(filterOfTrigger('/weather (\\w+)/i'), { ...message, regex: 'weather (\\w+)', flags: 'i' });
  assert.deepEqual(filterOfTrigger('trigger:show-card'), { type: 'matrix-event', event_type: 'app.boxel.bot-trigger', content_type: 'show-card' });
  assert.deepEqual(filterOfTrigger('{"type":"matrix-event","event_type":"x.y"}'), { type: 'matrix-event', event_type: 'x.y' });
  assert.throws(() => filterOfTrigger('{nope'), /not valid JSON/);
  assert.throws(() => filterOfTrigger('two words'), /unknown trigger/);
});

test('orrery bots register: <trigger>=<command> splits where a command begins', () => {
  assert.deepEqual(splitCommand('!echo=echo'), { trigger: '!echo', command: 'echo' });
  assert.deepEqual(splitCommand('/a=b/=help'), { trigger: '/a=b/', command: 'help' });
  assert.deepEqual(splitCommand('!w=https://h.example/x?a=b'), { trigger: '!w', command: 'https://h.example/x?a=b' });
  assert.deepEqual(splitCommand('!ask=agent:helper@1.0/ask'), { trigger: '!ask', command: 'agent:helper@1.0/ask' });
  assert.throws(() => splitCommand('!echo'), /not <trigger>=<command>/);
  assert.throws(() => splitCommand('!echo=rm -rf'), /not <trigger>=<command>/);
});

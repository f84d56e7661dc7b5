import { test } from 'node:test';
import assert from 'node:assert/strict';
import { powerLevelsChangeRefusal, powerLevelsOf, requiredLevel, userLevel } from './power-levels.ts';

const pl = powerLevelsOf({ users: { '@a:x': 100, '@m:x': 50 }, users_default: 0, state_default: 50, events: { 'm.room.name': 60 } }, '@a:x');

test('levels: defaults, per-user, per-event', () => {
  assert.equal(userLevel(pl, '@a:x'), 100);
  assert.equal(userLevel(pl, '@z:x'), 0);
  assert.equal(requiredLevel(pl, 'm.room.topic', true), 50);
  assert.equal(requiredLevel(pl, 'm.room.name', true), 60);
  assert.equal(requiredLevel(pl, 'm.room.message', false), 0);
  assert.equal(pl.ban, 50);
});

test('no power-levels event: the creator has 100, everything needs 0', () => {
  const none = powerLevelsOf(null, '@c:x');
  assert.equal(userLevel(none, '@c:x'), 100);
  assert.equal(requiredLevel(none, 'm.room.topic', true), 0);
});

test('power-level changes: no raising above your own, no touching equals', () => {
  const raise = powerLevelsOf({ users: { '@a:x': 100, '@m:x': 50, '@z:x': 60 }, events: { 'm.room.name': 60 } }, null);
  assert.match(powerLevelsChangeRefusal(pl, raise, '@m:x') ?? '', /above your own/);
  assert.equal(powerLevelsChangeRefusal(pl, powerLevelsOf({ users: { '@a:x': 100, '@m:x': 50, '@z:x': 40 }, events: { 'm.room.name': 60 } }, null), '@m:x'), null);
  assert.match(powerLevelsChangeRefusal(pl, powerLevelsOf({ users: { '@a:x': 0, '@m:x': 50 }, events: { 'm.room.name': 60 } }, null), '@m:x') ?? '', /level of @a:x/);
  assert.match(powerLevelsChangeRefusal(pl, powerLevelsOf({ users: { '@a:x': 100, '@m:x': 50 }, events: {} }, null), '@m:x') ?? '', /m.room.name/);
});

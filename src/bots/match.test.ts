/**
 * The matcher and the filter grammar (pure): which commands an event triggers, with no double
 * processing (research/boxel-bot-runner.md §8 items 16-20, §9), and which filters are refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../lib/errors.ts';
import { compileFilterRegex, parseCommand, unsafeRegexReason, validateFilter } from './filter.ts';
import { matchEvent, type MatchContext } from './match.ts';
import type { BotCommand, MatrixEvent, RegistrationWithCommands } from './types.ts';

const BOT = '@bot-runner:localhost';
const ALICE = '@alice:localhost';
let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

function reg(username: string, commands: Array<[string, Record<string, unknown>]>, opts: { global?: boolean; createdAt?: number } = {}): RegistrationWithCommands {
  const id = uuid();
  return {
    id,
    username,
    global: opts.global ?? false,
    createdAt: opts.createdAt ?? 0,
    commands: commands.map(([command, filter], i): BotCommand => ({ id: uuid(), botId: id, command, filter, createdAt: i })),
  };
}
const trigger = (contentType: string) => ({ type: 'matrix-event', event_type: 'app.boxel.bot-trigger', content_type: contentType });
function event(type: string, content: Record<string, unknown>, sender = ALICE, ts = 1000): MatrixEvent {
  return { event_id: `$e${++n}`, room_id: '!room:localhost', type, sender, content, origin_server_ts: ts };
}
const ctx = (own: RegistrationWithCommands[], global: RegistrationWithCommands[] = []): MatchContext => ({ botUserId: BOT, own, global });

describe('matchEvent', () => {
  test("the original's bot trigger: exact content.type, input as JSON args", () => {
    const r = reg(ALICE, [['echo', trigger('show-card')]]);
    const e = event('app.boxel.bot-trigger', { type: 'show-card', input: { cardId: 'x' } });
    const [m, ...rest] = matchEvent(e, ctx([r]));
    assert.equal(rest.length, 0);
    assert.equal(m!.command.command, 'echo');
    assert.equal(m!.args, '{"cardId":"x"}');
    assert.match(m!.key, new RegExp(`^bot:\\${e.event_id}:[0-9a-f]{16}$`));
    assert.deepEqual(matchEvent(event('app.boxel.bot-trigger', { type: 'Show-Card', input: {} }), ctx([r])), [], 'case-sensitive');
    assert.deepEqual(matchEvent(event('app.boxel.bot-trigger', { type: 'show-card', input: [1] }), ctx([r])), [], 'array input');
  });

  test('no registrations → no matches (§8.16)', () => {
    assert.deepEqual(matchEvent(event('app.boxel.bot-trigger', { type: 'x', input: {} }), ctx([], [])), []);
  });

  test("a registration created after the event does not see it (§8.17)", () => {
    const r = reg(ALICE, [['echo', trigger('t')]], { createdAt: 5000 });
    assert.deepEqual(matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }, ALICE, 4999), ctx([r])), []);
    assert.equal(matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }, ALICE, 5000), ctx([r])).length, 1);
  });

  test('several matching commands on one registration → one match, the oldest (§8.18, §8.20)', () => {
    const r = reg(ALICE, [['help', trigger('t')], ['echo', trigger('t')]]);
    const ms = matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }), ctx([r]));
    assert.deepEqual(ms.map((m) => m.command.command), ['help']);
  });

  test('global registrations apply to every sender and come first; own registrations only to their user', () => {
    const g = reg(BOT, [['help', trigger('t')]], { global: true });
    const own = reg(ALICE, [['echo', trigger('t')]]);
    const bobs = reg('@bob:localhost', [['https://example.com/hook', trigger('t')]]);
    const ms = matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }), ctx([own, bobs], [g]));
    assert.deepEqual(ms.map((m) => m.command.command), ['help', 'echo'], "bob's registration is not alice's");
  });

  test('no double processing: the sender and the bot runner registering the same command run it once (§9)', () => {
    const g = reg(BOT, [['echo', trigger('t')]], { global: true });
    const own = reg(ALICE, [['echo', trigger('t')]]);
    const twice = reg(ALICE, [['echo', trigger('t')]]);
    const ms = matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }), ctx([own, twice], [g]));
    assert.equal(ms.length, 1);
    assert.equal(ms[0]!.registration.id, g.id);
  });

  test('a registration in both lists (an admin’s global one, sent by that admin) counts once', () => {
    const g = reg(ALICE, [['echo', trigger('t')]], { global: true });
    const ms = matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }), ctx([g], [g]));
    assert.equal(ms.length, 1);
  });

  test("the bot runner's own events, state events and edits trigger nothing", () => {
    const g = reg(BOT, [['echo', { type: 'matrix-event', event_type: 'm.room.message', prefix: '!echo' }]], { global: true });
    assert.deepEqual(matchEvent(event('m.room.message', { msgtype: 'm.notice', body: '!echo hi' }, BOT), ctx([], [g])), []);
    assert.deepEqual(matchEvent({ ...event('m.room.message', { body: '!echo hi' }), state_key: '' }, ctx([], [g])), []);
    assert.deepEqual(matchEvent(event('m.room.message', { body: '* !echo hi', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }), ctx([], [g])), []);
    assert.equal(matchEvent(event('m.room.message', { msgtype: 'm.text', body: '!echo hi' }), ctx([], [g])).length, 1);
  });

  test("another bot's m.notice triggers nothing, unless the filter asks for m.notice (no bot-to-bot loops)", () => {
    const any = reg(ALICE, [['echo', { type: 'matrix-event', event_type: 'm.room.message', prefix: '!echo' }]]);
    const notices = reg(ALICE, [['help', { type: 'matrix-event', event_type: 'm.room.message', prefix: '!echo', msgtype: 'm.notice' }]]);
    const notice = event('m.room.message', { msgtype: 'm.notice', body: '!echo hi' });
    assert.deepEqual(matchEvent(notice, ctx([any])), []);
    assert.equal(matchEvent(notice, ctx([notices]))[0]?.command.command, 'help');
  });

  test('m.room.message prefix: followed by a space or the end; args are the rest', () => {
    const r = reg(ALICE, [['echo', { type: 'matrix-event', event_type: 'm.room.message', prefix: '!ask' }]]);
    const args = (body: string) => matchEvent(event('m.room.message', { msgtype: 'm.text', body }), ctx([r]))[0]?.args;
    assert.equal(args('!ask what time is it '), 'what time is it');
    assert.equal(args('  !ask'), '');
    assert.equal(args('!asking'), undefined);
    assert.equal(args('please !ask'), undefined);
  });

  test('m.room.message mention: m.mentions, the user id in the body, or a matrix.to pill; of the bot runner (true) or a named user', () => {
    const r = reg(ALICE, [['echo', { type: 'matrix-event', event_type: 'm.room.message', mention: true }]]);
    const carol = reg(ALICE, [['help', { type: 'matrix-event', event_type: 'm.room.message', mention: '@carol:localhost' }]]);
    const first = (content: Record<string, unknown>, c = ctx([r])) => matchEvent(event('m.room.message', { msgtype: 'm.text', ...content }), c)[0];
    assert.equal(first({ body: `${BOT}: hello there` })?.args, 'hello there');
    assert.ok(first({ body: 'bot-runner: hi', 'm.mentions': { user_ids: [BOT] } }));
    assert.ok(first({ body: 'bot-runner: hi', formatted_body: `<a href="https://matrix.to/#/${BOT}">bot-runner</a>: hi` }));
    assert.equal(first({ body: 'nobody here' }), undefined);
    assert.equal(first({ body: 'hey @carol:localhost' }, ctx([carol]))?.command.command, 'help');
    assert.equal(first({ body: `hey ${BOT}` }, ctx([carol])), undefined);
  });

  test('m.room.message regex (with flags) and msgtype', () => {
    const r = reg(ALICE, [['echo', { type: 'matrix-event', event_type: 'm.room.message', regex: '^weather in \\w+$', flags: 'i', msgtype: 'm.text' }]]);
    const hit = (content: Record<string, unknown>) => matchEvent(event('m.room.message', content), ctx([r])).length === 1;
    assert.ok(hit({ msgtype: 'm.text', body: 'Weather in Paris' }));
    assert.ok(!hit({ msgtype: 'm.notice', body: 'Weather in Paris' }));
    assert.ok(!hit({ msgtype: 'm.text', body: 'weather in new york' }));
  });

  test('other event types: by type, optionally content.type', () => {
    const r = reg(ALICE, [['echo', { type: 'matrix-event', event_type: 'org.example.ping', content_type: 'a' }], ['help', { type: 'matrix-event', event_type: 'org.example.any' }]]);
    assert.equal(matchEvent(event('org.example.ping', { type: 'a' }), ctx([r])).length, 1);
    assert.equal(matchEvent(event('org.example.ping', { type: 'b' }), ctx([r])).length, 0);
    assert.equal(matchEvent(event('org.example.any', { whatever: 1 }), ctx([r]))[0]?.command.command, 'help');
  });

  test('a stored filter that no longer parses, or a stored command of an unknown kind, matches nothing', () => {
    const r = reg(ALICE, [['echo', { type: 'http-event' }], ['@cardstack/boxel-host/commands/show-card/default', trigger('t')]]);
    assert.deepEqual(matchEvent(event('app.boxel.bot-trigger', { type: 't', input: {} }), ctx([r])), []);
  });

  test('a runaway regex on a long body is time-boxed: no match, no hang', () => {
    const r = reg(ALICE, [['echo', { type: 'matrix-event', event_type: 'm.room.message', regex: '^(a|a)*$' }]]);
    const started = Date.now();
    assert.deepEqual(matchEvent(event('m.room.message', { body: 'a'.repeat(40) + '!' }), ctx([r])), []);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('filter grammar and command syntax', () => {
  const refused = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof DomainError && e.kind === 'invalid' && message.test(e.message));

  test("the original's filter checks, with its messages", () => {
    refused(() => validateFilter('x'), /^filter must be an object$/);
    refused(() => validateFilter({ type: 'http-event', event_type: 'app.boxel.bot-trigger', content_type: 'x' }), /^filter.type must be 'matrix-event'$/);
    refused(() => validateFilter({ type: 'matrix-event', event_type: 'app.boxel.bot-trigger' }), /^filter.content_type must be a string$/);
    validateFilter({ type: 'matrix-event', event_type: 'app.boxel.bot-trigger', content_type: '' });
  });

  test('m.room.message needs exactly one of prefix, mention, regex', () => {
    const f = (extra: Record<string, unknown>) => ({ type: 'matrix-event', event_type: 'm.room.message', ...extra });
    refused(() => validateFilter(f({})), /exactly one of prefix, mention, regex/);
    refused(() => validateFilter(f({ prefix: '!a', mention: true })), /exactly one/);
    refused(() => validateFilter(f({ prefix: 'two words' })), /prefix/);
    refused(() => validateFilter(f({ mention: 'carol' })), /mention/);
    refused(() => validateFilter({ type: 'matrix-event', event_type: 'org.x', prefix: '!a' }), /m.room.message only/);
    validateFilter(f({ prefix: '!ask' }));
    validateFilter(f({ mention: true }));
    validateFilter(f({ regex: '^hi', flags: 'i' }));
  });

  test('unsafe regexes are refused: too long, invalid, bad flags, nested quantifiers, back-references, catastrophic on a probe', () => {
    refused(() => compileFilterRegex('a'.repeat(201), undefined), /at most 200/);
    refused(() => compileFilterRegex('(', undefined), /not a valid regular expression/);
    refused(() => compileFilterRegex('a', 'g'), /flags/);
    refused(() => compileFilterRegex('(a+)+$', undefined), /nested quantifiers/);
    refused(() => compileFilterRegex('^(\\w*)*$', undefined), /nested quantifiers/);
    refused(() => compileFilterRegex('(a)\\1', undefined), /back-references/);
    refused(() => compileFilterRegex('^(a|a)*$', undefined), /backtracks catastrophically/);
    assert.equal(unsafeRegexReason('^(foo|bar)+ \\d{1,3}$'), undefined);
    assert.equal(unsafeRegexReason('^(ab?)?c[+*(]+$'), undefined);
  });

  test('commands: echo, help, agent:<id>[@version]/<skill>, http(s) URLs; private webhook targets unless allowed', () => {
    const opts = { allowPrivateWebhooks: false };
    assert.deepEqual(parseCommand('echo', opts), { kind: 'echo' });
    assert.deepEqual(parseCommand('help', opts), { kind: 'help' });
    assert.deepEqual(parseCommand('agent:weather@2/ask', opts), { kind: 'agent', agentId: 'weather', version: '2', skill: 'ask' });
    assert.deepEqual(parseCommand('agent:weather/ask', opts), { kind: 'agent', agentId: 'weather', version: undefined, skill: 'ask' });
    assert.deepEqual(parseCommand('https://example.com/hook', opts), { kind: 'webhook', url: 'https://example.com/hook' });
    refused(() => parseCommand('agent:weather', opts), /agent:<agentId>/);
    refused(() => parseCommand('agent:/ask', opts), /agent:<agentId>/);
    refused(() => parseCommand('@cardstack/boxel-host/commands/show-card/default', opts), /^command must be echo, help/);
    refused(() => parseCommand('ftp://example.com', opts), /^command must be echo, help/);
    refused(() => parseCommand('https://user:pw@example.com/', opts), /credentials/);
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://10.1.2.3/', 'http://192.168.0.1/', 'http://169.254.169.254/latest']) {
      refused(() => parseCommand(url, opts), /private or loopback/);
      assert.equal(parseCommand(url, { allowPrivateWebhooks: true }).kind, 'webhook');
    }
  });
});

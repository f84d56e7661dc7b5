/**
 * Orrery's decisions on the original's gaps (research §9; docs/bot-runner.md "Decisions"), against
 * the real endpoints: the validation asymmetries fixed or kept on purpose, global registrations,
 * command syntax checked at registration, and the duplicate guard under concurrency.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { addCommand, assertError, botUser, commandBody, register, registrationBody, triggerFilter, type BotUser } from './helpers.ts';

describe('bot endpoint decisions', () => {
  let t: TestApp;
  let admin: BotUser;
  let alice: BotUser;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    admin = await botUser(t, 'admin'); // the first account is the admin
    alice = await botUser(t, 'alice');
  });
  after(() => t.close());

  test('DELETE /_bot-registration with a non-UUID id → 400 botRegistrationId must be a UUID (the original answered a 500 on PostgreSQL)', async () => {
    assertError(await alice.api.req('DELETE', '/_bot-registration', { data: { type: 'bot-registration', id: 'not-a-uuid' } }), 400, 'botRegistrationId must be a UUID');
  });

  test('DELETE bodies: malformed JSON and a wrong data.type → 400 not valid JSON-API', async () => {
    assertError(await alice.api.req('DELETE', '/_bot-registration', '{'), 400, 'Request body is not valid JSON-API - invalid JSON');
    const id = await register(alice);
    assertError(await alice.api.req('DELETE', '/_bot-registration', { data: { type: 'bot-command', id } }), 400, "Request body is not valid JSON-API - data.type must be 'bot-registration'");
    assertError(await alice.api.req('DELETE', '/_bot-commands', { data: { type: 'bot-registration', id } }), 400, "Request body is not valid JSON-API - data.type must be 'bot-command'");
  });

  test('global registrations: an admin may register one (`global: true`), anyone else → 403', async () => {
    assertError(await alice.api.post('/_bot-registration', registrationBody(alice.userId, { global: true })), 403, 'only an admin can register a global bot');
    assertError(await alice.api.post('/_bot-registration', registrationBody(alice.userId, { global: 'yes' })), 400, 'Request body is not valid JSON-API - data.attributes.global must be a boolean');
    const res = await admin.api.post('/_bot-registration', registrationBody(admin.userId, { global: true }));
    assert.equal(res.status, 201);
    assert.equal(res.body.data.attributes.global, true);
    const listed = (await admin.api.get('/_bot-registrations')).body.data.find((r: any) => r.id === res.body.data.id);
    assert.equal(listed.attributes.global, true);
    const plain = (await alice.api.get('/_bot-registrations')).body.data as any[];
    assert.ok(plain.every((r) => !('global' in r.attributes)), 'a user registration keeps the original shape exactly');
    const forEvent = await t.services.bots.registrationsForEvent(alice.userId);
    assert.ok(forEvent.global.some((r) => r.id === res.body.data.id), 'global registrations apply to every sender');
  });

  test('commands are checked at registration: unknown kinds, bad agent specifiers, private webhooks, unsafe regexes → 400', async () => {
    const id = await register(alice);
    const f = triggerFilter('c');
    assertError(await alice.api.post('/_bot-commands', commandBody(id, '@cardstack/boxel-host/commands/show-card/default', f)), 400, 'command must be echo, help, agent:<agentId>[@version]/<skill> or an http(s):// URL');
    assertError(await alice.api.post('/_bot-commands', commandBody(id, 'agent:weather', f)), 400, /^command must be agent:<agentId>\[@version\]\/<skill>/);
    assertError(await alice.api.post('/_bot-commands', commandBody(id, 'http://127.0.0.1:9/hook', f)), 400, 'command URL must not target a private or loopback address');
    const msg = (extra: Record<string, unknown>) => ({ type: 'matrix-event', event_type: 'm.room.message', ...extra });
    assertError(await alice.api.post('/_bot-commands', commandBody(id, 'echo', msg({ regex: '(a+)+$' }))), 400, 'filter.regex is unsafe: nested quantifiers are not allowed');
    assertError(await alice.api.post('/_bot-commands', commandBody(id, 'echo', msg({}))), 400, 'a filter on m.room.message needs exactly one of prefix, mention, regex');
    for (const [command, filter] of [['echo', msg({ prefix: '!echo' })], ['help', msg({ mention: true })], ['agent:weather@1/ask', msg({ regex: '^weather', flags: 'i' })], ['https://example.com/hook', { type: 'matrix-event', event_type: 'org.example.ping' }]] as const) {
      assert.equal((await alice.api.post('/_bot-commands', commandBody(id, command, filter))).status, 201, command);
    }
  });

  test('the same command and filter twice on one registration → 409, also under 20 concurrent requests (exactly one 201)', async () => {
    const id = await register(alice);
    await addCommand(alice, id, 'echo', triggerFilter('dup'));
    assertError(await alice.api.post('/_bot-commands', commandBody(id, 'echo', { content_type: 'dup', event_type: 'app.boxel.bot-trigger', type: 'matrix-event' })), 409, 'bot command already exists');
    const other = await register(alice);
    const results = await Promise.all(Array.from({ length: 20 }, () => alice.api.post('/_bot-commands', commandBody(other, 'help', triggerFilter('race')))));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, ...Array(19).fill(409)]);
    assert.equal((await alice.api.get(`/_bot-commands?botId=${other}`)).body.data.length, 1);
    // A different command for the same trigger is allowed (the oldest wins when matching, as the original).
    await addCommand(alice, other, 'echo', triggerFilter('race'));
  });

  test('registrations under concurrency: 20 at once → 20 distinct ids, all listed', async () => {
    const u = await botUser(t, 'racer');
    const results = await Promise.all(Array.from({ length: 20 }, () => u.api.post('/_bot-registration', registrationBody(u.userId))));
    assert.ok(results.every((r) => r.status === 201));
    assert.equal(new Set(results.map((r) => r.body.data.id)).size, 20);
    assert.equal((await u.api.get('/_bot-registrations')).body.data.length, 20);
  });

  test('errors carry the original status texts', async () => {
    const res = await fetchStatusText(t, alice.jwt);
    assert.equal(res, 'Forbidden Request');
  });
});

/** The status text of a 403, through inject (which keeps it). */
async function fetchStatusText(t: TestApp, jwt: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/_bot-registration', headers: { authorization: jwt, 'content-type': 'application/vnd.api+json' }, payload: JSON.stringify(registrationBody('@someone-else:localhost')) });
  return res.statusMessage;
}

/**
 * Bot endpoint test helpers: a user with a bot JWT obtained the way the original's clients get one
 * (Matrix login → OpenID token → `POST /_server-session`), and JSON:API bodies.
 */
import assert from 'node:assert/strict';
import type { Client, Res } from '../helpers/client.ts';
import type { TestTarget } from '../helpers/server.ts';

/** A signed-in user and their bot JWT. */
export interface BotUser {
  /** Session client (cookie + CSRF). */
  web: Client;
  /** Client that sends `Authorization: <jwt>` (no `Bearer `, as the original's scripts). */
  api: Client;
  userId: string;
  jwt: string;
}

/** An OpenID token for `web`'s user, over the Matrix API. */
export async function openIdToken(web: Client, userId: string): Promise<string> {
  const res = await web.post(`/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, {});
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.access_token as string;
}

/** Register `name`, exchange an OpenID token for a bot JWT. */
export async function botUser(t: TestTarget, name: string): Promise<BotUser> {
  const web = t.client();
  const reg = await web.register(name);
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const userId = (await web.get('/_matrix/client/v3/account/whoami')).body.user_id as string;
  const session = await t.client().post('/_server-session', { access_token: await openIdToken(web, userId) });
  assert.equal(session.status, 201, JSON.stringify(session.body));
  const jwt = session.headers.get('authorization')!;
  assert.ok(jwt);
  return { web, api: withJwt(t, jwt), userId, jwt };
}

/** A client sending `jwt` raw in `Authorization`. */
export function withJwt(t: TestTarget, jwt: string): Client {
  const c = t.client();
  const req = c.req.bind(c);
  c.req = (method, path, body, headers = {}) => req(method, path, body, { authorization: jwt, 'content-type': 'application/vnd.api+json', ...headers });
  return c;
}

/** `POST /_bot-registration` body. */
export const registrationBody = (username: string, extra: Record<string, unknown> = {}) => ({ data: { type: 'bot-registration', attributes: { username, ...extra } } });
/** The original's trigger filter. */
export const triggerFilter = (contentType: string) => ({ type: 'matrix-event', event_type: 'app.boxel.bot-trigger', content_type: contentType });
/** `POST /_bot-commands` body. */
export const commandBody = (botId: string, command: string, filter: unknown) => ({ data: { type: 'bot-command', attributes: { botId, command, filter } } });

/** Register `u` as a bot; its id. */
export async function register(u: BotUser, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await u.api.post('/_bot-registration', registrationBody(u.userId, extra));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data.id as string;
}

/** Add a command; its id. */
export async function addCommand(u: BotUser, botId: string, command: string, filter: unknown): Promise<string> {
  const res = await u.api.post('/_bot-commands', commandBody(botId, command, filter));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data.id as string;
}

/** Assert an error answer in the original's shape: `status`, `{"errors":[message]}`, JSON:API type. */
export function assertError(res: Res, status: number, message: string | RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/vnd\.api\+json/);
  assert.ok(Array.isArray(res.body?.errors) && res.body.errors.length === 1, JSON.stringify(res.body));
  if (typeof message === 'string') assert.equal(res.body.errors[0], message);
  else assert.match(res.body.errors[0], message);
}

/**
 * Runtime test helpers: a signed-in user with an invite claimed for a runtime token.
 */
import type { Client } from '../helpers/client.ts';
import type { TestTarget } from '../helpers/server.ts';

/** A web user (cookie session) and a bot client holding that user's `kzrt_` token. */
export interface LinkedUser {
  web: Client;
  bot: Client;
  token: string;
  userId: string;
}

/** Register `name`, create and claim an invite, and return both clients. */
export async function linkedUser(s: TestTarget, name: string): Promise<LinkedUser> {
  const web = s.client();
  const reg = await web.register(name);
  if (reg.status !== 201) throw new Error(`register ${name}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const invite = await web.post('/api/runtime/invite/create', {});
  const claim = await web.post('/api/runtime/invite/claim', { code: invite.body.code });
  if (claim.status !== 200) throw new Error(`claim: ${claim.status} ${JSON.stringify(claim.body)}`);
  const bot = s.client();
  bot.bearer = claim.body.token;
  return { web, bot, token: claim.body.token, userId: reg.body.user.user_id };
}

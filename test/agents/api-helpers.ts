/**
 * Agents API test helpers: the `.smyth` fixtures (../shared/smyth, SOURCES.md) as text, and the users
 * the tests act as — an admin (the first account), two users on web sessions, and one user's access token.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '../helpers/client.ts';
import type { TestTarget } from '../helpers/server.ts';

/** Where the fixtures live (override with ORRERY_SMYTH_FIXTURES). */
export const FIXTURES_DIR = process.env.ORRERY_SMYTH_FIXTURES ?? path.resolve(import.meta.dirname, '../../../shared/smyth');
/** Every fixture file name. */
export const FIXTURES = ['sre-echo-LLMPrompt.smyth', 'functions-components.smyth', 'general-unit-tests.smyth', 'linear-utility.smyth'] as const;

/** A fixture's text exactly as on disk. */
export function fixture(name: (typeof FIXTURES)[number]): string {
  return readFileSync(path.join(FIXTURES_DIR, name), 'utf8');
}

/** The callers of the agents tests. */
export interface AgentCallers {
  anonymous: Client;
  admin: Client;
  alice: Client;
  /** Alice again, with an `orr_` access token instead of a session. */
  aliceToken: Client;
  bob: Client;
  aliceId: string;
}

/** Register the admin (first account), alice and bob; alice also gets an access token. */
export async function agentCallers(t: TestTarget): Promise<AgentCallers> {
  const admin = t.client();
  assert.equal((await admin.register('admin')).status, 201);
  const alice = t.client();
  assert.equal((await alice.register('alice')).status, 201);
  const bob = t.client();
  assert.equal((await bob.register('bob')).status, 201);
  const aliceToken = t.client();
  const login = await aliceToken.post('/api/auth/login', { username: 'alice', password: 'password-alice', issue: 'access_token' });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  aliceToken.bearer = login.body.access_token as string;
  const aliceId = (await alice.get('/api/auth/whoami')).body.user.user_id as string;
  return { anonymous: t.client(), admin, alice, aliceToken, bob, aliceId };
}

/** POST a `.smyth` text as `client`'s agent; its id. */
export async function importFixture(client: Client, text: string, name?: string): Promise<string> {
  const res = await client.req('POST', `/api/agents${name ? `?name=${encodeURIComponent(name)}` : ''}`, text);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.agent.id as string;
}

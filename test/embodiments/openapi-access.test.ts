/**
 * Who may read an agent's documents (issue 12 items 4 and 8): whoever may call its skills — every
 * route of the OpenAPI family (openapi.access.ts) tried with every caller: anonymous 401, another user
 * 404, the owner by web session without its CSRF token (a link from the UI), by access token, an admin,
 * the vault key in `key` mode, anyone for a public agent; a switched-off embodiment or an unknown agent
 * 404. CORS: only the agent's allowed origins may read from a browser.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import type { Client } from '../helpers/client.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { OPENAPI_ACCESS } from './openapi.access.ts';
import { looker } from './openapi-agents.ts';

/** Every document route: `GET <path>`, the agent in the path or in `X-AGENT-ID`. */
const ROUTES = Object.entries(OPENAPI_ACCESS)
  .filter(([, access]) => access === 'agent')
  .map(([route]) => route.replace(/^GET /, ''));

describe('who may read the documents', () => {
  let t: TestApp;
  let u: AgentCallers;
  let id: string;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
    id = await importFixture(u.alice, JSON.stringify(looker), 'Looker');
    assert.equal((await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'docs-key' })).status, 201);
  });
  after(() => t.close());

  const settings = async (patch: Record<string, unknown>) => assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, patch)).status, 200);

  /** Every route as `who` (extra headers too); each status, checked to be `status` with an `{error}` body when refused. */
  async function expectEverywhere(who: Client, status: number, headers: Record<string, string> = {}, agentId = id) {
    for (const route of ROUTES) {
      const path = route.replace(':agentId', agentId);
      const res = await who.get(path, route.includes(':agentId') ? headers : { 'x-agent-id': agentId, ...headers });
      assert.equal(res.status, status, `${path}: ${JSON.stringify(res.body).slice(0, 200)}`);
      if (status >= 400) assert.equal(typeof res.body.error, 'string', path);
      if (status === 401) assert.equal(res.headers.get('www-authenticate'), 'Bearer', path);
    }
  }

  test('an owner-only agent: the owner by session without CSRF token, by access token, an admin; anonymous 401, another user 404, a key 401', async () => {
    await expectEverywhere(u.alice, 200);
    await expectEverywhere(u.aliceToken, 200);
    await expectEverywhere(u.admin, 200);
    await expectEverywhere(u.anonymous, 401);
    await expectEverywhere(u.bob, 404);
    await expectEverywhere(u.anonymous, 401, { authorization: 'Bearer docs-key' });
    // A skill call itself still wants the CSRF token with a cookie: reading is not calling.
    assert.equal((await u.alice.get(`/agents/${id}/api/look?q=x`)).status, 401);
  });

  test('a key agent: its vault key reads, a wrong key does not, another user still does not', async () => {
    await settings({ skill_access: 'key' });
    try {
      await expectEverywhere(u.anonymous, 200, { authorization: 'Bearer docs-key' });
      await expectEverywhere(u.anonymous, 401, { authorization: 'Bearer wrong-key' });
      await expectEverywhere(u.anonymous, 401);
      await expectEverywhere(u.bob, 404);
      await expectEverywhere(u.aliceToken, 200);
    } finally {
      await settings({ skill_access: 'owner' });
    }
  });

  test('a public agent: anyone, another user too', async () => {
    await settings({ skill_access: 'public' });
    try {
      await expectEverywhere(u.anonymous, 200);
      await expectEverywhere(u.bob, 200);
    } finally {
      await settings({ skill_access: 'owner' });
    }
  });

  test('switched off, unknown, or not named: 404 for everyone, the same answer whether the agent exists or not', async () => {
    await settings({ skill_access: 'public', embodiments: { openapi: { enabled: false } } });
    try {
      await expectEverywhere(u.alice, 404);
      await expectEverywhere(u.admin, 404);
      await expectEverywhere(u.anonymous, 404);
      const off = await u.aliceToken.get(`/agents/${id}/api-docs/openapi.json`);
      const none = await u.aliceToken.get('/agents/anothernonexistent/api-docs/openapi.json');
      assert.equal(off.body.error.replace(id, '<id>'), none.body.error.replace('anothernonexistent', '<id>'));
    } finally {
      await settings({ skill_access: 'owner', embodiments: { openapi: { enabled: true } } });
    }
    await expectEverywhere(u.aliceToken, 404, {}, 'anothernonexistent');
    await settings({ skill_access: 'public' });
    try {
      // The agent's other embodiments do not open its documents.
      await settings({ embodiments: { openapi: { enabled: false }, mcp: { enabled: true } } });
      assert.equal((await u.anonymous.get(`/agents/${id}/swagger`)).status, 404);
    } finally {
      await settings({ skill_access: 'owner', embodiments: { openapi: { enabled: true } } });
    }
    for (const route of ROUTES.filter((r) => !r.includes(':agentId'))) {
      const res = await u.aliceToken.get(route);
      assert.equal(res.status, 404, route);
      assert.equal(res.body.error, 'No agent: use /agents/<agentId>/…, or name it with X-AGENT-ID');
    }
  });

  test('CORS: a page on an allowed origin may read the documents (and the download\'s name); another origin may not', async () => {
    await settings({ embodiments: { openapi: { allowed_origins: ['https://docs.example'] } } });
    try {
      const allowed = await u.aliceToken.get(`/agents/${id}/postman`, { origin: 'https://docs.example' });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://docs.example');
      assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /content-disposition/);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), null, 'never with credentials');
      const other = await u.aliceToken.get(`/api-docs/openapi.json`, { origin: 'https://evil.example', 'x-agent-id': id });
      assert.equal(other.status, 200);
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      assert.match(other.headers.get('vary') ?? '', /Origin/i);
    } finally {
      await settings({ embodiments: { openapi: { allowed_origins: [] } } });
    }
  });
});

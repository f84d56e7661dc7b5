/**
 * The Postman collection (issue 12 items 4 and 8; research/smythos.md §7 "Postman", §12 item 31): an
 * attachment named after the agent, and `newman` runs it against a live server — every request of a
 * public agent's collection answers 200, and a key agent's with its key in `bearerToken`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { looker } from './openapi-agents.ts';

/** newman's Node API (it ships no types). */
interface NewmanSummary {
  run: { failures: { error: { message: string } }[]; executions: { request: { url: { toString(): string }; body?: { raw?: string } }; response?: { code: number; text(): string } }[] };
}
const newman = createRequire(import.meta.url)('newman') as { run(options: Record<string, unknown>, done: (error: Error | null, summary: NewmanSummary) => void): void };

/** Runs `collection` with newman; each request's URL and status. */
async function runCollection(collection: unknown, envVar: { key: string; value: string }[] = []) {
  const summary = await new Promise<NewmanSummary>((resolve, reject) => newman.run({ collection, envVar, reporters: [], timeoutRequest: 10_000 }, (error, s) => (error ? reject(error) : resolve(s))));
  assert.deepEqual(summary.run.failures.map((f) => f.error.message), [], 'newman reported failures');
  return summary.run.executions.map((e) => ({ url: e.request.url.toString(), code: e.response?.code, sent: e.request.body?.raw, body: e.response?.text() }));
}

describe('Postman', () => {
  let t: TestServer;
  let u: AgentCallers;
  let id: string;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
    id = await importFixture(u.alice, JSON.stringify(looker), 'Looker "quoted" ünïcode');
  });
  after(() => t.close());

  const download = (path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${u.aliceToken.bearer}`, ...headers } });

  test('an attachment <agent name>.postman.json, by path and at the original paths (§12 item 31)', async () => {
    const expected = `attachment; filename="Looker _quoted_ _n_code.postman.json"; filename*=UTF-8''${encodeURIComponent('Looker "quoted" ünïcode.postman.json')}`;
    for (const [path, headers] of [
      [`/agents/${id}/postman`, {}],
      ['/postman', { 'x-agent-id': id }],
      ['/emb/postman', { 'x-agent-id': id }],
    ] as const) {
      const res = await download(path, headers);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-disposition'), expected, path);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const collection = (await res.json()) as { info: { name: string; schema: string }; item: unknown[] };
      assert.equal(collection.info.name, 'Looker "quoted" ünïcode');
      assert.equal(collection.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    }
    await u.alice.req('PATCH', `/api/agents/${id}`, { name: 'Plain name' });
    try {
      assert.equal((await download(`/agents/${id}/postman`)).headers.get('content-disposition'), 'attachment; filename="Plain name.postman.json"');
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { name: 'Looker "quoted" ünïcode' });
    }
  });

  test('newman runs a public agent\'s collection: every request answers 200 with what it sent', async () => {
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' });
    try {
      const collection = (await (await fetch(`${t.url}/agents/${id}/postman`)).json()) as { variable: { key: string; value: string }[]; auth?: unknown };
      assert.deepEqual(collection.variable, [{ key: 'baseUrl', value: `${t.url}/agents/${id}` }], 'the base URL is a variable: the server');
      assert.equal(collection.auth, undefined, 'a public agent needs no credential');
      const runs = await runCollection(collection);
      assert.deepEqual(runs.map((r) => [new URL(r.url).pathname, r.code]), [
        [`/agents/${id}/api/look`, 200],
        [`/agents/${id}/api/say`, 200],
        [`/agents/${id}/api/upload`, 200],
        [`/agents/${id}/api/secret`, 200],
      ]);
      // Example values of the inputs' types: every skill takes them (no `Invalid Boolean value`).
      for (const run of runs) assert.doesNotMatch(run.body ?? '', /_error/, run.url);
      const sent = JSON.parse(runs[1]!.sent!) as { text: unknown; loud: unknown };
      assert.equal(typeof sent.text, 'string');
      assert.equal(typeof sent.loud, 'boolean');
      assert.deepEqual(JSON.parse(runs[1]!.body!), sent, 'the skill answered what newman sent');
      const query = new URL(runs[0]!.url).searchParams;
      assert.deepEqual(JSON.parse(runs[0]!.body!).q, query.get('q'));
      assert.match(query.get('n') ?? '', /^-?\d+$/, 'an integer');
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
    }
  });

  test('newman runs a key agent\'s collection with the key in bearerToken; without it every request is refused', async () => {
    assert.equal((await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'postman-key' })).status, 201);
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' });
    try {
      const collection = (await (await fetch(`${t.url}/agents/${id}/postman`, { headers: { authorization: 'Bearer postman-key' } })).json()) as { auth: unknown; variable: { key: string }[] };
      assert.deepEqual(collection.auth, { type: 'bearer', bearer: [{ key: 'token', value: '{{bearerToken}}', type: 'any' }] });
      assert.deepEqual(collection.variable.map((v) => v.key), ['baseUrl', 'bearerToken']);
      assert.deepEqual((await runCollection(collection, [{ key: 'bearerToken', value: 'postman-key' }])).map((r) => r.code), [200, 200, 200, 200]);
      assert.deepEqual((await runCollection(collection)).map((r) => r.code), [401, 401, 401, 401]);
      // The owner's own access token works as well.
      assert.deepEqual((await runCollection(collection, [{ key: 'bearerToken', value: u.aliceToken.bearer! }])).map((r) => r.code), [200, 200, 200, 200]);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
    }
  });
});

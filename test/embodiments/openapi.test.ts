/**
 * The OpenAPI family's documents (issue 12 items 4 and 8; research/smythos.md §7, §11.8, §12 items 29,
 * 30 and 32): every document of every agent validates (swagger-parser) wherever it is served — under
 * `/agents/<id>/`, at the original paths with `X-AGENT-ID`, from the agent's host —, the generation
 * rules hold exactly, Swagger UI and its files load, the plugin manifest points at the GPT document, and
 * a version gives `/v<version>` paths. Who may read: openapi-access.test.ts; Postman: openapi-postman.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import type { Res } from '../helpers/client.ts';
import { agentCallers, FIXTURES, fixture, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { cutAtSentence } from '../../src/embodiments/openapi/gpt.ts';
import { LONG_SUMMARY, looker } from './openapi-agents.ts';

const KINDS = ['openapi', 'openapi-llm', 'openapi-gpt'] as const;
/** The original's other paths of each document (agent from `X-AGENT-ID`). */
const ALIASES: Record<(typeof KINDS)[number], string[]> = {
  openapi: ['/emb/api/openapi.json'],
  'openapi-llm': ['/emb/api/openapi-llm.json'],
  'openapi-gpt': ['/emb/chatgpt/openapi-gpt.json', '/.well-known/openapi.json'],
};
const ORIGIN = 'http://localhost:80';
const RESPONSES = { 200: { description: "The skill's answer", content: { 'text/plain': { schema: { type: 'string' } } } } };
const BEARER = { bearerAuth: { type: 'http', scheme: 'bearer', description: "The agent owner's Orrery access token, or the agent's API key" } };

const embedded = (html: string) => JSON.parse(/<script type="application\/json" id="openapi-document">([\s\S]*?)<\/script>/.exec(html)![1]!);
async function valid(res: Res, what: string) {
  assert.equal(res.status, 200, `${what}: ${JSON.stringify(res.body)}`);
  await SwaggerParser.validate(structuredClone(res.body)).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
}

describe('OpenAPI documents, Swagger UI, ChatGPT actions', () => {
  let t: TestApp;
  let u: AgentCallers;
  let id: string;
  const ids: string[] = [];
  const get = (path: string, headers: Record<string, string> = {}) => u.aliceToken.get(path, headers);

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000', DEFAULT_AGENT_DOMAIN: 'agents.test', PROD_AGENT_DOMAIN: 'agents.prod' });
    u = await agentCallers(t);
    id = await importFixture(u.alice, JSON.stringify(looker), 'Looker');
    for (const name of FIXTURES) ids.push(await importFixture(u.alice, fixture(name)));
  });
  after(() => t.close());

  test('every document of every agent validates (swagger-parser): by path, by X-AGENT-ID at every original path, by host; Swagger\'s too', async () => {
    for (const agentId of [id, ...ids]) {
      for (const kind of KINDS) {
        const byPath = await get(`/agents/${agentId}/api-docs/${kind}.json`);
        await valid(byPath, `${agentId} ${kind} by path`);
        assert.match(byPath.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(byPath.body.servers, [{ url: `${ORIGIN}/agents/${agentId}` }], 'the agent\'s own prefix, with its scheme');
        // Elsewhere the same document (so valid too), with the server it was reached at.
        const byHeader = await get(`/api-docs/${kind}.json`, { 'x-agent-id': agentId });
        assert.deepEqual(byHeader.body, { ...byPath.body, servers: [{ url: ORIGIN }] }, 'by X-AGENT-ID, from the origin');
        for (const alias of ALIASES[kind]) assert.deepEqual((await get(alias, { 'x-agent-id': agentId })).body, byHeader.body, alias);
        const byHost = await get(`/api-docs/${kind}.json`, { host: `${agentId}.agents.test` });
        assert.deepEqual(byHost.body, { ...byPath.body, servers: [{ url: `http://${agentId}.agents.test` }] }, 'by host, from the host');
      }
      const swagger = await get(`/agents/${agentId}/swagger`);
      await valid({ ...swagger, body: embedded(swagger.body as string) }, `${agentId} swagger`);
    }
  });

  test('openapi.json is SmythOS\'s document: 3.0.1, one path per skill, operationId the endpoint, query parameters, required inputs, multipart for a Binary (§12 item 29)', async () => {
    const d = (await get(`/agents/${id}/api-docs/openapi.json`)).body;
    assert.deepEqual(d, {
      openapi: '3.0.1',
      info: { title: 'Looker', description: 'Looks and says', version: '1.0.0' },
      servers: [{ url: `${ORIGIN}/agents/${id}` }],
      paths: {
        '/api/look': {
          get: {
            operationId: 'look',
            summary: 'Docs of look',
            'x-openai-isConsequential': false,
            parameters: [
              { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
              { name: 'n', in: 'query', required: false, schema: { type: 'integer' } },
              { name: 'tags', in: 'query', required: false, schema: { type: 'array', items: {} }, style: 'form', explode: false },
              { name: 'filter', in: 'query', required: false, schema: { type: 'object', additionalProperties: {} }, style: 'deepObject', explode: true },
            ],
            responses: RESPONSES,
          },
        },
        '/api/say': {
          post: {
            operationId: 'say',
            summary: LONG_SUMMARY,
            'x-openai-isConsequential': false,
            requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { text: { type: 'string' }, loud: { type: 'boolean' } }, required: ['text'] } } } },
            responses: RESPONSES,
          },
        },
        '/api/upload': {
          post: {
            operationId: 'upload',
            summary: 'Upload a file',
            'x-openai-isConsequential': false,
            requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' }, note: { type: 'string' } }, required: ['file'] } } } },
            responses: RESPONSES,
          },
        },
        '/api/secret': { post: { operationId: 'secret', summary: 'Not for models', 'x-openai-isConsequential': false, responses: RESPONSES } },
      },
      components: { securitySchemes: BEARER },
      security: [{ bearerAuth: [] }],
    });
  });

  test('openapi-llm.json: no skill hidden from AI, the behavior as description, description before doc, JSON bodies only (§12 item 29)', async () => {
    const d = (await get(`/agents/${id}/api-docs/openapi-llm.json`)).body;
    assert.equal(d.openapi, '3.0.1');
    assert.equal(d.info.description, 'You look things up.');
    assert.deepEqual(Object.keys(d.paths), ['/api/look', '/api/say', '/api/upload']);
    assert.equal(d.paths['/api/look'].get.summary, 'Look it up');
    assert.deepEqual(d.paths['/api/upload'].post.requestBody.content, {
      'application/json': { schema: { type: 'object', properties: { file: { type: 'string', format: 'byte' }, note: { type: 'string' } }, required: ['file'] } },
    });
  });

  test('openapi-gpt.json is 3.1.0: summaries ≤ 300 characters cut at a sentence, base64 files, string array items, additionalProperties true (§12 item 30)', async () => {
    const d = (await get(`/agents/${id}/api-docs/openapi-gpt.json`)).body;
    assert.equal(d.openapi, '3.1.0');
    for (const item of Object.values(d.paths) as Record<string, { summary: string }>[]) for (const op of Object.values(item)) assert.ok(op.summary.length <= 300, op.summary);
    assert.equal(d.paths['/api/say'].post.summary, cutAtSentence(LONG_SUMMARY));
    assert.ok(d.paths['/api/say'].post.summary.endsWith('goes on.'));
    assert.deepEqual(d.paths['/api/look'].get.parameters.map((p: { schema: unknown }) => p.schema), [
      { type: 'string' },
      { type: 'integer' },
      { type: 'array', items: { type: 'string' } },
      { type: 'object', additionalProperties: true },
    ]);
    assert.deepEqual(d.paths['/api/upload'].post.requestBody.content['application/json'].schema.properties.file, { type: 'string', contentEncoding: 'base64' });
    assert.deepEqual(d.components, { securitySchemes: BEARER });
    assert.deepEqual((await get('/.well-known/openapi.json', { 'x-agent-id': id })).body, { ...d, servers: [{ url: ORIGIN }] });
  });

  test('Swagger UI: HTML titled with the agent\'s name, the document embedded with an ApiKeyAuth header scheme when the agent needs a key, no inline script (§12 item 32)', async () => {
    for (const [path, headers] of [
      [`/agents/${id}/swagger`, {}],
      ['/swagger', { 'x-agent-id': id }],
      ['/emb/swagger', { 'x-agent-id': id }],
    ] as const) {
      const page = await get(path, headers);
      assert.equal(page.status, 200, path);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const html = page.body as string;
      assert.match(html, /<title>Looker<\/title>/);
      assert.doesNotMatch(html, /<script(?![^>]*(type="application\/json"|src=))/, 'every script is a file or data: the CSP runs no inline script');
      const d = embedded(html);
      assert.deepEqual(d.components, { securitySchemes: { ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Bearer <access token or API key>' } } });
      assert.deepEqual(d.security, [{ ApiKeyAuth: [] }]);
      assert.deepEqual(Object.keys(d.paths), ['/api/look', '/api/say', '/api/upload', '/api/secret']);
    }
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public', name: 'A <b>"bold"</b> </script> name' });
    try {
      const html = (await u.anonymous.get(`/agents/${id}/swagger`)).body as string;
      assert.match(html, /<title>A &#60;b&#62;&#34;bold&#34;&#60;\/b&#62; &#60;\/script&#62; name<\/title>/);
      const d = embedded(html);
      assert.equal(d.info.title, 'A <b>"bold"</b> </script> name', 'the name cannot close the data block');
      assert.equal(d.components, undefined, 'a public agent needs no scheme');
      assert.equal(d.security, undefined);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner', name: 'Looker' });
    }
  });

  test('Swagger UI\'s files load, for anyone, with their types; nothing else is served from there', async () => {
    for (const [file, type] of [
      ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
      ['swagger-ui.css', 'text/css; charset=utf-8'],
      ['init.js', 'text/javascript; charset=utf-8'],
      ['favicon-32x32.png', 'image/png'],
      ['favicon-16x16.png', 'image/png'],
    ] as const) {
      const res = await u.anonymous.get(`/swagger/assets/${file}`);
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get('content-type'), type, file);
      assert.ok(Number(res.headers.get('content-length')) > 100, file);
      assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
    }
    assert.match((await u.anonymous.get('/swagger/assets/init.js')).body as string, /SwaggerUIBundle\(/);
    for (const file of ['..%2Fpackage.json', 'index.html', 'swagger-ui-bundle.js.map', 'constructor', '__proto__']) {
      const res = await u.anonymous.get(`/swagger/assets/${file}`);
      assert.equal(res.status, 404, file);
      assert.equal(typeof res.body.error, 'string');
    }
  });

  test('ai-plugin.json: the legacy manifest, pointing at the GPT document; auth none for a public agent, a bearer key otherwise', async () => {
    const m = (await get(`/agents/${id}/.well-known/ai-plugin.json`)).body;
    assert.deepEqual(m, {
      schema_version: 'v1',
      name_for_human: 'Looker',
      name_for_model: 'Looker',
      description_for_human: 'Looks and says',
      description_for_model: 'You look things up.',
      auth: { type: 'service_http', authorization_type: 'bearer', verification_tokens: {} },
      api: { type: 'openapi', url: `${ORIGIN}/agents/${id}/api-docs/openapi-gpt.json`, is_user_authenticated: false },
      logo_url: `${ORIGIN}/swagger/assets/favicon-32x32.png`,
      contact_email: '',
      legal_info_url: `${ORIGIN}/`,
    });
    assert.equal((await u.anonymous.get(m.api.url.slice(ORIGIN.length), { authorization: `Bearer ${u.aliceToken.bearer}` })).body.openapi, '3.1.0', 'the manifest\'s document');
    assert.equal((await get('/.well-known/ai-plugin.json', { 'x-agent-id': id })).body.api.url, `${ORIGIN}/.well-known/openapi.json`);
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' });
    try {
      assert.deepEqual((await u.anonymous.get(`/.well-known/ai-plugin.json`, { host: `${id}.agents.test` })).body.auth, { type: 'none' });
      assert.deepEqual((await u.anonymous.get(`/.well-known/ai-plugin.json`, { host: `${id}.agents.test` })).body.api.url, `http://${id}.agents.test/.well-known/openapi.json`);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
    }
  });

  test('a version: ?version= and X-AGENT-VERSION document that deployment at /v<version> paths, which answer; a production host the newest, unprefixed', async () => {
    const versioned = await importFixture(u.alice, JSON.stringify(looker), 'Versioned');
    assert.equal((await u.alice.post(`/api/agents/${versioned}/deploy`, {})).status, 201);
    for (const [path, headers] of [
      [`/agents/${versioned}/api-docs/openapi.json?version=1.0`, {}],
      ['/api-docs/openapi.json', { 'x-agent-id': versioned, 'x-agent-version': '1.0' }],
      ['/api-docs/openapi.json?version=1.0', { 'x-agent-id': versioned, 'x-agent-version': '7.7' }],
    ] as const) {
      const d = await get(path, headers);
      await valid(d, path);
      assert.equal(d.body.info.version, '1.0');
      assert.deepEqual(Object.keys(d.body.paths), ['/v1.0/api/look', '/v1.0/api/say', '/v1.0/api/upload', '/v1.0/api/secret']);
    }
    const gpt = (await get(`/agents/${versioned}/api-docs/openapi-gpt.json?version=1.0`)).body;
    assert.deepEqual(Object.keys(gpt.paths), ['/v1.0/api/look', '/v1.0/api/say', '/v1.0/api/upload']);
    // The documented path answers where the document's server says.
    assert.deepEqual((await get(`/agents/${versioned}/v1.0/api/look?q=hey`)).body, { q: 'hey' });
    const latest = await get('/api-docs/openapi.json', { host: `${versioned}.agents.prod` });
    assert.equal(latest.body.info.version, '1.0');
    assert.deepEqual(Object.keys(latest.body.paths)[0], '/api/look', 'latest: no prefix (§7)');
    assert.deepEqual(Object.keys((await get(`/agents/${versioned}/api-docs/openapi.json?version=latest`)).body.paths)[0], '/api/look');
    const unknown = await get(`/agents/${versioned}/api-docs/openapi.json?version=7.7`);
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.body.error, 'string');
    for (const bad of ['abc', '1', '', '1.0&version=2.0']) {
      const res = await get(`/agents/${versioned}/swagger?version=${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.error, 'version must be a deployed version like 1.2, or latest');
    }
  });
});

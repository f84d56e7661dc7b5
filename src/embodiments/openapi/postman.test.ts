import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aiPluginManifest, nameForModel } from './ai-plugin.ts';
import { attachmentHeader, postmanCollection, PostmanConversionError } from './postman.ts';
import type { OpenApiDocument } from './spec.ts';

const doc = (extra: Partial<OpenApiDocument> = {}): OpenApiDocument => ({
  openapi: '3.0.1',
  info: { title: 'Echo', description: 'd', version: '1.0.0' },
  servers: [{ url: 'https://orrery.example/agents/a1' }],
  paths: { '/api/say': { post: { operationId: 'say', summary: 'Say', requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { text: { type: 'string' } } } } } }, responses: { 200: { description: 'ok' } } } } },
  ...extra,
});

test('the collection: base URL a variable set to the server, one request per skill', async () => {
  const c = await postmanCollection(doc());
  assert.deepEqual(c.variable, [{ key: 'baseUrl', value: 'https://orrery.example/agents/a1' }]);
  assert.equal(c.auth, undefined);
  const items = JSON.stringify(c.item);
  assert.match(items, /"host":\["\{\{baseUrl\}\}"\]/);
  assert.match(items, /"path":\["api","say"\]/);
});

test('a secured document: every request sends Bearer {{bearerToken}}, a variable the collection declares', async () => {
  const c = await postmanCollection(doc({ components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } }, security: [{ bearerAuth: [] }] }));
  assert.deepEqual(c.auth, { type: 'bearer', bearer: [{ key: 'token', value: '{{bearerToken}}', type: 'any' }] });
  assert.deepEqual(c.variable?.map((v) => [v.key, v.value]), [['baseUrl', 'https://orrery.example/agents/a1'], ['bearerToken', '']]);
});

test('a document the converter refuses is a PostmanConversionError with its reason', async () => {
  await assert.rejects(postmanCollection({ openapi: '3.0.1' } as OpenApiDocument), (error: Error) => error instanceof PostmanConversionError && error.message.length > 0);
});

test('Content-Disposition: the name in ASCII, quotes and backslashes replaced, and filename* when anything was', () => {
  assert.equal(attachmentHeader('Echo bot'), 'attachment; filename="Echo bot.postman.json"');
  assert.equal(attachmentHeader('Say "hi" \\ ünï'), `attachment; filename="Say _hi_ _ _n_.postman.json"; filename*=UTF-8''Say%20%22hi%22%20%5C%20%C3%BCn%C3%AF.postman.json`);
  assert.equal(attachmentHeader("it's (x)*"), `attachment; filename="it's (x)*.postman.json"`);
  assert.equal(attachmentHeader("it's ü"), `attachment; filename="it's _.postman.json"; filename*=UTF-8''it%27s%20%C3%BC.postman.json`);
});

test('ai-plugin: OpenAI\'s limits, the original\'s fallbacks, auth by skill access', () => {
  const m = aiPluginManifest({
    name: 'A very long agent name — ünïcode',
    definition: { shortDescription: `${'Short sentence. '.repeat(10)}`, behavior: 'You help.' },
    secured: false,
    openapiUrl: 'https://o.example/.well-known/openapi.json',
    logoUrl: 'https://o.example/logo.png',
    legalInfoUrl: 'https://o.example/',
  });
  assert.equal(m.schema_version, 'v1');
  assert.equal(m.name_for_human, 'A very long agent na');
  assert.equal(m.name_for_model, 'A_very_long_agent_name_n_code');
  assert.ok(m.description_for_human.length <= 100 && m.description_for_human.endsWith('.'));
  assert.equal(m.description_for_model, 'You help.');
  assert.deepEqual(m.auth, { type: 'none' });
  assert.deepEqual(m.api, { type: 'openapi', url: 'https://o.example/.well-known/openapi.json', is_user_authenticated: false });
  const secured = aiPluginManifest({ name: 'B', definition: { description: 'Old description' }, secured: true, openapiUrl: 'u', logoUrl: 'l', legalInfoUrl: 'g' });
  assert.deepEqual(secured.auth, { type: 'service_http', authorization_type: 'bearer', verification_tokens: {} });
  assert.equal(secured.description_for_human, 'Old description');
  assert.equal(secured.description_for_model, 'Old description');
  assert.equal(nameForModel('!!!'), 'agent');
});

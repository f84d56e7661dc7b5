import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { importAgent } from '../../agents/definition.ts';
import type { InputDef } from '../../agents/engine/component.ts';
import { agentOpenApi, defaultOf, type SpecOptions } from './spec.ts';

type Input = { name: string; type?: string; optional?: boolean; description?: string; defaultVal?: unknown };
function endpoint(id: string, data: Record<string, unknown>, inputs: Input[]) {
  return { id, name: 'APIEndpoint', data, inputs: inputs.map((i, index) => ({ ...i, index })), outputs: [{ name: 'body', index: 0, default: true }] };
}

const { definition: imported } = importAgent({
  version: '1.0.0',
  shortDescription: 'Short',
  behavior: 'You behave.',
  components: [
    endpoint('g', { endpoint: 'find', method: 'GET', doc: 'Find docs', description: 'Find things' }, [
      { name: 'q', type: 'Text', description: 'what to find' },
      { name: 'limit', type: 'Integer', optional: true, defaultVal: '10' },
      { name: 'ids', type: 'Array', optional: true },
      { name: 'where', type: 'Object', optional: true },
    ]),
    endpoint('p', { endpoint: 'find', method: 'POST', description: 'Find by body' }, [{ name: 'q', type: 'Any', defaultVal: '{{QUERY}}' }]),
    endpoint('f', { endpoint: 'upload', method: 'POST' }, [{ name: 'file', type: 'Image' }, { name: 'note', type: 'Text', optional: true }]),
    endpoint('n', { endpoint: 'ping', method: 'POST', ai_exposed: false }, []),
  ],
  connections: [],
});
assert.ok(imported, 'the test agent imports');
const subject = { name: 'Finder', version: null, definition: imported };
const plain: SpecOptions = { variant: 'plain', serverUrl: 'https://orrery.example/agents/a1', secured: false };

test('the plain document: 3.0.1, info, servers with their scheme, one path per endpoint, SmythOS summaries', async () => {
  const d = agentOpenApi(subject, plain);
  assert.equal(d.openapi, '3.0.1');
  assert.deepEqual(d.info, { title: 'Finder', description: 'Short', version: '1.0.0' });
  assert.deepEqual(d.servers, [{ url: 'https://orrery.example/agents/a1' }]);
  assert.deepEqual(Object.keys(d.paths), ['/api/find', '/api/upload', '/api/ping']);
  assert.deepEqual(Object.keys(d.paths['/api/find']!), ['get', 'post']);
  const get = d.paths['/api/find']!.get!;
  assert.equal(get.summary, 'Find docs', 'doc before description');
  assert.equal(get.operationId, 'find');
  assert.equal(d.paths['/api/find']!.post!.operationId, 'find_post', 'unique operation ids');
  assert.equal(get['x-openai-isConsequential'], false);
  assert.deepEqual(get.responses, { 200: { description: "The skill's answer", content: { 'text/plain': { schema: { type: 'string' } } } } });
  assert.equal(d.paths['/api/ping']!.post!.requestBody, undefined, 'no inputs, no body');
  assert.equal(d.security, undefined);
  await SwaggerParser.validate(structuredClone(d) as never);
});

test('GET inputs are query parameters (arrays form/explode false, objects deepObject); defaults of the right type only', () => {
  const d = agentOpenApi(subject, plain);
  assert.deepEqual(d.paths['/api/find']!.get!.parameters, [
    { name: 'q', in: 'query', description: 'what to find', required: true, schema: { type: 'string' } },
    { name: 'limit', in: 'query', required: false, schema: { type: 'integer', default: 10 } },
    { name: 'ids', in: 'query', required: false, schema: { type: 'array', items: {} }, style: 'form', explode: false },
    { name: 'where', in: 'query', required: false, schema: { type: 'object', additionalProperties: {} }, style: 'deepObject', explode: true },
  ]);
  assert.deepEqual(d.paths['/api/find']!.post!.requestBody, {
    required: true,
    content: { 'application/json': { schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } },
  }, 'a template default is left out');
});

test('a file input makes the body multipart in the plain document, base64 text in JSON in the LLM one', () => {
  const p = agentOpenApi(subject, plain).paths['/api/upload']!.post!.requestBody as { content: Record<string, { schema: unknown }> };
  assert.deepEqual(p.content, { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' }, note: { type: 'string' } }, required: ['file'] } } });
  const l = agentOpenApi(subject, { ...plain, variant: 'llm' }).paths['/api/upload']!.post!.requestBody as { content: Record<string, { schema: unknown }> };
  assert.deepEqual(l.content, { 'application/json': { schema: { type: 'object', properties: { file: { type: 'string', format: 'byte' }, note: { type: 'string' } }, required: ['file'] } } });
});

test('the LLM document: AI-exposed skills only, the behavior, description before doc', () => {
  const d = agentOpenApi(subject, { ...plain, variant: 'llm' });
  assert.equal(d.info.description, 'You behave.');
  assert.deepEqual(Object.keys(d.paths), ['/api/find', '/api/upload']);
  assert.equal(d.paths['/api/find']!.get!.summary, 'Find things');
});

test('a version asked for gives /v<version> paths and info.version; a secured agent declares the bearer scheme', async () => {
  const d = agentOpenApi({ ...subject, version: '1.2' }, { ...plain, pathVersion: '1.2', secured: true });
  assert.equal(d.info.version, '1.2');
  assert.deepEqual(Object.keys(d.paths), ['/v1.2/api/find', '/v1.2/api/upload', '/v1.2/api/ping']);
  assert.deepEqual(d.security, [{ bearerAuth: [] }]);
  assert.deepEqual(d.components, { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: "The agent owner's Orrery access token, or the agent's API key" } } });
  await SwaggerParser.validate(structuredClone(d) as never);
});

test('defaults: kept when of the input type, converted from text when exact, else left out', () => {
  const of = (type: string, defaultVal: unknown, schema: Record<string, unknown>) => defaultOf({ name: 'x', type, defaultVal } as InputDef, schema);
  assert.equal(of('Text', 'hi', { type: 'string' }), 'hi');
  assert.equal(of('Text', 'a {{VAR}}', { type: 'string' }), undefined);
  assert.equal(of('Number', '2.5', { type: 'number' }), 2.5);
  assert.equal(of('Integer', '2.5', { type: 'integer' }), undefined);
  assert.equal(of('Integer', 'x', { type: 'integer' }), undefined);
  assert.equal(of('Boolean', 'false', { type: 'boolean' }), false);
  assert.deepEqual(of('Array', [1], { type: 'array' }), [1]);
  assert.equal(of('Array', '[1]', { type: 'array' }), undefined);
  assert.equal(of('Object', '', { type: 'object' }), undefined);
});

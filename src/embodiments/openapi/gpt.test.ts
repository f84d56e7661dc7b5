import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { cutAtSentence, schema31, toGptActions } from './gpt.ts';
import type { OpenApiDocument } from './spec.ts';

test('summaries: at most 300 characters, cut after the last full stop within them, else hard', () => {
  const long = `${'One sentence here. '.repeat(20)}Tail`;
  const cut = cutAtSentence(long);
  assert.ok(cut.length <= 300 && cut.endsWith('.'), cut);
  assert.equal(cut, long.slice(0, long.lastIndexOf('.', 299) + 1));
  assert.equal(cutAtSentence('x'.repeat(301)), 'x'.repeat(300));
  assert.equal(cutAtSentence('short. text'), 'short. text');
});

test('schemas: nullable becomes a type union, files base64 strings, empty items strings, empty additionalProperties true — nested too', () => {
  assert.deepEqual(schema31({ type: 'string', nullable: true }), { type: ['string', 'null'] });
  assert.deepEqual(schema31({ type: 'string', nullable: false }), { type: 'string' });
  assert.deepEqual(schema31({ type: 'string', format: 'binary' }), { type: 'string', contentEncoding: 'base64' });
  assert.deepEqual(schema31({ type: 'string', format: 'byte', description: 'a file' }), { type: 'string', description: 'a file', contentEncoding: 'base64' });
  assert.deepEqual(schema31({ type: 'array', items: {} }), { type: 'array', items: { type: 'string' } });
  assert.deepEqual(schema31({ type: 'object', additionalProperties: {} }), { type: 'object', additionalProperties: true });
  assert.deepEqual(
    schema31({ type: 'object', properties: { a: { type: 'array', items: { type: 'integer', nullable: true } }, nullable: { type: 'boolean' } }, anyOf: [{ type: 'object', additionalProperties: {} }] }),
    { type: 'object', properties: { a: { type: 'array', items: { type: ['integer', 'null'] } }, nullable: { type: 'boolean' } }, anyOf: [{ type: 'object', additionalProperties: true }] },
    'an input named "nullable" is a property, not the keyword',
  );
});

test('the document: 3.1.0, every operation\'s parameters, bodies and responses transformed, the input not changed; it validates', async () => {
  const doc: OpenApiDocument = {
    openapi: '3.0.1',
    info: { title: 'T', description: 'd', version: '1.0.0' },
    servers: [{ url: 'https://orrery.example' }],
    paths: {
      '/api/a': {
        get: { operationId: 'a', summary: `${'Sentence. '.repeat(40)}`, parameters: [{ name: 'ids', in: 'query', required: false, schema: { type: 'array', items: {} } }], responses: { 200: { description: 'ok' } } },
        post: {
          operationId: 'a_post',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { f: { type: 'string', format: 'byte' }, n: { type: 'number', nullable: true } } } } } },
          responses: { 200: { description: 'ok', content: { 'text/plain': { schema: { type: 'string', nullable: true } } } } },
        },
      },
    },
    components: { schemas: { Thing: { type: 'object', additionalProperties: {} } } },
  };
  const before = structuredClone(doc);
  const gpt = toGptActions(doc);
  assert.deepEqual(doc, before);
  assert.equal(gpt.openapi, '3.1.0');
  const a = gpt.paths['/api/a']!;
  assert.ok((a.get!.summary as string).length <= 300);
  assert.deepEqual((a.get!.parameters as { schema: unknown }[])[0]!.schema, { type: 'array', items: { type: 'string' } });
  assert.deepEqual(a.post!.requestBody, { required: true, content: { 'application/json': { schema: { type: 'object', properties: { f: { type: 'string', contentEncoding: 'base64' }, n: { type: ['number', 'null'] } } } } } });
  assert.deepEqual(a.post!.responses, { 200: { description: 'ok', content: { 'text/plain': { schema: { type: ['string', 'null'] } } } } });
  assert.deepEqual(gpt.components, { schemas: { Thing: { type: 'object', additionalProperties: true } } });
  await SwaggerParser.validate(structuredClone(gpt) as never);
});

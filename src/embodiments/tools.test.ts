import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importAgent } from '../agents/definition.ts';
import { inputSchemaOf, jsonSchemaOfInputType, skillTools } from './tools.ts';

function endpoint(id: string, data: Record<string, unknown>, inputs: { name: string; type?: string; optional?: boolean; description?: string }[]) {
  return { id, name: 'APIEndpoint', data, inputs: inputs.map((i, index) => ({ ...i, index })), outputs: [{ name: 'body', index: 0, default: true }] };
}

test('input types map as SmythOS maps them into OpenAPI', () => {
  const cases: [string | undefined, unknown][] = [
    ['Number', { type: 'number' }],
    ['float', { type: 'number' }],
    ['Integer', { type: 'integer' }],
    ['Boolean', { type: 'boolean' }],
    ['Array', { type: 'array', items: {} }],
    ['Object', { type: 'object', additionalProperties: {} }],
    ['Binary', { type: 'string' }],
    ['Any', { type: 'string' }],
    [undefined, { type: 'string' }],
    ['Mystery', { type: 'string' }],
  ];
  for (const [type, schema] of cases) assert.deepEqual(jsonSchemaOfInputType(type), schema, String(type));
});

test('a skill\'s inputs are one object schema; required lists the non-optional ones, descriptions kept', () => {
  assert.deepEqual(inputSchemaOf([{ name: 'q', type: 'Text', description: 'the question' }, { name: 'n', type: 'Integer', optional: true }]), {
    type: 'object',
    properties: { q: { type: 'string', description: 'the question' }, n: { type: 'integer' } },
    required: ['q'],
  });
  assert.deepEqual(inputSchemaOf([]), { type: 'object', properties: {} });
});

test('tools are the AI-exposed skills, in order; a second skill on one endpoint gets its method in its name', () => {
  const { definition } = importAgent({
    version: '1.0.0',
    components: [
      endpoint('a', { endpoint: 'ask', method: 'POST', description: 'Ask a question' }, [{ name: 'q' }]),
      endpoint('b', { endpoint: 'hidden', ai_exposed: false }, []),
      endpoint('c', { endpoint: 'ask', method: 'GET', summary: 'Ask by GET' }, []),
      endpoint('d', { endpoint: 'bare', ai_exposed: 'true' }, []),
    ],
    connections: [],
  });
  const tools = skillTools(definition!);
  assert.deepEqual(
    tools.map((t) => [t.name, t.description, t.skill.method]),
    [
      ['ask', 'Ask a question', 'POST'],
      ['ask_get', 'Ask by GET', 'GET'],
      ['bare', "Call the agent's bare skill (POST /api/bare).", 'POST'],
    ],
  );
  assert.equal(skillTools(definition!), tools, 'cached per definition');
});

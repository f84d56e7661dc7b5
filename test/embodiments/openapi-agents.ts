/**
 * The agents the OpenAPI family's tests document (issue 12 item 4): skills with GET query inputs of
 * every kind, POST JSON inputs, a file input and one skill hidden from AI, each answering what it got.
 */
import { agent, type Spec } from '../agents/agent-builder.ts';

/** A skill with exactly these inputs (`name?` optional) and types; each field wired to an APIOutput `<id>O`. */
export function echoSkill(id: string, endpoint: string, method: 'GET' | 'POST', inputs: string[], types: Record<string, string>, data: Record<string, unknown> = {}): Spec[] {
  const fields = inputs.map((i) => i.replace(/\?$/, ''));
  return [
    {
      id,
      name: 'APIEndpoint',
      data: { endpoint, method, ai_exposed: true, ...data },
      inputs,
      types,
      outputs: ['headers!', 'body!', 'query!', ...fields.map((f) => `${method === 'GET' ? 'query' : 'body'}.${f}`)],
    },
    { id: `${id}O`, name: 'APIOutput', data: { format: 'minimal' }, inputs: fields.map((f) => `${f}?`), outputs: ['Output!'] },
  ];
}

/** The wires of {@link echoSkill}: every field to its output. */
export function echoWires(id: string, method: 'GET' | 'POST', inputs: string[]): [string, string, string, string][] {
  return inputs.map((i) => i.replace(/\?$/, '')).map((f) => [id, `${method === 'GET' ? 'query' : 'body'}.${f}`, `${id}O`, f]);
}

/** A summary longer than GPT Actions take (300 characters), in sentences. */
export const LONG_SUMMARY = `${'A sentence that goes on. '.repeat(20)}The end`;

const LOOK = ['q', 'n?', 'tags?', 'filter?'];
const SAY = ['text', 'loud?'];

/** GET with typed query inputs, POST with JSON inputs, POST with a Binary input, one skill hidden from AI. */
export const looker = agent(
  [
    ...echoSkill('EG', 'look', 'GET', LOOK, { q: 'Text', n: 'Integer', tags: 'Array', filter: 'Object' }, { description: 'Look it up', doc: 'Docs of look' }),
    ...echoSkill('EP', 'say', 'POST', SAY, { text: 'Text', loud: 'Boolean' }, { description: LONG_SUMMARY }),
    ...echoSkill('EF', 'upload', 'POST', ['file', 'note?'], { file: 'Binary', note: 'Text' }, { description: 'Upload a file' }),
    ...echoSkill('EX', 'secret', 'POST', [], {}, { ai_exposed: false, description: 'Not for models' }),
  ],
  [...echoWires('EG', 'GET', LOOK), ...echoWires('EP', 'POST', SAY), ...echoWires('EF', 'POST', ['file', 'note?'])],
  { shortDescription: 'Looks and says', behavior: 'You look things up.' },
);

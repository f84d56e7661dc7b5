// Every assert.ok carries a message: without one, Node reads the call's source to build it, which hangs under tsx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exportAgent, findSkill, importAgent, skillsOf, type DefinitionProblem } from './definition.ts';

// The SmythOS fixtures (../shared/smyth, SOURCES.md); a copy under test/fixtures/smyth wins when present.
const root = path.resolve(import.meta.dirname, '../..');
const fixtureDir = [path.join(root, 'test/fixtures/smyth'), path.join(root, '../shared/smyth')].find((dir) => existsSync(dir)) as string;
const fixture = (name: string) => readFileSync(path.join(fixtureDir, `${name}.smyth`), 'utf8');
const FIXTURES = ['sre-echo-LLMPrompt', 'functions-components', 'general-unit-tests', 'linear-utility'];

const errors = (problems: DefinitionProblem[]) => problems.filter((p) => p.severity === 'error');
const warnings = (problems: DefinitionProblem[]) => problems.filter((p) => p.severity === 'warning');
const clone = <T>(value: T): T => structuredClone(value);

/** A one-skill agent: APIEndpoint `EP` (body.message) → PromptGenerator `P` → APIOutput `OUT`. */
function smallAgent(): Record<string, any> {
  return {
    version: '1.0.0',
    id: 'small',
    name: 'Small',
    components: [
      {
        id: 'EP',
        name: 'APIEndpoint',
        title: 'Say',
        data: { endpoint: 'say', method: 'POST', description: '', summary: '', ai_exposed: true },
        inputs: [{ name: 'message', type: 'Any', optional: false, index: 0 }],
        outputs: [
          { name: 'headers', index: 0, default: true },
          { name: 'body', index: 1, default: true },
          { name: 'query', index: 2, default: true },
          { name: 'body.message', index: 3, default: false },
        ],
      },
      { id: 'P', name: 'PromptGenerator', title: 'Echo', data: { model: 'Echo', prompt: 'Saying : {{Input}}' }, inputs: [{ name: 'Input', index: 0 }], outputs: [{ name: 'Reply', index: 0, default: true }] },
      { id: 'OUT', name: 'APIOutput', title: 'Out', data: { format: 'minimal' }, inputs: [{ name: 'result', index: 0 }], outputs: [{ name: 'Output', index: 0, default: true }] },
    ],
    connections: [
      { sourceId: 'EP', sourceIndex: 3, targetId: 'P', targetIndex: 0 },
      { sourceId: 'P', sourceIndex: 0, targetId: 'OUT', targetIndex: 0 },
    ],
  };
}

/** The problems of `doc`, asserting there is at least one error and no definition. */
function rejected(doc: unknown): DefinitionProblem[] {
  const { definition, problems } = importAgent(doc);
  assert.equal(definition, undefined, 'a document with errors has no definition');
  assert.ok(errors(problems).length > 0, 'at least one error');
  return problems;
}

/** The one problem at `problemPath`, asserting it exists. */
function at(problems: DefinitionProblem[], problemPath: string): DefinitionProblem {
  const found = problems.find((p) => p.path === problemPath);
  assert.ok(found, `a problem at ${problemPath}; got ${JSON.stringify(problems)}`);
  return found;
}

test('each SmythOS fixture imports without problems and lists the skills SOURCES.md gives', () => {
  const expected: Record<string, string[]> = {
    'sre-echo-LLMPrompt': ['POST /api/say'],
    'functions-components': ['POST /api/dec', 'POST /api/enc', 'POST /api/hash', 'POST /api/sign', 'POST /api/sleep_10', 'POST /api/timestamp'],
    'general-unit-tests': ['POST /api/test_strong_typing', 'POST /api/test_strong_typing_default_vals'],
    'linear-utility': ['POST /api/pipe'],
  };
  for (const name of FIXTURES) {
    const text = fixture(name);
    const { definition, problems } = importAgent(text, { isKnownType: () => true });
    assert.deepEqual(problems, [], name);
    assert.ok(definition, name);
    const raw = JSON.parse(text);
    assert.equal(definition.components.length, raw.components.length, name);
    assert.equal(definition.connections.length, raw.connections.length, name);
    assert.equal(definition.templateInfo, undefined, `${name}: templateInfo dropped`);
    assert.deepEqual(skillsOf(definition).map((s) => `${s.method} ${s.path}`).sort(), expected[name], name);
  }
  const say = skillsOf(importAgent(fixture('sre-echo-LLMPrompt')).definition!)[0]!;
  assert.deepEqual(
    { componentId: say.componentId, endpoint: say.endpoint, ai_exposed: say.ai_exposed, inputs: say.inputs.map((i) => i.name) },
    { componentId: 'MC8YU6MSOIG', endpoint: 'say', ai_exposed: true, inputs: ['message'] },
  );
});

test('findSkill matches the method (any case) and the endpoint by name or /api/ path', () => {
  const { definition } = importAgent(fixture('functions-components'));
  assert.ok(definition, 'imports');
  assert.equal(findSkill(definition, 'POST', 'hash')?.componentId, 'LYQPSR9TQDJ');
  assert.equal(findSkill(definition, 'post', '/api/hash')?.componentId, 'LYQPSR9TQDJ');
  assert.equal(findSkill(definition, 'GET', 'hash'), undefined);
  assert.equal(findSkill(definition, 'POST', 'nope'), undefined);
});

test('export gives back the stored document: byte-identical text, deep-equal objects, import changes nothing', () => {
  for (const name of FIXTURES) {
    const text = fixture(name);
    assert.equal(exportAgent(text), text, `${name}: text round trip is byte-stable`);
    assert.equal(exportAgent(`\ufeff${text}`), text, `${name}: a byte-order mark is not exported`);
    const parsed = JSON.parse(text);
    const before = clone(parsed);
    const { definition } = importAgent(parsed);
    assert.ok(definition, 'imports');
    assert.deepEqual(parsed, before, `${name}: import leaves the document unchanged`);
    assert.deepEqual(JSON.parse(exportAgent(parsed)), before, `${name}: object round trip`);
    assert.deepEqual(JSON.parse(exportAgent({ data: parsed, version: '1.0' })), { data: before, version: '1.0' });
  }
});

test('exportAgent refuses what is not a JSON object', () => {
  assert.throws(() => exportAgent('not json'), SyntaxError);
  assert.throws(() => exportAgent('[1]'), TypeError);
  assert.throws(() => exportAgent(undefined), TypeError);
  assert.throws(() => exportAgent(null), TypeError);
});

test('the {data, version} layout imports like the bare agent; its paths start with data.', () => {
  const bare = JSON.parse(fixture('sre-echo-LLMPrompt'));
  const wrapped = importAgent({ data: clone(bare), version: '1.0' });
  assert.deepEqual(wrapped, importAgent(bare));

  const broken = smallAgent();
  broken.components[0].inputs = 'message';
  const problem = at(rejected({ data: broken, version: '1.0' }), 'data.components[0].inputs');
  assert.equal(problem.componentId, 'EP');
});

/** The fixture with the legacy names, as an agent without a schema version is written. */
function legacyOf(agent: Record<string, any>): Record<string, any> {
  const legacy = clone(agent);
  delete legacy.version;
  for (const component of legacy.components) {
    component.receptors = component.inputs;
    component.connectors = component.outputs;
    delete component.inputs;
    delete component.outputs;
  }
  return legacy;
}

test('a legacy file (no version, connectors/receptors) imports to the same definition', () => {
  for (const name of FIXTURES) {
    const modern = JSON.parse(fixture(name));
    const { definition: expected } = importAgent(modern);
    const { definition, problems } = importAgent(legacyOf(modern));
    assert.deepEqual(problems, [], name);
    assert.ok(definition && expected, `${name} imports both ways`);
    assert.equal(definition.version, undefined);
    // Schema 1.0.0's behavior fallback does not apply to a legacy file.
    const withoutSchema = (d: Record<string, unknown>) => ({ ...d, version: undefined, behavior: undefined });
    assert.deepEqual(withoutSchema(definition), withoutSchema(expected), name);
    for (const component of definition.components) assert.ok(!('receptors' in component) && !('connectors' in component), name);
  }
});

test('legacy renaming covers the props and the wrapped layout, and applies only without a version', () => {
  const legacy = legacyOf(smallAgent());
  legacy.components[1].receptorProps = { a: 1 };
  legacy.components[1].connectorProps = { b: 2 };
  // The wrapper's version is a deployment version: the agent inside still has no schema version.
  const { definition } = importAgent({ data: legacy, version: '1.2' });
  assert.ok(definition, 'imports');
  assert.deepEqual(definition.components[1]!.inputProps, { a: 1 });
  assert.deepEqual(definition.components[1]!.outputProps, { b: 2 });
  assert.ok(!('receptorProps' in definition.components[1]!), 'receptorProps renamed');
  assert.equal(definition.components[1]!.inputs[0]!.name, 'Input');

  // A versioned file is not migrated: its `receptors` are not inputs, so the connection into P has no input 0.
  const versioned = legacyOf(smallAgent());
  versioned.version = '1.0.0';
  const problem = at(rejected(versioned), 'connections[0].targetIndex');
  assert.equal(problem.componentId, 'P');
});

test('schema 1.0.0: behavior falls back to a non-empty description', () => {
  const agent = smallAgent();
  agent.description = 'describes';
  agent.behavior = '';
  assert.equal(importAgent(agent).definition?.behavior, 'describes');
  agent.behavior = 'behaves';
  assert.equal(importAgent(agent).definition?.behavior, 'behaves');
  delete agent.behavior;
  agent.version = '2.0.0';
  assert.equal(importAgent(agent).definition?.behavior, undefined);
});

test('Note components, connections touching them and templateInfo are dropped from the view', () => {
  const agent = smallAgent();
  agent.templateInfo = { id: 't' };
  agent.components.push({ id: 'N', name: 'Note', data: { text: 'hi' }, inputs: [], outputs: [{ name: 'x' }] });
  agent.connections.push({ sourceId: 'N', sourceIndex: 0, targetId: 'OUT', targetIndex: 0 });
  const { definition, problems } = importAgent(agent);
  assert.ok(definition, 'imports');
  assert.deepEqual(definition.components.map((c) => c.id), ['EP', 'P', 'OUT']);
  assert.equal(definition.connections.length, 2);
  assert.equal(definition.templateInfo, undefined);
  assert.deepEqual(problems.map((p) => [p.severity, p.path]), [['warning', 'connections[2]']]);
  assert.match(problems[0]!.message, /Note component "N"/);
});

test('connections by name resolve to positions, matched by the ports\' names', () => {
  const agent = smallAgent();
  agent.connections = [
    { sourceId: 'EP', sourceIndex: 'body.message', targetId: 'P', targetIndex: 'Input' },
    { sourceId: 'P', sourceIndex: 'Reply', targetId: 'OUT', targetIndex: 0 },
  ];
  const { definition, problems } = importAgent(agent);
  assert.deepEqual(problems, []);
  assert.deepEqual(definition?.connections, [
    { sourceId: 'EP', sourceIndex: 3, targetId: 'P', targetIndex: 0 },
    { sourceId: 'P', sourceIndex: 0, targetId: 'OUT', targetIndex: 0 },
  ]);
  assert.deepEqual(agent.connections[0].sourceIndex, 'body.message', 'the document keeps its names');
});

test('ports are addressed by position: index fields that disagree are overridden, with a warning', () => {
  const agent = smallAgent();
  agent.components[1].inputs = [{ name: 'Other', index: 1 }, { name: 'Input', index: 0 }];
  agent.connections[0].targetIndex = 'Input';
  const { definition, problems } = importAgent(agent);
  assert.ok(definition, 'imports');
  assert.deepEqual(definition.connections[0], { sourceId: 'EP', sourceIndex: 3, targetId: 'P', targetIndex: 1 });
  assert.deepEqual(definition.components[1]!.inputs.map((i) => [i.name, i.index]), [['Other', 0], ['Input', 1]]);
  assert.deepEqual(warnings(problems).map((p) => p.path), ['components[1].inputs[0].index', 'components[1].inputs[1].index']);
  assert.equal(agent.components[1].inputs[0].index, 1, 'the document keeps its own index fields');
});

test('targetIndex -1 (a trigger feeding an APIEndpoint) is kept', () => {
  const agent = smallAgent();
  agent.components.push({ id: 'T', name: 'JobScheduler', data: {}, inputs: [], outputs: [{ name: 'Payload' }] });
  agent.connections.push({ sourceId: 'T', sourceIndex: 0, targetId: 'EP', targetIndex: -1 });
  const { definition, problems } = importAgent(agent);
  assert.deepEqual(problems, []);
  assert.deepEqual(definition?.connections[2], { sourceId: 'T', sourceIndex: 0, targetId: 'EP', targetIndex: -1 });
});

test('variables default to {}, other top-level fields are carried over', () => {
  const agent = smallAgent();
  agent.introMessage = 'hello';
  agent.auth = { method: 'none' };
  const { definition } = importAgent(agent);
  assert.deepEqual(definition?.variables, {});
  assert.equal(definition?.introMessage, 'hello');
  assert.deepEqual(definition?.auth, { method: 'none' });
  agent.variables = { API: 'https://x' };
  assert.deepEqual(importAgent(agent).definition?.variables, { API: 'https://x' });
});

test('garbage gives problems, never a throw', () => {
  for (const doc of ['not json {', '', '[]', '42', 'null', 42, null, undefined, [], 'hello', true, {}, { data: 5 }, { data: null }]) {
    const problems = rejected(doc);
    assert.ok(problems.every((p) => typeof p.message === 'string' && p.message.length > 0), JSON.stringify(doc));
  }
  assert.match(rejected('not json {')[0]!.message, /not valid JSON/);
  assert.equal(rejected({}).at(0)?.path, 'components');
  assert.equal(rejected({ data: 5 }).at(0)?.path, 'data');
  assert.equal(rejected({ components: 'x', connections: [] }).at(0)?.path, 'components');
});

test('agent fields of the wrong shape are errors: connections, variables', () => {
  const agent = smallAgent();
  agent.connections = { a: 1 };
  agent.variables = ['x'];
  const problems = rejected(agent);
  at(problems, 'connections');
  at(problems, 'variables');
});

test('components: not an object, no id, no name, duplicate ids, data not an object', () => {
  const agent = smallAgent();
  agent.components.push(
    'APIEndpoint',
    { name: 'FHash', title: 'No id', data: {}, inputs: [], outputs: [] },
    { id: 'X', title: 'No name', data: {}, inputs: [], outputs: [] },
    { id: 'P', name: 'FHash', title: 'Twin', data: {}, inputs: [], outputs: [] },
    { id: 'D', name: 'FHash', title: 'Bad data', data: 'md5', inputs: [], outputs: [] },
  );
  const problems = rejected(agent);
  assert.match(at(problems, 'components[3]').message, /JSON object/);
  assert.deepEqual(pick(at(problems, 'components[4].id')), { componentId: undefined, title: 'No id', message: 'Component (No id): has no id.' });
  assert.deepEqual(pick(at(problems, 'components[5].name')), { componentId: 'X', title: 'No name', message: 'Component "X" (No name): has no name (its type, such as "APIEndpoint").' });
  assert.deepEqual(pick(at(problems, 'components[6].id')), { componentId: 'P', title: 'Twin', message: 'Component "P" (Twin): duplicate id: components[1] has it too.' });
  assert.equal(at(problems, 'components[7].data').componentId, 'D');
  assert.equal(errors(problems).length, 5, 'one error each, all reported at once');
});

const pick = (p: DefinitionProblem) => ({ componentId: p.componentId, title: p.title, message: p.message });

test('components: inputs or outputs not arrays, ports without a name', () => {
  const agent = smallAgent();
  agent.components[1].inputs = { name: 'Input' };
  agent.components[2].outputs = 'Output';
  agent.components[0].inputs = [{ type: 'Any' }];
  const problems = rejected(agent);
  assert.equal(at(problems, 'components[1].inputs').componentId, 'P');
  assert.match(at(problems, 'components[1].inputs').message, /^Component "P" \(Echo\): inputs must be an array\.$/);
  assert.equal(at(problems, 'components[2].outputs').componentId, 'OUT');
  assert.equal(at(problems, 'components[0].inputs[0]').componentId, 'EP');
  // The connections into P and OUT cannot be checked against malformed ports: no second report.
  assert.equal(errors(problems).length, 3);
});

test('legacy port fields of the wrong shape are reported under their own names', () => {
  const agent = legacyOf(smallAgent());
  agent.components[1].receptors = 'Input';
  assert.equal(at(rejected(agent), 'components[1].receptors').componentId, 'P');
});

test('connections: not an object, unknown source or target component', () => {
  const agent = smallAgent();
  agent.connections.push(7, { sourceId: 'GHOST', sourceIndex: 0, targetId: 'OUT', targetIndex: 0 }, { sourceId: 'P', sourceIndex: 0, targetId: 'NOWHERE', targetIndex: 0 });
  const problems = rejected(agent);
  assert.match(at(problems, 'connections[2]').message, /^Connection 2 must be an object/);
  const ghost = at(problems, 'connections[3].sourceId');
  assert.equal(ghost.componentId, 'OUT');
  assert.match(ghost.message, /"GHOST", which is not a component of this agent/);
  const nowhere = at(problems, 'connections[4].targetId');
  assert.deepEqual([nowhere.componentId, nowhere.title], ['P', 'Echo']);
  assert.match(nowhere.message, /"NOWHERE"/);
});

test('connections: out-of-range, non-integer and unknown-name indexes', () => {
  const agent = smallAgent();
  agent.connections = [
    { sourceId: 'EP', sourceIndex: 4, targetId: 'P', targetIndex: 0 },
    { sourceId: 'EP', sourceIndex: 3, targetId: 'P', targetIndex: 1 },
    { sourceId: 'P', sourceIndex: -1, targetId: 'OUT', targetIndex: 0 },
    { sourceId: 'P', sourceIndex: 0.5, targetId: 'OUT', targetIndex: 0 },
    { sourceId: 'P', sourceIndex: 'Nope', targetId: 'OUT', targetIndex: 0 },
    { sourceId: 'P', sourceIndex: 0, targetId: 'OUT', targetIndex: 'missing' },
    { sourceId: 'P', sourceIndex: 0, targetId: 'OUT', targetIndex: null },
    { sourceId: 'P', sourceIndex: 0, targetId: 'OUT', targetIndex: -2 },
  ];
  const problems = rejected(agent);
  const first = at(problems, 'connections[0].sourceIndex');
  assert.deepEqual([first.componentId, first.title], ['EP', 'Say']);
  assert.match(first.message, /output 4, which does not exist \(the component has 4 outputs: "headers", "body", "query", "body.message"\)/);
  const second = at(problems, 'connections[1].targetIndex');
  assert.equal(second.componentId, 'P');
  assert.match(second.message, /input 1, which does not exist \(the component has 1 input: "Input"\)/);
  at(problems, 'connections[2].sourceIndex');
  at(problems, 'connections[3].sourceIndex');
  assert.match(at(problems, 'connections[4].sourceIndex').message, /an output named "Nope", which does not exist/);
  assert.match(at(problems, 'connections[5].targetIndex').message, /an input named "missing", which does not exist/);
  assert.match(at(problems, 'connections[6].targetIndex').message, /a position \(number\) or an input's name/);
  at(problems, 'connections[7].targetIndex');
  assert.equal(errors(problems).length, 8);
});

/** The problems of smallAgent with its endpoint's `data` merged with `data`. */
function endpointProblems(data: Record<string, unknown>): DefinitionProblem[] {
  const agent = smallAgent();
  Object.assign(agent.components[0].data, data);
  for (const [key, value] of Object.entries(data)) if (value === undefined) delete agent.components[0].data[key];
  return importAgent(agent).problems;
}

test('APIEndpoint endpoint: required, the SmythOS pattern, at most 50 characters', () => {
  for (const good of ['say', 'a_b', 'a-b', 'A1_b-c', '_x', 'a-_b', 'x'.repeat(50)]) assert.deepEqual(endpointProblems({ endpoint: good }), [], good);
  for (const bad of ['a b', '-a', 'a-', 'a--b', 'a/b', 'ü', '', 'x'.repeat(51), 5, undefined]) {
    const problem = at(endpointProblems({ endpoint: bad }), 'components[0].data.endpoint');
    assert.deepEqual([problem.severity, problem.componentId, problem.title], ['error', 'EP', 'Say'], String(bad));
  }
  assert.match(at(endpointProblems({ endpoint: 'x'.repeat(51) }), 'components[0].data.endpoint').message, /at most 50 characters/);
  assert.match(at(endpointProblems({ endpoint: undefined }), 'components[0].data.endpoint').message, /data\.endpoint is required/);
});

test('APIEndpoint method: GET or POST, empty or absent means POST', () => {
  assert.deepEqual(endpointProblems({ method: 'GET' }), []);
  for (const method of ['', undefined]) {
    const agent = smallAgent();
    if (method === undefined) delete agent.components[0].data.method;
    else agent.components[0].data.method = method;
    const { definition, problems } = importAgent(agent);
    assert.deepEqual(problems, []);
    assert.equal(skillsOf(definition!)[0]!.method, 'POST');
  }
  for (const method of ['PUT', 'get', 1]) assert.match(at(endpointProblems({ method }), 'components[0].data.method').message, /"GET" or "POST"/);
});

test('APIEndpoint description ≤ 5000, summary and doc ≤ 1000 characters', () => {
  assert.deepEqual(endpointProblems({ description: 'd'.repeat(5000), summary: 's'.repeat(1000), doc: 'x'.repeat(1000) }), []);
  const problems = endpointProblems({ description: 'd'.repeat(5001), summary: 's'.repeat(1001), doc: 'x'.repeat(1001) });
  assert.match(at(problems, 'components[0].data.description').message, /at most 5000 characters/);
  assert.match(at(problems, 'components[0].data.summary').message, /at most 1000 characters/);
  assert.match(at(problems, 'components[0].data.doc').message, /at most 1000 characters/);
  assert.match(at(endpointProblems({ summary: null }), 'components[0].data.summary').message, /must be a string/);
});

test('APIEndpoint ai_exposed: a boolean (or "true"/"false"), true when absent', () => {
  const agent = smallAgent();
  delete agent.components[0].data.ai_exposed;
  assert.equal(skillsOf(importAgent(agent).definition!)[0]!.ai_exposed, true);
  agent.components[0].data.ai_exposed = false;
  assert.equal(skillsOf(importAgent(agent).definition!)[0]!.ai_exposed, false);
  agent.components[0].data.ai_exposed = 'false';
  assert.equal(skillsOf(importAgent(agent).definition!)[0]!.ai_exposed, false);
  at(endpointProblems({ ai_exposed: 'yes' }), 'components[0].data.ai_exposed');
});

test('two APIEndpoints with the same method and endpoint are an error; another method is another skill', () => {
  const agent = smallAgent();
  const twin = clone(agent.components[0]);
  twin.id = 'EP2';
  twin.title = 'Twin';
  agent.components.push(twin);
  const problem = at(rejected(agent), 'components[3].data.endpoint');
  assert.deepEqual([problem.componentId, problem.title], ['EP2', 'Twin']);
  assert.match(problem.message, /POST \/api\/say is also the skill of component "EP"/);

  twin.data.method = 'GET';
  const { definition, problems } = importAgent(agent);
  assert.deepEqual(problems, []);
  assert.equal(findSkill(definition!, 'GET', 'say')?.componentId, 'EP2');
  assert.equal(findSkill(definition!, 'POST', 'say')?.componentId, 'EP');
});

test('an unknown component type is a warning naming the type, id and title; the agent still imports', () => {
  const agent = smallAgent();
  agent.components[1].name = 'TeleportLLM';
  const known = new Set(['APIEndpoint', 'APIOutput', 'PromptGenerator']);
  const { definition, problems } = importAgent(agent, { isKnownType: (name) => known.has(name) });
  assert.ok(definition, 'imports');
  assert.deepEqual(problems, [
    { severity: 'warning', path: 'components[1].name', componentId: 'P', title: 'Echo', message: 'Component "P" (Echo): unknown component type "TeleportLLM": a run that reaches this component fails.' },
  ]);
  assert.deepEqual(importAgent(agent).problems, [], 'without isKnownType no type is judged');
});

test('every problem of a document is reported in one import', () => {
  const agent = smallAgent();
  agent.components[0].data.endpoint = 'bad endpoint';
  agent.components[0].data.method = 'DELETE';
  agent.components[1].outputs = 'Reply';
  agent.components.push({ id: 'OUT', name: 'APIOutput', data: {} });
  agent.connections.push({ sourceId: 'EP', sourceIndex: 'nope', targetId: 'OUT', targetIndex: 0 });
  const problems = rejected(agent);
  assert.deepEqual(errors(problems).map((p) => p.path).sort(), [
    'components[0].data.endpoint',
    'components[0].data.method',
    'components[1].outputs',
    'components[3].id',
    'connections[2].sourceIndex',
  ]);
});

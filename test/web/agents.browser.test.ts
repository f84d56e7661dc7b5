// The Agents pages (/agents, /agents/:agentId) in a real browser: a user imports
// linear-utility.smyth through the file picker, sees its skill `pipe` and its graph (five React Flow
// nodes, four edges), runs pipe with "hello world" and sees SmythOS's own answer (the sha256 of the
// text after a hex encode and decode: /work/shared/smyth/SOURCES.md), opens the run's trace and sees
// the five component calls in call order; a file with an invalid endpoint is refused and the page
// names the component and the problem; the agent list shows the import; Deploy makes version 1.0;
// a skill with typed inputs gets Object/Array text as JSON and the rest as text.
// Then, without the browser, the pure parts: the graph model and how Run-form text becomes values.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { graphOf } from '../../web/src/pages/agents/graph-model.ts';
import { inputValue } from '../../web/src/pages/agents/skill-form.tsx';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LINEAR = fileURLToPath(new URL('../../../shared/smyth/linear-utility.smyth', import.meta.url));
/** What SmythOS answers to linear-utility `/api/pipe` {"message":"hello world"} (SOURCES.md). */
const PIPE_HELLO_WORLD = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

let s: TestServer;
let browser: Browser;
before(async () => {
  s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync('test-results', { recursive: true });
  await s.client().register('boss'); // the first account is the admin; the tests use plain users
});
after(async () => {
  await browser?.close();
  await s?.close();
});

/** A new browser (own cookies) with `name` registered and signed in. */
async function person(name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(s.url + '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
  return page;
}

async function openAgents(page: Page) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Agents' }).click();
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
}

test('a user imports linear-utility.smyth, sees skill and graph, runs pipe and reads the trace of the five calls', async () => {
  const page = await person('agentuser');
  await openAgents(page);
  await page.getByText('No agents yet').waitFor();

  await page.getByLabel('.smyth file').setInputFiles(LINEAR);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Imported bench-linear-utility.' }).waitFor();
  const list = page.getByRole('table', { name: 'My agents' });
  await list.getByRole('link', { name: 'bench-linear-utility' }).waitFor();
  assert.match(await list.innerText(), /owner/, 'skill access is shown (owner by default)');

  await list.getByRole('link', { name: 'bench-linear-utility' }).click();
  await page.getByRole('heading', { name: 'bench-linear-utility', level: 1 }).waitFor();
  const skill = page.getByRole('article', { name: 'Skill pipe' });
  await skill.getByRole('heading', { name: 'pipe' }).waitFor();
  assert.match(await skill.innerText(), /POST \/agents\/[^/\s]+\/api\/pipe/);

  // The graph: one React Flow node per component at the file's positions, an edge per connection.
  const graph = page.getByRole('figure', { name: 'Agent graph' });
  const nodes = graph.locator('.react-flow__node');
  await nodes.nth(4).waitFor();
  assert.equal(await nodes.count(), 5);
  assert.deepEqual((await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).sort(), ['C1', 'C2', 'C3', 'EP', 'OUT']);
  await graph.locator('.react-flow__node[data-id="C3"]').getByText('FHash').waitFor();
  await graph.locator('.react-flow__edge').nth(3).waitFor();
  assert.equal(await graph.locator('.react-flow__edge').count(), 4);
  // Positions follow the file's left/top: EP (0,100) is left of and above OUT (1200,580).
  const box = async (id: string) => (await graph.locator(`.react-flow__node[data-id="${id}"]`).boundingBox())!;
  const [ep, out] = [await box('EP'), await box('OUT')];
  assert.ok(ep.x < out.x && ep.y < out.y, `EP ${JSON.stringify(ep)} should be up-left of OUT ${JSON.stringify(out)}`);

  // Run pipe: SmythOS's answer, and the run it recorded.
  await skill.getByLabel('message').fill('hello world');
  await skill.getByRole('button', { name: 'Run pipe' }).click();
  const answer = skill.getByLabel('Answer of pipe');
  await answer.filter({ hasText: PIPE_HELLO_WORLD }).waitFor();
  assert.deepEqual(JSON.parse(await answer.innerText()), { result: PIPE_HELLO_WORLD });

  // The run opens in the list and its trace: five calls in order, each with its wave and duration.
  const runs = page.getByRole('table', { name: 'Runs' });
  await runs.getByRole('row').filter({ hasText: 'POST /api/pipe' }).getByRole('cell', { name: 'completed' }).waitFor();
  const calls = page.getByRole('table', { name: 'Component calls' });
  await calls.getByRole('row').nth(5).waitFor();
  const rows = calls.getByRole('row');
  assert.equal(await rows.count(), 6, 'a header row and five calls');
  const types = await calls.locator('tbody tr td:nth-child(3)').allInnerTexts();
  assert.deepEqual(types, ['APIEndpoint', 'FEncDec', 'FEncDec', 'FHash', 'APIOutput']);
  const waves = (await calls.locator('tbody tr td:nth-child(2)').allInnerTexts()).map(Number);
  assert.deepEqual([...waves].sort((a, b) => a - b), waves, 'waves never go back');
  for (const d of await calls.locator('tbody tr td:nth-child(5)').allInnerTexts()) assert.match(d, /^\d+ ms$/);
  // Long JSON is folded: opening FHash's output shows it whole.
  const hashOutput = rows.nth(4).locator('details').filter({ has: page.getByLabel('Output of call 3') });
  assert.equal(await hashOutput.locator('pre').isVisible(), false, 'folded at first');
  await page.getByLabel('Output of call 3').click();
  await hashOutput.locator('pre').waitFor();
  assert.deepEqual(JSON.parse(await hashOutput.locator('pre').innerText()), { Hash: PIPE_HELLO_WORLD });
  await page.screenshot({ path: 'test-results/agents-page.png', fullPage: true });

  // The trace button of the list opens the same trace again.
  await page.getByRole('button', { name: /^Show trace of run / }).first().click();
  await calls.getByRole('row').nth(5).waitFor();

  // A call from outside the page (as curl would make it: /api/<endpoint> with X-AGENT-ID) is listed
  // after a refresh, and its trace opens.
  const agentId = /\/agents\/([^/]+)$/.exec(new URL(page.url()).pathname)![1]!;
  const { csrf_token } = (await (await page.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  const outside = await page.request.post(s.url + '/api/pipe', { headers: { 'x-agent-id': agentId, 'x-csrf-token': csrf_token }, data: { message: 'from outside' } });
  assert.equal(outside.status(), 200);
  const outsideRun = outside.headers()['x-run-id']!;
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: `Show trace of run ${outsideRun}` }).click();
  await page.getByRole('heading', { name: `Trace of run ${outsideRun}` }).waitFor();
  assert.equal(await runs.getByRole('row').count(), 3, 'a header row and two runs');
  await calls.getByRole('row').nth(5).waitFor();

  // Deploy: the draft becomes version 1.0.
  await page.getByRole('button', { name: 'Deploy' }).click();
  await page.getByRole('status').filter({ hasText: 'Deployed version 1.0.' }).waitFor();
  const href = await page.getByRole('link', { name: 'Export (.smyth)' }).getAttribute('href');
  assert.match(href ?? '', /^\/api\/agents\/[^/]+\/export$/);
  await page.context().close();
});

test('importing a broken .smyth file shows the problem with the component it names', async () => {
  const page = await person('brokenuser');
  await openAgents(page);
  const document = JSON.parse(await readFile(LINEAR, 'utf8')) as { components: Array<{ id: string; data: Record<string, unknown> }> };
  document.components.find((c) => c.id === 'EP')!.data.endpoint = 'not a valid endpoint!';
  await page.getByLabel('.smyth file').setInputFiles({ name: 'broken.smyth', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(document)) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'The agent has 1 problem' }).waitFor();
  const problems = page.getByRole('list', { name: 'Import problems' });
  const problem = problems.getByRole('listitem').filter({ hasText: 'components[0].data.endpoint' });
  await problem.waitFor();
  assert.match(await problem.innerText(), /^error\s+Component "EP" \(APIEndpoint\): data\.endpoint must be letters, digits and _/);

  // Not JSON at all: refused too, and the list stays empty.
  await page.getByLabel('.smyth file').setInputFiles({ name: 'junk.smyth', mimeType: 'application/json', buffer: Buffer.from('{"components": [') });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const refused = page.getByRole('alert').filter({ hasNotText: 'The agent has 1 problem' });
  await refused.waitFor();
  assert.match(await refused.innerText(), /json/i);
  await page.getByText('No agents yet').waitFor();
  await page.context().close();
});

test('a skill with typed inputs: the Run form sends Object and Array text as JSON, the rest as text the endpoint converts', async () => {
  const page = await person('typeduser');
  await openAgents(page);
  await page.getByLabel('.smyth file').setInputFiles(fileURLToPath(new URL('../../../shared/smyth/general-unit-tests.smyth', import.meta.url)));
  await page.getByLabel('Name (optional)').fill('typed');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Imported typed.' }).waitFor();
  await page.getByRole('button', { name: 'Open the agent' }).click();
  const skill = page.getByRole('article', { name: 'Skill test_strong_typing', exact: true });
  await skill.waitFor();
  assert.equal(await page.getByRole('article', { name: /^Skill / }).count(), 2);
  // SOURCES.md's call, less `binary` (an empty field is not sent).
  const typed = { any: 'x', string: 's', number: '1', integer: '1', boolean: 'true', array: '[1]', object: '{"a":1}', date: '2024-01-01' };
  for (const [name, value] of Object.entries(typed)) await skill.getByLabel(name, { exact: true }).fill(value);
  const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/agents\/[^/]+\/api\/test_strong_typing$/.test(r.url()));
  await skill.getByRole('button', { name: 'Run test_strong_typing' }).click();
  assert.deepEqual((await sent).postDataJSON(), { ...typed, array: [1], object: { a: 1 } }, 'Object and Array parsed; the rest as typed');
  const answer = skill.getByLabel('Answer of test_strong_typing');
  await answer.waitFor();
  const body = JSON.parse(await answer.innerText()) as { name: string; result: { body: unknown } };
  assert.equal(body.name, 'APIEndpoint');
  assert.deepEqual(body.result.body, { any: 'x', string: 's', number: 1, integer: 1, boolean: true, array: [1], object: { a: 1 }, date: '2024-01-01T00:00:00.000Z' });
  await page.context().close();
});

test('graphOf: positions from left/top, wrapped exports, ports by position or name, notes and dangling connections left out', () => {
  const component = (id: string, extra: object = {}) => ({ id, name: 'FHash', title: `t-${id}`, inputs: [{ name: 'Data' }], outputs: [{ name: 'Hash' }, { name: 'Extra' }], ...extra });
  const agent = {
    components: [component('A', { left: '1539px', top: '20.5px' }), component('B', { left: 10, top: '40px' }), component('N', { name: 'Note' }), component('P', { left: 'auto' })],
    connections: [
      { sourceId: 'A', sourceIndex: 1, targetId: 'B', targetIndex: 0 },
      { sourceId: 'A', sourceIndex: 'Hash', targetId: 'B', targetIndex: 'Data' },
      { sourceId: 'A', sourceIndex: 0, targetId: 'B', targetIndex: -1 },
      { sourceId: 'A', sourceIndex: 0, targetId: 'N', targetIndex: 0 },
      { sourceId: 'gone', sourceIndex: 0, targetId: 'B', targetIndex: 0 },
    ],
  };
  for (const document of [agent, { version: '1.0', data: agent }]) {
    const { nodes, edges } = graphOf(document);
    assert.deepEqual(
      nodes.map((n) => [n.id, n.position.x, n.position.y]),
      [
        ['A', 1539, 20.5],
        ['B', 10, 40],
        ['P', 600, 0], // no usable position: laid out by its place in the file
      ],
    );
    assert.deepEqual(nodes[0]!.data, { title: 't-A', type: 'FHash', inputs: ['Data'], outputs: ['Hash', 'Extra'] });
    assert.deepEqual(
      edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle]),
      [
        ['A', 'out-1', 'B', 'in-0'],
        ['A', 'out-0', 'B', 'in-0'],
        ['A', 'out-0', 'B', undefined], // a trigger's -1: no port of its own
      ],
    );
  }
  assert.deepEqual(graphOf(null), { nodes: [], edges: [] });
});

test('inputValue: JSON-looking text is parsed for Object and Array inputs only', () => {
  assert.deepEqual(inputValue({ name: 'o', type: 'Object' }, ' {"a":[1]} '), { a: [1] });
  assert.deepEqual(inputValue({ name: 'a', type: 'Array' }, '[1,"x"]'), [1, 'x']);
  assert.equal(inputValue({ name: 'a', type: 'array' }, '[not json'), '[not json', 'not JSON: sent as typed');
  assert.equal(inputValue({ name: 's', type: 'String' }, '{"a":1}'), '{"a":1}', 'a String input gets the text');
  assert.equal(inputValue({ name: 'n', type: 'Number' }, '12'), '12', 'the endpoint converts numbers, as SmythOS does');
  assert.equal(inputValue({ name: 'x' }, 'hello world'), 'hello world');
});

// The step debugger on the agent page (issue 11 §6-7) in a real browser: a new user imports a
// four-wave agent (APIEndpoint → ECMASandbox that logs and upper-cases → FHash → APIOutput) through
// the file picker, starts a debug session from the skill's Debug panel and steps it wave by wave —
// the graph's marks move (what ran, what runs next), the clicked component's input and output panel
// shows its values, the live log shows the monitor's component events and the code's console line —
// until the final result, which equals a plain HTTP call's answer; the run is listed with its debug
// session. Then an output injected into FHash is used as it is and the run goes on from there; an
// input injected with no session starts an `inj-` session; Stop ends a session; with live debug on, a
// plain call is held, Attach finds it and Run answers it.
// Then, without the browser, the pure parts: the debug model, the injection form, the log lines, the marks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { marksOf } from '../../web/src/pages/agents/graph-model.ts';
import { applyRead, applyStep, componentsRan, EMPTY_MODEL, injection, inputsGiven, logLines, runOver, startModel } from '../../web/src/pages/agents/debug-model.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The agent under test: its skill `shout` answers `{result: sha256(MESSAGE IN CAPITALS)}`, and its code logs a line. */
function shoutAgent(): string {
  const document = agent(
    [
      endpoint('EP', 'shout', ['message']),
      { id: 'CODE', name: 'ECMASandbox', data: { code: "async function main(Data) { console.log('shouting ' + Data); return String(Data).toUpperCase(); }" }, inputs: ['Data'], outputs: ['Output!'] },
      { id: 'HASH', name: 'FHash', data: { algorithm: 'sha256', encoding: 'hex' }, inputs: ['Data'], outputs: ['Hash!'] },
      { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['result'], outputs: ['Output!'] },
    ],
    [
      ['EP', 'body.message', 'CODE', 'Data'],
      ['CODE', 'Output', 'HASH', 'Data'],
      ['HASH', 'Hash', 'OUT', 'result'],
    ],
    { name: 'shouter' },
  );
  // Laid out left to right, as the builder would place them.
  document.components.forEach((c, i) => Object.assign(c, { left: `${i * 320}px`, top: `${(i % 2) * 140}px` }));
  return JSON.stringify(document);
}

let s: TestServer;
let browser: Browser;
before(async () => {
  s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync('test-results', { recursive: true });
  await s.client().register('boss'); // the first account is the admin; the test uses a plain user
});
after(async () => {
  await browser?.close();
  await s?.close();
});

/** A new browser (own cookies) with `name` registered and signed in. */
async function person(name: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  await page.goto(s.url + '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
  return page;
}

/** A plain skill call over HTTP as the page's user (cookie and CSRF token), as curl would make it. */
async function plainCall(page: Page, agentId: string, message: string, headers: Record<string, string> = {}) {
  const { csrf_token } = (await (await page.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  const res = await page.request.post(`${s.url}/agents/${agentId}/api/shout`, { headers: { 'x-csrf-token': csrf_token, ...headers }, data: { message }, timeout: 60_000 });
  return { status: res.status(), body: (await res.json()) as unknown };
}

/** The marks on component `id`'s box in the graph ('' for none): `next`, `ran`. */
async function marks(graph: Locator, id: string): Promise<string> {
  return (await graph.locator(`.react-flow__node[data-id="${id}"] .agent-node`).getAttribute('data-debug')) ?? '';
}

/** Waits until the debugger has no call under way (Start is enabled again). */
async function idle(panel: Locator) {
  await panel.locator('button[type="submit"]:not([disabled])').waitFor({ timeout: 15_000 });
}

/** Waits until the graph shows exactly `ran` as ran and `next` as active. */
async function waitForMarks(page: Page, ran: string[], next: string[]) {
  const want = JSON.stringify({ ran: [...ran].sort(), next: [...next].sort() });
  // No function bound to a name inside: tsx would wrap it in a helper the page does not have.
  await page.waitForFunction(
    (expected) => {
      const seen: { ran: string[]; next: string[] } = { ran: [], next: [] };
      for (const box of document.querySelectorAll('.react-flow__node')) {
        const words = (box.querySelector('.agent-node')?.getAttribute('data-debug') ?? '').split(' ');
        if (words.includes('ran')) seen.ran.push(box.getAttribute('data-id') ?? '');
        if (words.includes('next')) seen.next.push(box.getAttribute('data-id') ?? '');
      }
      return JSON.stringify({ ran: seen.ran.sort(), next: seen.next.sort() }) === expected;
    },
    want,
    { timeout: 15_000 },
  );
}

test('a new user steps an imported agent wave by wave, injects into a component, sees the live log and the final result of a plain call', async () => {
  const page = await person('stepper');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Agents' }).click();
  await page.getByLabel('.smyth file').setInputFiles({ name: 'shouter.smyth', mimeType: 'application/json', buffer: Buffer.from(shoutAgent()) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Imported shouter.' }).waitFor();
  await page.getByRole('button', { name: 'Open the agent' }).click();
  await page.getByRole('heading', { name: 'shouter', level: 1 }).waitFor();
  const agentId = /\/agents\/([^/]+)$/.exec(new URL(page.url()).pathname)![1]!;

  // What a plain call answers, over HTTP: the debugger's final result must be the same.
  const plain = await plainCall(page, agentId, 'hello debugger');
  assert.equal(plain.status, 200, JSON.stringify(plain.body));
  assert.deepEqual(plain.body, { result: sha256('HELLO DEBUGGER') });

  const graph = page.getByRole('figure', { name: 'Agent graph' });
  await graph.locator('.react-flow__node').nth(3).waitFor();
  const panel = page.getByRole('article', { name: 'Debug shout' });
  const status = page.getByRole('status', { name: 'Debugger status' });
  const button = (name: string) => panel.getByRole('button', { name, exact: true });
  assert.equal(await button('Step').isDisabled(), true, 'no session: nothing to step');

  // Start: only the endpoint runs; the code runs next.
  await panel.getByLabel('message').fill('hello debugger');
  await button('Start').click();
  await status.filter({ hasText: /Session dbg-/ }).waitFor();
  const session = /Session (dbg-\S+)/.exec(await status.innerText())![1]!;
  await waitForMarks(page, ['EP'], ['CODE']);
  assert.match(await marks(graph, 'EP'), /^ran$/);
  assert.match(await marks(graph, 'CODE'), /^next$/);
  assert.equal(await marks(graph, 'HASH'), '');

  // The endpoint's output panel: the body it took.
  await graph.locator('.react-flow__node[data-id="EP"]').click();
  await page.getByLabel('Output of EP').filter({ hasText: 'hello debugger' }).waitFor();

  // Step by step: the marks move one wave at a time; each component shows what it took and gave.
  await button('Step').click();
  await waitForMarks(page, ['CODE'], ['HASH']);
  await graph.locator('.react-flow__node[data-id="CODE"]').click();
  await page.getByLabel('Input of CODE').filter({ hasText: 'hello debugger' }).waitFor();
  await page.getByLabel('Output of CODE').filter({ hasText: 'HELLO DEBUGGER' }).waitFor();
  assert.match(await status.innerText(), new RegExp(`Session ${session} on shout`), 'the same session goes on');

  // The live log heard the monitor: the code's call started and stopped, and its console line.
  const log = page.getByRole('list', { name: 'Live log' });
  await log.locator('li[data-component="CODE"][data-kind="callStop"]').first().waitFor();
  await log.locator('li', { hasText: 'shouting hello debugger' }).first().waitFor();
  await log.locator('li[data-component="EP"][data-kind="callStart"]').first().waitFor();

  await button('Step').click();
  await waitForMarks(page, ['HASH'], ['OUT']);
  await graph.locator('.react-flow__node[data-id="HASH"]').click();
  await page.getByLabel('Output of HASH').filter({ hasText: sha256('HELLO DEBUGGER') }).waitFor();

  // The last wave: the APIOutput runs and the session ends with the plain call's answer (one more
  // step if the server closes the session on the step after).
  await button('Step').click();
  await idle(panel);
  const final = page.getByLabel('Final result', { exact: true });
  if (!(await final.isVisible())) {
    await button('Step').click();
    await idle(panel);
  }
  await final.waitFor();
  assert.deepEqual(JSON.parse(await final.innerText()), plain.body, 'the final result is the plain call’s answer');
  await status.filter({ hasText: 'Session over' }).waitFor();
  assert.equal(await button('Step').isDisabled(), true, 'the session is over');
  assert.match(await log.innerText(), /OUT/, 'the APIOutput’s call is in the log');
  await page.screenshot({ path: 'test-results/debugger-page.png', fullPage: true });

  // The session is recorded as a run that names it.
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByLabel(/^Debug session of run /).filter({ hasText: session }).waitFor();

  // Inject: a new session, one step (the code ran), then HASH's output injected and run from there:
  // HASH does not run, its injected output goes on to the APIOutput.
  await button('Start').click();
  await status.filter({ hasText: /Session dbg-.* step/ }).waitFor();
  const second = /Session (dbg-\S+)/.exec(await status.innerText())![1]!;
  assert.notEqual(second, session);
  await button('Step').click();
  await waitForMarks(page, ['CODE'], ['HASH']);
  await graph.locator('.react-flow__node[data-id="HASH"]').click();
  const inject = page.getByRole('form', { name: 'Inject into HASH' });
  await inject.waitFor();
  assert.match(await inject.getByLabel('Injected input').inputValue(), /HELLO DEBUGGER/, 'prefilled with the input HASH is about to get');
  await inject.getByLabel('Injected input').fill('');
  await inject.getByLabel('Injected output').fill('{"Hash": "injected by hand"}');
  await inject.getByRole('button', { name: 'Inject and run from here' }).click();
  await final.filter({ hasText: 'injected by hand' }).waitFor();
  assert.deepEqual(JSON.parse(await final.innerText()), { result: 'injected by hand' });
  await page.getByLabel('Output of HASH').filter({ hasText: 'injected by hand' }).waitFor();

  // An input injected with no session open starts an `inj-` session from that component: the code
  // runs on it, and the answer is a plain call's for that message.
  const other = await plainCall(page, agentId, 'other words');
  await graph.locator('.react-flow__node[data-id="CODE"]').click();
  const injectCode = page.getByRole('form', { name: 'Inject into CODE' });
  await page.locator('summary', { hasText: 'Inject and run from here' }).click(); // folded while no session is open
  await injectCode.getByLabel('Injected input').fill('{"Data": "other words"}');
  await injectCode.getByLabel('Injected output').fill('');
  await injectCode.getByRole('button', { name: 'Inject and run from here' }).click();
  await final.filter({ hasText: sha256('OTHER WORDS') }).waitFor();
  assert.deepEqual(JSON.parse(await final.innerText()), other.body);
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByLabel(/^Debug session of run /).filter({ hasText: /inj-/ }).first().waitFor();

  // Stop ends a session: nothing more to step.
  await button('Start').click();
  await status.filter({ hasText: /Session dbg-/ }).waitFor();
  await button('Stop').click();
  await status.filter({ hasText: 'Session over' }).waitFor();
  assert.equal(await button('Step').isDisabled(), true);
  await page.context().close();
});

test('live debug: a plain call is held, Attach shows its session, Run answers it with the final result', async () => {
  const page = await person('liveuser');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Agents' }).click();
  await page.getByLabel('.smyth file').setInputFiles({ name: 'shouter.smyth', mimeType: 'application/json', buffer: Buffer.from(shoutAgent()) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('button', { name: 'Open the agent' }).click();
  await page.getByRole('heading', { name: 'shouter', level: 1 }).waitFor();
  const agentId = /\/agents\/([^/]+)$/.exec(new URL(page.url()).pathname)![1]!;
  const plain = await plainCall(page, agentId, 'held call');
  assert.equal(plain.status, 200);

  const live = page.getByLabel('Live debug');
  await live.check();
  await page.getByRole('status', { name: 'Debugger status' }).filter({ hasText: 'Live debug is on' }).waitFor();
  const saved = (await (await page.request.get(`${s.url}/api/agents/${agentId}`)).json()) as { agent: { debug_enabled: boolean } };
  assert.equal(saved.agent.debug_enabled, true, 'the switch is saved');

  // A plain call (as from curl) is held until the owner steps it.
  const held = plainCall(page, agentId, 'held call');
  const status = page.getByRole('status', { name: 'Debugger status' });
  // Once the server holds it (asked as the page will ask), Attach shows it.
  const { csrf_token } = (await (await page.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  const heldId = await waitFor(
    async () => ((await (await page.request.get(`${s.url}/agent/${agentId}/debugSession`, { headers: { 'x-csrf-token': csrf_token } })).json()) as { dbgSession?: string }).dbgSession,
    { timeoutMs: 15_000, what: 'the held session' },
  );
  assert.match(heldId, /^dbg-/);
  await page.getByRole('button', { name: 'Attach', exact: true }).click();
  await status.filter({ hasText: `Attached to the held session ${heldId}` }).waitFor();
  await status.filter({ hasText: `Session ${heldId} on shout` }).waitFor();
  await waitForMarks(page, [], ['CODE']);
  const panel = page.getByRole('article', { name: 'Debug shout' });
  await panel.getByRole('button', { name: 'Run', exact: true }).click();
  const final = page.getByLabel('Final result', { exact: true });
  await final.waitFor({ timeout: 30_000 });
  assert.deepEqual(JSON.parse(await final.innerText()), plain.body);
  const answered = await held;
  assert.equal(answered.status, 200);
  assert.deepEqual(answered.body, plain.body, 'the held call got the final result');

  await live.uncheck();
  await status.filter({ hasText: 'Live debug is off' }).waitFor();
  await page.context().close();
});

test('componentsRan and inputsGiven: every {id, result} and {id, inputs} of a step answer’s state, nested in arrays only', () => {
  const state = [[[], { id: 'A', name: 'FHash', result: { Hash: 'x', inner: { id: 'Z', result: 1 } } }], [[], { id: 'B', name: 'Code', error: 'boom' }]];
  assert.deepEqual(componentsRan(state), [
    { id: 'A', name: 'FHash', result: { Hash: 'x', inner: { id: 'Z', result: 1 } } },
    { id: 'B', name: 'Code', error: 'boom' },
  ]);
  assert.deepEqual(componentsRan([[], { id: 'EP', name: 'APIEndpoint', result: { body: {} } }]), [{ id: 'EP', name: 'APIEndpoint', result: { body: {} } }], 'one entry, unwrapped');
  assert.deepEqual(componentsRan([{ id: 'H', name: 'FHash', inputs: { Data: 1 } }]), [], 'a component handed inputs did not run');
  assert.deepEqual(inputsGiven([{ id: 'H', name: 'FHash', inputs: { Data: 1 } }, { id: 'C', result: {} }]), [{ id: 'H', inputs: { Data: 1 } }]);
  assert.deepEqual(componentsRan({ sessionClosed: true }), []);
  assert.deepEqual(componentsRan(undefined), []);
});

test('applyStep and applyRead: what ran, what runs next, latest input and output, the end with its final result', () => {
  let m = startModel('shout');
  m = applyStep(m, { state: [[], { id: 'EP', result: { body: { message: 'hi' } } }], dbgSession: 'dbg-1', sessionClosed: false, step: 1 }, 'run-1');
  assert.deepEqual([m.session, m.step, m.ran, m.runId, m.closed], ['dbg-1', 1, ['EP'], 'run-1', false]);
  assert.deepEqual(m.components.EP, { active: false, output: { body: { message: 'hi' } } });
  m = applyRead(m, { state: { CODE: { active: true, status: 'waiting', step: 1, input: {}, runtimeData: { input: { Data: 'hi' } } }, EP: { active: false, output: {} } }, dbgSession: 'dbg-1', sessionClosed: false, step: 1 });
  assert.deepEqual(m.components.CODE, { active: true, status: 'waiting', step: 1, input: { Data: 'hi' } }, 'the runtime input is the one shown');
  assert.deepEqual(m.components.EP!.output, { body: { message: 'hi' } }, 'an empty output in a read keeps the one known');
  assert.equal(m.step, 2, 'a read counts its wave from 0: two waves have run');
  m = applyStep(m, { state: [{ id: 'HASH', name: 'FHash', inputs: { Data: 'HI' } }, { id: 'CODE', name: 'Code', result: { Output: 'HI' } }], dbgSession: 'dbg-1', step: 2 });
  assert.deepEqual([m.ran, m.components.HASH!.input, m.components.CODE!.output], [['CODE'], { Data: 'HI' }, { Output: 'HI' }], 'what a call handed on is the input known');
  m = applyStep(m, {
    state: [[], { id: 'CODE', result: { Output: 'HI' } }],
    dbgSession: 'dbg-1',
    step: 2,
    newState: { state: { CODE: { active: false, input: { Data: 'hi' }, output: { Output: 'HI' } }, HASH: { active: true, input: { Data: 'HI' } } }, dbgSession: 'dbg-1', sessionClosed: false, step: 2 },
  });
  assert.deepEqual(m.ran, ['CODE']);
  assert.deepEqual(
    Object.entries(m.components)
      .filter(([, c]) => c.active)
      .map(([id]) => id),
    ['HASH'],
  );
  m = applyStep(m, { state: [[], { id: 'HASH', result: { _error: 'bad', Hash: undefined } }], dbgSession: 'dbg-1', step: 3 });
  assert.equal(m.components.HASH!.error, 'bad', 'a result’s _error is the call’s error');
  m = applyStep(m, { state: [[], { id: 'OUT', result: { Output: { result: 'r' } } }], dbgSession: null, sessionClosed: true, finalResult: { result: 'r' }, finalStatus: 200, step: 4 });
  assert.deepEqual([m.session, m.closed, m.final], [null, true, { result: { result: 'r' }, status: 200 }]);
  assert.ok(Object.values(m.components).every((c) => !c.active), 'nothing runs after the end');

  const expired = applyStep(startModel('shout'), { state: { sessionClosed: true }, dbgSession: null, expiredDbgSession: 'dbg-9', sessionClosed: true });
  assert.deepEqual([expired.expired, expired.session, expired.closed, expired.ran], ['dbg-9', null, true, []]);
  const stopped = applyStep({ ...EMPTY_MODEL, session: 'dbg-2', endpoint: 'shout' }, { success: true, dbgSession: null, sessionClosed: true });
  assert.deepEqual([stopped.session, stopped.closed, stopped.final], [null, true, null]);
});

test('runOver: Run stops when the session is gone, closed, expired or failed', () => {
  assert.equal(runOver({ dbgSession: 'dbg-1', sessionClosed: false }), false);
  assert.equal(runOver({ dbgSession: null }), true);
  assert.equal(runOver({ dbgSession: 'dbg-1', sessionClosed: true }), true);
  assert.equal(runOver({ dbgSession: 'dbg-1', error: 'Circular Calls Limit Reached' }), true);
  assert.equal(runOver({}), true);
});

test('injection: empty fields left out, objects only, the field named when its text is wrong', () => {
  assert.deepEqual(injection('H', '', '{"Hash":"x"}'), [{ id: 'H', ctx: { active: true, output: { Hash: 'x' } } }]);
  assert.deepEqual(injection('C', ' {"Data": 1} ', '  '), [{ id: 'C', ctx: { active: true, input: { Data: 1 } } }]);
  assert.deepEqual(injection('C', '', ''), [{ id: 'C', ctx: { active: true } }]);
  assert.throws(() => injection('C', '{nope', ''), /The input is not JSON/);
  assert.throws(() => injection('C', '', '[1]'), /The output must be a JSON object/);
});

test('logLines: agent and component events as lines, logs once, token pass-through, unknown frames ignored', () => {
  const logged = new Set<string>();
  const start = logLines('component', JSON.stringify({ eventId: 'e1', action: 'callStart', id: 'CODE', name: 'ECMASandbox', title: 'Shout', input: { Data: 'hi' } }), 'k1', logged);
  assert.deepEqual(start, [{ key: 'k1', kind: 'callStart', source: 'component', componentId: 'CODE', text: 'Shout (CODE) started, input {"Data":"hi"}' }]);
  const log = logLines('component', JSON.stringify({ eventId: 'e1', action: 'log', id: 'CODE', title: 'CODE', logs: [{ level: 'info', message: 'shouting hi' }] }), 'k2', logged);
  assert.deepEqual(
    log.map((l) => [l.kind, l.text]),
    [['log', 'CODE info: shouting hi']],
  );
  const stop = logLines('component', JSON.stringify({ eventId: 'e1', action: 'callStop', id: 'CODE', title: 'CODE', duration: 3, output: { Output: 'HI' }, logs: [{ level: 'info', message: 'shouting hi' }] }), 'k3', logged);
  assert.deepEqual(
    stop.map((l) => [l.kind, l.text]),
    [['callStop', 'CODE done in 3 ms, output {"Output":"HI"}']],
    'logs already shown are not repeated',
  );
  const alone = logLines('component', JSON.stringify({ eventId: 'e2', action: 'callStop', id: 'H', name: 'FHash', output: { _error: 'bad' }, logs: [{ level: 'error', message: 'oops' }] }), 'k4', logged);
  assert.deepEqual(
    alone.map((l) => [l.kind, l.text]),
    [
      ['log', 'FHash (H) error: oops'],
      ['callStop', 'FHash (H) failed: bad'],
    ],
  );
  const agentStop = logLines('agent', JSON.stringify({ eventId: 'a1', action: 'callStop', endpointPath: '/api/shout', duration: 9, result: { result: 'r' } }), 'k5');
  assert.deepEqual(agentStop[0]!.text, 'agent /api/shout answered in 9 ms: {"result":"r"}');
  assert.deepEqual(logLines('llm/passthrough/content', 'two\\nlines', 'k6')[0]!.text, 'two\nlines');
  assert.deepEqual(logLines('component', 'not json', 'k7'), []);
  assert.deepEqual(logLines('ping', '{}', 'k8'), []);
  assert.ok(logLines('component', JSON.stringify({ action: 'callStart', id: 'X', input: 'y'.repeat(500) }), 'k9')[0]!.text.endsWith('…'), 'long values are cut');
});

test('marksOf: active and ran are distinct classes and words; selection is a class', () => {
  const m = { active: new Set(['A', 'B']), ran: new Set(['B', 'C']), selected: 'C' };
  assert.deepEqual(marksOf('A', m), { classes: ['dbg-active'], words: ['next'] });
  assert.deepEqual(marksOf('B', m), { classes: ['dbg-active', 'dbg-ran'], words: ['next', 'ran'] });
  assert.deepEqual(marksOf('C', m), { classes: ['dbg-ran', 'dbg-selected'], words: ['ran'] });
  assert.deepEqual(marksOf('D', m), { classes: [], words: [] });
});

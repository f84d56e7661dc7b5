/**
 * The wave semantics (research/smythos.md §2.2-2.6, §12 items 10-17, corrected by §13), each checked
 * on a small agent run by Orrery and by SmythOS's own engine (SRE, a dev dependency) in the same
 * test: the answers must be equal. Where SRE cannot load, the Orrery half still runs against the
 * expected answer written here.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { builtinComponents, isKnownComponentType } from '../../src/agents/components/index.ts';
import { importAgent } from '../../src/agents/definition.ts';
import { compileAgent } from '../../src/agents/engine/compile.ts';
import { executeRun } from '../../src/agents/engine/execute.ts';
import { runOnSre, sreUnavailable } from '../helpers/sre-oracle.ts';
import { agent, endpoint } from './agent-builder.ts';
import { testServices } from './engine-harness.ts';

let sreMissing: string | undefined;
before(async () => {
  sreMissing = await sreUnavailable();
});

async function orrery(document: unknown, path: string, body: Record<string, unknown>) {
  const { definition, problems } = importAgent(document, { isKnownType: isKnownComponentType });
  assert.ok(definition, JSON.stringify(problems));
  return executeRun({ agent: compileAgent(definition, builtinComponents), request: { method: 'POST', path, body, query: {}, headers: {} }, services: testServices() });
}

/** Orrery's answer equals `expected`, and SRE's (when it loads) equals Orrery's. */
async function same(document: unknown, path: string, body: Record<string, unknown>, expected: unknown) {
  const ours = await orrery(document, path, body);
  assert.deepEqual(ours.data, expected, 'Orrery');
  if (sreMissing) return ours;
  const theirs = await runOnSre(structuredClone(document), { method: 'POST', path, body: structuredClone(body) }, { fast: true });
  assert.deepEqual(theirs.data, ours.data, 'SRE and Orrery differ');
  return ours;
}

const out = (id: string, inputs: string[], format = 'minimal') => ({ id, name: 'APIOutput', data: { format }, inputs, outputs: ['Output!'] });
const enc = (id: string, action = 'Encode') => ({ id, name: 'FEncDec', data: { action, encoding: 'hex' }, inputs: ['Data'], outputs: ['Output!'] });

describe('wave semantics, Orrery and SmythOS side by side', () => {
  it('no value, no activation: only the branch of the Logic verdict that holds runs (item 10)', async () => {
    const doc = agent(
      [endpoint('EP', 'gate', ['a', 'b']), { id: 'AND', name: 'LogicAND', inputs: ['A', 'B'], outputs: ['Output!', 'Verified!', 'Unverified!'] }, out('YES', ['yes']), out('NO', ['no'])],
      [
        ['EP', 'body.a', 'AND', 'A'],
        ['EP', 'body.b', 'AND', 'B'],
        ['AND', 'Verified', 'YES', 'yes'],
        ['AND', 'Unverified', 'NO', 'no'],
      ],
    );
    await same(doc, '/api/gate', { a: 'x', b: 'y' }, { yes: true });
    // JavaScript truthiness (§13): "false" is set, "" is not.
    await same(doc, '/api/gate', { a: 'false', b: 'y' }, { yes: true });
    await same(doc, '/api/gate', { a: '', b: 'y' }, { no: true });
  });

  it('fan-in: a component with two required inputs runs once, after both arrive, whatever the path lengths (item 11)', async () => {
    const doc = agent(
      [endpoint('EP', 'join', ['a', 'b']), enc('E1'), enc('E2'), enc('E3', 'Decode'), out('OUT', ['short', 'long'])],
      [
        ['EP', 'body.a', 'E1', 'Data'],
        ['E1', 'Output', 'OUT', 'short'],
        ['EP', 'body.b', 'E2', 'Data'],
        ['E2', 'Output', 'E3', 'Data'],
        ['E3', 'Output', 'OUT', 'long'],
      ],
    );
    const ours = await same(doc, '/api/join', { a: 'hi', b: 'there' }, { short: '6869', long: 'there' });
    assert.equal(ours.calls.filter((c) => c.componentId === 'OUT' && !c.error).length, 1);
  });

  it('values arriving on one input merge in wire order, one level flattened per value (§13)', async () => {
    const doc = agent(
      [endpoint('EP', 'merge', ['a', 'b', 'c']), out('OUT', ['x'])],
      [
        ['EP', 'body.a', 'OUT', 'x'],
        ['EP', 'body.b', 'OUT', 'x'],
        ['EP', 'body.c', 'OUT', 'x'],
      ],
    );
    await same(doc, '/api/merge', { a: [1, 2], b: 3, c: [4, [5]] }, { x: [1, 2, 3, [4, [5]]] });
    await same(doc, '/api/merge', { a: 'only' }, { x: 'only' });
  });

  it('a required input that never arrives: the component waits and the run ends with no result (§13, item 12)', async () => {
    const doc = agent(
      [endpoint('EP', 'wait', ['a']), { id: 'AND', name: 'LogicAND', inputs: ['A'], outputs: ['Output!', 'Verified!', 'Unverified!'] }, out('OUT', ['v', 'w'])],
      [
        ['EP', 'body.a', 'AND', 'A'],
        ['AND', 'Verified', 'OUT', 'v'],
        ['AND', 'Unverified', 'OUT', 'w'],
      ],
    );
    await same(doc, '/api/wait', { a: 'x' }, []);
  });

  it('a thrown error becomes _error; wired to a handler, the handler runs and the handled error is dropped (item 13)', async () => {
    const sign = { id: 'SIGN', name: 'FSign', data: { signMethod: 'HMAC', dataTransform: 'Stringify', hashType: 'md5', encoding: 'hex' }, inputs: ['Data', 'Key'], outputs: ['Signature!', '_error'] };
    const unhandled = agent([endpoint('EP', 'sign', ['d', 'k']), sign], [
      ['EP', 'body.d', 'SIGN', 'Data'],
      ['EP', 'body.d', 'SIGN', 'Key'],
      ['EP', 'body.k', 'SIGN', 'Key'],
    ]);
    const bad = await orrery(unhandled, '/api/sign', { d: 'x', k: 'y' });
    assert.match(JSON.stringify(bad.data), /_error/);
    const handled = agent([endpoint('EP', 'sign', ['d', 'k']), sign, out('ERR', ['error'])], [
      ['EP', 'body.d', 'SIGN', 'Data'],
      ['EP', 'body.d', 'SIGN', 'Key'],
      ['EP', 'body.k', 'SIGN', 'Key'],
      ['SIGN', '_error', 'ERR', 'error'],
    ]);
    const ours = await orrery(handled, '/api/sign', { d: 'x', k: 'y' });
    assert.match(String((ours.data as { error: string }).error), /must be of type string/);
    if (!sreMissing) {
      const theirs = await runOnSre(handled, { method: 'POST', path: '/api/sign', body: { d: 'x', k: 'y' } }, { fast: true });
      assert.deepEqual(theirs.data, ours.data);
    }
  });

  it('a looping graph stops at the circular-call limit (item 14); a component wired to itself ends at once, as in SmythOS', async () => {
    const loop = agent([endpoint('EP', 'loop', ['a']), enc('E1'), enc('E2', 'Decode')], [
      ['EP', 'body.a', 'E1', 'Data'],
      ['E1', 'Output', 'E2', 'Data'],
      ['E2', 'Output', 'E1', 'Data'],
    ]);
    const ours = await same(loop, '/api/loop', { a: 'x' }, { error: 'Circular Calls Limit Reached on E1. Current circular limit is 100' });
    assert.equal(ours.status, 500);
    assert.ok(ours.calls.filter((c) => c.componentId === 'E1').length <= 101);
    // The call that activates itself is followed by the reset of the same component (SmythOS's order).
    const self = agent([endpoint('EP', 'self', ['a']), enc('E1')], [
      ['EP', 'body.a', 'E1', 'Data'],
      ['E1', 'Output', 'E1', 'Data'],
    ]);
    await same(self, '/api/self', { a: 'x' }, []);
  });

  it('ForEach runs its branch once per item and Result keeps input order (item 15)', async () => {
    const doc = agent(
      [endpoint('EP', 'each', ['items']), { id: 'FE', name: 'ForEach', data: { format: 'minimal' }, inputs: ['Input'], outputs: ['Loop!', 'Result!'] }, enc('E1'), out('OUT', ['r'])],
      [
        ['EP', 'body.items', 'FE', 'Input'],
        ['FE', 'Loop', 'E1', 'Data'],
        ['FE', 'Result', 'OUT', 'r'],
      ],
    );
    const ours = await same(doc, '/api/each', { items: ['Hello', 'World', 'Foo', 'Bar'] }, { r: [{ Output: '48656c6c6f' }, { Output: '576f726c64' }, { Output: '466f6f' }, { Output: '426172' }] });
    assert.equal(ours.calls.filter((c) => c.componentId === 'E1').length, 4);
    // Each call's record is what it returned then (regression: records showed later engine markers).
    const loops = ours.calls.filter((c) => c.componentId === 'FE').map((c) => JSON.parse(c.outputJson!) as { Loop?: unknown; _in_progress: boolean });
    assert.deepEqual(loops.map((o) => [o.Loop, o._in_progress]), [['Hello', true], ['World', true], ['Foo', true], ['Bar', true], [undefined, false]]);
    for (const c of ours.calls.filter((x) => x.componentId === 'E1')) assert.doesNotMatch(c.outputJson!, /_exclude/);
  });

  it('JSONFilter\'s error output fires on success too, carrying null (§13)', async () => {
    const doc = agent(
      [endpoint('EP', 'filter', ['obj']), { id: 'JF', name: 'JSONFilter', data: { fields: 'a' }, inputs: ['Input'], outputs: ['Output!', '_error'] }, out('OK', ['ok'], 'full'), out('ERR', ['err'], 'full')],
      [
        ['EP', 'body.obj', 'JF', 'Input'],
        ['JF', 'Output', 'OK', 'ok'],
        ['JF', '_error', 'ERR', 'err'],
      ],
    );
    const ours = await orrery(doc, '/api/filter', { obj: { a: 1, b: 2 } });
    assert.ok(Array.isArray(ours.data), JSON.stringify(ours.data));
    if (!sreMissing) {
      const theirs = await runOnSre(doc, { method: 'POST', path: '/api/filter', body: { obj: { a: 1, b: 2 } } }, { fast: true });
      assert.deepEqual(theirs.data, ours.data);
    }
  });

  it('Async without Await answers [] at once; with Await, Results[<jobId>] is {output, status: "done"} (item 16, §13)', async () => {
    const asyncSpec = { id: 'AS', name: 'Async', inputs: ['Data'], outputs: ['JobID!', 'Data!'] };
    const sleepy = { id: 'SL', name: 'FSleep', data: { delay: 1 }, inputs: ['Input'], outputs: ['Output!'] };
    const fireAndForget = agent([endpoint('EP', 'bg', ['a']), asyncSpec, sleepy], [
      ['EP', 'body.a', 'AS', 'Data'],
      ['AS', 'Data', 'SL', 'Input'],
    ]);
    const started = Date.now();
    await same(fireAndForget, '/api/bg', { a: 'x' }, []);
    assert.ok(Date.now() - started < 900, 'Async alone must not wait for its branch');
    const awaited = agent(
      [endpoint('EP', 'bg', ['a']), asyncSpec, enc('E1'), { id: 'AW', name: 'Await', data: { jobs_count: 1, max_time: 5 }, inputs: ['Jobs'], outputs: ['Results!'] }, out('OUT', ['results'])],
      [
        ['EP', 'body.a', 'AS', 'Data'],
        ['AS', 'Data', 'E1', 'Data'],
        ['AS', 'JobID', 'AW', 'Jobs'],
        ['AW', 'Results', 'OUT', 'results'],
      ],
    );
    const shape = (data: unknown) => {
      const results = (data as { results: Record<string, { output: unknown; status: string }> }).results;
      const ids = Object.keys(results);
      assert.equal(ids.length, 1);
      assert.match(ids[0]!, /^AS-/);
      return results[ids[0]!];
    };
    const ours = await orrery(awaited, '/api/bg', { a: 'hi' });
    assert.deepEqual(shape(ours.data), { output: { id: 'E1', name: 'FEncDec', result: { Output: '6869' } }, status: 'done' });
    if (!sreMissing) {
      const theirs = await runOnSre(awaited, { method: 'POST', path: '/api/bg', body: { a: 'hi' } }, { fast: true });
      assert.deepEqual(shape(theirs.data), shape(ours.data));
    }
  });

  it('independent components of one wave run concurrently: two 1 s sleeps take about 1 s (item 17)', async () => {
    const sleep = (id: string) => ({ id, name: 'FSleep', data: { delay: 1 }, inputs: ['Input'], outputs: ['Output!'] });
    const doc = agent([endpoint('EP', 'nap', ['a']), sleep('S1'), sleep('S2'), out('OUT', ['x', 'y'])], [
      ['EP', 'body.a', 'S1', 'Input'],
      ['EP', 'body.a', 'S2', 'Input'],
      ['S1', 'Output', 'OUT', 'x'],
      ['S2', 'Output', 'OUT', 'y'],
    ]);
    const started = Date.now();
    const ours = await orrery(doc, '/api/nap', { a: 'z' });
    const took = Date.now() - started;
    assert.deepEqual(ours.data, { x: 'z', y: 'z' });
    // One after the other they would take 2 s or more.
    assert.ok(took >= 950 && took < 1_950, `took ${took} ms`);
  });
});

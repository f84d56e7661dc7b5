/**
 * The utility, logic and HTTP components run by Orrery's engine and by SmythOS's own (SRE, the dev
 * dependency behind test/helpers/sre-oracle.ts) on the same small agents: the answers must be equal
 * (dates and connection headers aside). Skipped with a notice when SRE cannot load. Config-validation
 * messages are left out: the engine words those (src/agents/engine/run.ts). ECMASandbox is left out too:
 * SRE needs a code connector configured to run it at all.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { builtinComponents } from './index.ts';
import { importAgent } from '../definition.ts';
import { compileAgent } from '../engine/compile.ts';
import { executeRun } from '../engine/execute.ts';
import { runOnSre, sreUnavailable } from '../../../test/helpers/sre-oracle.ts';
import { agent, endpoint } from '../../../test/agents/agent-builder.ts';
import type { Spec } from '../../../test/agents/agent-builder.ts';
import { testServices } from '../../../test/agents/engine-harness.ts';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url?.startsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"error":"nope"}');
    }
    if (req.url?.startsWith('/text')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('hello text');
    }
    if (req.url?.startsWith('/empty')) {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-a': '1' });
    res.end(JSON.stringify({ method: req.method, url: req.url, type: req.headers['content-type'] ?? null, accept: req.headers.accept ?? null, body: Buffer.concat(chunks).toString() }));
  });
});
let port = 0;
let sreMissing: string | undefined;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  sreMissing = await sreUnavailable();
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const VOLATILE = new Set(['date', 'connection', 'keep-alive']);
const clean = (value: unknown) => JSON.parse(JSON.stringify(value, (key, v) => (VOLATILE.has(key) ? undefined : v)));

/** One component fed from body fields (`[field, input]`), optionally wired on to more components. */
function single(spec: Spec, fields: [string, string][], more: Spec[] = [], wires: [string, string, string, string][] = []) {
  return agent([endpoint('EP', 't', fields.map(([f]) => f)), spec, ...more], [...fields.map(([f, i]) => ['EP', `body.${f}`, spec.id, i] as [string, string, string, string]), ...wires]);
}

async function same(t: { skip(message: string): void }, document: unknown, body: Record<string, unknown>) {
  const { definition, problems } = importAgent(document);
  assert.ok(definition, JSON.stringify(problems));
  const ours = clean((await executeRun({ agent: compileAgent(definition, builtinComponents), request: { method: 'POST', path: '/api/t', body, query: {}, headers: {} }, services: testServices() })).data);
  if (sreMissing) return t.skip(sreMissing);
  const theirs = clean((await runOnSre(document, { method: 'POST', path: '/api/t', body }, { fast: true })).data);
  assert.deepEqual(ours, theirs);
}

const gate = (name: string, data: Record<string, unknown>): Spec => ({ id: 'L', name, data, inputs: ['A', 'B', 'C'], outputs: ['Output!', 'Verified', 'Unverified'] });
const call = (data: Record<string, unknown>): Spec => ({ id: 'A', name: 'APICall', data: { contentType: 'none', ...data }, inputs: ['v', 'w'], outputs: ['Response!', 'Headers', '_error'] });
const vw: [string, string][] = [['v', 'v'], ['w', 'w']];

describe('utility components answer as SmythOS\'s engine does', () => {
  it('JSONFilter: nested keys, the error output carrying null, and a missing fields setting', async (t) => {
    const filter: Spec = { id: 'J', name: 'JSONFilter', data: { fields: 'a, b' }, inputs: ['Input'], outputs: ['Output!', '_error'] };
    await same(t, single(filter, [['x', 'Input']]), { x: { a: 1, b: [{ a: 2, c: 3 }], c: 4 } });
    const out: Spec = { id: 'O', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['error'], outputs: ['Output!'] };
    await same(t, single(filter, [['x', 'Input']], [out], [['J', '_error', 'O', 'error']]), { x: { a: 1 } });
    await same(t, single({ ...filter, data: {} }, [['x', 'Input']]), { x: { a: 1 } });
  });

  it('Logic gates with JavaScript truthiness and thresholds', async (t) => {
    const ab: [string, string][] = [['a', 'A'], ['b', 'B']];
    for (const minSetInputs of ['2', 3, 5]) await same(t, single(gate('LogicAtLeast', { minSetInputs }), ab), { a: 1, b: 'false' });
    await same(t, single(gate('LogicAtMost', { maxSetInputs: 1 }), ab), { a: 1, b: 0 });
    await same(t, single(gate('LogicXOR', {}), ab), { a: 1, b: 1 });
    await same(t, single(gate('LogicOR', {}), ab), { a: '', b: 0 });
    await same(t, single(gate('LogicAND', {}), ab), { a: 'x', b: [] });
  });

  it('FHash, FEncDec, FSign, FSleep edge cases', async (t) => {
    await same(t, single({ id: 'H', name: 'FHash', data: { algorithm: 'md5' }, inputs: ['Data'], outputs: ['Hash!'] }, [['d', 'Data']]), { d: 'x' });
    await same(t, single({ id: 'H', name: 'FHash', data: { algorithm: 'nope', encoding: 'hex' }, inputs: ['Data'], outputs: ['Hash!'] }, [['d', 'Data']]), { d: 'x' });
    await same(t, single({ id: 'E', name: 'FEncDec', data: { action: 'Encode', encoding: 'base64' }, inputs: ['Data'], outputs: ['Output!'] }, [['d', 'Data']]), { d: 12 });
    const sign: Spec = { id: 'S', name: 'FSign', data: { signMethod: 'HMAC', dataTransform: 'Stringify', key: '{{k}}', hashType: 'sha256', encoding: 'base64' }, inputs: ['Data', 'k'], outputs: ['Signature!'] };
    await same(t, single(sign, [['d', 'Data'], ['k', 'k']]), { d: { a: 1 }, k: 'secret' });
    await same(t, single({ id: 'Z', name: 'FSleep', data: { delay: 'abc' }, inputs: ['Input'], outputs: ['Output!'] }, [['d', 'Input']]), { d: { q: 1 } });
  });

  it('APICall: templated GET, JSON/urlencoded/text/none bodies, a 404, a text answer, an empty one, a refused connection, a bad URL', async (t) => {
    const base = `http://127.0.0.1:${port}`;
    await same(t, single(call({ method: 'GET', url: `${base}/items/{{v}}?q={{w}}&z={{none}}` }), vw), { v: 7, w: 'a b+c' });
    await same(t, single(call({ method: 'POST', url: `${base}/p`, headers: '{"X-T":"{{w}}"}', contentType: 'application/json', body: '{"v": {{v}}, "w": "{{w}}"}' }), vw), { v: 7, w: 'he said "hi"' });
    await same(t, single(call({ method: 'POST', url: `${base}/p`, contentType: 'application/x-www-form-urlencoded', body: '{"v": "{{v}}", "w": "{{w}}"}' }), vw), { v: 7, w: 'x y' });
    await same(t, single(call({ method: 'PUT', url: `${base}/p`, contentType: 'text/plain', body: 'v={{v}}' }), vw), { v: 7, w: 'x' });
    await same(t, single(call({ method: 'POST', url: `${base}/p`, body: 'v={{v}}' }), vw), { v: 7, w: 'x' });
    await same(t, single(call({ method: 'GET', url: `${base}/missing` }), vw), { v: 1, w: 'x' });
    await same(t, single(call({ method: 'GET', url: `${base}/text` }), vw), { v: 1, w: 'x' });
    await same(t, single(call({ method: 'GET', url: `${base}/empty` }), vw), { v: 1, w: 'x' });
    await same(t, single(call({ method: 'GET', url: 'http://127.0.0.1:1/x' }), vw), { v: 1, w: 'x' });
    await same(t, single(call({ method: 'GET', url: 'not a url {{v}}' }), vw), { v: 1, w: 'x' });
  });
});

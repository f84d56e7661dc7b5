/**
 * A run's timeout holds against synchronous work (regression: code components busy-looping in a cycle
 * held the event loop, so the timeout timer never fired: a 1.5 s budget ran 4.5 s and more).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinComponents } from '../../src/agents/components/index.ts';
import { importAgent } from '../../src/agents/definition.ts';
import { compileAgent } from '../../src/agents/engine/compile.ts';
import { executeRun } from '../../src/agents/engine/execute.ts';
import { agent, endpoint } from './agent-builder.ts';
import { testServices } from './engine-harness.ts';

const busy = (id: string) => ({
  id,
  name: 'ECMASandbox',
  data: { code: 'async function main(Input) { const s = Date.now(); while (Date.now() - s < 200) {} return Input; }', timeout: 5000 },
  inputs: ['Input'],
  outputs: ['Output!'],
});

describe('run limits', () => {
  it('a cycle of busy code components stops at the run timeout, and the loop is let go between waves', async () => {
    const doc = agent([endpoint('EP', 'spin', ['a']), busy('B1'), busy('B2')], [
      ['EP', 'body.a', 'B1', 'Input'],
      ['B1', 'Output', 'B2', 'Input'],
      ['B2', 'Output', 'B1', 'Input'],
    ]);
    const { definition } = importAgent(doc);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const started = Date.now();
    const outcome = await executeRun({
      agent: compileAgent(definition!, builtinComponents),
      request: { method: 'POST', path: '/api/spin', body: { a: 1 }, query: {}, headers: {} },
      services: testServices(),
      timeoutMs: 1000,
    });
    clearInterval(ticker);
    const took = Date.now() - started;
    assert.equal(outcome.status, 504, JSON.stringify(outcome.data));
    assert.equal(outcome.state, 'timeout');
    assert.ok(took < 3_000, `took ${took} ms against a 1000 ms budget`);
    assert.ok(ticks > 0, 'other timers ran while the run was going');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComponentContext, ComponentData, ComponentType } from '../engine/component.ts';
import { logicAnd, logicAtLeast, logicAtLeastConfig, logicAtMost, logicOr, logicXor } from './logic.ts';

const ctx = {} as ComponentContext;
function gate(type: ComponentType, input: Record<string, unknown>, data: Record<string, unknown> = {}, names = ['A', 'B', 'C']) {
  const component: ComponentData = { id: 'L', name: type.name, data, inputs: names.map((name) => ({ name })), outputs: [] };
  return type.process(input, component, ctx);
}
const yes = { Output: true, Verified: true };
const no = { Output: undefined, Unverified: true };

test('LogicAND needs every declared input truthy; JavaScript truthiness ("false" counts, 0 and "" do not)', () => {
  assert.deepEqual(gate(logicAnd, { A: 1, B: 'false', C: [] }), yes);
  assert.deepEqual(gate(logicAnd, { A: 1, B: 0, C: 'x' }), no);
  assert.deepEqual(gate(logicAnd, { A: 1, B: '' , C: 'x' }), no);
  assert.deepEqual(gate(logicAnd, {}, {}, []), yes, 'no inputs: SmythOS passes');
  assert.ok(!Object.hasOwn(gate(logicAnd, { A: 1, B: 1, C: 1 }) as object, 'Unverified'), 'the false output is left out');
});

test('LogicOR and LogicXOR', () => {
  assert.deepEqual(gate(logicOr, { C: true }), yes);
  assert.deepEqual(gate(logicOr, { A: 0, B: null }), no);
  assert.deepEqual(gate(logicXor, { B: 'x' }), yes);
  assert.deepEqual(gate(logicXor, { A: 1, B: 'x' }), no);
  assert.deepEqual(gate(logicXor, {}), no);
});

test('LogicAtLeast / LogicAtMost count truthy inputs against the threshold', () => {
  assert.deepEqual(gate(logicAtLeast, { A: 1, B: 1 }, { minSetInputs: '2' }), yes);
  assert.deepEqual(gate(logicAtLeast, { A: 1 }, { minSetInputs: 2 }), no);
  assert.deepEqual(gate(logicAtMost, { A: 1 }, { maxSetInputs: 1 }), yes);
  assert.deepEqual(gate(logicAtMost, { A: 1, B: 1 }, { maxSetInputs: '1' }), no);
});

test('LogicAtLeast/AtMost with an empty, missing or too-large threshold answer a bare {Output: undefined}', () => {
  assert.deepEqual(gate(logicAtLeast, { A: 1 }, { minSetInputs: '' }), { Output: undefined });
  assert.deepEqual(gate(logicAtLeast, { A: 1 }, {}), { Output: undefined });
  assert.deepEqual(gate(logicAtMost, { A: 1 }, { maxSetInputs: 4 }), { Output: undefined });
});

test('threshold settings are checked like SmythOS\'s Joi rule', () => {
  assert.equal(logicAtLeastConfig.safeParse({ minSetInputs: '3' }).success, true);
  const big = logicAtLeastConfig.safeParse({ minSetInputs: 12 });
  assert.equal(big.error?.issues[0]?.message, `"Minimum Inputs" failed custom validation because The value for 'Minimum Inputs' must be from 0 to 9`);
  assert.equal(logicAtLeastConfig.safeParse({ minSetInputs: '' }).error?.issues[0]?.message, '"Minimum Inputs" is not allowed to be empty');
  const nan = logicAtLeastConfig.safeParse({ minSetInputs: 'x' });
  assert.match(nan.error!.issues[0]!.message, /must be a number$/);
});

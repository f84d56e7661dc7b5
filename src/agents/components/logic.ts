/**
 * The logic gates LogicAND, LogicOR, LogicXOR, LogicAtLeast and LogicAtMost (SmythOS `Logic*.class.ts`).
 * Each counts which of its declared inputs hold a JavaScript-truthy value (research §13: the string
 * `"false"` counts, `0` and `""` do not) and answers `Output: true` plus `Verified: true`, or `Output:
 * undefined` plus `Unverified: true`. The false one of the pair is left out, so only its wired branch
 * runs ("no value, no activation", research §2.2).
 */
import { z } from 'zod';
import type { ComponentData, ComponentOutput, ComponentType } from '../engine/component.ts';

/** How many of the component's declared inputs (`inputs[]`, in order) hold a truthy value. */
function countSet(input: Record<string, unknown>, component: ComponentData): number {
  return component.inputs.filter((def) => Boolean(input[def.name])).length;
}

/** `{Output, Verified}` when `passed`, `{Output: undefined, Unverified: true}` otherwise (SmythOS's shape). */
function verdict(passed: boolean): ComponentOutput {
  return passed ? { Output: true, Verified: true } : { Output: undefined, Unverified: true };
}

/** LogicAND/OR/XOR take no configuration (SmythOS declares none): any `data` is accepted. */
const noConfig = z.looseObject({});

/** LogicAND: `Verified` when every declared input is truthy (and when there are none). Source: SRE `LogicAND.class.ts`. */
export const logicAnd: ComponentType = {
  name: 'LogicAND',
  configSchema: noConfig,
  doc: 'Passes when every declared input holds a truthy value (JavaScript truthiness: "false" counts as set, 0 and "" do not; no inputs at all also passes). Outputs: `Output` (true, or no value) and either `Verified: true` or `Unverified: true` — the other one carries no value, so only its branch runs. No config.',
  process: (input, component) => verdict(countSet(input, component) === component.inputs.length),
};

/** LogicOR: `Verified` when at least one declared input is truthy. Source: SRE `LogicOR.class.ts`. */
export const logicOr: ComponentType = {
  name: 'LogicOR',
  configSchema: noConfig,
  doc: 'Passes when at least one declared input holds a truthy value (JavaScript truthiness). Outputs: `Output` (true, or no value) and either `Verified: true` or `Unverified: true`; only the branch of the one present runs. No config.',
  process: (input, component) => verdict(countSet(input, component) > 0),
};

/** LogicXOR: `Verified` when exactly one declared input is truthy. Source: SRE `LogicXOR.class.ts`. */
export const logicXor: ComponentType = {
  name: 'LogicXOR',
  configSchema: noConfig,
  doc: 'Passes when exactly one declared input holds a truthy value (JavaScript truthiness). Outputs: `Output` (true, or no value) and either `Verified: true` or `Unverified: true`; only the branch of the one present runs. No config.',
  process: (input, component) => verdict(countSet(input, component) === 1),
};

/**
 * A threshold setting of LogicAtLeast/AtMost: a number or numeric string from 0 to 9. The message repeats
 * Joi's for SmythOS's custom rule (`"<label>" failed custom validation because …`).
 */
function thresholdSchema(label: string) {
  const fail = (why: string) => `"${label}" failed custom validation because The value for '${label}' ${why}`;
  return z
    .union([z.string(), z.number()])
    .superRefine((value, ctx) => {
      if (value === '') return void ctx.addIssue({ code: 'custom', message: `"${label}" is not allowed to be empty` });
      const n = Number(value);
      if (Number.isNaN(n)) ctx.addIssue({ code: 'custom', message: fail('must be a number') });
      else if (n < 0 || n > 9) ctx.addIssue({ code: 'custom', message: fail('must be from 0 to 9') });
    })
    .optional();
}

/** `data` of a LogicAtLeast component: `minSetInputs`, 0-9. */
export const logicAtLeastConfig = z.looseObject({ minSetInputs: thresholdSchema('Minimum Inputs') });
/** `data` of a LogicAtMost component: `maxSetInputs`, 0-9. */
export const logicAtMostConfig = z.looseObject({ maxSetInputs: thresholdSchema('Maximum Inputs') });

/**
 * The shared body of AtLeast/AtMost. SmythOS answers a bare `{Output: undefined}` (neither `Verified` nor
 * `Unverified`) when the threshold is unset or not a number, or when fewer inputs are declared than it asks
 * (an empty or non-numeric setting is refused by the config schema first, as Joi refuses it in SmythOS).
 */
function threshold(setting: unknown, component: ComponentData, input: Record<string, unknown>, passes: (count: number, limit: number) => boolean): ComponentOutput {
  if (setting === '' || Number.isNaN(Number(setting))) return { Output: undefined };
  const limit = Number(setting);
  if (component.inputs.length < limit) return { Output: undefined };
  return verdict(passes(countSet(input, component), limit));
}

/** LogicAtLeast: `Verified` when at least `minSetInputs` declared inputs are truthy. Source: SRE `LogicAtLeast.class.ts`. */
export const logicAtLeast: ComponentType = {
  name: 'LogicAtLeast',
  doc: 'Passes when at least `minSetInputs` (config, 0-9) declared inputs hold a truthy value. Outputs: `Output` and either `Verified: true` or `Unverified: true`. An empty or non-numeric `minSetInputs` fails validation; when it is unset or more than the number of declared inputs, it answers no value at all (neither branch runs), as SmythOS does.',
  configSchema: logicAtLeastConfig,
  process: (input, component) =>
    threshold(component.data.minSetInputs, component, input, (count, limit) => count >= limit),
};

/** LogicAtMost: `Verified` when at most `maxSetInputs` declared inputs are truthy. Source: SRE `LogicAtMost.class.ts`. */
export const logicAtMost: ComponentType = {
  name: 'LogicAtMost',
  doc: 'Passes when at most `maxSetInputs` (config, 0-9) declared inputs hold a truthy value. Outputs: `Output` and either `Verified: true` or `Unverified: true`. An empty or non-numeric `maxSetInputs` fails validation; when it is unset or more than the number of declared inputs, it answers no value at all (neither branch runs), as SmythOS does.',
  configSchema: logicAtMostConfig,
  process: (input, component) =>
    threshold(component.data.maxSetInputs, component, input, (count, limit) => count <= limit),
};

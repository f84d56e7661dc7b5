/**
 * The one table of component types Orrery runs (issue 10 §3). A `.smyth` component whose `name` is
 * not here fails when reached, naming its type and id; import lists it as a warning.
 */
import type { ComponentType } from '../engine/component.ts';
import type { ComponentRegistry } from '../engine/compile.ts';
import { agentPlugin } from './agent-plugin.ts';
import { apiCall } from './api-call.ts';
import { apiEndpoint } from './api-endpoint.ts';
import { asyncComponent, awaitComponent } from './async.ts';
import { apiOutput } from './api-output.ts';
import { classifier } from './classifier.ts';
import { code, ecmaSandbox } from './ecma-sandbox.ts';
import { fEncDec } from './fencdec.ts';
import { fHash } from './fhash.ts';
import { forEach } from './for-each.ts';
import { fSign } from './fsign.ts';
import { fSleep } from './fsleep.ts';
import { fTimestamp } from './ftimestamp.ts';
import { jsonFilter } from './json-filter.ts';
import { genAiLlm, llmPrompt, promptGenerator } from './llm-prompt.ts';
import { logicAnd, logicAtLeast, logicAtMost, logicOr, logicXor } from './logic.ts';
import { memoryDeleteKeyVal, memoryReadKeyVal, memoryWriteKeyVal } from './memory.ts';

/** Every built-in component type, by `.smyth` name. */
export const COMPONENT_TYPES: ReadonlyMap<string, ComponentType> = new Map(
  [
    apiEndpoint,
    apiOutput,
    apiCall,
    promptGenerator,
    llmPrompt,
    genAiLlm,
    classifier,
    memoryWriteKeyVal,
    memoryReadKeyVal,
    memoryDeleteKeyVal,
    forEach,
    asyncComponent,
    awaitComponent,
    ecmaSandbox,
    code,
    agentPlugin,
    fEncDec,
    fHash,
    fSign,
    fSleep,
    fTimestamp,
    jsonFilter,
    logicAnd,
    logicOr,
    logicXor,
    logicAtLeast,
    logicAtMost,
  ].map((type) => [type.name, type]),
);

/** The built-in registry (a stable function identity: compiled agents are cached per registry). */
export const builtinComponents: ComponentRegistry = (name) => COMPONENT_TYPES.get(name);

/** Whether `name` is a component type Orrery runs (`Note` is accepted and ignored). */
export const isKnownComponentType = (name: string): boolean => name === 'Note' || COMPONENT_TYPES.has(name);

/**
 * ForEach — runs its `Loop` branch once per item of `Input`, then emits `Result` (research/smythos.md
 * §2.5 and §13, SRE `ForEach`). `Input` becomes a list: an array as is; a string starting with `[`
 * parsed as JSON, any other string split on commas; any other value (a plain object included, §13)
 * wrapped as one item. Each turn emits `Loop = items[i]` with `_in_progress`; the engine collects the
 * branch's leaf results and re-activates the loop when every branch has ended. `format: minimal`
 * cleans each item's result, `results-array` flattens the values (a failing item disappears).
 */
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';
import type { LoopData } from '../engine/run-state.ts';

function toItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    if (!value.trim().startsWith('[')) return value.split(',');
    try {
      const parsed = JSON.parse(jsonrepair(value)) as unknown;
      return Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return [value];
    }
  }
  return [value];
}

function cleanup(result: unknown): unknown {
  if (typeof result !== 'object' || result === null) return result;
  const r = result as Record<string, unknown>;
  delete r._debug;
  delete r._error;
  delete r._temp_result;
  delete r._in_progress;
  return r;
}

const resultOf = (item: unknown) => ((item as { result?: unknown } | null)?.result || item);

/** ForEach's `data`: `format` — `full` (default), `minimal` or `results-array`; anything else keeps `full`'s shape, as in SmythOS (which validates nothing here). */
const configSchema = z.looseObject({});

/** The ForEach component type. */
export const forEach: ComponentType = {
  name: 'ForEach',
  configSchema,
  doc:
    'Runs the branch connected to `Loop` once per item of `Input` (an array; a JSON array string; a comma-separated string; anything else as a single item), one item at a time, then emits `Result` with the branch results in input order. `format: "minimal"` keeps each result without internal fields; `"results-array"` flattens the result values into one list.',
  process(input, component, context) {
    const run = context.run;
    if (!run) throw new Error('ForEach needs the engine');
    const items = toItems(input.Input);
    const runtimeData = run.runtimeDataOf(component.id);
    const loop: LoopData = runtimeData._LoopData ?? { parentId: component.id, loopIndex: 0, loopLength: items.length };
    delete loop.branches;
    const collected = loop.result;
    const item = items[loop.loopIndex];
    const inProgress = item !== undefined;
    if (inProgress) loop.loopIndex++;
    loop._in_progress = inProgress;
    run.setRuntimeData(component.id, { _LoopData: loop });
    let result: unknown;
    if (!inProgress) {
      let list = (collected ?? []) as unknown[];
      if (component.data.format === 'minimal') list = list.map((x) => cleanup(resultOf(x)));
      else if (component.data.format === 'results-array') list = list.map((x) => Object.values(cleanup(resultOf(x)) as object)).flat(Infinity);
      result = list;
    }
    return { Loop: item, Result: result, _temp_result: collected, _error: null, _in_progress: inProgress };
  },
  postProcess(entry) {
    const result = entry.result as Record<string, unknown> | null;
    if (result) {
      delete result._debug;
      if (!result._error) delete result._error;
      delete result._temp_result;
      delete result._in_progress;
      delete result.Loop;
    }
    return entry;
  },
};

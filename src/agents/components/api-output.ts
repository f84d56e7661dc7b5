/**
 * APIOutput — shapes a skill's answer (research/smythos.md §1.5, SRE `APIOutput`): `Output` is the
 * component's declared inputs (agent variables excluded). `format: minimal` (or a content type other
 * than JSON) makes the answer the bare `Output` (or the bare `_error`); `raw` joins the values into one
 * string; `full` keeps `{id, name, result: {Output}}`.
 */
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

const configSchema = z.object({ format: z.string().optional(), contentType: z.string().optional() }).passthrough();

/** The APIOutput component type. */
export const apiOutput: ComponentType = {
  name: 'APIOutput',
  doc:
    'Shapes the answer of a skill. Its inputs become the `Output` object. `format: "minimal"` answers with `Output` alone, `"raw"` with the input values joined into one string, `"full"` with `{id, name, result: {Output}}`. Agent variables never leak into `Output`.',
  configSchema,
  process(input, component) {
    const declared = new Set(component.inputs.map((i) => i.name));
    let output: unknown = {};
    for (const key in input) if (declared.has(key)) (output as Record<string, unknown>)[key] = input[key];
    if (component.data.format === 'raw') {
      let raw = '';
      for (const key in input) if (declared.has(key)) raw += String(input[key]);
      output = raw;
    }
    return { Output: output, _error: undefined };
  },
  postProcess(entry, component, context) {
    const result = entry.result as Record<string, unknown> | null | undefined;
    const out = result?.Output as Record<string, unknown> | undefined;
    if (out && typeof out === 'object') for (const name in context.variables) delete out[name];
    const contentType = (component.data.contentType as string | undefined) || 'application/json';
    if (component.data.format === 'minimal' || contentType !== 'application/json') {
      if (result?.Output) return result.Output;
      if (result?._error) return result._error;
      delete (entry as Partial<typeof entry>).id;
      delete (entry as Partial<typeof entry>).name;
    }
    return entry;
  },
};

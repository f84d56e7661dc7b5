/**
 * JSONFilter: keeps only the listed keys of an object, at every depth and across arrays (SmythOS
 * `JSONFilter.class.ts`). Its `_error` output carries `null` on success — SmythOS's quirk, measured in
 * research/smythos.md §13: a wired error branch fires with `null` even when nothing failed.
 */
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

/** `data` of a JSONFilter component: `fields`, comma-separated key names (spaces around names ignored), ≤ 30,000 characters. */
export const jsonFilterConfig = z.looseObject({
  fields: z
    .string({ error: '"Prompt" must be a string' })
    .max(30000, { error: '"Prompt" length must be less than or equal to 30000 characters long' })
    .optional(),
});

/**
 * `value` with only the keys named in `fields` kept in every object, at every depth (arrays are mapped,
 * scalars kept). A key not listed is dropped together with everything under it.
 * @throws TypeError when `fields` is undefined and `value` holds an object (as SmythOS does).
 */
export function filterFields(value: unknown, fields: string | undefined): unknown {
  const keep = fields?.split(',').map((field) => field.trim());
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if ((keep as string[]).includes(key)) out[key] = walk((v as Record<string, unknown>)[key]);
    }
    return out;
  };
  return walk(value);
}

/**
 * JSONFilter: input `Input` → outputs `Output` (the filtered value; `{}` on failure) and `_error` (`null`
 * on success, the Error object otherwise, as SmythOS has it — `{}` in a JSON answer; its message is logged).
 * Source: SRE `Components/JSONFilter.class.ts`; research §13.
 */
export const jsonFilter: ComponentType = {
  name: 'JSONFilter',
  doc: 'Keeps only the listed keys of its `Input` object, at every depth (arrays are filtered item by item; scalars pass unchanged). Config: `fields`, key names separated by commas (at most 30,000 characters). Outputs: `Output`, and `_error`, which is `null` on success — as in SmythOS, a wired error branch therefore runs every time, receiving `null` when nothing failed. Without `fields`, an object input fails: `Output` is `{}` and `_error` the error object, which reads `{}` in a JSON answer as in SmythOS (its message is in the run log).',
  configSchema: jsonFilterConfig,
  process(input, component, context) {
    const { fields } = component.data as z.infer<typeof jsonFilterConfig>;
    try {
      return { Output: filterFields(input.Input, fields), _error: null };
    } catch (err) {
      // SmythOS hands on the Error object itself (it reads `{}` as JSON); the message goes to the run log.
      context.log('error', `JSONFilter: ${err instanceof Error ? err.message : String(err)}`);
      return { Output: {}, _error: err };
    }
  },
};

/**
 * Classifier: LLM routing (SmythOS `Classifier.class.ts`). Its output endpoints are the categories, each output's
 * `description` the criterion. The prompt is the configured `prompt`, the inputs as JSON (braces and double quotes
 * of string values disguised so the model does not mistake them for structure), then the categories as JSON; the
 * reply is parsed and every falsy category is deleted, so only the matching branches fire.
 *
 * With the offline `Echo` model the "reply" is that prompt itself; SmythOS's permissive parser then turns it into an
 * array (`[{"Input":…}, "---", "Categories:", {…}]`, by `jsonrepair`), which names no category: no branch fires and
 * the array is the component's result. Kept as it is, because that is what SmythOS answers.
 */
import { z } from 'zod';
import { isEchoModel, parseJsonReply, postProcessReply } from '../../llm/models.ts';
import type { ComponentContext, ComponentData, ComponentOutput, ComponentType } from '../engine/component.ts';
import { parseTemplate } from '../engine/template.ts';
import { enhancePrompt, isUnknownModel, modelNotAvailable } from './llm-prompt.ts';

/** `data` of a Classifier: `model` (required), `prompt` (the instruction; may be empty, at most 30 000 characters). */
export const classifierConfig = z.looseObject({
  model: z.string().min(1).max(200),
  prompt: z.string().max(30_000).optional(),
});

/** `{`, `}` and `"` in input text, disguised for the prompt (SRE `escapeJSONString`). */
export const disguiseJson = (text: string): string => text.replace(/\{/g, '<[<(').replace(/\}/g, ')>]>').replace(/"/g, '`');

/** The reverse of {@link disguiseJson}, applied to the category values of the reply (SRE `unescapeJSONString`). */
export const undisguiseJson = (text: string): string => text.replace(/<\[<\(/g, '{').replace(/\)>]>/g, '}').replace(/`/g, '"');

/**
 * The classification prompt, or '' when the component has no categories (outputs other than `_debug`/`_error`).
 * Inputs are JSON-copied (a `null` or object input is stringified), their strings disguised, and the whole is
 * template-parsed with the original inputs, so `{{Input}}` in `prompt` inserts the raw value.
 */
export function classifierPrompt(input: Record<string, unknown>, component: ComponentData): string {
  const copy = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  for (const key in copy) {
    const value = copy[key];
    if (typeof value === 'string') copy[key] = disguiseJson(value);
    else if (typeof value === 'object') copy[key] = disguiseJson(JSON.stringify(value));
  }
  const categories: Record<string, string> = {};
  for (const output of component.outputs) categories[output.name] = (output.description as string | undefined) || '';
  if (!component.outputs.some((o) => o.name !== '_debug' && o.name !== '_error')) return '';
  // `${undefined}` on purpose: SmythOS builds the prompt the same way when `prompt` is missing.
  const prompt = `${component.data.prompt as string}\n${JSON.stringify(copy, null, 2)}\n\n---\nCategories: \n${JSON.stringify(categories, null, 2)}`;
  return parseTemplate(prompt, input);
}

/**
 * The classification from a parsed reply: falsy entries deleted, string entries undisguised and parsed when they
 * hold JSON, an `error` entry moved to `_error`. A string reply cannot be walked this way; SmythOS fails on it
 * with JavaScript's strict-mode message, which is kept as the `_error`.
 */
export function classify(parsed: unknown): ComponentOutput {
  if (typeof parsed === 'string') {
    return { _error: parsed === '' ? "Cannot create property '_debug' on string ''" : `Cannot assign to read only property '0' of string '${parsed}'` };
  }
  const result = parsed as Record<string, unknown>;
  for (const entry in result) {
    const value = result[entry];
    if (!value) delete result[entry];
    else if (typeof value === 'string') {
      result[entry] = undisguiseJson(value);
      const inner = parseJsonReply(result[entry]);
      if (inner !== null && typeof inner === 'object' && !(inner as { error?: unknown }).error) result[entry] = inner;
    }
  }
  if (result.error) {
    result._error = result.error;
    delete result.error;
  }
  return result;
}

async function classifierProcess(input: Record<string, unknown>, component: ComponentData, context: ComponentContext): Promise<ComponentOutput> {
  const model = component.data.model as string;
  const prompt = classifierPrompt(input, component);
  if (!prompt) return { _error: 'Missing information, Cannot run classifier' };
  try {
    let reply: unknown;
    try {
      const text = await context.generate({ model: model || 'echo', prompt: enhanceFor(model, prompt, component), signal: context.signal });
      reply = postProcessReply(model || 'echo', text);
      const error = reply !== null && typeof reply === 'object' ? (reply as { error?: unknown }).error : undefined;
      if (error) throw new Error(String(error));
    } catch (error) {
      if (isUnknownModel(error)) {
        context.log('error', error.message);
        return { _error: modelNotAvailable(model) };
      }
      return { _error: `Error: ${(error as Error).message} ` };
    }
    return classify(typeof reply === 'string' ? parseJsonReply(reply) : reply);
  } catch (error) {
    // A reply of an unexpected shape (JSON `null`): SmythOS reports JavaScript's own message.
    return { _error: (error as Error).message };
  }
}

/** Non-Echo models get the expected `{category: <Boolean|String>}` shape appended, as SmythOS's connectors add it. */
const enhanceFor = (model: string, prompt: string, component: ComponentData): string =>
  isEchoModel(model || 'echo') ? prompt : enhancePrompt(prompt, component);

/**
 * Classifier: inputs (usually `Input`) → one output per category, only the truthy ones (a category output's value is
 * what the model answered for it). Errors as `_error`: `Missing information, Cannot run classifier` (no categories),
 * `The model '<m>' is not available. Please try a different one.`, `Error: <message> ` for a failed call.
 * Source: SRE `Components/Classifier.class.ts`, `LLMConnector.enhancePrompt`, `JsonContent.helper.ts`.
 */
export const classifier: ComponentType = {
  name: 'Classifier',
  doc: 'Routes by LLM: its outputs are the categories, each output\'s description the criterion. It sends the prompt, the inputs and the categories to `model`, parses the JSON reply and fires only the categories answered truthy. With the offline `Echo` model no category fires (as in SmythOS).',
  configSchema: classifierConfig,
  process: classifierProcess,
};

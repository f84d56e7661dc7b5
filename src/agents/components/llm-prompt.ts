/**
 * The LLM components: PromptGenerator (the Studio's "LLM Prompt"), its alias LLMPrompt, and GenAILLM (SmythOS
 * `PromptGenerator.class.ts`, `GenAILLM.class.ts`). All three template their `prompt` from the inputs (quotes of
 * inserted strings escaped, unmatched `{{…}}` left as they are), ask `context.generate` and answer `Reply`, parsed
 * the way SmythOS parses model replies (`postProcessReply` in src/llm/models.ts). They differ where SmythOS's
 * two classes differ: error texts, the default response format, and where the empty-reply check falls.
 * Also home of the prompt additions the Classifier shares ({@link enhancePrompt}).
 */
import { z } from 'zod';
import { isEchoModel, postProcessReply } from '../../llm/models.ts';
import type { ComponentContext, ComponentData, ComponentOutput, ComponentType } from '../engine/component.ts';
import { parseTemplate } from '../engine/template.ts';

/** A number as Joi takes one: a number or a numeric string (`"0.7"`, as `.smyth` files store them). */
export const numberSetting = (min: number, max = Infinity) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(min).max(max));

/** A boolean as Joi takes one: `true`/`false` or the strings `"true"`/`"false"`. */
export const booleanSetting = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/** `data` of a PromptGenerator/LLMPrompt (SRE's Joi schema: `model` and a non-empty `prompt` required). */
export const promptGeneratorConfig = z.looseObject({
  model: z.string().min(1).max(200),
  prompt: z.string().min(1).max(8_000_000),
  temperature: numberSetting(0, 5).optional(),
  maxTokens: numberSetting(1).optional(),
  stopSequences: z.string().max(400).optional(),
  topP: numberSetting(0, 1).optional(),
  topK: numberSetting(0, 500).optional(),
  frequencyPenalty: numberSetting(0, 2).optional(),
  presencePenalty: numberSetting(0, 2).optional(),
  responseFormat: z.enum(['json', 'text']).optional(),
  passthrough: booleanSetting.optional(),
});

/** `data` of a GenAILLM: PromptGenerator's, plus `responseFormat: ''` and the context/system-prompt switches. */
export const genAiLlmConfig = promptGeneratorConfig.extend({
  responseFormat: z.enum(['json', 'text', '']).optional(),
  useSystemPrompt: booleanSetting.optional(),
  useContextWindow: booleanSetting.optional(),
  maxContextWindowLength: numberSetting(0).optional(),
});

/**
 * The system prompt sent to non-Echo models when the response format is `json` (SmythOS's OpenAI connector sends
 * an equivalent instruction as the system message; with Echo no system prompt matters).
 */
export const JSON_REPLY_INSTRUCTION = [
  'Answer with one valid JSON object and nothing else:',
  "- start with '{' and end with '}';",
  '- double quotes around every key and string value;',
  '- no explanation, markdown or text outside the object, no newlines or indentation inside it;',
  '- a single value goes under "result": {"result": "…"}; several go under their own keys.',
].join('\n');

/** SmythOS's answer for a model it cannot use (SRE LLM components and Classifier). */
export const modelNotAvailable = (model: string): string => `The model '${model}' is not available. Please try a different one.`;

/**
 * `prompt` with the expected JSON shape appended when the component has non-default outputs (each `<value>`, or
 * `<Boolean|String>` for a Classifier, with the output's description in parentheses); unchanged otherwise or when
 * empty. What SmythOS's base LLM connector does before calling any model but Echo (SRE `LLMConnector.enhancePrompt`).
 */
export function enhancePrompt(prompt: string, component: Pick<ComponentData, 'name' | 'outputs'>): string {
  if (!prompt) return prompt;
  const format: Record<string, string> = {};
  for (const output of component.outputs ?? []) {
    if (output.default || output.name === '_debug' || output.name === '_error') continue;
    const placeholder = component.name === 'Classifier' ? '<Boolean|String>' : '<value>';
    format[output.name] = placeholder + (output.description ? ` (${output.description})` : '');
  }
  if (Object.keys(format).length === 0) return prompt;
  return `${prompt}\n##\nExpected output format = ${JSON.stringify(format)}\nThe output JSON should only use the entries from the output format.`;
}

/** The model request for a component's prompt: Echo gets the prompt alone, other models the enhanced one. */
async function ask(context: ComponentContext, component: ComponentData, model: string, prompt: string, json: boolean, maxOutputTokens?: number) {
  const echo = isEchoModel(model);
  return context.generate({
    model,
    prompt: echo ? prompt : enhancePrompt(prompt, component),
    system: !echo && json ? JSON_REPLY_INSTRUCTION : undefined,
    maxOutputTokens,
    signal: context.signal,
  });
}

/** True when `error` is the router's unknown-model error (matched by name: it may cross module copies). */
export function isUnknownModel(error: unknown): error is Error {
  return error instanceof Error && error.name === 'UnknownModelError';
}

const positive = (value: unknown): number | undefined => {
  const n = parseInt(String(value), 10);
  return n > 0 ? n : undefined;
};

/** The `error` field of a parsed reply, when it is an object that has a truthy one. */
const replyError = (value: unknown): unknown => (value !== null && typeof value === 'object' ? (value as { error?: unknown }).error || undefined : undefined);

async function promptGeneratorProcess(input: Record<string, unknown>, component: ComponentData, context: ComponentContext): Promise<ComponentOutput> {
  const data = component.data as z.infer<typeof promptGeneratorConfig>;
  const model = data.model || 'echo';
  const prompt = parseTemplate(String(data.prompt), input);
  // PromptGenerator defaults to JSON replies.
  const json = (data.responseFormat || 'json') === 'json';
  let reply: unknown;
  try {
    const text = await ask(context, component, model, prompt, json, positive(data.maxTokens));
    reply = postProcessReply(model, text);
    // SmythOS's inference layer treats a parsed `{error}` reply as a failed call.
    const error = replyError(reply);
    if (error) throw new Error(String(error));
  } catch (error) {
    if (isUnknownModel(error)) {
      context.log('error', error.message);
      return { _error: modelNotAvailable(model) };
    }
    // SmythOS formats the caught error as `${error} ${details}`, with `details` empty here.
    return { _error: `Error: ${(error as Error).message} ` };
  }
  if (!reply) return { _error: ' LLM Error = Empty Response!' };
  return { Reply: reply };
}

const EMPTY_REPLY = "Empty response. This is usually due to output token limit reached. Please try again with a higher 'Maximum Output Tokens'.";

async function genAiLlmProcess(input: Record<string, unknown>, component: ComponentData, context: ComponentContext): Promise<ComponentOutput> {
  const data = component.data as z.infer<typeof genAiLlmConfig>;
  const model = data.model || 'echo';
  const prompt = data.prompt ? parseTemplate(data.prompt, input) : '';
  // GenAILLM asks for JSON only when the component has outputs beyond Reply.
  const hasCustomOutputs = component.outputs.some((o) => !o.default);
  const json = (data.responseFormat || (hasCustomOutputs ? 'json' : '')) === 'json';
  let text: string;
  try {
    text = await ask(context, component, model, prompt, json, positive(data.maxTokens) ?? 1024);
  } catch (error) {
    if (isUnknownModel(error)) {
      context.log('error', error.message);
      return { _error: modelNotAvailable(model) };
    }
    return { _error: `${(error as Error).message} ` };
  }
  if (!text) return { _error: EMPTY_REPLY };
  const reply = postProcessReply(model, text);
  const error = replyError(reply);
  if (error) return { _error: error };
  return { Reply: reply };
}

const PROMPT_DOC =
  'Sends its `prompt` to an LLM and answers `Reply`. Config: `model` (`Echo` runs offline and answers the prompt itself; any other name goes to the configured OpenAI-compatible endpoint), `prompt` (template: `{{Input}}` and any other input or agent variable; quotes in inserted text are escaped, unknown placeholders stay), `maxTokens`, `responseFormat` (`json` by default: a reply that is JSON becomes an object). A failed call gives `_error`.';

/**
 * PromptGenerator: inputs (usually `Input`) → `Reply`. Errors as `_error`: `The model '<m>' is not available. Please
 * try a different one.`, `Error: <message> ` for a failed call, ` LLM Error = Empty Response!`.
 * Source: SRE `Components/PromptGenerator.class.ts`; fixture `smyth/sre-echo-LLMPrompt.smyth`.
 */
export const promptGenerator: ComponentType = {
  name: 'PromptGenerator',
  doc: PROMPT_DOC,
  configSchema: promptGeneratorConfig,
  process: promptGeneratorProcess,
};

/** LLMPrompt: the same component under its other `.smyth` name (SRE registers both). */
export const llmPrompt: ComponentType = { ...promptGenerator, name: 'LLMPrompt' };

/**
 * GenAILLM: PromptGenerator's successor. Differences kept from SmythOS: JSON replies are asked for only when the
 * component has outputs beyond `Reply`; a failed call gives `_error: "<message> "`; an empty reply gives the
 * "Empty response…" error; a parsed reply carrying `error` gives that as `_error`. Attachments and
 * `useSystemPrompt`/`useContextWindow` are not supported yet. Source: SRE `Components/GenAILLM.class.ts`.
 */
export const genAiLlm: ComponentType = {
  name: 'GenAILLM',
  doc: `${PROMPT_DOC} Unlike PromptGenerator it asks for JSON only when it has outputs beyond Reply.`,
  configSchema: genAiLlmConfig,
  process: genAiLlmProcess,
};

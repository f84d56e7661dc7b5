/**
 * APIEndpoint — a skill (research/smythos.md §1.4, SRE `APIEndpoint`). Reachable at `<METHOD>
 * /api/<endpoint>`; outputs `headers`, `body`, `query`, then one output per input (`body.<name>` for
 * POST, `query.<name>` for GET). Inputs with a default fill empty body or query fields, `{{var}}`
 * values are resolved from the inputs, declared types are applied (`Invalid Number value`, …) and
 * JSON-looking strings (`{…}`) are repaired and parsed. Multipart files are matched to Binary inputs
 * by field name and passed on as `{mimetype, size, name, url}` with a `data:` URL (Orrery has no
 * `smythfs://` store). Credentials (`authorization`, `cookie`, `x-csrf-token`) never reach `headers`.
 */
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';
import { parseTemplate } from '../engine/template.ts';
import { inferInputTypes } from '../engine/type-inference.ts';

const configSchema = z.object({
  endpoint: z.string().regex(/^[a-zA-Z0-9_]+([-_][a-zA-Z0-9_]+)*$/).max(50),
  method: z.union([z.enum(['POST', 'GET']), z.literal('')]).optional(),
  description: z.string().max(5000).optional(),
  summary: z.string().max(1000).optional(),
  doc: z.string().max(1000).optional(),
  ai_exposed: z.boolean().optional(),
  advancedModeEnabled: z.boolean().optional(),
  endpointLabel: z.string().max(100).optional(),
});

const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  (typeof value === 'string' && value.trim() === '') ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

const isTemplateVar = (value: unknown): value is string => typeof value === 'string' && /{{.*?}}/.test(value);

function parseJsonLooking(values: Record<string, unknown>) {
  for (const key in values) {
    const value = values[key];
    if (typeof value !== 'string') continue;
    const text = value.trim();
    if (!text.startsWith('{') || !text.endsWith('}')) continue;
    try {
      values[key] = JSON.parse(jsonrepair(value));
    } catch {
      // Not JSON after all: kept as the string it was.
    }
  }
}

const BINARY_TYPES = new Set(['image', 'audio', 'video', 'binary']);

/** The APIEndpoint component type. */
export const apiEndpoint: ComponentType = {
  name: 'APIEndpoint',
  doc:
    'A skill: the entry point a caller reaches at `<METHOD> /api/<endpoint>` (GET or POST, POST by default). Its outputs are the request `headers`, `body` and `query`, plus one output per declared input (`body.<name>` for POST, `query.<name>` for GET). Declared input types are enforced (`Invalid Number value`, …), defaults fill empty fields, and JSON-looking strings are parsed. `ai_exposed: false` hides the skill from model-facing specs.',
  configSchema,
  process(input, component, context) {
    const request = context.run?.request;
    let body: Record<string, unknown> = { ...(request?.body ?? {}) };
    let query: Record<string, unknown> = { ...(request?.query ?? {}) };
    const headers = { ...(request?.headers ?? {}) };
    delete headers.authorization;
    delete headers.cookie;
    delete headers['x-csrf-token'];
    const bodyNames = new Set<string>();
    const queryNames = new Set<string>();
    for (const output of component.outputs) {
      const name = output.expression || output.name;
      const field = name?.split('.')[1];
      if (!field) continue;
      if (name.includes('body')) bodyNames.add(field);
      if (name.includes('query')) queryNames.add(field);
    }
    for (const def of component.inputs) {
      if (def.defaultVal === undefined || def.defaultVal === '' || def.defaultVal === null) continue;
      if (bodyNames.has(def.name) && isEmpty(body[def.name])) body[def.name] = input[def.name];
      if (queryNames.has(def.name) && isEmpty(query[def.name])) query[def.name] = input[def.name];
    }
    for (const values of [body, query]) {
      for (const key in values) if (isTemplateVar(values[key])) values[key] = parseTemplate(values[key], input);
    }
    body = inferInputTypes(body, component.inputs);
    query = inferInputTypes(query, component.inputs);
    parseJsonLooking(body);
    parseJsonLooking(query);
    for (const def of component.inputs) {
      if (!def.isFile && !BINARY_TYPES.has(String(def.type ?? '').toLowerCase())) continue;
      const files = (request?.files ?? []).filter((f) => f.fieldname === def.name);
      if (files.length === 0) continue;
      const json = files.map((f) => ({
        mimetype: f.mimetype,
        size: f.data.length,
        name: f.filename,
        url: `data:${f.mimetype || 'application/octet-stream'};base64,${f.data.toString('base64')}`,
      }));
      body[def.name] = json.length === 1 ? json[0] : json;
    }
    return { headers, body, query, params: {} };
  },
  postProcess: (entry) => entry,
};

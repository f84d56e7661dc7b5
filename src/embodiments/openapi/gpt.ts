/**
 * The ChatGPT Actions variant (research/smythos.md §7 "ChatGPT", §12 item 30; server-common
 * `ChatGPTRole`): a 3.0.1 document turned into OpenAPI 3.1.0 the way GPT Actions want it —
 * `nullable: true` becomes a type union with `null`; a `binary` (or `byte`) string becomes a string with
 * `contentEncoding: base64`; an array with empty `items` gets string items; an empty
 * `additionalProperties` becomes `true`; and every summary is at most 300 characters, cut at a `.`.
 *
 * Deliberate difference: the original transformed the plain document (every skill, multipart bodies);
 * Orrery transforms the LLM one — a GPT is a model, so skills hidden from AI stay hidden, and GPT
 * Actions send JSON bodies only (a file is then base64 text, which the skill runner takes).
 */
import type { OpenApiDocument } from './spec.ts';

/** Longest operation summary GPT Actions take, in characters. */
export const GPT_SUMMARY_MAX_CHARS = 300;

/**
 * `text` cut to at most `max` characters after the last `.` within them (the original cut just before
 * it), or hard at `max` when there is none.
 */
export function cutAtSentence(text: string, max = GPT_SUMMARY_MAX_CHARS): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const end = head.lastIndexOf('.');
  return end > 0 ? head.slice(0, end + 1) : head;
}

type Schema = Record<string, unknown>;
const isObject = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

/** One schema, and the schemas inside it, in 3.1 form (a copy). */
export function schema31(input: unknown): unknown {
  if (!isObject(input)) return input;
  const schema: Schema = { ...input };
  if (schema.type === 'array') schema.items = !isObject(schema.items) || Object.keys(schema.items).length === 0 ? { type: 'string' } : schema31(schema.items);
  if (isObject(schema.additionalProperties)) schema.additionalProperties = Object.keys(schema.additionalProperties).length === 0 ? true : schema31(schema.additionalProperties);
  if (isObject(schema.properties)) schema.properties = Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, schema31(property)]));
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) if (Array.isArray(schema[key])) schema[key] = (schema[key] as unknown[]).map(schema31);
  if (isObject(schema.not)) schema.not = schema31(schema.not);
  if (schema.format === 'binary' || schema.format === 'byte') {
    delete schema.format;
    schema.type = 'string';
    schema.contentEncoding = 'base64';
  }
  if (schema.nullable === true && schema.type !== undefined) schema.type = [...(Array.isArray(schema.type) ? schema.type : [schema.type]), 'null'];
  delete schema.nullable;
  return schema;
}

/** The schemas of each media type of `content` in 3.1 form. */
function content31(content: unknown): unknown {
  if (!isObject(content)) return content;
  return Object.fromEntries(Object.entries(content).map(([type, media]) => [type, isObject(media) && media.schema !== undefined ? { ...media, schema: schema31(media.schema) } : media]));
}

/** One operation in 3.1 form: parameter, body and response schemas; the summary cut. */
function operation31(operation: Record<string, unknown>): Record<string, unknown> {
  const out = { ...operation };
  if (typeof out.summary === 'string') out.summary = cutAtSentence(out.summary);
  if (Array.isArray(out.parameters)) out.parameters = out.parameters.map((p: unknown) => (isObject(p) && p.schema !== undefined ? { ...p, schema: schema31(p.schema) } : p));
  if (isObject(out.requestBody)) out.requestBody = { ...out.requestBody, content: content31(out.requestBody.content) };
  if (isObject(out.responses)) {
    out.responses = Object.fromEntries(Object.entries(out.responses).map(([code, r]) => [code, isObject(r) && r.content !== undefined ? { ...r, content: content31(r.content) } : r]));
  }
  return out;
}

/** The GPT Actions (3.1.0) document of `document` (not changed). */
export function toGptActions(document: OpenApiDocument): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [path, item] of Object.entries(document.paths)) paths[path] = Object.fromEntries(Object.entries(item).map(([method, op]) => [method, operation31(op)]));
  const schemas = document.components?.schemas;
  const components = document.components && isObject(schemas) ? { ...document.components, schemas: Object.fromEntries(Object.entries(schemas).map(([n, s]) => [n, schema31(s)])) } : document.components;
  return { ...document, openapi: '3.1.0', paths, ...(components ? { components } : {}) };
}

/**
 * An agent's skills as an OpenAPI 3.0.1 document (issue 12 item 4; research/smythos.md §7 "OpenAPI
 * generation", SRE `AgentDataConnector.getOpenAPIJSON`), in its two variants:
 * - `plain` (`openapi.json`): every skill; `info.description` the agent's `shortDescription`; a summary
 *   is the skill's `doc`, else its `description`; a POST skill with a file input takes
 *   `multipart/form-data`;
 * - `llm` (`openapi-llm.json`): only AI-exposed skills; `info.description` the agent's `behavior`; a
 *   summary is the `description`, else the `doc`; bodies are always JSON (a file is text: a URL, a
 *   `data:` URL or base64 — what the skill runner takes, src/agents/components/api-endpoint.ts).
 *
 * Deliberate differences from the original: `servers[0].url` has its scheme (§11.8); a skill without
 * inputs has no request body and a body is `required` only when an input is (the original marked every
 * body required); operation ids stay unique when a GET and a POST skill share an endpoint (as the tool
 * names, src/embodiments/tools.ts); files are Binary, Image, Audio and Video inputs (the runner's file
 * types; the original: Binary only); a default that is a template (`{{var}}`) or not of the input's type
 * is left out; and an agent whose skills need a credential declares a bearer security scheme.
 */
import type { AgentDefinition } from '../../agents/definition.ts';
import { skillsOf, type Skill } from '../../agents/definition.ts';
import type { ComponentData, InputDef } from '../../agents/engine/component.ts';
import { jsonSchemaOfInputType } from '../tools.ts';

/** An OpenAPI document (a plain JSON object). */
export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  info: { title: string; description: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: Record<string, unknown>;
};

/** What a document describes: an agent's name, the version read (null: the draft) and its definition. */
export interface SpecSubject {
  name: string;
  version: string | null;
  definition: AgentDefinition;
}

/** How to build the document. */
export interface SpecOptions {
  variant: 'plain' | 'llm';
  /** Where the skills answer, scheme included: `https://host` or `https://host/agents/<id>`. */
  serverUrl: string;
  /** A deployed version asked for explicitly (`1.2`): paths become `/v1.2/api/<endpoint>` (§7). */
  pathVersion?: string | undefined;
  /** The skills need a credential (skill access not `public`): declare the bearer scheme. */
  secured: boolean;
}

/** The name of the bearer scheme the documents declare when the agent needs a credential. */
export const BEARER_SCHEME = 'bearerAuth';

const FILE_TYPES = new Set(['binary', 'image', 'audio', 'video']);
const isFile = (input: InputDef) => FILE_TYPES.has((input.type ?? '').toLowerCase()) || input.isFile === true;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** `input.defaultVal` as a value of `schema`'s type, or undefined (a template or a mismatch is left out). */
export function defaultOf(input: InputDef, schema: Record<string, unknown>): unknown {
  const value = input.defaultVal;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && value.includes('{{')) return undefined;
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isFinite(n) && (schema.type === 'number' || Number.isInteger(n)) ? n : undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : undefined;
    case 'array':
      return Array.isArray(value) ? value : undefined;
    case 'object':
      return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
    default:
      return undefined;
  }
}

/** The schema of one input, with its description and default. `file`: how a file input is described. */
function schemaOf(input: InputDef, file: Record<string, unknown> | undefined): Record<string, unknown> {
  const schema = file && isFile(input) ? { ...file } : jsonSchemaOfInputType(input.type);
  const fallback = defaultOf(input, schema);
  return { ...schema, ...(text(input.description) ? { description: input.description } : {}), ...(fallback !== undefined ? { default: fallback } : {}) };
}

/** A GET input as a query parameter: arrays `form` without explode, objects `deepObject` (§7). */
function parameterOf(input: InputDef): Record<string, unknown> {
  const { description, ...schema } = schemaOf(input, undefined);
  const style = schema.type === 'array' ? { style: 'form', explode: false } : schema.type === 'object' ? { style: 'deepObject', explode: true } : {};
  return { name: input.name, in: 'query', ...(description ? { description } : {}), required: !input.optional, schema, ...style };
}

/** A POST skill's body: JSON, or multipart when it has a file input and the variant is not `llm` (§7). */
function requestBodyOf(inputs: readonly InputDef[], llm: boolean): Record<string, unknown> {
  const multipart = !llm && inputs.some(isFile);
  // In a multipart body a file is a file part; in JSON it is text (base64, or a URL the runner passes on).
  const file = multipart ? { type: 'string', format: 'binary' } : { type: 'string', format: 'byte' };
  const required = inputs.filter((i) => !i.optional).map((i) => i.name);
  const schema = { type: 'object', properties: Object.fromEntries(inputs.map((i) => [i.name, schemaOf(i, file)])), ...(required.length ? { required } : {}) };
  return { required: required.length > 0, content: { [multipart ? 'multipart/form-data' : 'application/json']: { schema } } };
}

/** One skill as an operation. */
function operationOf(skill: Skill, data: Record<string, unknown>, operationId: string, llm: boolean): Record<string, unknown> {
  const doc = text(data.doc);
  const description = text(data.description);
  const summary = (llm ? description || doc : doc || description) || text(data.summary) || `The ${skill.endpoint} skill`;
  const operation: Record<string, unknown> = { operationId, summary, 'x-openai-isConsequential': false };
  if (skill.inputs.length > 0) {
    if (skill.method === 'GET') operation.parameters = skill.inputs.map(parameterOf);
    else operation.requestBody = requestBodyOf(skill.inputs, llm);
  }
  operation.responses = { 200: { description: "The skill's answer", content: { 'text/plain': { schema: { type: 'string' } } } } };
  return operation;
}

/** The document of `subject`'s skills. Pure: the same subject and options give the same document. */
export function agentOpenApi(subject: SpecSubject, options: SpecOptions): OpenApiDocument {
  const { definition } = subject;
  const llm = options.variant === 'llm';
  const byId = new Map<string, ComponentData>(definition.components.map((c) => [c.id, c]));
  const paths: OpenApiDocument['paths'] = {};
  const usedIds = new Set<string>();
  for (const skill of skillsOf(definition)) {
    if (llm && !skill.ai_exposed) continue;
    const operationId = usedIds.has(skill.endpoint) ? `${skill.endpoint}_${skill.method.toLowerCase()}` : skill.endpoint;
    usedIds.add(operationId);
    const path = `${options.pathVersion ? `/v${options.pathVersion}` : ''}/api/${skill.endpoint}`;
    paths[path] = { ...paths[path], [skill.method.toLowerCase()]: operationOf(skill, byId.get(skill.componentId)?.data ?? {}, operationId, llm) };
  }
  const description = (llm ? text(definition.behavior) : text(definition.shortDescription)) || text(definition.description) || `The skills of ${subject.name}`;
  return {
    openapi: '3.0.1',
    info: { title: subject.name, description, version: subject.version ?? '1.0.0' },
    servers: [{ url: options.serverUrl }],
    paths,
    ...(options.secured
      ? {
          components: { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: "The agent owner's Orrery access token, or the agent's API key" } } },
          security: [{ [BEARER_SCHEME]: [] }],
        }
      : {}),
  };
}

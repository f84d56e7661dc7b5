/**
 * An agent's skills as tools (issue 12 items 1 and 3; research/smythos.md §7 "MCP" and "OpenAPI
 * generation"): one tool per AI-exposed skill, named after its endpoint, its inputs as a JSON Schema
 * object. The conversation engine hands them to the model as functions; the MCP server lists them.
 */
import { skillsOf, type AgentDefinition, type Skill } from '../agents/definition.ts';
import type { InputDef } from '../agents/engine/component.ts';

/** A JSON Schema object describing a skill's inputs. */
export interface ToolInputSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  [extra: string]: unknown;
}

/** One skill as a tool. */
export interface SkillTool {
  /** The skill's endpoint (`say`); `<endpoint>_<method>` for the second of two skills sharing one. */
  name: string;
  description: string;
  skill: Skill;
  inputSchema: ToolInputSchema;
}

/**
 * JSON Schema of one `.smyth` input type, by SmythOS's mapping (SRE `getOpenAPIJSON`): Binary, String,
 * Any and anything unknown → string; Number/Float → number; Integer; Boolean; Array (any items);
 * Object (any properties). Image/Audio/Video/Binary are base64 text or a URL as a tool argument.
 */
export function jsonSchemaOfInputType(type: string | undefined): Record<string, unknown> {
  switch ((type ?? 'Any').toLowerCase()) {
    case 'number':
    case 'float':
      return { type: 'number' };
    case 'integer':
      return { type: 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'array':
      return { type: 'array', items: {} };
    case 'object':
      return { type: 'object', additionalProperties: {} };
    default:
      return { type: 'string' };
  }
}

/** The inputs of a skill as one JSON Schema object; `required` lists the inputs not marked optional. */
export function inputSchemaOf(inputs: readonly InputDef[]): ToolInputSchema {
  const properties: ToolInputSchema['properties'] = {};
  const required: string[] = [];
  for (const input of inputs) {
    properties[input.name] = { ...jsonSchemaOfInputType(input.type), ...(typeof input.description === 'string' && input.description ? { description: input.description } : {}) };
    if (!input.optional) required.push(input.name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

const toolCache = new WeakMap<AgentDefinition, SkillTool[]>();

/** The AI-exposed skills of `definition` as tools, in component order (cached per definition). */
export function skillTools(definition: AgentDefinition): SkillTool[] {
  const cached = toolCache.get(definition);
  if (cached) return cached;
  const tools: SkillTool[] = [];
  const taken = new Set<string>();
  for (const skill of skillsOf(definition)) {
    if (!skill.ai_exposed) continue;
    const name = taken.has(skill.endpoint) ? `${skill.endpoint}_${skill.method.toLowerCase()}` : skill.endpoint;
    taken.add(name);
    tools.push({
      name,
      description: skill.description || skill.summary || `Call the agent's ${skill.endpoint} skill (${skill.method} ${skill.path}).`,
      skill,
      inputSchema: inputSchemaOf(skill.inputs),
    });
  }
  toolCache.set(definition, tools);
  return tools;
}

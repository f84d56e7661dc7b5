/**
 * Skills: an agent's APIEndpoint components (research/smythos.md §1.4), reachable at
 * `<METHOD> /api/<endpoint>`. Their configuration is checked at import with the rules SRE's APIEndpoint
 * applies to every call (its Joi `configSchema`), so a bad endpoint is refused up front instead of
 * answering every request with a schema error.
 */
import { z } from 'zod';
import type { AgentDefinition } from '../definition.ts';
import type { ComponentData } from '../engine/component.ts';
import type { ReadComponents } from './components.ts';
import type { ProblemSink } from './problems.ts';

/** One skill = one APIEndpoint. */
export interface Skill {
  componentId: string;
  /** `data.endpoint`, e.g. `say`. */
  endpoint: string;
  /** `data.method` upper-cased; POST when empty or absent. */
  method: 'GET' | 'POST';
  /** `/api/<endpoint>`; a deployed version also answers at `/v<version>/api/<endpoint>`. */
  path: string;
  description?: string;
  summary?: string;
  /** False hides the skill from LLM-facing specs (openapi-llm, MCP, chat tools); default true. */
  ai_exposed: boolean;
  inputs: ComponentData['inputs'];
}

/** SRE APIEndpoint `endpoint` rule: letters, digits, `_`, single `-`/`_` between them. */
export const ENDPOINT_PATTERN = /^[a-zA-Z0-9_]+([-_][a-zA-Z0-9_]+)*$/;

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, `must be at most ${max} characters`)
    .optional();

// Joi's boolean() (SRE's schema) also takes the strings "true" and "false".
const flag = z.union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' }).optional();

/** The APIEndpoint `data` rules of SRE's `APIEndpoint.configSchema`; other keys are ignored, as there. */
const endpointConfig = z.object({
  endpoint: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .max(50, 'must be at most 50 characters')
    .regex(ENDPOINT_PATTERN, 'must be letters, digits and _, with single - or _ between them (^[a-zA-Z0-9_]+([-_][a-zA-Z0-9_]+)*$)'),
  method: z.enum(['GET', 'POST', ''], { error: 'must be "GET" or "POST" (empty means POST)' }).optional(),
  description: text(5000),
  summary: text(1000),
  doc: text(1000),
  endpointLabel: text(100),
  ai_exposed: flag,
  advancedModeEnabled: flag,
});

/** Checks every APIEndpoint's configuration and that no two share a method and endpoint. */
export function checkEndpoints(read: ReadComponents, sink: ProblemSink): void {
  const seen = new Map<string, string>();
  for (const entry of read.entries) {
    if (entry.component.name !== 'APIEndpoint' || !entry.dataOk) continue;
    const parsed = endpointConfig.safeParse(entry.component.data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = `data.${issue.path.join('.')}`;
        sink('error', `${entry.path}.${field}`, `${field} ${issue.message}.`, entry.ref);
      }
      continue;
    }
    const skill = `${parsed.data.method || 'POST'} /api/${parsed.data.endpoint}`;
    const earlier = seen.get(skill);
    if (earlier !== undefined) sink('error', `${entry.path}.data.endpoint`, `${skill} is also the skill of ${earlier}.`, entry.ref);
    else seen.set(skill, entry.ref.id !== undefined ? `component "${entry.ref.id}"` : entry.path);
  }
}

const skillCache = new WeakMap<AgentDefinition, Skill[]>();

/**
 * The agent's skills in component order (cached per definition object: the view is read-only). Reads
 * an imported definition, whose endpoints were checked; a malformed endpoint is skipped.
 */
export function skillsOf(definition: AgentDefinition): Skill[] {
  const cached = skillCache.get(definition);
  if (cached) return cached;
  const skills: Skill[] = [];
  for (const component of definition.components) {
    if (component.name !== 'APIEndpoint') continue;
    const data = component.data;
    if (typeof data.endpoint !== 'string') continue;
    const method = typeof data.method === 'string' && data.method.toUpperCase() === 'GET' ? 'GET' : 'POST';
    const skill: Skill = {
      componentId: component.id,
      endpoint: data.endpoint,
      method,
      path: `/api/${data.endpoint}`,
      ai_exposed: data.ai_exposed === undefined || data.ai_exposed === true || data.ai_exposed === 'true',
      inputs: component.inputs,
    };
    if (typeof data.description === 'string') skill.description = data.description;
    if (typeof data.summary === 'string') skill.summary = data.summary;
    skills.push(skill);
  }
  skillCache.set(definition, skills);
  return skills;
}

/**
 * The skill for METHOD + endpoint, or undefined. `endpoint` is the name (`say`) or its path
 * (`/api/say`); the method is matched case-insensitively.
 */
export function findSkill(definition: AgentDefinition, method: string, endpoint: string): Skill | undefined {
  const name = endpoint.startsWith('/api/') ? endpoint.slice('/api/'.length) : endpoint;
  const wanted = method.toUpperCase();
  return skillsOf(definition).find((skill) => skill.endpoint === name && skill.method === wanted);
}

/**
 * AgentPlugin — calls another agent's skill (research/smythos.md §1.5). SmythOS lets a model pick the
 * sub-agent's skill in a conversation (Orrery's conversation engine comes with the embodiments);
 * Orrery calls a named skill directly: `data.endpoint` (an Orrery field; without it the call fails
 * naming what to set), with the component's inputs as the body (`Prompt` also as `message`), the version from
 * `data.version` (`dev-latest` or empty: the draft, `prod-latest`: the newest deployment,
 * `same-as-parent`, or `1.2`), as the calling agent's owner. Output `Response`; a failed call is
 * `_error`. Sub-calls share the run's cancellation and are bounded in depth by the runner.
 */
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

const configSchema = z.looseObject({
  agentId: z.string().min(1).max(200),
  version: z.string().max(100).optional(),
  endpoint: z.string().max(50).optional(),
  method: z.string().optional(),
});

/** The version a `data.version` setting asks for: undefined = the draft. */
export function pluginVersion(setting: unknown, parentVersion: string | null): string | undefined {
  const text = typeof setting === 'string' ? setting.trim() : '';
  if (text === '' || text === 'dev-latest') return undefined;
  if (text === 'prod-latest') return 'latest';
  if (text === 'same-as-parent') return parentVersion === null ? undefined : 'latest';
  return text;
}

/** The AgentPlugin component type. */
export const agentPlugin: ComponentType = {
  name: 'AgentPlugin',
  doc:
    'Calls a skill of another agent: `agentId`, `endpoint` (the skill, required) and `version` (`dev-latest`, `prod-latest`, `same-as-parent` or a version like `1.2`). The inputs become the request body (`Prompt` is also sent as `message`); the answer comes out of `Response`. The call runs as the calling agent’s owner, so the other agent must be theirs or public.',
  configSchema,
  async process(input, component, context) {
    const run = context.run;
    if (!run) throw new Error('AgentPlugin needs the engine');
    const data = component.data;
    const declared = new Set(component.inputs.map((i) => i.name));
    const body: Record<string, unknown> = {};
    for (const key in input) if (declared.has(key)) body[key] = input[key];
    if (body.Prompt !== undefined && body.message === undefined) body.message = body.Prompt;
    const endpoint = typeof data.endpoint === 'string' && data.endpoint ? data.endpoint : undefined;
    if (!endpoint) return { _error: `AgentPlugin ${component.id}: set data.endpoint to the skill of agent ${String(data.agentId)} to call` };
    const answer = await run.callSkill({
      agentId: String(data.agentId),
      version: pluginVersion(data.version, run.agentVersion),
      method: typeof data.method === 'string' && data.method.toUpperCase() === 'GET' ? 'GET' : 'POST',
      endpoint,
      body,
    });
    if (answer.status !== 200) {
      const error = (answer.data as { error?: unknown } | null)?.error;
      return { _error: `Error on running Agent Component!\n${typeof error === 'string' ? error : JSON.stringify(answer.data)}` };
    }
    return { Response: answer.data };
  },
};

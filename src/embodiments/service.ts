/**
 * Embodiments (issue 12; seed 001 "Embodiment module"; research/smythos.md §7): what every way of
 * reaching an agent shares — finding the agent and checking that the caller may use it through this
 * embodiment, its skills as tools, running a tool call as a skill call, a conversation with the agent,
 * and whether a browser origin may call it. The surfaces (`openai/`, `mcp/`, `openapi/`, `alexa/`,
 * `chat/`) map their protocol onto this service; it knows nothing of HTTP.
 *
 * Who may call: the agent's skill access (owner | key | public; src/agents/service.ts
 * `checkSkillAccess`), the same for every embodiment, since each one runs the agent's skills. A
 * switched-off embodiment answers as if the agent did not exist for it (404), so its settings do not leak.
 */
import { randomUUID } from 'node:crypto';
import type { EmbodimentName } from '../agents/embodiment-settings.ts';
import type { AgentRunner, SkillAnswer, SkillCaller } from '../agents/runner.ts';
import type { AgentsService, LoadedAgent } from '../agents/service.ts';
import type { AgentMeta } from '../agents/types.ts';
import { originAllowed } from '../agents/embodiment-settings.ts';
import type { ChatMessage } from '../llm/types.ts';
import type { ConversationEvents, ConversationResult, Conversations, ToolOutcome } from './conversation.ts';
import { skillTools, type SkillTool } from './tools.ts';

/** Which agent, and which of its versions: undefined the draft, `1.2`, or `latest`. */
export interface AgentRef {
  agentId: string;
  version?: string | undefined;
}

/**
 * Why an agent cannot be used: HTTP-like status and a message each surface wraps in its own error shape.
 * `no_agent`/`no_version`/`disabled` 404, `unauthorized` 401 (no acceptable credential), `forbidden` 403
 * (a user without access), `broken` 500 (the stored document no longer imports; its owner sees why).
 */
export interface EmbodimentRefusal {
  refused: 'no_agent' | 'no_version' | 'unauthorized' | 'forbidden' | 'disabled' | 'broken';
  status: 401 | 403 | 404 | 500;
  message: string;
}

/** How a tool call runs: as whom, and what it carries. */
export interface ToolCallContext {
  caller: SkillCaller;
  /** Correlates the skill run with the request that caused it (`x-correlation-id`). */
  correlationId: string;
  /** `X-AUTH-TOKEN` of the request, forwarded to the skill call as that header (research §7). */
  authToken?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A tool call's outcome with the skill answer it came from. */
export interface ToolRun extends ToolOutcome {
  answer: SkillAnswer;
}

/** One conversation answer asked of an agent the caller may use. */
export interface ConverseRequest extends ToolCallContext {
  messages: ChatMessage[];
  maxOutputTokens?: number | undefined;
}

/** What {@link createEmbodimentsService} needs. */
export interface EmbodimentsDeps {
  runner: Pick<AgentRunner, 'load' | 'runLoaded'>;
  agents: Pick<AgentsService, 'list' | 'loadForRun'>;
  conversations: Conversations;
  /** CHAT_DEFAULT_MODEL (resolved). */
  defaultChatModel: string;
}

/** The service's API. */
export interface EmbodimentsService {
  /**
   * The agent when `caller` may use it through `embodiment`, or why not. Never throws for what a
   * caller can cause.
   */
  open(ref: AgentRef, caller: SkillCaller, embodiment: EmbodimentName): Promise<LoadedAgent | EmbodimentRefusal>;
  /**
   * The agent for a surface whose callers are not Orrery users and carry no credential of ours (Alexa:
   * Amazon calls, its signature is checked by the surface): no skill-access check — the owner
   * switching the embodiment on is the consent —, and `caller` is the owner, as whom its skills run.
   */
  openAsOwner(ref: AgentRef, embodiment: EmbodimentName): Promise<{ loaded: LoadedAgent; caller: SkillCaller } | EmbodimentRefusal>;
  /** The agent's AI-exposed skills as tools. */
  tools(loaded: LoadedAgent): SkillTool[];
  /**
   * Run `tool` with `args` as a skill call of `loaded`: a GET skill takes them as its query, a POST
   * skill as its JSON body. The result text is the answer's text, or its JSON; `isError` when the skill
   * answered 4xx/5xx. Never throws for what a caller, the model or the agent can cause.
   */
  runTool(loaded: LoadedAgent, tool: SkillTool, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolRun>;
  /** {@link runTool} by tool name; an unknown name is `{isError: true, text: 'Unknown tool: <name>'}` (research §7). */
  callTool(loaded: LoadedAgent, name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolOutcome>;
  /** The model `loaded`'s conversations use: its `chatModel`, else the server default. */
  chatModelOf(loaded: LoadedAgent): string;
  /**
   * One answer of the agent to `request.messages`, its skills as tools run as `request.caller`.
   * @throws {LlmError} or {UnknownModelError} when the model fails
   */
  converse(loaded: LoadedAgent, request: ConverseRequest, events?: ConversationEvents): Promise<ConversationResult & { model: string }>;
  /** The agents a signed-in user may use (their own; an admin's: all), for `GET /v1/models`. */
  agentsOf(caller: { userId: string; admin?: boolean | undefined }): Promise<AgentMeta[]>;
  /**
   * Whether a page at `origin` may call `embodiment` of the agent from a browser (its allowed origins);
   * false for an unknown agent or a switched-off embodiment.
   */
  originAllowed(agentId: string, embodiment: EmbodimentName, origin: string): Promise<boolean>;
}

/** Builds the service. */
export function createEmbodimentsService(deps: EmbodimentsDeps): EmbodimentsService {
  const { runner } = deps;

  async function runTool(loaded: LoadedAgent, tool: SkillTool, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolRun> {
    const { skill } = tool;
    const query: Record<string, unknown> = {};
    // A query string carries text: GET skills get objects and arrays as JSON, as a form would send them.
    if (skill.method === 'GET') for (const [name, value] of Object.entries(args)) query[name] = typeof value === 'string' ? value : JSON.stringify(value);
    const answer = await runner.runLoaded(loaded, {
      agentId: loaded.agent.id,
      version: loaded.version ?? undefined,
      request: {
        method: skill.method,
        path: skill.path,
        body: skill.method === 'POST' ? args : {},
        query,
        headers: context.authToken ? { 'x-auth-token': context.authToken } : {},
      },
      caller: context.caller,
      correlationId: context.correlationId || randomUUID(),
      // A conversation waits on its tools: live debug (an owner stepping a held call) would stall it.
      skipLiveDebug: true,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null);
    return { text, isError: answer.status >= 400, answer };
  }

  return {
    async open(ref, caller, embodiment) {
      const loaded = await runner.load({ agentId: ref.agentId, version: ref.version, caller, request: { method: 'POST', path: `/agents/${ref.agentId}`, body: {}, query: {}, headers: {} } });
      if ('status' in loaded) {
        switch (loaded.refused) {
          case 'unauthorized':
            return { refused: 'unauthorized', status: 401, message: 'This agent requires authentication' };
          case 'forbidden':
            return { refused: 'forbidden', status: 403, message: 'You do not have access to this agent' };
          case 'no_version':
            return { refused: 'no_version', status: 404, message: `Agent version ${ref.version} not found` };
          case 'no_agent':
            return { refused: 'no_agent', status: 404, message: `Agent ${ref.agentId} not found` };
          default:
            return { refused: 'broken', status: 500, message: 'This agent cannot be loaded; its owner can see why' };
        }
      }
      if (!loaded.agent.embodiments[embodiment].enabled) return { refused: 'disabled', status: 404, message: `The ${embodiment} embodiment is not enabled for this agent` };
      return loaded;
    },

    async openAsOwner(ref, embodiment) {
      let loaded: Awaited<ReturnType<typeof deps.agents.loadForRun>>;
      try {
        loaded = await deps.agents.loadForRun(ref.agentId, ref.version);
      } catch {
        return { refused: 'broken', status: 500, message: 'This agent cannot be loaded; its owner can see why' };
      }
      if ('notFound' in loaded) {
        return loaded.notFound === 'version'
          ? { refused: 'no_version', status: 404, message: `Agent version ${ref.version} not found` }
          : { refused: 'no_agent', status: 404, message: `Agent ${ref.agentId} not found` };
      }
      if (!loaded.agent.embodiments[embodiment].enabled) return { refused: 'disabled', status: 404, message: `The ${embodiment} embodiment is not enabled for this agent` };
      return { loaded, caller: { userId: loaded.agent.ownerId } };
    },

    tools: (loaded) => skillTools(loaded.definition),

    runTool,

    async callTool(loaded, name, args, context) {
      const tool = skillTools(loaded.definition).find((t) => t.name === name);
      if (!tool) return { text: `Unknown tool: ${name}`, isError: true };
      const { text, isError } = await runTool(loaded, tool, args, context);
      return { text, isError };
    },

    chatModelOf: (loaded) => loaded.agent.embodiments.chatModel ?? deps.defaultChatModel,

    async converse(loaded, request, events) {
      const model = loaded.agent.embodiments.chatModel ?? deps.defaultChatModel;
      const result = await deps.conversations.converse(
        {
          definition: loaded.definition,
          model,
          messages: request.messages,
          tools: skillTools(loaded.definition),
          runTool: async (tool, args, signal) => {
            const { text, isError } = await runTool(loaded, tool, args, { ...request, signal });
            return { text, isError };
          },
          ...(request.signal ? { signal: request.signal } : {}),
          ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
        },
        events,
      );
      return { ...result, model };
    },

    agentsOf: (caller) => deps.agents.list({ userId: caller.userId, isAdmin: caller.admin === true }),

    async originAllowed(agentId, embodiment, origin) {
      const loaded = await deps.agents.loadForRun(agentId).catch(() => undefined);
      if (!loaded || 'notFound' in loaded) return false;
      const setting = loaded.agent.embodiments[embodiment];
      return setting.enabled && originAllowed(setting, origin);
    },
  };
}

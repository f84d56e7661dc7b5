/**
 * Embodiments' shared words (issue 12; seed 001 "Embodiment module"; research/smythos.md §7): the ways an
 * agent is reached besides its skill routes, and the per-agent settings that switch them on and say which
 * browser origins may call them. Who may call is the agent's skill access (`owner` | `key` | `public`,
 * src/agents/types.ts), the same for every embodiment: an embodiment runs the agent's skills, so it can
 * never be more open than they are.
 */

/** The embodiments an agent can switch on and off. `openapi` covers Swagger, Postman and ChatGPT actions. */
export type EmbodimentName = 'openai' | 'mcp' | 'openapi' | 'alexa' | 'chat';
/** Every {@link EmbodimentName}, in the order the UI lists them. */
export const EMBODIMENT_NAMES: readonly EmbodimentName[] = ['openai', 'mcp', 'openapi', 'chat', 'alexa'];

/** One embodiment's switch and its browser origins. */
export interface EmbodimentSetting {
  enabled: boolean;
  /**
   * Origins (`https://shop.example`) whose pages may call this embodiment from a browser (CORS, and for
   * `chat` where the widget may be embedded); `*` allows any. Calls from servers and CLIs send no
   * `Origin` and are not affected. Never with credentials: a browser sends the agent's key or token itself.
   */
  allowedOrigins: string[];
}

/** An agent's embodiment settings (`PATCH /api/agents/:id` `embodiments`). */
export interface EmbodimentSettings {
  openai: EmbodimentSetting;
  mcp: EmbodimentSetting;
  openapi: EmbodimentSetting;
  chat: EmbodimentSetting;
  /** Off by default: Alexa answers strangers' voices (research §7: the original needed `alexa: 'true'`). */
  alexa: EmbodimentSetting;
  /**
   * The model conversations use (OpenAI-compatible chat, MCP has none, Alexa, the chat page), through
   * src/llm; null: the server's `CHAT_DEFAULT_MODEL`. SmythOS's setting is `chatGptModel`.
   */
  chatModel: string | null;
}

/** What a new agent has: everything but Alexa on, no browser origins. */
export function defaultEmbodimentSettings(): EmbodimentSettings {
  const on = (): EmbodimentSetting => ({ enabled: true, allowedOrigins: [] });
  return { openai: on(), mcp: on(), openapi: on(), chat: on(), alexa: { enabled: false, allowedOrigins: [] }, chatModel: null };
}

/** Longest list of allowed origins per embodiment. */
export const ALLOWED_ORIGINS_MAX = 50;

/**
 * Stored settings (a JSON text column, possibly from an older server or absent) merged over the
 * defaults: unknown keys dropped, bad values replaced by the default. Never throws.
 */
export function readEmbodimentSettings(stored: string | null | undefined): EmbodimentSettings {
  const settings = defaultEmbodimentSettings();
  if (!stored) return settings;
  let raw: unknown;
  try {
    raw = JSON.parse(stored);
  } catch {
    return settings;
  }
  if (!raw || typeof raw !== 'object') return settings;
  const given = raw as Record<string, unknown>;
  for (const name of EMBODIMENT_NAMES) {
    const one = given[name] as Partial<EmbodimentSetting> | undefined;
    if (!one || typeof one !== 'object') continue;
    if (typeof one.enabled === 'boolean') settings[name].enabled = one.enabled;
    if (Array.isArray(one.allowedOrigins)) settings[name].allowedOrigins = one.allowedOrigins.filter((o): o is string => typeof o === 'string').slice(0, ALLOWED_ORIGINS_MAX);
  }
  if (typeof given.chatModel === 'string' && given.chatModel.trim()) settings.chatModel = given.chatModel.trim();
  return settings;
}

/** A change to the settings: any embodiment's fields, and the chat model (null: the server's default). */
export type EmbodimentSettingsPatch = Partial<Record<EmbodimentName, Partial<EmbodimentSetting>>> & { chatModel?: string | null };

/** `patch` applied to `current` (origins normalised to lower-case `scheme://host[:port]` or `*`). */
export function applyEmbodimentPatch(current: EmbodimentSettings, patch: EmbodimentSettingsPatch): EmbodimentSettings {
  const next: EmbodimentSettings = structuredClone(current);
  for (const name of EMBODIMENT_NAMES) {
    const one = patch[name];
    if (!one) continue;
    if (one.enabled !== undefined) next[name].enabled = one.enabled;
    if (one.allowedOrigins !== undefined) next[name].allowedOrigins = [...new Set(one.allowedOrigins.map(normalizeOrigin))];
  }
  if (patch.chatModel !== undefined) next.chatModel = patch.chatModel === null || !patch.chatModel.trim() ? null : patch.chatModel.trim();
  return next;
}

/**
 * `https://Shop.Example/` → `https://shop.example`; `*` stays. @throws TypeError when `value` is not an
 * http(s) origin (the agents API answers 400 naming it)
 */
export function normalizeOrigin(value: string): string {
  const text = value.trim();
  if (text === '*') return '*';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`'${value}' is not an origin (scheme://host[:port])`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin === 'null' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new TypeError(`'${value}' is not an origin (scheme://host[:port])`);
  }
  return url.origin.toLowerCase();
}

/** Whether `origin` (a request's `Origin` header) is one of `setting`'s allowed origins. */
export function originAllowed(setting: EmbodimentSetting, origin: string): boolean {
  if (setting.allowedOrigins.includes('*')) return true;
  let normalized: string;
  try {
    normalized = normalizeOrigin(origin);
  } catch {
    return false;
  }
  return setting.allowedOrigins.includes(normalized);
}

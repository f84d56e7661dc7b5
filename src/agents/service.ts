/**
 * Agents: `.smyth` definitions owned by users, their drafts and immutable deployed versions, the key
 * vault, runs and memory (issue 10 items 1-2; research/smythos.md §1). What `/api/agents`, the CLI and
 * the agent runner call. Owner access control everywhere: another user's agent is "not found" (never
 * "forbidden", so existence does not leak); admins reach every agent. Knows nothing of HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { AgentMemory } from './engine/component.ts';
import { exportAgent, importAgent, skillsOf, type AgentDefinition, type Skill } from './definition.ts';
import { AgentErrors, problemsJson } from './errors.ts';
import { applyEmbodimentPatch, readEmbodimentSettings, type EmbodimentSettingsPatch } from './embodiment-settings.ts';
import { createAgentMemory } from './memory.ts';
import type { RunReader, RunRecorder } from './run-recorder.ts';
import type { AgentMetaRow, AgentsStore } from './store.ts';
import type { AgentVault } from './vault.ts';
import type { AgentCaller, AgentKeyInfo, AgentMeta, AgentProblem, AgentVersionInfo, CallRecord, RunPage, RunRecord, SkillAccess } from './types.ts';

/** What the agents service needs. */
export interface AgentsDeps {
  store: AgentsStore;
  vault: AgentVault;
  runs: RunRecorder & RunReader;
  clock: Clock;
  /** Whether a component type is implemented (src/agents/components); unknown ones are import warnings. */
  isKnownType?: (name: string) => boolean;
}

/** An agent with what its page shows: skills, versions (newest first) and the draft's import warnings. */
export interface AgentView extends AgentMeta {
  /** Stubbed component outputs for the debugger (research §6.5): `{componentId: {data: {outputs}}}`. */
  mockData: Record<string, unknown> | null;
  skills: Skill[];
  versions: AgentVersionInfo[];
  problems: AgentProblem[];
}

/** What the runner gets for one run (see {@link AgentsService.loadForRun}). */
export interface LoadedAgent {
  agent: Pick<AgentMeta, 'id' | 'ownerId' | 'name' | 'skillAccess' | 'skillKeyName' | 'debugEnabled' | 'embodiments' | 'createdAt'>;
  /** The deployed version run, or null for the draft. */
  version: string | null;
  /** The stored `.smyth` text. */
  document: string;
  definition: AgentDefinition;
  /** The agent's stubbed component outputs for the debugger (research §6.5), or null. */
  mockData: Record<string, unknown> | null;
}

/** Settings `PATCH /api/agents/:id` may change. */
export interface AgentSettings {
  name?: string;
  skillAccess?: SkillAccess;
  skillKeyName?: string | null;
  /** Live debug on or off. */
  debugEnabled?: boolean;
  /** Stubbed outputs per component id (`{componentId: {data: {outputs: {...}}}}`), null to remove. */
  mockData?: Record<string, unknown> | null;
  /** Embodiments switched on or off, their browser origins, the chat model (merged over the current settings). */
  embodiments?: EmbodimentSettingsPatch;
}

/** Default name of an agent whose document has none. */
const UNTITLED = 'Untitled Agent';
/** Longest agent name, characters. */
export const AGENT_NAME_MAX_CHARS = 200;
/** Deployment versions: `<major>.<minor>`. */
const VERSION = /^(\d{1,9})\.(\d{1,9})$/;
/** Parsed documents kept for the runner (entries, least recently used dropped first). */
const DEFINITION_CACHE_MAX = 1000;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A new agent id: `a` + 20 base32 characters (100 random bits), a valid DNS label. */
export function newAgentId(): string {
  const bytes = randomBytes(13);
  let bits = 0;
  let value = 0;
  let out = 'a';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 21) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** `1.02` → `1.2`; undefined when `text` is not a version. */
export function normalizeVersion(text: string): string | undefined {
  const m = VERSION.exec(text.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

/** Orders versions oldest first by (major, minor). */
function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

function toMeta(row: AgentMetaRow): AgentMeta {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    skillAccess: row.skill_access as SkillAccess,
    skillKeyName: row.skill_key_name,
    debugEnabled: row.debug_enabled === 1,
    embodiments: readEmbodimentSettings(row.embodiments),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Builds the agents service. */
export function createAgentsService(deps: AgentsDeps) {
  const { store, vault, runs, clock } = deps;
  const cache = new Map<string, { stamp: number; loaded: LoadedAgent }>();

  /** The import of `source`, or a 400 listing every error (warnings returned). */
  function parse(source: string): { definition: AgentDefinition; problems: AgentProblem[] } {
    if (!source.trim()) throw new DomainError(AgentErrors.documentRequired);
    const { definition, problems } = importAgent(source, deps.isKnownType ? { isKnownType: deps.isKnownType } : {});
    const errors = problems.filter((p) => p.severity === 'error');
    if (!definition || errors.length) {
      const first = errors[0]?.message ?? 'the document is not an agent';
      throw new DomainError(AgentErrors.invalidDocument, {
        message: `the agent has ${errors.length || 1} problem${errors.length > 1 ? 's' : ''}: ${first}`,
        details: { problems: problemsJson(problems) },
      });
    }
    return { definition, problems };
  }

  function nameOf(given: string | undefined, definition: AgentDefinition): string {
    const name = (given ?? '').trim() || (typeof definition.name === 'string' ? definition.name.trim() : '') || UNTITLED;
    return name.slice(0, AGENT_NAME_MAX_CHARS);
  }

  /** The agent `id` when `caller` may manage it. @throws DomainError notFound */
  async function owned(caller: AgentCaller, id: string): Promise<AgentMetaRow> {
    const row = await store.findAgentMeta(id);
    if (!row || (row.owner_id !== caller.userId && !caller.isAdmin)) throw new DomainError(AgentErrors.notFound);
    return row;
  }

  async function versionsOf(agentId: string): Promise<AgentVersionInfo[]> {
    const rows = await store.listVersions(agentId);
    return rows.map((r) => ({ version: r.version, createdAt: r.created_at, createdBy: r.created_by })).sort((a, b) => compareVersions(b.version, a.version));
  }

  async function view(row: AgentMetaRow & { mock_data?: string | null }, document: string): Promise<AgentView> {
    const { definition, problems } = importAgent(document, deps.isKnownType ? { isKnownType: deps.isKnownType } : {});
    const mockData = row.mock_data ? (JSON.parse(row.mock_data) as Record<string, unknown>) : null;
    return { ...toMeta(row), mockData, skills: definition ? skillsOf(definition) : [], versions: await versionsOf(row.id), problems };
  }

  async function fullView(id: string): Promise<AgentView> {
    const row = await store.findAgent(id);
    if (!row) throw new DomainError(AgentErrors.notFound);
    return view(row, row.document);
  }

  function remember(key: string, stamp: number, loaded: LoadedAgent): LoadedAgent {
    cache.delete(key);
    cache.set(key, { stamp, loaded });
    if (cache.size > DEFINITION_CACHE_MAX) cache.delete(cache.keys().next().value!);
    return loaded;
  }

  return {
    /**
     * Import a `.smyth` document (its JSON text, stored exactly as given) as a new agent of `caller`.
     * Name: `options.name`, else the document's, else `Untitled Agent`. Skills are owner-only at first.
     * @returns the agent and the import's warnings
     * @throws DomainError documentRequired (empty), invalidDocument (400, `details.problems` lists every problem)
     */
    async create(caller: AgentCaller, source: string, options: { name?: string } = {}): Promise<{ agent: AgentView; problems: AgentProblem[] }> {
      const { definition, problems } = parse(source);
      const now = clock.now();
      const id = newAgentId();
      await store.insertAgent({ id, owner_id: caller.userId, name: nameOf(options.name, definition), document: source, skill_access: 'owner', skill_key_name: 'API_KEY', debug_enabled: 0, mock_data: null, embodiments: null, created_at: now, updated_at: now });
      return { agent: await fullView(id), problems };
    },

    /** The caller's agents (an admin's: everyone's), oldest first. */
    list: async (caller: AgentCaller): Promise<AgentMeta[]> => (await store.listAgents(caller.isAdmin ? undefined : caller.userId)).map(toMeta),

    /** One agent with its skills, versions and problems. @throws DomainError notFound */
    async get(caller: AgentCaller, id: string): Promise<AgentView> {
      await owned(caller, id);
      return fullView(id);
    },

    /** Replace the draft's document (versions are untouched); the name follows `options.name` or the new document. */
    async replace(caller: AgentCaller, id: string, source: string, options: { name?: string } = {}): Promise<{ agent: AgentView; problems: AgentProblem[] }> {
      const row = await owned(caller, id);
      const { definition, problems } = parse(source);
      const name = options.name !== undefined || typeof definition.name === 'string' ? nameOf(options.name, definition) : row.name;
      await store.updateAgent(id, { document: source, name, updated_at: Math.max(clock.now(), row.updated_at + 1) });
      return { agent: await fullView(id), problems };
    },

    /** Change the name, who may call the skills, live debug or the mock data. @throws DomainError notFound */
    async patch(caller: AgentCaller, id: string, settings: AgentSettings): Promise<AgentView> {
      const row = await owned(caller, id);
      await store.updateAgent(id, {
        ...(settings.name !== undefined ? { name: settings.name.trim().slice(0, AGENT_NAME_MAX_CHARS) || row.name } : {}),
        ...(settings.skillAccess !== undefined ? { skill_access: settings.skillAccess } : {}),
        ...(settings.skillKeyName !== undefined ? { skill_key_name: settings.skillKeyName } : {}),
        ...(settings.debugEnabled !== undefined ? { debug_enabled: settings.debugEnabled ? 1 : 0 } : {}),
        ...(settings.mockData !== undefined ? { mock_data: settings.mockData === null ? null : JSON.stringify(settings.mockData) } : {}),
        ...(settings.embodiments !== undefined ? { embodiments: JSON.stringify(applyEmbodimentPatch(readEmbodimentSettings(row.embodiments), settings.embodiments)) } : {}),
        updated_at: Math.max(clock.now(), row.updated_at + 1),
      });
      return fullView(id);
    },

    /** Delete an agent with its versions, keys, runs, calls and memory. @throws DomainError notFound */
    async remove(caller: AgentCaller, id: string): Promise<void> {
      await owned(caller, id);
      await runs.flush(); // runs still buffered would land after the delete
      if (!(await store.deleteAgent(id))) throw new DomainError(AgentErrors.notFound);
      for (const key of cache.keys()) if (key.startsWith(`${id}\u0000`)) cache.delete(key);
    },

    /**
     * Deploy the draft as an immutable version: `version` (`1.2`), or the next minor after the latest
     * (`1.0` first). @throws DomainError notFound, invalidVersion, versionExists (409), invalidDocument
     */
    async deploy(caller: AgentCaller, id: string, version?: string): Promise<AgentVersionInfo> {
      await owned(caller, id);
      let wanted: string | undefined;
      if (version !== undefined) {
        wanted = normalizeVersion(version);
        if (!wanted) throw new DomainError(AgentErrors.invalidVersion);
      }
      const row = await store.findAgent(id);
      if (!row) throw new DomainError(AgentErrors.notFound);
      parse(row.document);
      // A concurrent deploy may take the next number first: count again (an explicit version is a 409).
      for (let attempt = 0; attempt < 5; attempt++) {
        const next = wanted ?? nextVersion(await versionsOf(id));
        const createdAt = Math.max(clock.now(), row.updated_at + 1);
        if (await store.insertVersion({ agent_id: id, version: next, document: row.document, created_at: createdAt, created_by: caller.userId })) {
          return { version: next, createdAt, createdBy: caller.userId };
        }
        if (wanted) break;
      }
      throw new DomainError(AgentErrors.versionExists);
    },

    /** Deployed versions, newest first. @throws DomainError notFound */
    async listVersions(caller: AgentCaller, id: string): Promise<AgentVersionInfo[]> {
      await owned(caller, id);
      return versionsOf(id);
    },

    /** The `.smyth` text of the draft or of `version`, with the agent's name. @throws DomainError notFound, versionNotFound */
    async exportDocument(caller: AgentCaller, id: string, version?: string): Promise<{ name: string; text: string }> {
      const meta = await owned(caller, id);
      if (version === undefined) {
        const row = await store.findAgent(id);
        if (!row) throw new DomainError(AgentErrors.notFound);
        return { name: meta.name, text: exportAgent(row.document) };
      }
      const normalized = normalizeVersion(version);
      const row = normalized ? await store.findVersion(id, normalized) : undefined;
      if (!row) throw new DomainError(AgentErrors.versionNotFound);
      return { name: meta.name, text: exportAgent(row.document) };
    },

    /** Store a vault value. @throws DomainError notFound, invalidKeyName */
    async putKey(caller: AgentCaller, id: string, name: string, value: string): Promise<{ key: AgentKeyInfo; created: boolean }> {
      await owned(caller, id);
      return vault.put(id, name, value);
    },
    /** Vault names and times (never values). */
    async listKeys(caller: AgentCaller, id: string): Promise<AgentKeyInfo[]> {
      await owned(caller, id);
      return vault.list(id);
    },
    /** @throws DomainError notFound, keyNotFound */
    async deleteKey(caller: AgentCaller, id: string, name: string): Promise<void> {
      await owned(caller, id);
      await vault.remove(id, name);
    },

    /** The agent's runs, newest first. @throws DomainError notFound */
    async listRuns(caller: AgentCaller, id: string, options: { limit: number; before?: string | undefined }): Promise<RunPage> {
      await owned(caller, id);
      return runs.listRuns(id, options);
    },
    /** One run with its calls in call order. @throws DomainError notFound, runNotFound */
    async readRun(caller: AgentCaller, id: string, runId: string): Promise<{ run: RunRecord; calls: CallRecord[] }> {
      await owned(caller, id);
      const found = await runs.readRun(runId);
      if (!found || found.run.agentId !== id) throw new DomainError(AgentErrors.runNotFound);
      return found;
    },

    /**
     * For the runner: the agent and the document to run — the draft (no `version`), a deployed version,
     * or the newest one (`latest`). Parsed documents are cached by (agent, version, `updated_at`), so a
     * hot skill is not parsed again; the settings are read on every call. No access check here (see
     * {@link checkSkillAccess}).
     * @returns the loaded agent, or `{notFound: 'agent' | 'version'}`
     * @throws DomainError invalidDocument when the stored document no longer imports
     */
    async loadForRun(agentId: string, version?: string): Promise<LoadedAgent | { notFound: 'agent' | 'version' }> {
      const meta = await store.findAgentMeta(agentId);
      if (!meta) return { notFound: 'agent' };
      // One cache entry per version, whatever its spelling (`1.0`, `01.00`); no entry for a bad one.
      const wanted = version === undefined || version === 'latest' ? version : normalizeVersion(version);
      if (version !== undefined && wanted === undefined) return { notFound: 'version' };
      const key = `${agentId}\u0000${wanted ?? ''}`;
      const hit = cache.get(key);
      const agent = { id: meta.id, ownerId: meta.owner_id, name: meta.name, skillAccess: meta.skill_access as SkillAccess, skillKeyName: meta.skill_key_name, debugEnabled: meta.debug_enabled === 1, embodiments: readEmbodimentSettings(meta.embodiments), createdAt: meta.created_at };
      if (hit && hit.stamp === meta.updated_at) return { ...hit.loaded, agent };
      let resolved: string | null = null;
      let document: string;
      let mock: string | null;
      if (version === undefined) {
        const row = await store.findAgent(agentId);
        if (!row) return { notFound: 'agent' };
        document = row.document;
        mock = row.mock_data;
      } else {
        resolved = wanted === 'latest' ? ((await versionsOf(agentId))[0]?.version ?? null) : (wanted ?? null);
        const row = resolved === null ? undefined : await store.findVersion(agentId, resolved);
        if (!row) return { notFound: 'version' };
        document = row.document;
        mock = await store.findMockData(agentId);
      }
      // Mock data changes bump `updated_at`, so it is cached with the definition.
      const mockData = mock ? (JSON.parse(mock) as Record<string, unknown>) : null;
      return remember(key, meta.updated_at, { agent, version: resolved, document, definition: parse(document).definition, mockData });
    },

    /**
     * Whether a caller may run the agent's skills: `public` anyone; `owner` the owner or an admin;
     * `key` also a bearer equal to the vault key `skillKeyName` (constant-time).
     * @returns `ok`, `unauthorized` (no acceptable credential: 401) or `forbidden` (a user without access: 403)
     */
    async checkSkillAccess(
      agent: Pick<AgentMeta, 'id' | 'ownerId' | 'skillAccess' | 'skillKeyName'>,
      who: { userId?: string | undefined; admin?: boolean | undefined; bearer?: string | undefined },
    ): Promise<'ok' | 'unauthorized' | 'forbidden'> {
      if (agent.skillAccess === 'public') return 'ok';
      if (who.userId !== undefined && (who.userId === agent.ownerId || who.admin)) return 'ok';
      if (agent.skillAccess === 'key' && who.bearer && agent.skillKeyName && (await vault.matches(agent.id, agent.skillKeyName, who.bearer))) return 'ok';
      return who.userId !== undefined ? 'forbidden' : 'unauthorized';
    },

    /** Vault values by name, for `{{KEY(name)}}` in a run. */
    resolveKeys: (agentId: string): Promise<Record<string, string>> => vault.resolveKeys(agentId),
    /** The agent's persisted key/value memory (Memory* components). */
    memoryFor: (agentId: string): AgentMemory => createAgentMemory(store, clock, agentId),
    /** Hand a finished run to the recorder (written in batches; never blocks). */
    recordRun: (run: RunRecord, calls: CallRecord[]): void => runs.record(run, calls),
    /** Wait until every recorded run is written. */
    flushRuns: (): Promise<void> => runs.flush(),
  };
}

/** The next minor after the newest of `versions` (newest first), `1.0` when there is none. */
function nextVersion(versions: AgentVersionInfo[]): string {
  const latest = versions[0]?.version;
  if (!latest) return '1.0';
  const [major = 1, minor = 0] = latest.split('.').map(Number);
  return `${major}.${minor + 1}`;
}

/** The agents service's API. */
export type AgentsService = ReturnType<typeof createAgentsService>;

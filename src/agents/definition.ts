/**
 * `.smyth` agent definitions (research/smythos.md §1): a SmythOS document imported into the runnable
 * view the engine reads, every problem of the document listed at once, skills (APIEndpoints) looked up,
 * and the stored document exported back.
 *
 * The stored document is the original and is never changed; the {@link AgentDefinition} is derived from
 * it on each import, the way SmythOS's loaders prepare an agent before running it: legacy names renamed
 * (SmythAgentDataConnector.migrateAgentData), `Note` components and `templateInfo` dropped (the runtime's
 * cleanAgentData), connection names resolved to positions (SRE `Agent` constructor). docs/agents-format.md
 * is the user's version of this file.
 */
import type { ComponentData } from './engine/component.ts';
import { checkEndpoints } from './definition/endpoints.ts';
import { isRecord, problemAt, type ProblemSink } from './definition/problems.ts';
import { readComponents } from './definition/components.ts';
import { resolveConnections } from './definition/connections.ts';

export { findSkill, skillsOf, type Skill } from './definition/endpoints.ts';

/** A connection after import: indexes always numbers (names resolved); targetIndex -1 = trigger → endpoint. */
export interface Connection {
  sourceId: string;
  /** Position in the source component's `outputs`. */
  sourceIndex: number;
  targetId: string;
  /** Position in the target component's `inputs`, or -1: a trigger feeding every input of an APIEndpoint. */
  targetIndex: number;
}

/**
 * The runnable view of an agent: Note components dropped, legacy names renamed, connections resolved,
 * `templateInfo` removed. Every other top-level field of the agent (`ui`, `introMessage`, `teamId`, …) is
 * kept as it is. Nested values (component `data`, `variables`) are shared with the imported object:
 * treat both as read-only.
 */
export interface AgentDefinition {
  id?: string;
  name?: string;
  /** The agent's schema version (`1.0.0`); absent in legacy files. Not a deployment version. */
  version?: string;
  /** System prompt for chat use; schema 1.0.0 falls back to `description` when it is empty. */
  behavior?: string;
  shortDescription?: string;
  description?: string;
  /** Agent variables (`{{name}}` in configs); `{}` when the file has none. */
  variables: Record<string, unknown>;
  /** Components in file order; each input's and output's `index` is set to its position. */
  components: ComponentData[];
  connections: Connection[];
  auth?: unknown;
  [extra: string]: unknown;
}

/**
 * One thing wrong with a document. `error`: the agent cannot run and import refuses it; `warning`: it
 * imports, but something will not work as the author may expect (an unknown component type fails when a
 * run reaches it). `path` locates the value in the document as given (`data.components[2].inputs`, `''`
 * for the whole document); `componentId`/`title` name the component concerned, when there is one.
 */
export interface DefinitionProblem {
  severity: 'error' | 'warning';
  componentId?: string;
  title?: string;
  path: string;
  message: string;
}

/** Options of {@link importAgent}. */
export interface ImportOptions {
  /** Whether a component type (`FHash`, `APICall`, …) is implemented; unknown types become warnings. */
  isKnownType?: (name: string) => boolean;
}

/** What {@link importAgent} returns: the view (undefined when any problem is an error) and all problems. */
export interface ImportResult {
  definition: AgentDefinition | undefined;
  problems: DefinitionProblem[];
}

/** Agent fields the view replaces or drops; everything else is carried over. */
const REBUILT_FIELDS = new Set(['components', 'connections', 'variables', 'templateInfo']);

/**
 * Parses a `.smyth` document: the bare agent object or `{data: <agent>, version}` (the wrapper's
 * `version` is a deployment version such as `1.0`; the agent's own `version` is its schema). A string
 * is JSON-parsed first (a leading byte-order mark is ignored). Never throws: everything wrong is listed
 * in `problems`, and `definition` is undefined as soon as one of them is an error.
 *
 * Normalization (research §1.1): an agent without `version` is a legacy file whose components name
 * their outputs/inputs `connectors`/`receptors` (and `connectorProps`/`receptorProps`); those are
 * renamed. Schema `1.0.0` copies a non-empty `description` into an empty `behavior`. `Note` components
 * and connections touching them are dropped, as is `templateInfo`. Connection indexes given as names
 * are resolved to positions in `outputs`/`inputs`, matched by `name`, as SRE's loader does.
 *
 * Cost: one pass over components and connections, shallow copies of components and their ports only.
 */
export function importAgent(document: unknown, options: ImportOptions = {}): ImportResult {
  const problems: DefinitionProblem[] = [];
  const sink: ProblemSink = (severity, path, message, component) => problems.push(problemAt(severity, path, message, component));
  const located = locateAgent(document, sink);
  if (!located) return { definition: undefined, problems };
  const { agent, base } = located;

  if (!Array.isArray(agent.components)) {
    sink('error', `${base}components`, 'The agent has no components array.');
    return { definition: undefined, problems };
  }
  const rawConnections = agent.connections ?? [];
  if (!Array.isArray(rawConnections)) sink('error', `${base}connections`, 'connections must be an array.');
  const variables = agent.variables ?? {};
  if (!isRecord(variables)) sink('error', `${base}variables`, 'variables must be an object of names to values.');

  // SmythAgentDataConnector migrates on a falsy schema version, so "" counts as legacy too.
  const legacy = !agent.version;
  const read = readComponents(agent.components, { base, legacy, isKnownType: options.isKnownType }, sink);
  checkEndpoints(read, sink);
  const connections = Array.isArray(rawConnections) ? resolveConnections(rawConnections, read, base, sink) : [];

  if (problems.some((p) => p.severity === 'error')) return { definition: undefined, problems };

  const definition: AgentDefinition = { variables: variables as Record<string, unknown>, components: read.components, connections };
  for (const key of Object.keys(agent)) if (!REBUILT_FIELDS.has(key)) definition[key] = agent[key];
  if (agent.version === '1.0.0' && agent.description && !agent.behavior) definition.behavior = agent.description as string;
  return { definition, problems };
}

/** The agent object of a document and the path prefix of its fields, or undefined (reported). */
function locateAgent(document: unknown, sink: ProblemSink): { agent: Record<string, unknown>; base: string } | undefined {
  let value = document;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(stripBom(value));
    } catch (error) {
      sink('error', '', `The document is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
  }
  if (!isRecord(value)) {
    sink('error', '', 'A .smyth document is a JSON object: the agent, or {"data": <agent>, "version": …}.');
    return undefined;
  }
  // SRE takes the object itself when it has components, else its `data` (AgentProcess/Agent constructor).
  if ('components' in value || !('data' in value)) return { agent: value, base: '' };
  if (!isRecord(value.data)) {
    sink('error', 'data', 'data must be the agent object.');
    return undefined;
  }
  return { agent: value.data, base: 'data.' };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A stored document as `.smyth` text, for download. A string (the stored text) is returned as it is,
 * minus a leading byte-order mark, so the round trip is byte-stable; an object is written as indented
 * JSON. Either way `JSON.parse(exportAgent(doc))` deep-equals the imported document: export writes the
 * original, never the normalized view.
 * @throws SyntaxError when a string is not JSON; TypeError when the document is not a JSON object
 */
export function exportAgent(document: unknown): string {
  if (typeof document === 'string') {
    const text = stripBom(document);
    if (!isRecord(JSON.parse(text))) throw new TypeError('A .smyth document is a JSON object.');
    return text;
  }
  if (!isRecord(document)) throw new TypeError('A .smyth document is a JSON object.');
  return `${JSON.stringify(document, null, 2)}\n`;
}

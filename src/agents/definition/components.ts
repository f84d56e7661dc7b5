/**
 * Components of a `.smyth` agent read into the engine's {@link ComponentData}: legacy port names renamed,
 * Note components set aside, each port's `index` set to its position, and every malformed part reported
 * (research/smythos.md §1.1-1.2).
 */
import type { ComponentData, InputDef, OutputDef } from '../engine/component.ts';
import { isRecord, refOf, type ComponentRef, type ProblemSink } from './problems.ts';

/** A component that has an id, with what the connection and endpoint checks need to know of it. */
export interface ComponentEntry {
  ref: ComponentRef;
  /** Where it sits in the document, e.g. `components[3]`. */
  path: string;
  component: ComponentData;
  /** False when its inputs or outputs field was malformed (already reported): skip index checks. */
  portsOk: boolean;
  /** False when its `data` was not an object (already reported). */
  dataOk: boolean;
}

/** The components read from a document. */
export interface ReadComponents {
  /** The view's components, in file order (only meaningful when no error was reported). */
  components: ComponentData[];
  /** Components by id (the first one when ids repeat). */
  byId: Map<string, ComponentEntry>;
  /** Every component object of the document but Notes, with or without a usable id (for config checks). */
  entries: ComponentEntry[];
  /** Ids of the dropped Note components: connections touching them are dropped too. */
  noteIds: Set<string>;
}

/** How {@link readComponents} reads: the path prefix, legacy renaming, the known-type check. */
export interface ReadOptions {
  base: string;
  /** The agent has no schema version: ports may be named `receptors`/`connectors`. */
  legacy: boolean;
  isKnownType?: ((name: string) => boolean) | undefined;
}

/** Port fields and their legacy names (SmythAgentDataConnector.migrateAgentData). */
const LEGACY_NAMES = { inputs: 'receptors', outputs: 'connectors', inputProps: 'receptorProps', outputProps: 'connectorProps' } as const;

/** Reads every component, reporting problems into `sink`; never throws. */
export function readComponents(raw: unknown[], options: ReadOptions, sink: ProblemSink): ReadComponents {
  const result: ReadComponents = { components: [], byId: new Map(), entries: [], noteIds: new Set() };
  raw.forEach((value, i) => {
    const path = `${options.base}components[${i}]`;
    if (!isRecord(value)) {
      sink('error', path, 'a component is a JSON object.');
      return;
    }
    // The runtime removes Notes before the engine sees the agent (cleanAgentData): nothing else to check.
    if (value.name === 'Note') {
      if (typeof value.id === 'string') result.noteIds.add(value.id);
      return;
    }
    const ref = refOf(value);
    const entry = readComponent(value, ref, path, options, sink);
    result.entries.push(entry);
    if (ref.id === undefined) {
      sink('error', `${path}.id`, 'has no id.', ref);
      return;
    }
    const earlier = result.byId.get(ref.id);
    if (earlier) {
      sink('error', `${path}.id`, `duplicate id: ${earlier.path} has it too.`, ref);
      return;
    }
    result.byId.set(ref.id, entry);
    result.components.push(entry.component);
  });
  return result;
}

function readComponent(value: Record<string, unknown>, ref: ComponentRef, path: string, options: ReadOptions, sink: ProblemSink): ComponentEntry {
  const name = value.name;
  if (typeof name !== 'string' || name === '') {
    sink('error', `${path}.name`, 'has no name (its type, such as "APIEndpoint").', ref);
  } else if (options.isKnownType && !options.isKnownType(name)) {
    sink('warning', `${path}.name`, `unknown component type "${name}": a run that reaches this component fails.`, ref);
  }
  const data = value.data ?? {};
  const dataOk = isRecord(data);
  if (!dataOk) sink('error', `${path}.data`, 'data (its configuration) must be an object.', ref);

  const inputs = readPorts<InputDef>(value, 'inputs', path, ref, options.legacy, sink);
  const outputs = readPorts<OutputDef>(value, 'outputs', path, ref, options.legacy, sink);

  const component: ComponentData = { ...value, id: ref.id ?? '', name: typeof name === 'string' ? name : '', data: dataOk ? data : {}, inputs: inputs ?? [], outputs: outputs ?? [] };
  if (options.legacy) {
    for (const [modern, old] of Object.entries(LEGACY_NAMES)) {
      if (!(old in value)) continue;
      if (modern === 'inputProps' || modern === 'outputProps') component[modern] = value[old];
      delete component[old];
    }
  }
  return { ref, path, component, portsOk: inputs !== undefined && outputs !== undefined, dataOk };
}

/**
 * A component's inputs or outputs, copied with `index` set to the position (connections address ports
 * by position: SRE's `inputs[targetIndex]`), or undefined when the field is malformed (reported). A
 * legacy file's `receptors`/`connectors` win over `inputs`/`outputs`, as in SmythOS's migration; a
 * legacy file that already uses the new names keeps them (SRE's local loader does not migrate at all).
 */
function readPorts<T extends InputDef | OutputDef>(
  value: Record<string, unknown>,
  kind: 'inputs' | 'outputs',
  path: string,
  ref: ComponentRef,
  legacy: boolean,
  sink: ProblemSink,
): T[] | undefined {
  const field = legacy && LEGACY_NAMES[kind] in value ? LEGACY_NAMES[kind] : kind;
  const ports = value[field] ?? [];
  if (!Array.isArray(ports)) {
    sink('error', `${path}.${field}`, `${field} must be an array.`, ref);
    return undefined;
  }
  let ok = true;
  const copies = ports.map((port: unknown, j) => {
    if (!isRecord(port) || typeof port.name !== 'string') {
      sink('error', `${path}.${field}[${j}]`, `${field}[${j}] must be an object with a name.`, ref);
      ok = false;
      return {} as T;
    }
    if (typeof port.index === 'number' && port.index !== j) {
      sink('warning', `${path}.${field}[${j}].index`, `${field}[${j}] ("${port.name}") says index ${port.index}, but connections address ports by position: it is ${j}.`, ref);
    }
    return { ...port, index: j } as T;
  });
  return ok ? copies : undefined;
}

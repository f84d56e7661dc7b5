/**
 * An agent definition prepared for running: components by id with their types looked up once,
 * connections grouped by source and by target, skills by path and method, inputs' indexes fixed the
 * way SmythOS's loader fixes them, and the components downstream of an `Async` tagged. Built once per
 * definition (cached) so a run does no graph work before its first wave.
 */
import type { ComponentData, ComponentType, InputDef } from './component.ts';

/** A connection with numeric indexes (`targetIndex` -1: a trigger feeding every input). */
export interface EngineConnection {
  sourceId: string;
  sourceIndex: number;
  targetId: string;
  targetIndex: number;
}

/** What the engine needs of a definition (src/agents/definition.ts `AgentDefinition` satisfies it). */
export interface RunnableDefinition {
  id?: string;
  name?: string;
  variables?: Record<string, unknown>;
  components: ComponentData[];
  connections: EngineConnection[];
}

/** A component ready to run. */
export interface CompiledComponent {
  data: ComponentData;
  /** Undefined when no implementation exists: calling it fails naming the type and id. */
  type: ComponentType | undefined;
  /** Connections leaving this component, in definition order. */
  outgoing: EngineConnection[];
  /** Connections arriving, in definition order. */
  incoming: EngineConnection[];
  /** Inputs that are connected and required: they gate activation (fan-in). */
  requiredConnected: InputDef[];
  /** Downstream of an `Async` (the Async itself included): skipped by the main flow. */
  async: boolean;
  /** SmythOS's displayName, used as `name` in a component's own result entry. */
  displayName: string;
}

/** The compiled agent. */
export interface CompiledAgent {
  id: string;
  name: string;
  variables: Record<string, unknown>;
  components: Map<string, CompiledComponent>;
  /** In definition order (the order waves visit components). */
  order: CompiledComponent[];
  /** `"/api/<endpoint>"` → METHOD → APIEndpoint component id. */
  endpoints: Map<string, Map<string, string>>;
  connections: EngineConnection[];
}

/** Looks a component type up by its `.smyth` name. */
export type ComponentRegistry = (name: string) => ComponentType | undefined;

const cache = new WeakMap<RunnableDefinition, WeakMap<object, CompiledAgent>>();

/**
 * Compile `definition` with `registry`; cached per (definition object, registry function).
 * Connections naming a component that does not exist are dropped (import validation reports them).
 */
export function compileAgent(definition: RunnableDefinition, registry: ComponentRegistry): CompiledAgent {
  let byRegistry = cache.get(definition);
  if (!byRegistry) cache.set(definition, (byRegistry = new WeakMap()));
  const hit = byRegistry.get(registry);
  if (hit) return hit;
  const compiled = build(definition, registry);
  byRegistry.set(registry, compiled);
  return compiled;
}

function build(definition: RunnableDefinition, registry: ComponentRegistry): CompiledAgent {
  const components = new Map<string, CompiledComponent>();
  const order: CompiledComponent[] = [];
  for (const data of definition.components) {
    if (data.name === 'Note') continue;
    // Inputs get their own copies: the index fix below must not touch the caller's definition.
    const own: ComponentData = { ...data, inputs: (data.inputs ?? []).map((i) => ({ ...i })), outputs: data.outputs ?? [], data: data.data ?? {} };
    const entry: CompiledComponent = {
      data: own,
      type: registry(data.name),
      outgoing: [],
      incoming: [],
      requiredConnected: [],
      async: false,
      displayName: (data.displayName as string | undefined) ?? data.name,
    };
    components.set(data.id, entry);
    order.push(entry);
  }
  const connections: EngineConnection[] = [];
  for (const c of definition.connections) {
    const source = components.get(c.sourceId);
    const target = components.get(c.targetId);
    if (!source || !target || !source.data.outputs[c.sourceIndex]) continue;
    connections.push(c);
    source.outgoing.push(c);
    target.incoming.push(c);
    // SmythOS's loader sets a connected input's `index` to its position; unconnected inputs keep the
    // file's own `index`, and the fan-in check matches on that field.
    const input = target.data.inputs[c.targetIndex];
    if (input) input.index = c.targetIndex;
  }
  for (const entry of order) {
    const indexes = new Set(entry.incoming.map((c) => c.targetIndex));
    entry.requiredConnected = entry.data.inputs.filter((i) => !i.optional && indexes.has(i.index as number));
  }
  for (const entry of order) if (entry.data.name === 'Async') tagAsync(entry, components);
  const endpoints = new Map<string, Map<string, string>>();
  for (const entry of order) {
    if (entry.data.name !== 'APIEndpoint') continue;
    const path = `/api/${String(entry.data.data.endpoint ?? '')}`;
    const method = String(entry.data.data.method ?? 'POST').toUpperCase();
    let methods = endpoints.get(path);
    if (!methods) endpoints.set(path, (methods = new Map()));
    if (!methods.has(method)) methods.set(method, entry.data.id);
  }
  return {
    id: definition.id ?? '',
    name: definition.name ?? '',
    variables: definition.variables ?? {},
    components,
    order,
    endpoints,
    connections,
  };
}

/** SmythOS's tagging: everything reachable from an Async, except through its `JobID` output. */
function tagAsync(entry: CompiledComponent, components: Map<string, CompiledComponent>) {
  entry.async = true;
  for (const c of entry.outgoing) {
    if (entry.data.name === 'Async' && entry.data.outputs[c.sourceIndex]?.name === 'JobID') continue;
    const target = components.get(c.targetId);
    if (target && !target.async) tagAsync(target, components);
  }
}

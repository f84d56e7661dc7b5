/**
 * Connections of a `.smyth` agent resolved to positions (research/smythos.md §1.3): an index may be a
 * number (a position in the source's `outputs` / the target's `inputs`) or a name (`"query.coin_id"`,
 * `"coin_id"`), matched against the ports' `name` as SRE's `Agent` constructor does. Where SRE would
 * crash or silently treat an unknown name as -1 ("trigger"), Orrery reports an error instead.
 */
import type { Connection } from '../definition.ts';
import type { InputDef, OutputDef } from '../engine/component.ts';
import type { ReadComponents } from './components.ts';
import { isRecord, type ProblemSink } from './problems.ts';

/** Resolves every connection, reporting problems into `sink`; connections touching a Note are dropped. */
export function resolveConnections(raw: unknown[], read: ReadComponents, base: string, sink: ProblemSink): Connection[] {
  const connections: Connection[] = [];
  raw.forEach((value, k) => {
    const path = `${base}connections[${k}]`;
    if (!isRecord(value)) {
      sink('error', path, `connection ${k} must be an object {sourceId, sourceIndex, targetId, targetIndex}.`);
      return;
    }
    const { sourceId, targetId } = value;
    const note = [sourceId, targetId].find((id) => typeof id === 'string' && read.noteIds.has(id));
    if (note !== undefined) {
      sink('warning', path, `connection ${k} touches the Note component "${String(note)}" and is dropped with it.`);
      return;
    }
    const source = typeof sourceId === 'string' ? read.byId.get(sourceId) : undefined;
    const target = typeof targetId === 'string' ? read.byId.get(targetId) : undefined;
    if (!source) sink('error', `${path}.sourceId`, `connection ${k} comes from ${JSON.stringify(sourceId ?? null)}, which is not a component of this agent.`, target?.ref);
    if (!target) sink('error', `${path}.targetId`, `connection ${k} goes to ${JSON.stringify(targetId ?? null)}, which is not a component of this agent.`, source?.ref);
    if (!source || !target) return;
    // A component whose ports were malformed has been reported already; its indexes cannot be checked.
    if (!source.portsOk || !target.portsOk) return;

    const sourceIndex = resolveIndex(value.sourceIndex, source.component.outputs, 'output', false);
    if (typeof sourceIndex === 'string') {
      sink('error', `${path}.sourceIndex`, `connection ${k} (to "${target.ref.id}") reads ${sourceIndex}.`, source.ref);
    }
    const targetIndex = resolveIndex(value.targetIndex, target.component.inputs, 'input', true);
    if (typeof targetIndex === 'string') {
      sink('error', `${path}.targetIndex`, `connection ${k} (from "${source.ref.id}") feeds ${targetIndex}.`, target.ref);
    }
    if (typeof sourceIndex === 'number' && typeof targetIndex === 'number') {
      connections.push({ sourceId: source.ref.id as string, sourceIndex, targetId: target.ref.id as string, targetIndex });
    }
  });
  return connections;
}

/**
 * The position `index` designates among `ports`, or a phrase saying why it designates none. -1 is
 * allowed for targets: a trigger connected to an APIEndpoint feeds all of its inputs (SRE).
 */
function resolveIndex(index: unknown, ports: Array<InputDef | OutputDef>, kind: 'input' | 'output', allowTrigger: boolean): number | string {
  // Built only for a message: per connection it made import quadratic in ports × connections.
  const has = () => {
    const names = ports.length ? `: ${ports.map((p) => JSON.stringify(p.name)).join(', ')}` : '';
    return `the component has ${ports.length} ${kind}${ports.length === 1 ? '' : 's'}${names}`;
  };
  if (typeof index === 'number') {
    if (Number.isInteger(index) && ((index >= 0 && index < ports.length) || (allowTrigger && index === -1))) return index;
    return `${kind} ${index}, which does not exist (${has()})`;
  }
  if (typeof index === 'string') {
    const position = positionsOf(ports).get(index);
    return position !== undefined ? position : `an ${kind} named ${JSON.stringify(index)}, which does not exist (${has()})`;
  }
  return `${kind} ${JSON.stringify(index ?? null)}: an index is a position (number) or an ${kind}'s name`;
}

const positions = new WeakMap<Array<InputDef | OutputDef>, Map<string, number>>();

/** Port name → first position, built once per port list. */
function positionsOf(ports: Array<InputDef | OutputDef>): Map<string, number> {
  let map = positions.get(ports);
  if (!map) {
    map = new Map();
    ports.forEach((p, i) => {
      if (!map!.has(p.name)) map!.set(p.name, i);
    });
    positions.set(ports, map);
  }
  return map;
}

/**
 * The graph model of a `.smyth` document, pure (no React Flow CSS, so Node tests import it): each
 * component a node at the file's own `left`/`top` (SmythOS builder pixels, e.g. `"1539px"`) with its
 * title, type and port names; each connection an edge from `outputs[sourceIndex]` of `sourceId` to
 * `inputs[targetIndex]` of `targetId` (docs/agents-format.md), its handles named `out-<i>`/`in-<i>`.
 */
import type { Edge, Node } from '@xyflow/react';

/** A port as the file declares it. */
interface Port {
  name?: string;
}

/** The part of a `.smyth` component the graph reads. */
interface SmythComponent {
  id: string;
  name?: string;
  title?: string;
  displayName?: string;
  top?: string | number;
  left?: string | number;
  inputs?: Port[];
  outputs?: Port[];
}

/** The part of a `.smyth` connection the graph reads. */
interface SmythConnection {
  sourceId: string;
  /** A position in the source's `outputs`, or an output's name (as the SDK writes them). */
  sourceIndex: number | string;
  targetId: string;
  /** A position in the target's `inputs`, an input's name, or -1 (a trigger: every input). */
  targetIndex: number | string;
}

/** What a component node carries: title, type (`FHash`), port names in port order. */
export type ComponentData = { title: string; type: string; inputs: string[]; outputs: string[] };
export type ComponentNode = Node<ComponentData, 'component'>;

/** `"1539px"`, `"12.5"` or a number → pixels; anything else → `fallback`. */
function pixels(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
  return Number.isFinite(n) ? n : fallback;
}

/** The position of port `index` among `names` (a position, or a name); -1 when there is none. */
function portAt(index: number | string, names: string[]): number {
  if (typeof index === 'number') return Number.isInteger(index) && index >= 0 && index < names.length ? index : -1;
  return names.indexOf(index);
}

/**
 * The nodes and edges of a `.smyth` document (the agent object, or `{data: agent, version}` as
 * exports wrap it). Components without positions are laid out in a row; `Note` components (the
 * builder's sticky notes, which import drops) and connections naming a missing component are left
 * out. An edge to a port the component does not declare (a trigger's -1) meets the node's first handle.
 */
export function graphOf(document: unknown): { nodes: ComponentNode[]; edges: Edge[] } {
  const root = (document ?? {}) as { data?: unknown; components?: unknown; connections?: unknown };
  const agent = (root.components === undefined && root.data && typeof root.data === 'object' ? root.data : root) as { components?: unknown; connections?: unknown };
  const components = (Array.isArray(agent.components) ? agent.components : []) as SmythComponent[];
  const connections = (Array.isArray(agent.connections) ? agent.connections : []) as SmythConnection[];
  const ids = new Set<string>();
  const nodes: ComponentNode[] = components
    .filter((c) => c && typeof c.id === 'string' && c.name !== 'Note')
    .map((c, i) => {
      ids.add(c.id);
      const type = c.name ?? 'Component';
      return {
        id: c.id,
        type: 'component',
        position: { x: pixels(c.left, i * 300), y: pixels(c.top, 0) },
        data: {
          title: c.title || c.displayName || type,
          type,
          inputs: (c.inputs ?? []).map((p, j) => p?.name ?? `#${j}`),
          outputs: (c.outputs ?? []).map((p, j) => p?.name ?? `#${j}`),
        },
      };
    });
  const ports = new Map(nodes.map((n) => [n.id, n.data]));
  const edges: Edge[] = connections
    .filter((c) => c && ids.has(c.sourceId) && ids.has(c.targetId))
    .map((c, i) => {
      const from = ports.get(c.sourceId)!;
      const to = ports.get(c.targetId)!;
      const out = portAt(c.sourceIndex, from.outputs);
      const into = portAt(c.targetIndex, to.inputs);
      return {
        id: `e${i}-${c.sourceId}-${c.sourceIndex}-${c.targetId}-${c.targetIndex}`,
        source: c.sourceId,
        target: c.targetId,
        ...(out >= 0 ? { sourceHandle: `out-${out}` } : {}),
        ...(into >= 0 ? { targetHandle: `in-${into}` } : {}),
        ariaLabel: `${c.sourceId}.${from.outputs[out] ?? c.sourceIndex} → ${c.targetId}.${to.inputs[into] ?? c.targetIndex}`,
      };
    });
  return { nodes, edges };
}

/**
 * What the step debugger marks on the graph (debug-session.ts): components active in the session's
 * current state (they run in the next wave), those that ran in the last step, the one selected.
 */
export interface DebugMarks {
  active: ReadonlySet<string>;
  ran: ReadonlySet<string>;
  selected: string | null;
}

/** No marks: no session. */
export const NO_MARKS: DebugMarks = { active: new Set(), ran: new Set(), selected: null };

/**
 * Component `id`'s marks: classes for its box (`dbg-active`, `dbg-ran`, `dbg-selected`) and the words
 * shown on it, so the marks do not rest on colour alone (`next` for active, `ran`).
 */
export function marksOf(id: string, marks: DebugMarks): { classes: string[]; words: string[] } {
  const classes: string[] = [];
  const words: string[] = [];
  if (marks.active.has(id)) {
    classes.push('dbg-active');
    words.push('next');
  }
  if (marks.ran.has(id)) {
    classes.push('dbg-ran');
    words.push('ran');
  }
  if (marks.selected === id) classes.push('dbg-selected');
  return { classes, words };
}

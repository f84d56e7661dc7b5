/**
 * The agent's components and connections drawn with React Flow: each component a node at the
 * file's own `left`/`top` (SmythOS builder pixels, e.g. `"1539px"`), labelled with its title and
 * type, with one handle per input port (left) and output port (right); each connection an edge from
 * `outputs[sourceIndex]` of `sourceId` to `inputs[targetIndex]` of `targetId` (docs/agents-format.md).
 * Read-only: the file is the source of truth, so nodes can be moved for reading but nothing is saved.
 */
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';

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
  sourceIndex: number;
  targetId: string;
  targetIndex: number;
}

/** What a component node carries. */
type ComponentData = { title: string; type: string; inputs: string[]; outputs: string[] };
type ComponentNode = Node<ComponentData, 'component'>;

/** `"1539px"`, `"12.5"` or a number → pixels; anything else → `fallback`. */
function pixels(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
  return Number.isFinite(n) ? n : fallback;
}

/**
 * The nodes and edges of a `.smyth` document (the agent object, or `{data: agent, version}` as
 * exports wrap it). Components without positions are laid out in a row; connections naming a missing
 * component are dropped.
 */
export function graphOf(document: unknown): { nodes: ComponentNode[]; edges: Edge[] } {
  const root = (document ?? {}) as { data?: unknown; components?: unknown; connections?: unknown };
  const agent = (root.components === undefined && root.data && typeof root.data === 'object' ? root.data : root) as { components?: unknown; connections?: unknown };
  const components = (Array.isArray(agent.components) ? agent.components : []) as SmythComponent[];
  const connections = (Array.isArray(agent.connections) ? agent.connections : []) as SmythConnection[];
  const ids = new Set<string>();
  const nodes: ComponentNode[] = components
    .filter((c) => c && typeof c.id === 'string')
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
      return {
        id: `e${i}-${c.sourceId}-${c.sourceIndex}-${c.targetId}-${c.targetIndex}`,
        source: c.sourceId,
        target: c.targetId,
        // A port index the component does not declare: the edge attaches to the node's first handle.
        ...(c.sourceIndex < from.outputs.length ? { sourceHandle: `out-${c.sourceIndex}` } : {}),
        ...(c.targetIndex < to.inputs.length ? { targetHandle: `in-${c.targetIndex}` } : {}),
        ariaLabel: `${c.sourceId}.${from.outputs[c.sourceIndex] ?? c.sourceIndex} → ${c.targetId}.${to.inputs[c.targetIndex] ?? c.targetIndex}`,
      };
    });
  return { nodes, edges };
}

/**
 * One component: title and type, then its ports one per row — inputs on the left, outputs on the
 * right — each row holding its handle, so an edge meets the port it names.
 */
function ComponentBox({ data }: NodeProps<ComponentNode>) {
  const rows = Math.max(data.inputs.length, data.outputs.length);
  return (
    <div className="agent-node" aria-label={`${data.title} (${data.type})`}>
      <strong>{data.title}</strong>
      {data.title !== data.type && <div className="muted">{data.type}</div>}
      {Array.from({ length: rows }, (_, i) => (
        <div className="agent-node-ports" key={i}>
          <span className="agent-port">
            {i < data.inputs.length && (
              <>
                <Handle id={`in-${i}`} type="target" position={Position.Left} />
                {data.inputs[i]}
              </>
            )}
          </span>
          <span className="agent-port out">
            {i < data.outputs.length && (
              <>
                {data.outputs[i]}
                <Handle id={`out-${i}`} type="source" position={Position.Right} />
              </>
            )}
          </span>
        </div>
      ))}
    </div>
  );
}

const NODE_TYPES = { component: ComponentBox };

/** The graph of a parsed `.smyth` document. */
export function AgentGraph({ document }: { document: unknown }) {
  const { nodes, edges } = graphOf(document);
  if (!nodes.length) return <p className="notice">This agent has no components.</p>;
  return (
    <div className="agent-graph" role="figure" aria-label="Agent graph">
      <ReactFlow defaultNodes={nodes} defaultEdges={edges} nodeTypes={NODE_TYPES} fitView nodesConnectable={false} edgesFocusable={false} colorMode="system" proOptions={{ hideAttribution: false }}>
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/**
 * The agent's components and connections drawn with React Flow: each component a node at the
 * file's own `left`/`top` (SmythOS builder pixels, e.g. `"1539px"`), labelled with its title and
 * type, with one handle per input port (left) and output port (right); each connection an edge from
 * `outputs[sourceIndex]` of `sourceId` to `inputs[targetIndex]` of `targetId` (docs/agents-format.md).
 * Read-only: the file is the source of truth, so nodes can be moved for reading but nothing is saved.
 */
import { Background, Controls, Handle, Position, ReactFlow, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { graphOf, type ComponentNode } from './graph-model.ts';

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

/**
 * The agent's components and connections drawn with React Flow: each component a node at the
 * file's own `left`/`top` (SmythOS builder pixels, e.g. `"1539px"`), labelled with its title and
 * type, with one handle per input port (left) and output port (right); each connection an edge from
 * `outputs[sourceIndex]` of `sourceId` to `inputs[targetIndex]` of `targetId` (docs/agents-format.md).
 * Read-only: the file is the source of truth, so nodes can be moved for reading but nothing is saved.
 * While a debug session runs, each box shows the step debugger's marks (graph-model.ts `marksOf`):
 * active (runs next), ran in the last step, selected; clicking a box selects its component.
 */
import { createContext, useContext } from 'react';
import { Background, Controls, Handle, Position, ReactFlow, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { graphOf, marksOf, NO_MARKS, type ComponentNode, type DebugMarks } from './graph-model.ts';

// The marks reach the boxes through context: the nodes are React Flow's own (uncontrolled), so a
// box re-renders with new marks without the graph being rebuilt or the user's panning lost.
const MarksContext = createContext<DebugMarks>(NO_MARKS);

/**
 * One component: title and type, then its ports one per row — inputs on the left, outputs on the
 * right — each row holding its handle, so an edge meets the port it names.
 */
function ComponentBox({ id, data }: NodeProps<ComponentNode>) {
  const rows = Math.max(data.inputs.length, data.outputs.length);
  const { classes, words } = marksOf(id, useContext(MarksContext));
  return (
    <div className={['agent-node', ...classes].join(' ')} aria-label={`${data.title} (${data.type})${words.length ? `, ${words.join(', ')}` : ''}`} data-debug={words.join(' ') || undefined}>
      {words.length > 0 && (
        <span className="dbg-words" aria-hidden="true">
          {words.map((w) => (
            <span key={w} className={`dbg-word ${w}`}>
              {w}
            </span>
          ))}
        </span>
      )}
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

/**
 * The graph of a parsed `.smyth` document, with the debugger's `marks` on its boxes; `onSelect` gets
 * the id of a clicked component.
 */
export function AgentGraph({ document, marks = NO_MARKS, onSelect }: { document: unknown; marks?: DebugMarks; onSelect?: (componentId: string) => void }) {
  const { nodes, edges } = graphOf(document);
  if (!nodes.length) return <p className="notice">This agent has no components.</p>;
  return (
    <div className="agent-graph" role="figure" aria-label="Agent graph">
      <MarksContext.Provider value={marks}>
        <ReactFlow
          defaultNodes={nodes}
          defaultEdges={edges}
          nodeTypes={NODE_TYPES}
          fitView
          nodesConnectable={false}
          edgesFocusable={false}
          colorMode="system"
          proOptions={{ hideAttribution: false }}
          {...(onSelect ? { onNodeClick: (_event: unknown, node: ComponentNode) => onSelect(node.id) } : {})}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </MarksContext.Provider>
    </div>
  );
}

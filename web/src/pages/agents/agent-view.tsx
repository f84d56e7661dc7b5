/**
 * `/agents/:agentId`: one agent — its skills each with a Run form, the graph of its components
 * (from the draft's `.smyth` text, `GET /api/agents/:id/export`), its import warnings and versions,
 * Deploy (the draft as the next version), Export (download) and Delete, the step debugger (its
 * controls, the graph with its marks, the component inspector and live log: debug-*.tsx), then its
 * runs and the trace of the one opened. A run from a form, or a debug session that ended, reloads the
 * list and opens that run's trace.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { agents, errorText, type Agent } from './agent-client.ts';
import { DebugInspector } from './debug-inspector.tsx';
import { activeIds } from './debug-model.ts';
import { DebugControls } from './debug-panel.tsx';
import { useDebugger } from './debug-session.ts';
import { UseIt } from './use-it.tsx';
import { graphOf, type DebugMarks } from './graph-model.ts';
import { ProblemList } from './problem-list.tsx';
import { RunList } from './run-list.tsx';
import { RunTrace } from './run-trace.tsx';
import { SkillForm } from './skill-form.tsx';

// React Flow is most of the page's weight: loaded when an agent is opened, not with every page.
const AgentGraph = lazy(() => import('./agent-graph.tsx').then((m) => ({ default: m.AgentGraph })));

/** The document text parsed, or undefined when it is not JSON (the graph is then left out). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The agent page. */
export function AgentView() {
  const { agentId = '' } = useParams();
  const navigate = useNavigate();
  const [agent, setAgent] = useState<Agent | null>(null);
  const [document, setDocument] = useState<unknown>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [a, text] = await Promise.all([agents.get(agentId), agents.exportText(agentId)]);
      setAgent(a);
      setDocument(parsed(text));
    } catch (e) {
      setError(errorText(e, 'Could not load the agent.'));
    }
  }, [agentId]);
  useEffect(() => void load(), [load]);

  async function change(what: () => Promise<string>, fallback: string) {
    setError(null);
    setStatus(null);
    try {
      setStatus(await what());
      await load();
    } catch (e) {
      setError(errorText(e, fallback));
    }
  }

  if (!agent) {
    return (
      <section aria-labelledby="agent-title">
        <p>
          <Link to="/agents">← Agents</Link>
        </p>
        <h1 id="agent-title">Agent</h1>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : (
          <p role="status">Loading…</p>
        )}
      </section>
    );
  }

  return (
    <AgentBody
      key={agent.id}
      agent={agent}
      document={document}
      error={error}
      status={status}
      change={change}
      onError={setError}
      onLiveSwitched={(on) => setAgent((a) => a && { ...a, debug_enabled: on })}
      onChanged={setAgent}
      onDeleted={() => navigate('/agents')}
    />
  );
}

/** A loaded agent's page; `change` runs an action and reloads the agent. */
function AgentBody({
  agent,
  document,
  error,
  status,
  change,
  onError,
  onLiveSwitched,
  onChanged,
  onDeleted,
}: {
  agent: Agent;
  document: unknown;
  error: string | null;
  status: string | null;
  change: (what: () => Promise<string>, fallback: string) => Promise<void>;
  onError: (message: string) => void;
  onLiveSwitched: (on: boolean) => void;
  onChanged: (agent: Agent) => void;
  onDeleted: () => void;
}) {
  const [refresh, setRefresh] = useState(0);
  const [openRun, setOpenRun] = useState<string | null>(null);

  const ran = useCallback((runId: string | null) => {
    setRefresh((n) => n + 1);
    if (runId) setOpenRun(runId);
  }, []);

  const dbg = useDebugger(agent, ran);
  const nodes = useMemo(() => graphOf(document).nodes, [document]);
  const marks = useMemo<DebugMarks>(() => ({ active: new Set(activeIds(dbg.model)), ran: new Set(dbg.model.ran), selected: dbg.selected }), [dbg.model, dbg.selected]);

  return (
    <section aria-labelledby="agent-title">
      <p>
        <Link to="/agents">← Agents</Link>
      </p>
      <h1 id="agent-title">{agent.name}</h1>
      <div className="row">
        <code className="muted">{agent.id}</code>
        <span className="muted">skills: {agent.skill_access}</span>
        <span className="muted">updated {new Date(agent.updated_at).toLocaleString()}</span>
      </div>
      <div className="row">
        <button type="button" onClick={() => void change(async () => `Deployed version ${(await agents.deploy(agent.id)).version}.`, 'Could not deploy the agent.')}>
          Deploy
        </button>
        <a href={agents.exportUrl(agent.id)} download={`${agent.name}.smyth`}>
          Export (.smyth)
        </a>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            if (!window.confirm(`Delete ${agent.name} with its versions, keys and runs?`)) return;
            void agents.remove(agent.id).then(onDeleted, (e: unknown) => onError(errorText(e, 'Could not delete the agent.')));
          }}
        >
          Delete agent
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {status && <p role="status">{status}</p>}
      <p className="muted">
        Versions: {agent.versions.length ? agent.versions.map((v) => v.version).join(', ') : 'none deployed (skills run the draft)'}
      </p>
      <ProblemList problems={agent.problems} label="Agent problems" />

      <h2 id="use-it">Use it</h2>
      <UseIt agent={agent} onChanged={onChanged} />

      <h2>Skills</h2>
      {agent.skills.length === 0 && <p className="notice">No skills: the agent has no APIEndpoint.</p>}
      {agent.skills.map((s) => (
        <article className="panel" key={s.component_id} aria-label={`Skill ${s.endpoint}`}>
          <div className="row">
            <h3 className="agent-skill-name">{s.endpoint}</h3>
            <code>
              {s.method} /agents/{agent.id}
              {s.path}
            </code>
            {!s.ai_exposed && <span className="badge">hidden from AI</span>}
          </div>
          {(s.description || s.summary) && <p className="muted">{s.description || s.summary}</p>}
          <SkillForm agentId={agent.id} skill={s} onRan={ran} />
        </article>
      ))}

      <h2 id="debugger-title">Debugger</h2>
      <DebugControls agent={agent} dbg={dbg} onLiveSwitched={onLiveSwitched} />

      <h2>Graph</h2>
      {document === undefined ? (
        <p className="notice">The agent&apos;s document could not be read as JSON.</p>
      ) : (
        <Suspense fallback={<p role="status">Loading the graph…</p>}>
          <AgentGraph key={agent.updated_at} document={document} marks={marks} onSelect={dbg.select} />
        </Suspense>
      )}
      <DebugInspector dbg={dbg} nodes={nodes} />

      <RunList agentId={agent.id} refresh={refresh} open={openRun} onOpen={setOpenRun} />
      {openRun && <RunTrace agentId={agent.id} runId={openRun} />}
    </section>
  );
}

/**
 * `/agents`: my `.smyth` agents (name, id, who may call the skills, last change) and the import of a
 * `.smyth` file, whose warnings — or, when it is refused, whose errors — are listed with the
 * components they name. Each agent opens on `/agents/:agentId` (pages/agents/agent-view.tsx).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { agents, errorText, ImportError, type AgentMeta, type AgentProblem } from './agents/agent-client.ts';
import { ProblemList } from './agents/problem-list.tsx';

/** The Agents page. */
export function AgentsPage() {
  const navigate = useNavigate();
  const [list, setList] = useState<AgentMeta[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string; problems: AgentProblem[]; agentId?: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setList(await agents.list());
    } catch (e) {
      setError(errorText(e, 'Could not load your agents.'));
    }
  }, []);
  useEffect(() => void load(), [load]);

  async function importFile(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setResult(null);
    try {
      const { agent, problems } = await agents.importText(await file.text(), name.trim() || undefined);
      setResult({ ok: true, message: `Imported ${agent.name}.`, problems, agentId: agent.id });
      setName('');
      await load();
    } catch (e) {
      setResult({ ok: false, message: errorText(e, 'Could not import the file.'), problems: e instanceof ImportError ? e.problems : [] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <p className="muted">
        Agents are SmythOS <code>.smyth</code> files: components wired together, each APIEndpoint a skill you can call at{' '}
        <code>/agents/&lt;id&gt;/api/&lt;endpoint&gt;</code>. Import one, run its skills and read every run&apos;s trace.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      <h2>My agents</h2>
      {list === null && !error && <p role="status">Loading…</p>}
      {list?.length === 0 && <p className="notice">No agents yet: import a .smyth file below.</p>}
      {list && list.length > 0 && (
        <table aria-label="My agents">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Skill access</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link to={`/agents/${encodeURIComponent(a.id)}`}>{a.name}</Link>
                </td>
                <td>
                  <code>{a.id}</code>
                </td>
                <td>
                  {a.skill_access}
                  {a.skill_access === 'key' && a.skill_key_name && <span className="muted"> ({a.skill_key_name})</span>}
                </td>
                <td>{new Date(a.updated_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="import-agent-title">Import an agent</h2>
      <form className="inline" aria-labelledby="import-agent-title" onSubmit={(e) => void importFile(e)}>
        <label htmlFor="agent-file">.smyth file</label>
        <input id="agent-file" type="file" accept=".smyth,.json,application/json" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <label htmlFor="agent-name">Name (optional)</label>
        <input id="agent-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="the file's own name" />
        <button type="submit" disabled={busy || !file}>
          Import
        </button>
      </form>
      {result && (
        <div className="panel" aria-label="Import result">
          <p className={result.ok ? undefined : 'error'} role={result.ok ? 'status' : 'alert'}>
            {result.message}{' '}
            {result.agentId && (
              <button type="button" className="secondary small" onClick={() => navigate(`/agents/${encodeURIComponent(result.agentId!)}`)}>
                Open the agent
              </button>
            )}
          </p>
          <ProblemList problems={result.problems} label="Import problems" />
        </div>
      )}
    </section>
  );
}

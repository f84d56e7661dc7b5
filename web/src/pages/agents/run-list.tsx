/**
 * The agent's recent runs (`GET /api/agents/:id/runs`, newest first): skill, status, when, how long,
 * and a button opening each run's trace; a run stepped in the debugger names its debug session.
 * `refresh` changes when a run from the page ended, so the list reloads then (not on a timer).
 */
import { useCallback, useEffect, useState } from 'react';
import { agents, errorText, type AgentRun } from './agent-client.ts';

/** How many runs the list shows. */
const RUNS_SHOWN = 20;

/** The run list; `open` is the run whose trace is shown, `onOpen` picks one. */
export function RunList({ agentId, refresh, open, onOpen }: { agentId: string; refresh: number; open: string | null; onOpen: (runId: string) => void }) {
  const [runs, setRuns] = useState<AgentRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    () =>
      agents.runs(agentId, RUNS_SHOWN).then(
        (r) => {
          setRuns(r);
          setError(null);
        },
        (e: unknown) => setError(errorText(e, 'Could not load the runs.')),
      ),
    [agentId],
  );
  useEffect(() => void load(), [load, refresh]);

  return (
    <section aria-labelledby="agent-runs-title">
      <h2 id="agent-runs-title">Runs</h2>
      <p className="hint">
        The last {RUNS_SHOWN} runs, newest first.{' '}
        <button type="button" className="secondary small" onClick={() => void load()}>
          Refresh runs
        </button>
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {runs?.length === 0 && <p className="notice">No runs yet: run a skill above.</p>}
      {runs && runs.length > 0 && (
        <table aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Skill</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">
                <span className="visually-hidden">Trace</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} aria-current={r.id === open ? 'true' : undefined}>
                <td>
                  <code>{r.id}</code>
                  {r.debug_session_id && (
                    <div className="muted" aria-label={`Debug session of run ${r.id}`}>
                      debug <code>{r.debug_session_id}</code>
                    </div>
                  )}
                </td>
                <td>
                  <code>
                    {r.method} {r.skill}
                  </code>
                  {r.version !== null && <span className="muted"> v{r.version}</span>}
                </td>
                <td className={r.status === 'completed' ? undefined : 'error'}>{r.status}</td>
                <td>{new Date(r.started_at).toLocaleString()}</td>
                <td>{r.duration_ms === null ? '—' : `${r.duration_ms} ms`}</td>
                <td>
                  <button type="button" className="secondary small" aria-label={`Show trace of run ${r.id}`} onClick={() => onOpen(r.id)}>
                    Trace
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

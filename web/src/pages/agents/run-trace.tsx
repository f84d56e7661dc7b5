/**
 * One run's trace (`GET /api/agents/:id/runs/:runId`): the run's skill, status, timing, input and
 * result, then every component call in call order — wave (step), type, title, duration in ms, input,
 * output, error and logs, the JSON folded.
 */
import { useEffect, useState } from 'react';
import { agents, errorText, type AgentCall, type AgentRun } from './agent-client.ts';
import { JsonView } from './json-view.tsx';

/** How often a trace of a run still going is read again, ms. */
const RUNNING_REFRESH_MS = 1_000;

/** The trace of run `runId` of agent `agentId`. */
export function RunTrace({ agentId, runId }: { agentId: string; runId: string }) {
  const [trace, setTrace] = useState<{ run: AgentRun; calls: AgentCall[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setTrace(null);
    setError(null);
    // A run still going (an Async branch, a slow call) is read again until it ends.
    const read = () =>
      agents.run(agentId, runId).then(
        (t) => {
          if (!live) return;
          setTrace(t);
          if (t.run.status === 'running') timer = setTimeout(read, RUNNING_REFRESH_MS);
        },
        (e: unknown) => live && setError(errorText(e, 'Could not load the run.')),
      );
    void read();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [agentId, runId]);

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!trace) return <p role="status">Loading the run…</p>;
  const { run, calls } = trace;
  return (
    <section className="panel" aria-labelledby={`trace-${run.id}`}>
      <h3 id={`trace-${run.id}`}>
        Trace of run <code>{run.id}</code>
      </h3>
      <p>
        <code>
          {run.method} {run.skill}
        </code>{' '}
        · {run.status}
        {run.http_status !== null && ` (HTTP ${run.http_status})`} · {run.version === null ? 'draft' : `v${run.version}`} · {run.steps} steps ·{' '}
        {run.duration_ms === null ? 'still running' : `${run.duration_ms} ms`}
      </p>
      <dl className="agent-run-io">
        <dt>Input</dt>
        <dd>
          <JsonView value={run.input} label="Run input" />
        </dd>
        <dt>Result</dt>
        <dd>
          <JsonView value={run.result} label="Run result" />
        </dd>
        {run.error && (
          <>
            <dt>Error</dt>
            <dd className="error">{run.error}</dd>
          </>
        )}
      </dl>
      {calls.length === 0 ? (
        <p className="muted">No component calls were recorded.</p>
      ) : (
        <div className="agent-scroll">
          <table aria-label="Component calls" className="agent-calls">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Wave</th>
                <th scope="col">Type</th>
                <th scope="col">Title</th>
                <th scope="col">Duration</th>
                <th scope="col">Input</th>
                <th scope="col">Output</th>
                <th scope="col">Error and logs</th>
              </tr>
            </thead>
            <tbody>
              {calls.map((c) => (
                <tr key={c.seq}>
                  <td>{c.seq}</td>
                  <td>{c.step}</td>
                  <td>
                    <code>{c.component_name}</code>
                  </td>
                  <td>
                    {c.title ?? <span className="muted">—</span>} <span className="muted">({c.component_id})</span>
                  </td>
                  <td>{c.duration_ms === null ? '—' : `${c.duration_ms} ms`}</td>
                  <td>
                    <JsonView value={c.input} label={`Input of call ${c.seq}`} />
                  </td>
                  <td>
                    <JsonView value={c.output} label={`Output of call ${c.seq}`} />
                  </td>
                  <td>
                    {c.error && <div className="error">{c.error}</div>}
                    {c.logs.length > 0 ? (
                      <details>
                        <summary>{c.logs.length} log lines</summary>
                        <pre>{c.logs.map((l) => `${l.at} ${l.level} ${l.message}`).join('\n')}</pre>
                      </details>
                    ) : (
                      !c.error && <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

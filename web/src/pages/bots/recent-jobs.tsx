/**
 * Recent jobs of my bot commands (`GET /api/bots/jobs`; an admin sees everyone's), refreshed every
 * few seconds: status, timing (queued → started → finished, duration in ms) and result or error.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../../api.ts';

/** A job as `GET /api/bots/jobs` returns it. */
export interface BotJob {
  id: string;
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  command: string;
  sender: string;
  room_id: string;
  event_type: string;
  args: string;
  attempts: number;
  max_attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  ok: boolean | null;
  result: string | null;
  error: string | null;
}

/** How often the list refreshes, ms. */
const REFRESH_MS = 3_000;

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '—');

/** The status word shown: a completed job whose command answered a failure says so. */
function status(j: BotJob): string {
  if (j.state === 'completed' && j.ok === false) return 'completed (failure answered)';
  if (j.state === 'queued' && j.attempts > 0) return `queued (retry ${j.attempts + 1} of ${j.max_attempts})`;
  return j.state;
}

/** The recent-jobs table. `everyone`: the caller is an admin and sees every sender's jobs. */
export function RecentJobs({ everyone }: { everyone: boolean }) {
  const [jobs, setJobs] = useState<BotJob[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    () =>
      api<{ jobs: BotJob[] }>('GET', '/api/bots/jobs?limit=20').then(
        (r) => {
          setJobs(r.jobs);
          setError(null);
        },
        (e: unknown) => setError(e instanceof ApiError ? e.message : 'Could not load the jobs.'),
      ),
    [],
  );
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section aria-labelledby="bot-jobs-title">
      <h2 id="bot-jobs-title">Recent jobs</h2>
      <p className="hint">
        {everyone ? 'Every sender’s bot jobs (you are an admin)' : 'Jobs your messages triggered'}, newest first; refreshes every {REFRESH_MS / 1000} s.{' '}
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh jobs
        </button>
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {jobs && !jobs.length && <p className="notice">No jobs yet: a trigger in a room the bot runner is in makes one.</p>}
      {jobs && jobs.length > 0 && (
        <table aria-label="Recent jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Command</th>
              <th scope="col">Trigger</th>
              <th scope="col">Status</th>
              <th scope="col">Queued → started → finished</th>
              <th scope="col">Duration</th>
              <th scope="col">Result or error</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id}>
                <td>
                  <code>{j.id}</code>
                </td>
                <td>
                  <code>{j.command}</code>
                </td>
                <td>
                  {everyone && <div className="muted">{j.sender}</div>}
                  {j.args || <span className="muted">{j.event_type}</span>}
                  {j.room_id && <div className="muted">{j.room_id}</div>}
                </td>
                <td>{status(j)}</td>
                <td>
                  {time(j.created_at)} → {time(j.started_at)} → {time(j.finished_at)}
                </td>
                <td>{j.duration_ms === null ? '—' : `${j.duration_ms} ms`}</td>
                <td className={j.error && j.state !== 'completed' ? 'error' : undefined}>{j.state === 'completed' ? j.result : (j.error ?? '—')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * `/admin/queue` (admins): the durable job queue — counts by state, the jobs newest first filtered by
 * state (failed ones by default, with their errors, attempts and times), retry of a failed or
 * cancelled job and cancel of a queued or running one, over `/api/admin/queue` (docs/api.md).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { useSession } from '../session.tsx';

const STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
type JobState = (typeof STATES)[number];

/** A job as `GET /api/admin/queue` returns it. */
interface AdminJob {
  id: string;
  type: string;
  state: JobState;
  key: string | null;
  group: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
}
interface QueuePage {
  counts: Record<JobState, number>;
  jobs: AdminJob[];
  next_before: string | null;
}

/** How often the page refreshes, ms. */
const REFRESH_MS = 5_000;
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** The Queue page. */
export function QueuePage() {
  const { user } = useSession();
  const [state, setState] = useState<JobState | ''>('failed');
  const [page, setPage] = useState<QueuePage | null>(null);
  const [older, setOlder] = useState<AdminJob[]>([]);
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const query = useCallback((before?: string) => `/api/admin/queue?limit=50${state ? `&state=${state}` : ''}${before ? `&before=${before}` : ''}`, [state]);
  const load = useCallback(
    () =>
      api<QueuePage>('GET', query()).then(
        (r) => {
          setPage(r);
          setNextBefore((n) => n ?? r.next_before);
        },
        (e: unknown) => setError(e instanceof ApiError ? e.message : 'Could not load the queue.'),
      ),
    [query],
  );
  useEffect(() => {
    setOlder([]);
    setNextBefore(null);
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  async function more() {
    if (!nextBefore) return;
    try {
      const r = await api<QueuePage>('GET', query(nextBefore));
      setOlder((o) => [...o, ...r.jobs]);
      setNextBefore(r.next_before);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load more jobs.');
    }
  }

  async function act(job: AdminJob, action: 'retry' | 'cancel') {
    setError(null);
    setStatus(null);
    try {
      const r = await api<{ job: AdminJob }>('POST', `/api/admin/queue/jobs/${job.id}/${action}`);
      setStatus(action === 'retry' ? `Job ${job.id} queued again (${r.job.state}).` : `Job ${job.id} cancelled.`);
      setOlder([]);
      setNextBefore(null);
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : `Could not ${action} job ${job.id}.`);
    }
  }

  if (!user?.is_admin) return <p role="alert">Admins only.</p>;
  const jobs = [...(page?.jobs ?? []), ...older.filter((o) => !page?.jobs.some((j) => j.id === o.id))];
  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">Queue</h1>
      <p className="muted">Durable jobs (bot commands and others) and their states; refreshes every {REFRESH_MS / 1000} s.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {status && <p role="status">{status}</p>}
      <h2>Jobs by state</h2>
      <table aria-label="Jobs by state" className="counts">
        <thead>
          <tr>
            {STATES.map((s) => (
              <th scope="col" key={s}>
                {s}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {STATES.map((s) => (
              <td key={s} data-testid={`count-${s}`}>
                {page ? page.counts[s] : '…'}
              </td>
            ))}
          </tr>
        </tbody>
      </table>

      <h2>Jobs</h2>
      <form className="inline" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="queue-state">State</label>
        <select id="queue-state" value={state} onChange={(e) => setState(e.target.value as JobState | '')}>
          <option value="">all states</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </form>
      {page && !jobs.length && <p className="notice">No {state || ''} jobs.</p>}
      {jobs.length > 0 && (
        <table aria-label="Jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Queued / started / finished</th>
              <th scope="col">Error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id}>
                <td>
                  <code>{j.id}</code>
                  {j.group && <div className="muted">{j.group}</div>}
                </td>
                <td>
                  <code>{j.type}</code>
                </td>
                <td>{j.state}</td>
                <td>
                  {j.attempts} of {j.max_attempts}
                </td>
                <td>
                  {when(j.created_at)}
                  <br />
                  {when(j.started_at)}
                  <br />
                  {when(j.finished_at)}
                  {j.duration_ms !== null && <span className="muted"> ({j.duration_ms} ms)</span>}
                </td>
                <td className={j.error ? 'error' : undefined}>{j.error ?? '—'}</td>
                <td>
                  {(j.state === 'failed' || j.state === 'cancelled') && (
                    <button type="button" aria-label={`Retry job ${j.id}`} onClick={() => void act(j, 'retry')}>
                      Retry
                    </button>
                  )}
                  {(j.state === 'queued' || j.state === 'running') && (
                    <button type="button" className="secondary" aria-label={`Cancel job ${j.id}`} onClick={() => void act(j, 'cancel')}>
                      Cancel
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextBefore && (
        <button type="button" className="secondary" onClick={() => void more()}>
          Load older jobs
        </button>
      )}
    </section>
  );
}

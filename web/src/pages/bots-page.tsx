/**
 * `/bots`: my bot registrations and their commands (add and remove both), and the recent jobs my
 * commands ran. Registrations and commands go to the bot endpoints with a bot JWT the page gets from
 * the web session (pages/bots/bot-client.ts); the jobs come from `GET /api/bots/jobs`.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../session.tsx';
import { bindBotUser, bots, errorText, type BotCommand, type BotRegistration } from './bots/bot-client.ts';
import { CommandForm, describeFilter } from './bots/command-form.tsx';
import { RecentJobs } from './bots/recent-jobs.tsx';

/** The Bots page. */
export function BotsPage() {
  const { user } = useSession();
  const me = user?.user_id ?? '';
  bindBotUser(me);
  const [registrations, setRegistrations] = useState<BotRegistration[] | null>(null);
  const [commands, setCommands] = useState<BotCommand[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ id: string; value: string } | null>(null);
  const [username, setUsername] = useState(me);
  const [global, setGlobal] = useState(false);

  const load = useCallback(async () => {
    try {
      const [r, c] = await Promise.all([bots.registrations(), bots.commands()]);
      setRegistrations(r);
      setCommands(c);
    } catch (e) {
      setError(errorText(e, 'Could not load your bots.'));
    }
  }, []);
  useEffect(() => void load(), [load]);

  /** Run a change, then reload; errors as the endpoint words them. */
  async function change(what: () => Promise<unknown>, done: string, fallback: string) {
    setError(null);
    setStatus(null);
    try {
      await what();
      setStatus(done);
      await load();
      return true;
    } catch (e) {
      setError(errorText(e, fallback));
      return false;
    }
  }

  async function register(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await change(
      async () => {
        const created = await bots.register(username.trim(), global);
        setSecret({ id: created.id, value: created.webhookSecret });
        setGlobal(false);
      },
      'Registration added.',
      'Could not add the registration.',
    );
  }

  return (
    <section aria-labelledby="bots-title">
      <h1 id="bots-title">Bots</h1>
      <p className="muted">
        A registration lets the bot runner turn your own messages into jobs; each command maps a filter (which events) to what runs. Invite the bot
        runner into a room, then trigger a command there.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {status && <p role="status">{status}</p>}

      <h2>Registrations</h2>
      {registrations === null && !error && <p role="status">Loading…</p>}
      {registrations?.length === 0 && <p className="notice">No registrations yet.</p>}
      {registrations?.map((r) => {
        const mine = commands.filter((c) => c.botId === r.id);
        return (
          <article className="panel" key={r.id} aria-label={`Registration ${r.id}`}>
            <div className="row">
              <strong>{r.username}</strong>
              {r.global && <span className="badge">global</span>}
              <code className="muted">{r.id}</code>
              <span className="muted">since {new Date(r.createdAt).toLocaleString()}</span>
              <button
                type="button"
                className="secondary"
                aria-label={`Remove registration ${r.id}`}
                onClick={() => void change(() => bots.unregister(r.id), 'Registration removed with its commands.', 'Could not remove the registration.')}
              >
                Remove registration
              </button>
            </div>
            {secret?.id === r.id && (
              <>
                <label htmlFor={`secret-${r.id}`}>Webhook secret (shown once)</label>
                <input id={`secret-${r.id}`} readOnly value={secret.value} />
                <p className="hint">The key of the X-Orrery-Signature HMAC on this registration&apos;s webhook calls. Keep it now: it is not shown again.</p>
              </>
            )}
            {mine.length === 0 ? (
              <p className="muted">No commands.</p>
            ) : (
              <table aria-label={`Commands of ${r.id}`}>
                <thead>
                  <tr>
                    <th scope="col">Command</th>
                    <th scope="col">Filter</th>
                    <th scope="col">Added</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {mine.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <code>{c.command}</code>
                      </td>
                      <td title={JSON.stringify(c.filter)}>{describeFilter(c.filter)}</td>
                      <td>{new Date(c.createdAt).toLocaleString()}</td>
                      <td>
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Remove command ${c.command} (${describeFilter(c.filter)})`}
                          onClick={() => void change(() => bots.removeCommand(c.id), 'Command removed.', 'Could not remove the command.')}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </article>
        );
      })}

      <h3 id="add-registration-title">Add a registration</h3>
      <form className="inline" aria-labelledby="add-registration-title" onSubmit={(e) => void register(e)}>
        <label htmlFor="registration-username">Matrix user id</label>
        <input id="registration-username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        {user?.is_admin && (
          <label className="check">
            <input type="checkbox" checked={global} onChange={(e) => setGlobal(e.target.checked)} /> Global (every sender&apos;s events)
          </label>
        )}
        <button type="submit">Add registration</button>
      </form>

      <h3 id="add-command-title">Add a command</h3>
      {registrations && (
        <CommandForm
          registrations={registrations}
          onAdded={async () => {
            setError(null);
            setStatus('Command added.');
            await load();
          }}
        />
      )}

      <RecentJobs everyone={user?.is_admin === true} />
    </section>
  );
}

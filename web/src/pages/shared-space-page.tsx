/**
 * `/main`: the shared space, live. Messages arrive over the runtime event stream (no reload), the
 * composer posts as the signed-in user, and present users are listed with runtime bots marked.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';
import { useSession } from '../session.tsx';

interface Message {
  id: number;
  user_id: string;
  username: string;
  content: string;
  created_at: string;
}
interface Present {
  userId: string;
  username: string;
  lastSeenAt: string;
  runtime: boolean;
}

const PRESENCE_REFRESH_MS = 5000;

/** The shared space. */
export function SharedSpacePage() {
  const { user } = useSession();
  const [messages, setMessages] = useState<Message[]>([]);
  const [present, setPresent] = useState<Present[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const listRef = useRef<HTMLOListElement>(null);

  const add = useCallback((incoming: Message[]) => {
    setMessages((prev) => {
      const seen = new Set(prev.map((m) => m.id));
      return [...prev, ...incoming.filter((m) => !seen.has(m.id))].sort((a, b) => a.id - b.id).slice(-300);
    });
  }, []);

  const loadPresence = useCallback(() => {
    api<{ users: Present[] }>('GET', '/api/runtime/presence').then((r) => setPresent(r.users), () => undefined);
  }, []);

  useEffect(() => {
    let source: EventSource | null = null;
    let cancelled = false;
    api<{ messages: Message[]; streamCursor: string | null }>('GET', '/api/runtime/feed?limit=50').then(
      (r) => {
        if (cancelled) return;
        add(r.messages);
        source = new EventSource(`/api/runtime/stream${r.streamCursor ? `?after=${r.streamCursor}` : ''}`);
        source.onopen = () => setLive(true);
        source.onerror = () => setLive(false);
        source.addEventListener('message', (e) => add([JSON.parse((e as MessageEvent<string>).data) as Message]));
        source.addEventListener('presence', () => loadPresence());
      },
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'Could not load the shared space.'),
    );
    loadPresence();
    const timer = setInterval(loadPresence, PRESENCE_REFRESH_MS);
    return () => {
      cancelled = true;
      source?.close();
      clearInterval(timer);
    };
  }, [add, loadPresence]);

  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages.length]);

  async function send(event: FormEvent) {
    event.preventDefault();
    const content = draft.trim();
    if (!content) return;
    setError(null);
    try {
      await api('POST', '/api/runtime/shared', { content });
      setDraft('');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not send.');
    }
  }

  return (
    <section aria-labelledby="shared-title" className="shared">
      <div className="shared-main">
        <h1 id="shared-title">
          Shared space <span className={live ? 'live on' : 'live'}>{live ? 'live' : 'connecting…'}</span>
        </h1>
        <ol className="messages" ref={listRef} aria-live="polite" aria-label="Messages">
          {messages.map((m) => (
            <li key={m.id} className={m.user_id === user?.user_id ? 'mine' : undefined}>
              <span className="who">{m.username}</span>
              <time dateTime={m.created_at}>{new Date(m.created_at).toLocaleTimeString()}</time>
              <p>{m.content}</p>
            </li>
          ))}
          {messages.length === 0 && <li className="muted">No messages yet. Say hello.</li>}
        </ol>
        <form className="composer" onSubmit={(e) => void send(e)}>
          <label htmlFor="composer" className="visually-hidden">
            Message
          </label>
          <input id="composer" value={draft} onChange={(e) => setDraft(e.target.value)} maxLength={2000} placeholder="Write to the shared space…" autoComplete="off" />
          <button type="submit">Send</button>
        </form>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <aside aria-labelledby="present-title" className="present">
        <h2 id="present-title">Present</h2>
        <ul>
          {present.map((p) => (
            <li key={p.userId} data-testid="present-user">
              {p.username}
              {p.runtime && (
                <span className="badge" title="connected through a runtime token">
                  bot
                </span>
              )}
            </li>
          ))}
          {present.length === 0 && <li className="muted">Nobody right now.</li>}
        </ul>
      </aside>
    </section>
  );
}

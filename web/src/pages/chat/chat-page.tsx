/**
 * `/agents/<agentId>/chat` (issue 12 item 6): a streaming chat with the agent. The answer appears as the
 * model writes it; a skill the agent calls shows as a card while it runs, then with its result. Works
 * signed in, and signed out for a public agent; outside the signed-in shell (web/src/app.tsx), so it can
 * be linked to. The page keeps the conversation and sends it whole with every message (the stream is
 * stateless); Stop hangs up, which stops the agent on the server too.
 */
import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { ChatLog, type Entry } from './chat-log.tsx';
import { chatConfig, streamChat, type ChatConfig, type ChatEvent, type ChatTurn } from './chat-stream.ts';
import './chat.css';

/** `entries` after one stream event. */
function withEvent(entries: Entry[], event: ChatEvent): Entry[] {
  const last = entries.at(-1);
  const streaming = last?.kind === 'turn' && last.role === 'assistant' && last.streaming ? last : undefined;
  const settled = streaming ? [...entries.slice(0, -1), { ...streaming, streaming: false }] : entries;
  switch (event.event) {
    case 'text':
      return streaming ? [...entries.slice(0, -1), { ...streaming, text: streaming.text + event.data.delta }] : [...entries, { kind: 'turn', role: 'assistant', text: event.data.delta, streaming: true }];
    case 'tool_call':
      return [...settled, { kind: 'tool', id: event.data.id, name: event.data.name, arguments: event.data.arguments }];
    case 'tool_result':
      return entries.map((x) => (x.kind === 'tool' && x.id === event.data.id ? { ...x, result: event.data.text, failed: event.data.isError } : x));
    case 'done':
      return settled;
    case 'error':
      return [...settled, { kind: 'error', text: event.data.message }];
  }
}

/** The page. */
export function ChatPage() {
  const { agentId = '' } = useParams();
  const { user } = useSession();
  const [config, setConfig] = useState<ChatConfig | null>(null);
  const [problem, setProblem] = useState<{ status: number; text: string } | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const history = useRef<ChatTurn[]>([]);
  const hangUp = useRef<AbortController | null>(null);

  useEffect(() => {
    chatConfig(agentId).then(setConfig, (e: unknown) => setProblem({ status: e instanceof ApiError ? e.status : 0, text: e instanceof Error ? e.message : String(e) }));
  }, [agentId]);
  // Leaving the page hangs up.
  useEffect(() => () => hangUp.current?.abort(), []);

  async function send(text: string) {
    const asked = [...history.current, { role: 'user' as const, content: text }];
    setEntries((all) => [...all, { kind: 'turn', role: 'user', text }]);
    setBusy(true);
    const abort = new AbortController();
    hangUp.current = abort;
    let answered: string | undefined;
    try {
      await streamChat(agentId, asked, (event) => {
        if (event.event === 'done') answered = event.data.text;
        setEntries((all) => withEvent(all, event));
      }, abort.signal);
    } catch (e) {
      const text = abort.signal.aborted ? 'Stopped.' : e instanceof Error ? e.message : String(e);
      setEntries((all) => [...withEvent(all, { event: 'done', data: { text: '', model: '' } }), { kind: 'error', text }]);
    } finally {
      // Only an answered turn joins the history: what failed or was stopped is not sent again.
      if (answered !== undefined) history.current = [...asked, { role: 'assistant', content: answered }];
      hangUp.current = null;
      setBusy(false);
    }
  }

  function submit() {
    const text = draft.trim();
    if (!text || busy) return;
    setDraft('');
    void send(text);
  }

  if (problem) {
    const here = `/agents/${encodeURIComponent(agentId)}/chat`;
    return (
      <main className="chat-page">
        <h1>Chat</h1>
        <p className="error" role="alert">
          {problem.status === 401 ? 'This agent is not public: sign in as someone who may use it.' : problem.text}
        </p>
        {problem.status === 401 && !user ? <Link to={`/login?redirect=${encodeURIComponent(here)}`}>Sign in</Link> : user && <Link to="/agents">Your agents</Link>}
      </main>
    );
  }
  if (!config) return <p className="center muted" role="status">Loading…</p>;

  return (
    <main className="chat-page" aria-label={`Chat with ${config.name}`}>
      <header className="chat-page-head">
        <h1>{config.name}</h1>
        <p className="muted">
          Model: {config.model}
          {config.tools.length ? ` · skills: ${config.tools.map((t) => t.name).join(', ')}` : ''}
          {user ? (
            <>
              {' · '}
              <Link to={`/agents/${encodeURIComponent(agentId)}`}>the agent</Link>
            </>
          ) : null}
        </p>
      </header>
      <ChatLog intro={config.intro} entries={entries} />
      <form
        className="chat-page-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <textarea
          aria-label="Message"
          placeholder="Type a message (Enter sends, Shift+Enter for a new line)"
          rows={2}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        {busy ? (
          <button type="button" className="secondary" onClick={() => hangUp.current?.abort()}>
            Stop
          </button>
        ) : null}
        <button type="submit" disabled={busy}>
          Send
        </button>
      </form>
    </main>
  );
}

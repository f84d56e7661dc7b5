/**
 * The chat page's conversation as it is shown (web/src/pages/chat/chat-page.tsx): turns, the skills the
 * agent ran as cards (name and arguments while running, then the result or the error), and failures.
 * Entries only grow or change in place, so the log can follow the stream.
 */
import { useEffect, useRef } from 'react';

/** One thing in the log, in order. */
export type Entry =
  | { kind: 'turn'; role: 'user' | 'assistant'; text: string; streaming?: boolean }
  | { kind: 'tool'; id: string; name: string; arguments: string; result?: string; failed?: boolean }
  | { kind: 'error'; text: string };

/** `arguments` as the model sent them (JSON text), indented when it is JSON. */
function shownArguments(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && Object.keys(value).length ? JSON.stringify(value, null, 2) : text;
  } catch {
    return text;
  }
}

/** A skill call as a card. */
function ToolCard({ entry }: { entry: Extract<Entry, { kind: 'tool' }> }) {
  const state = entry.result === undefined ? 'running' : entry.failed ? 'failed' : 'done';
  return (
    <div className={`chat-page-tool ${state}`} data-testid="tool-card" data-state={state} role="group" aria-label={`Skill ${entry.name}`}>
      <div className="chat-page-tool-head">
        <strong>⚙ {entry.name}</strong>
        <span className="chat-page-tool-state">{state === 'running' ? 'running…' : state === 'failed' ? 'failed' : 'done'}</span>
      </div>
      <pre className="chat-page-tool-args">{shownArguments(entry.arguments)}</pre>
      {entry.result !== undefined && <pre className="chat-page-tool-result">{entry.result}</pre>}
    </div>
  );
}

/** The log; `intro` (the agent's greeting) first. Keeps the newest entry in view. */
export function ChatLog({ intro, entries }: { intro: string | null; entries: Entry[] }) {
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [entries]);
  return (
    <div className="chat-page-log" role="log" aria-live="polite">
      {intro && <div className="chat-page-msg assistant">{intro}</div>}
      {entries.map((entry, i) =>
        entry.kind === 'turn' ? (
          <div key={i} className={`chat-page-msg ${entry.role}${entry.streaming ? ' streaming' : ''}`} data-testid={`${entry.role}-message`}>
            {entry.text}
          </div>
        ) : entry.kind === 'tool' ? (
          <ToolCard key={i} entry={entry} />
        ) : (
          <p key={i} className="chat-page-error error" role="alert">
            {entry.text}
          </p>
        ),
      )}
      <div ref={end} />
    </div>
  );
}

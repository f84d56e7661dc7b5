/**
 * The message box of a room: Enter or the Send button sends a text message; the draft is cleared at
 * once and the message shows as pending until the sync brings it back.
 */
import { useState, type FormEvent } from 'react';

/** The composer; `onSend` gets the trimmed text. */
export function Composer({ roomLabel, onSend }: { roomLabel: string; onSend(body: string): void }) {
  const [draft, setDraft] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    onSend(body);
    setDraft('');
  }
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="room-composer" className="visually-hidden">
        Message
      </label>
      <input
        id="room-composer"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        maxLength={4000}
        placeholder={`Write to ${roomLabel}…`}
        autoComplete="off"
      />
      <button type="submit">Send</button>
    </form>
  );
}

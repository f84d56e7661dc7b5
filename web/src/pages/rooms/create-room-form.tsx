/**
 * Create a room (`POST /createRoom`): a name, an optional topic, private (invite only) or public;
 * the new room opens at once.
 */
import { useState, type Dispatch, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { matrix } from './matrix-client.ts';
import type { RoomsAction } from './room-state.ts';
import { roomPath } from './room-list.tsx';

/** The create-room form. */
export function CreateRoomForm({ dispatch }: { dispatch: Dispatch<RoomsAction> }) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const name = String(form.get('name') ?? '').trim();
    const topic = String(form.get('topic') ?? '').trim();
    if (!name) return;
    setBusy(true);
    setError(null);
    try {
      const preset = form.get('preset') === 'public_chat' ? 'public_chat' : 'private_chat';
      const r = await matrix.createRoom({ name, preset, ...(topic ? { topic } : {}) });
      dispatch({ type: 'created', roomId: r.room_id, name });
      formEl.reset();
      navigate(roomPath(r.room_id));
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not create the room.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel create-room" aria-labelledby="create-room-title" onSubmit={(e) => void create(e)}>
      <h2 id="create-room-title">New room</h2>
      <label htmlFor="room-name">Room name</label>
      <input id="room-name" name="name" required maxLength={255} autoComplete="off" />
      <label htmlFor="room-topic">Topic (optional)</label>
      <input id="room-topic" name="topic" maxLength={1000} autoComplete="off" />
      <fieldset>
        <legend>Who can join</legend>
        <label className="check">
          <input type="radio" name="preset" value="private_chat" defaultChecked /> Invited people only
        </label>
        <label className="check">
          <input type="radio" name="preset" value="public_chat" /> Anyone on this server
        </label>
      </fieldset>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create room'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

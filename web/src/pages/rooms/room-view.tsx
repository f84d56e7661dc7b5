/**
 * `/rooms/:roomId`: one room — its name and topic, the live timeline with "Load older" paging back
 * through `GET /rooms/{roomId}/messages`, the composer (`PUT …/send/m.room.message/{txnId}`) and the
 * member panel. A room the person is only invited to, or not in, says so.
 */
import { useEffect, useRef, useState } from 'react';
import { useParams } from 'react-router';
import { matrix, newTxnId } from './matrix-client.ts';
import { roomLabel, type Pending } from './room-state.ts';
import { useRooms } from './rooms-context.ts';
import { Timeline } from './timeline.tsx';
import { Composer } from './composer.tsx';
import { MemberPanel } from './member-panel.tsx';

/** The chosen room. */
export function RoomView() {
  const roomId = useParams().roomId ?? '';
  const { state, dispatch, me, ready } = useRooms();
  const room = state.rooms[roomId];
  const [olderBusy, setOlderBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const found = room !== undefined;

  // Moving to another room puts focus on its heading, as a page change would.
  useEffect(() => {
    setError(null);
    if (found) headingRef.current?.focus();
  }, [roomId, found]);

  if (!room) {
    const invited = state.invites[roomId];
    return (
      <p className="notice" role="status">
        {invited ? `You are invited to ${roomLabel(invited)}: accept the invite to read it.` : ready ? 'You are not in this room.' : 'Loading…'}
      </p>
    );
  }

  function send(pending: Pending) {
    matrix.sendText(pending.roomId, pending.txnId, pending.body).then(
      (r) => dispatch({ type: 'sent', txnId: pending.txnId, eventId: r.event_id }),
      (e: unknown) => dispatch({ type: 'sent', txnId: pending.txnId, failed: e instanceof Error ? e.message : 'Could not send.' }),
    );
  }

  async function loadOlder() {
    if (!room || room.prevBatch === null) return;
    setOlderBusy(true);
    setError(null);
    try {
      const page = await matrix.older(room.roomId, room.prevBatch);
      dispatch({ type: 'older', roomId: room.roomId, page });
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not load older messages.');
    } finally {
      setOlderBusy(false);
    }
  }

  const label = roomLabel(room);
  const pending = state.pending.filter((p) => p.roomId === roomId);
  return (
    <article aria-labelledby="room-title" className="room">
      <header className="room-head">
        <h2 id="room-title" tabIndex={-1} ref={headingRef}>
          {label}
        </h2>
        {room.topic && <p className="muted">{room.topic}</p>}
        {label !== room.roomId && <p className="hint">{room.alias ? `${room.alias} · ` : ''}<code>{room.roomId}</code></p>}
      </header>
      <div className="room-body">
        <div className="room-timeline">
          {room.prevBatch !== null && (
            <button type="button" className="secondary older" disabled={olderBusy} onClick={() => void loadOlder()}>
              {olderBusy ? 'Loading…' : 'Load older'}
            </button>
          )}
          <Timeline room={room} pending={pending} me={me} onRetry={(p) => { dispatch({ type: 'sent', txnId: p.txnId }); send(p); }} />
          <Composer
            roomLabel={label}
            onSend={(body) => {
              const p: Pending = { txnId: newTxnId(), roomId, body };
              dispatch({ type: 'sending', pending: p });
              send(p);
            }}
          />
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
        <MemberPanel room={room} me={me} />
      </div>
    </article>
  );
}

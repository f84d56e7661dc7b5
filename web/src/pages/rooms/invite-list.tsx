/**
 * Pending invites, arriving live through the sync: accept (`POST /join/{roomId}`, then open the room)
 * or decline (`POST /rooms/{roomId}/leave`).
 */
import { useState, type Dispatch } from 'react';
import { useNavigate } from 'react-router';
import { matrix } from './matrix-client.ts';
import { roomLabel, type Invite, type RoomsAction } from './room-state.ts';
import { roomPath } from './room-list.tsx';

/** The invites list; renders nothing when there are none. */
export function InviteList({ invites, dispatch }: { invites: Invite[]; dispatch: Dispatch<RoomsAction> }) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (invites.length === 0) return null;

  async function answer(invite: Invite, accept: boolean) {
    setBusy(invite.roomId);
    setError(null);
    try {
      if (accept) {
        const r = await matrix.join(invite.roomId);
        dispatch({ type: 'created', roomId: r.room_id, name: invite.name });
        navigate(roomPath(r.room_id));
      } else {
        await matrix.leave(invite.roomId);
        dispatch({ type: 'gone', roomId: invite.roomId });
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not answer the invite.');
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="invites-title" className="panel invites">
      <h2 id="invites-title">Invites</h2>
      <ul>
        {invites.map((invite) => {
          const label = roomLabel(invite);
          return (
            <li key={invite.roomId} data-testid="invite">
              <strong>{label}</strong>
              {invite.inviter && <span className="muted"> from {invite.inviter}</span>}
              <div className="row">
                <button type="button" aria-label={`Accept invite to ${label}`} disabled={busy === invite.roomId} onClick={() => void answer(invite, true)}>
                  Accept
                </button>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Decline invite to ${label}`}
                  disabled={busy === invite.roomId}
                  onClick={() => void answer(invite, false)}
                >
                  Decline
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/**
 * The people of a room (`GET /rooms/{roomId}/joined_members`, reloaded on membership changes) and the
 * invite form (`POST /rooms/{roomId}/invite`; a bare name becomes `@name:<this server>`).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { matrix, serverNameOf, toUserId } from './matrix-client.ts';
import type { Room } from './room-state.ts';

interface Member {
  userId: string;
  displayName: string;
}

/** The members aside of a room. */
export function MemberPanel({ room, me }: { room: Room; me: string }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const { roomId, memberChanges } = room;

  useEffect(() => {
    let current = true;
    matrix.joinedMembers(roomId).then(
      (r) => {
        if (!current) return;
        setListError(null);
        setMembers(
          Object.entries(r.joined)
            .map(([userId, m]) => ({ userId, displayName: m.display_name || userId }))
            .sort((a, b) => a.displayName.localeCompare(b.displayName)),
        );
      },
      (e: unknown) => current && setListError(e instanceof Error ? e.message : 'Could not load the members.'),
    );
    return () => {
      current = false;
    };
  }, [roomId, memberChanges]);

  return (
    <aside aria-labelledby="members-title" className="room-members">
      <h3 id="members-title">Members{members ? ` (${members.length})` : ''}</h3>
      <ul aria-label="Members">
        {members?.map((m) => (
          <li key={m.userId} title={m.userId} data-testid="member">
            {m.displayName}
            {m.userId === me && <span className="muted"> (you)</span>}
          </li>
        ))}
        {!members && !listError && <li className="muted">Loading…</li>}
      </ul>
      {listError && <p className="error">{listError}</p>}
      <InviteForm roomId={roomId} me={me} />
    </aside>
  );
}

function InviteForm({ roomId, me }: { roomId: string; me: string }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function invite(event: FormEvent) {
    event.preventDefault();
    if (!typed.trim()) return;
    const userId = toUserId(typed, serverNameOf(me));
    setBusy(true);
    setResult(null);
    try {
      await matrix.invite(roomId, userId);
      setResult({ ok: true, text: `Invited ${userId}.` });
      setTyped('');
    } catch (e) {
      setResult({ ok: false, text: e instanceof Error ? e.message : 'Could not invite.' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="invite-form" onSubmit={(e) => void invite(e)}>
      <label htmlFor="invite-user">Invite someone</label>
      <p className="hint" id="invite-user-hint">
        A user id like <code>@name:{serverNameOf(me)}</code>, or just the name.
      </p>
      <div className="composer">
        <input id="invite-user" aria-describedby="invite-user-hint" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={busy}>
          Invite
        </button>
      </div>
      {result &&
        (result.ok ? (
          <p role="status">{result.text}</p>
        ) : (
          <p className="error" role="alert">
            {result.text}
          </p>
        ))}
    </form>
  );
}

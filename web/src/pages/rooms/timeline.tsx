/**
 * A room's timeline: messages with the sender's display name and time, membership and room changes
 * as small system lines, then this page's messages still on their way.
 */
import { useEffect, useMemo, useRef } from 'react';
import { memberLabel, type MatrixEvent, type Pending, type Room } from './room-state.ts';

/**
 * A membership change in words (spec "m.room.member": membership transitions), or null to hide it.
 * `before` is the target's previous membership: `unsigned.prev_content`, else the loaded timeline's.
 */
function memberLine(room: Room, e: MatrixEvent, before: unknown): string | null {
  const who = memberLabel(room, e.sender);
  const target = e.state_key ?? e.sender;
  const them = typeof e.content.displayname === 'string' && e.content.displayname ? e.content.displayname : memberLabel(room, target);
  const self = target === e.sender;
  switch (e.content.membership) {
    case 'join':
      if (before === 'join') return `${them} changed their profile`;
      return `${them} joined the room`;
    case 'invite':
      return `${who} invited ${them}`;
    case 'leave':
      if (!self) return before === 'invite' ? `${who} withdrew the invite of ${memberLabel(room, target)}` : `${who} removed ${memberLabel(room, target)}`;
      return before === 'invite' ? `${them} declined the invite` : `${memberLabel(room, target)} left the room`;
    case 'ban':
      return `${who} banned ${memberLabel(room, target)}`;
    case 'knock':
      return `${them} asked to join`;
    default:
      return null;
  }
}

/** A non-message event as a system line, or null when it is not worth a line. */
function systemLine(room: Room, e: MatrixEvent, before: unknown): string | null {
  const who = memberLabel(room, e.sender);
  if (e.type === 'm.room.member') return memberLine(room, e, before);
  if (e.type === 'm.room.create') return `${who} created the room`;
  if (e.type === 'm.room.name') return e.content.name ? `${who} named the room “${String(e.content.name)}”` : `${who} removed the room name`;
  if (e.type === 'm.room.topic') return e.content.topic ? `${who} set the topic to “${String(e.content.topic)}”` : `${who} cleared the topic`;
  return null;
}

/** For each event, the membership its target had before it (member events only). */
function previousMemberships(events: MatrixEvent[]): unknown[] {
  const current = new Map<string, unknown>();
  return events.map((e) => {
    if (e.type !== 'm.room.member' || e.state_key === undefined) return undefined;
    const before = e.unsigned?.prev_content ? e.unsigned.prev_content.membership : current.get(e.state_key);
    current.set(e.state_key, e.content.membership);
    return before;
  });
}

function Time({ ts }: { ts: number }) {
  const d = new Date(ts);
  return (
    <time dateTime={d.toISOString()} title={d.toLocaleString()}>
      {d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
    </time>
  );
}

function Line({ room, e, me, before }: { room: Room; e: MatrixEvent; me: string; before: unknown }) {
  if (e.type === 'm.room.message') {
    const body = typeof e.content.body === 'string' ? e.content.body : '';
    const emote = e.content.msgtype === 'm.emote';
    return (
      <li className={e.sender === me ? 'mine' : undefined} data-testid="message">
        <span className="who" title={e.sender}>
          {memberLabel(room, e.sender)}
        </span>
        <Time ts={e.origin_server_ts} />
        <p>{emote ? <em>* {body}</em> : body}</p>
      </li>
    );
  }
  const text = systemLine(room, e, before);
  if (!text) return null;
  return (
    <li className="system" data-testid="system-line">
      {text} <Time ts={e.origin_server_ts} />
    </li>
  );
}

/** The timeline list; keeps the newest line in view as events arrive. */
export function Timeline({ room, pending, me, onRetry }: { room: Room; pending: Pending[]; me: string; onRetry(p: Pending): void }) {
  const listRef = useRef<HTMLOListElement>(null);
  const last = room.events.at(-1)?.event_id;
  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [last, pending.length]);
  const befores = useMemo(() => previousMemberships(room.events), [room.events]);

  return (
    <ol className="messages timeline" ref={listRef} aria-live="polite" aria-relevant="additions" aria-label="Timeline">
      {room.events.map((e, i) => (
        <Line key={e.event_id} room={room} e={e} me={me} before={befores[i]} />
      ))}
      {pending.map((p) => (
        <li key={p.txnId} className="mine pending" data-testid="pending-message">
          <span className="who">{memberLabel(room, me)}</span>
          {p.failed ? (
            <span className="error">
              not sent: {p.failed}{' '}
              <button type="button" className="secondary small" onClick={() => onRetry(p)}>
                Retry
              </button>
            </span>
          ) : (
            <span className="muted">sending…</span>
          )}
          <p>{p.body}</p>
        </li>
      ))}
      {room.events.length === 0 && pending.length === 0 && <li className="muted">Nothing here yet.</li>}
    </ol>
  );
}

/**
 * The joined rooms as navigation, most recently active first, each with its last message.
 */
import { NavLink } from 'react-router';
import { roomLabel, sortedRooms, type Room } from './room-state.ts';

/** The UI path of a room. */
export function roomPath(roomId: string): string {
  return `/rooms/${encodeURIComponent(roomId)}`;
}

function lastLine(room: Room): string | undefined {
  const last = room.events.findLast((e) => e.type === 'm.room.message');
  return typeof last?.content.body === 'string' ? last.content.body : undefined;
}

/** `nav` of the joined rooms. */
export function RoomList({ rooms, ready }: { rooms: Record<string, Room>; ready: boolean }) {
  const list = sortedRooms(rooms);
  return (
    <nav aria-labelledby="room-list-title" className="room-list">
      <h2 id="room-list-title">Your rooms</h2>
      <ul>
        {list.map((room) => (
          <li key={room.roomId}>
            <NavLink to={roomPath(room.roomId)}>
              <span className="room-name">{roomLabel(room)}</span>
              {lastLine(room) && <span className="room-last muted">{lastLine(room)}</span>}
            </NavLink>
          </li>
        ))}
        {list.length === 0 && <li className="muted">{ready ? 'No rooms yet.' : 'Loading…'}</li>}
      </ul>
    </nav>
  );
}

/**
 * `/rooms`: the person's Matrix rooms, live. The side column lists pending invites (accept or
 * decline), joined rooms and a form to create one; the outlet shows the chosen room (`/rooms/:roomId`).
 * Everything goes through the Matrix Client-Server API with the web session; the shared space (`/main`)
 * is a separate page.
 */
import { useEffect, useRef } from 'react';
import { Outlet, useParams } from 'react-router';
import { useSession } from '../session.tsx';
import { matrix } from './rooms/matrix-client.ts';
import { useRoomsSync } from './rooms/use-rooms-sync.ts';
import { InviteList } from './rooms/invite-list.tsx';
import { RoomList } from './rooms/room-list.tsx';
import { CreateRoomForm } from './rooms/create-room-form.tsx';
import type { RoomsContext } from './rooms/rooms-context.ts';

/** The Rooms page and its outlet. */
export function RoomsPage() {
  const { user } = useSession();
  const me = user?.user_id ?? '';
  const sync = useRoomsSync(me);
  const { state, dispatch, live, problem, ready } = sync;
  const asked = useRef(new Set<string>());
  const chosen = useParams().roomId !== undefined;

  // Rooms the sync left unnamed (joined_rooms alone, or a sync without state): ask for the name once.
  useEffect(() => {
    if (!ready) return;
    for (const room of Object.values(state.rooms)) {
      if (room.name !== undefined || room.alias || asked.current.has(room.roomId)) continue;
      asked.current.add(room.roomId);
      matrix.roomName(room.roomId).then(
        (name) => dispatch({ type: 'named', roomId: room.roomId, name }),
        () => undefined,
      );
    }
  }, [ready, state.rooms, dispatch]);

  const context: RoomsContext = { ...sync, me };
  return (
    <section aria-labelledby="rooms-title" className={chosen ? 'rooms chosen' : 'rooms'}>
      <div className="rooms-side">
        <h1 id="rooms-title">
          Rooms <span className={live ? 'live on' : 'live'}>{live ? 'live' : 'connecting…'}</span>
        </h1>
        {problem && (
          <p className="error" role="status">
            {problem}
          </p>
        )}
        <InviteList invites={Object.values(state.invites)} dispatch={dispatch} />
        <RoomList rooms={state.rooms} ready={ready} />
        <CreateRoomForm dispatch={dispatch} />
      </div>
      <div className="rooms-main">
        <Outlet context={context} />
      </div>
    </section>
  );
}

/** `/rooms` with no room chosen. */
export function NoRoomChosen() {
  return <p className="notice">Choose a room, accept an invite, or create a room to start talking.</p>;
}

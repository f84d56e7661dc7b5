/**
 * What the Rooms page shares with the room shown in its outlet: the synced state, its dispatcher and
 * the signed-in user's id.
 */
import { useOutletContext } from 'react-router';
import type { RoomsSync } from './use-rooms-sync.ts';

/** The outlet context of `/rooms`. */
export interface RoomsContext extends RoomsSync {
  me: string;
}

/** The Rooms page's context, inside its outlet. */
export function useRooms(): RoomsContext {
  return useOutletContext<RoomsContext>();
}

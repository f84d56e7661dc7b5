/**
 * The rooms error catalogue.
 */
import type { ErrorSpec } from '../lib/errors.ts';

/** Errors raised by the rooms service. */
export const RoomErrors = {
  roomNotFound: { code: 'ORR_ROOMS_NOT_FOUND', kind: 'not_found', message: 'room not found' },
  notJoined: { code: 'ORR_ROOMS_NOT_JOINED', kind: 'forbidden', message: 'not joined to the room' },
} as const satisfies Record<string, ErrorSpec>;

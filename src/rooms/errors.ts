/**
 * The rooms error catalogue. The Matrix surface renders these with the spec's errcodes
 * (`src/matrix/errors.ts` maps each code).
 */
import type { ErrorSpec } from '../lib/errors.ts';

/** Errors raised by the rooms service. */
export const RoomErrors = {
  roomNotFound: { code: 'ORR_ROOMS_NOT_FOUND', kind: 'not_found', message: 'room not found' },
  notJoined: { code: 'ORR_ROOMS_NOT_JOINED', kind: 'forbidden', message: 'not joined to the room' },
  eventNotFound: { code: 'ORR_ROOMS_EVENT_NOT_FOUND', kind: 'not_found', message: 'event not found' },
  stateNotFound: { code: 'ORR_ROOMS_STATE_NOT_FOUND', kind: 'not_found', message: 'state event not found' },
  forbidden: { code: 'ORR_ROOMS_FORBIDDEN', kind: 'forbidden', message: 'not allowed in this room' },
  cannotRead: { code: 'ORR_ROOMS_CANNOT_READ', kind: 'forbidden', message: "you don't have permission to view events in this room" },
  banned: { code: 'ORR_ROOMS_BANNED', kind: 'forbidden', message: 'you are banned from this room' },
  notInvited: { code: 'ORR_ROOMS_NOT_INVITED', kind: 'forbidden', message: 'you are not invited to this room' },
  stillJoined: { code: 'ORR_ROOMS_STILL_JOINED', kind: 'invalid', message: 'user is still in the room' },
  aliasTaken: { code: 'ORR_ROOMS_ALIAS_TAKEN', kind: 'conflict', message: 'room alias already taken' },
  aliasNotFound: { code: 'ORR_ROOMS_ALIAS_NOT_FOUND', kind: 'not_found', message: 'room alias not found' },
  badAlias: { code: 'ORR_ROOMS_BAD_ALIAS', kind: 'invalid', message: 'the alias does not point to this room' },
} as const satisfies Record<string, ErrorSpec>;

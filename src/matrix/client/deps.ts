/**
 * What every Matrix route section is built from, and the small helpers they share.
 */
import type { FastifyRequest } from 'fastify';
import type { AccountsService } from '../../accounts/service.ts';
import type { User } from '../../accounts/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError } from '../../lib/errors.ts';
import type { RoomsService } from '../../rooms/service.ts';
import type { RoomEvent } from '../../rooms/types.ts';
import { MatrixErrors } from '../errors.ts';
import type { MatrixService } from '../service.ts';
import { clientEvent, type ClientEvent } from './format.ts';

/** Dependencies of the route sections. */
export interface MatrixRouteDeps {
  matrix: MatrixService;
  rooms: RoomsService;
  accounts: AccountsService;
  clock: Clock;
  serverName: string;
  /** Public base URL of this server (`BASE_URL`), for `.well-known`. */
  publicOrigin: string | undefined;
}

/** What the sections get besides {@link MatrixRouteDeps}: helpers shared by both prefixes. */
export interface MatrixSectionDeps extends MatrixRouteDeps {
  /**
   * Count a registration attempt of the request's address; one budget for `v3` and `r0`.
   * @throws DomainError registrationRateLimited (429 `M_LIMIT_EXCEEDED`, `retry_after_ms`)
   */
  limitRegistration(request: FastifyRequest): Promise<void>;
}

/** The signed-in user of a request (routes are `runtime_or_user` unless they say `public`). */
export function userOf(request: FastifyRequest): User {
  const principal = request.principal;
  if (!principal) throw new DomainError(MatrixErrors.missingToken);
  return principal.user;
}

/**
 * The path's `{userId}` must be the caller (spec: "the user whose … this is; must be the caller").
 * @throws DomainError forbidden
 */
export function requireSelf(request: FastifyRequest, userId: string, what = 'data'): User {
  const user = userOf(request);
  if (user.userId !== userId) throw new DomainError(MatrixErrors.forbidden, { message: `Cannot access ${what} for other users` });
  return user;
}

/**
 * The prefix of the transaction ids a credential sends (spec: transaction ids are scoped to the
 * device): two devices of one user may use the same `txnId` for different events.
 */
export function txnScope(request: FastifyRequest): string {
  const p = request.principal;
  return p?.tokenId !== undefined ? `m${p.tokenId}:` : `m${p?.sessionHash?.slice(0, 12) ?? p?.via ?? ''}:`;
}

/**
 * The stored transaction id of a send: scoped to the credential ({@link txnScope}), the endpoint and
 * the room, as Synapse scopes them by request path and token (a redaction reusing a message's txnId
 * is a new request, not a repeat of the message).
 */
export function scopedTxn(request: FastifyRequest, endpoint: 'send' | 'redact', roomId: string, txnId: string): string {
  return `${txnScope(request)}${endpoint}|${roomId}|${txnId}`;
}

/**
 * Render events for `viewer`, looking up the redaction events of redacted ones; `scope`
 * ({@link txnScope}) echoes `transaction_id` to the device that sent the event.
 */
export async function renderEvents(deps: MatrixRouteDeps, events: RoomEvent[], viewer: string, scope: string, withRoomId = true): Promise<ClientEvent[]> {
  const ids = [...new Set(events.map((e) => e.redacted_because).filter((id): id is string => Boolean(id)))];
  const redactions = ids.length > 0 ? await deps.rooms.eventsByIds(ids) : new Map<string, RoomEvent>();
  const now = deps.clock.now();
  return events.map((e) => clientEvent(e, viewer, now, { withRoomId, redactions, scope }));
}

/** A user id must look like `@localpart:server`. @throws DomainError invalidParam */
export function checkUserId(userId: string): string {
  if (!/^@[^:\s]+:\S+$/.test(userId) || userId.length > 255) throw new DomainError(MatrixErrors.invalidParam, { message: `Invalid user id: ${userId}` });
  return userId;
}

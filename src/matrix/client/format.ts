/**
 * Wire formats of the Matrix surface: client-format events (spec "Room Event Format": `unsigned.age`,
 * `unsigned.transaction_id` for the sender's own device, `unsigned.redacted_because`, top-level
 * `redacts` for clients of room versions before 11), and the opaque tokens: a sync token
 * `s<events>_<updates>` and a pagination token `t<position>`.
 */
import { DomainError } from '../../lib/errors.ts';
import type { RoomEvent, SyncPosition } from '../../rooms/types.ts';
import { MatrixErrors } from '../errors.ts';

/** A client-format event (spec `ClientEvent`; `room_id` left out inside `/sync`). */
export type ClientEvent = Record<string, unknown>;

/**
 * Render `e` for `viewer` at `now` (ms); `redactions` holds the redaction events by id; `scope` is
 * the viewing device's transaction-id prefix (its own sends get `unsigned.transaction_id`).
 */
export function clientEvent(e: RoomEvent, viewer: string, now: number, options: { withRoomId?: boolean; redactions?: Map<string, RoomEvent>; scope?: string } = {}): ClientEvent {
  const unsigned: Record<string, unknown> = { age: Math.max(0, now - e.origin_server_ts) };
  if (e.txn_id && e.sender === viewer && options.scope && e.txn_id.startsWith(options.scope)) {
    // `<scope><endpoint>|<room_id>|<txnId>` (deps.ts scopedTxn): the client's own id is the rest.
    const rest = e.txn_id.slice(options.scope.length);
    const second = rest.indexOf('|', rest.indexOf('|') + 1);
    if (second > 0) unsigned.transaction_id = rest.slice(second + 1);
  }
  if (e.redacted_because) {
    const r = options.redactions?.get(e.redacted_because);
    unsigned.redacted_because = r
      ? { event_id: r.event_id, type: r.type, sender: r.sender, content: r.content, origin_server_ts: r.origin_server_ts, room_id: r.room_id, redacts: r.content.redacts, unsigned: {} }
      : { event_id: e.redacted_because, type: 'm.room.redaction', sender: '', content: {} };
  }
  return {
    event_id: e.event_id,
    type: e.type,
    sender: e.sender,
    origin_server_ts: e.origin_server_ts,
    content: e.content,
    ...(e.state_key !== undefined ? { state_key: e.state_key } : {}),
    ...(e.type === 'm.room.redaction' && typeof e.content.redacts === 'string' ? { redacts: e.content.redacts } : {}),
    ...(options.withRoomId === false ? {} : { room_id: e.room_id }),
    unsigned,
  };
}

/** A sync token. */
export function syncToken(p: SyncPosition): string {
  return `s${p.events}_${p.updates}`;
}

/** A pagination token (a position in the event stream). */
export function pageToken(position: number): string {
  return `t${Math.max(0, position)}`;
}

const SYNC_RE = /^s(\d{1,15})_(\d{1,15})$/;
const PAGE_RE = /^t(\d{1,15})$/;

/** Parse a sync token. @throws DomainError invalidParam */
export function parseSyncToken(token: string): SyncPosition {
  const m = SYNC_RE.exec(token);
  if (!m) throw new DomainError(MatrixErrors.invalidParam, { message: 'Invalid since token' });
  return { events: Number(m[1]), updates: Number(m[2]) };
}

/** Parse a `/messages` `from`/`to`: a pagination token or a sync token (its event position). @throws DomainError invalidParam */
export function parsePositionToken(token: string, name: string): number {
  const page = PAGE_RE.exec(token);
  if (page) return Number(page[1]);
  const sync = SYNC_RE.exec(token);
  if (sync) return Number(sync[1]);
  throw new DomainError(MatrixErrors.invalidParam, { message: `Invalid ${name} token` });
}

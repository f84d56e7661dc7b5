/**
 * The Rooms page's calls to the Matrix Client-Server API (v3), made with the web session cookie and
 * CSRF token through `api()`: no Matrix login. Failures become {@link MatrixError} carrying the
 * server's own `error` text (Matrix errors are `{errcode, error}`).
 */
import { api, ApiError } from '../../api.ts';
import type { MatrixEvent, StrippedEvent } from './room-state.ts';

const BASE = '/_matrix/client/v3';

/** Long-poll wait of one sync request, in milliseconds (spec: `timeout` of `GET /sync`). */
export const SYNC_TIMEOUT_MS = 30_000;
/** Events per room a sync or a history page brings. */
export const PAGE_LIMIT = 30;
const FILTER = JSON.stringify({ room: { timeline: { limit: PAGE_LIMIT } } });

/**
 * A Matrix API failure; `message` is the server's `error`, `errcode` its code (`M_FORBIDDEN` …),
 * `retryAfterMs` the wait a 429 (`M_LIMIT_EXCEEDED`) asks for.
 */
export class MatrixError extends Error {
  constructor(
    message: string,
    readonly errcode: string | undefined,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  try {
    return await api<T>(method, BASE + path, body, signal ? { signal } : {});
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const b = e.body as { errcode?: string; error?: string; retry_after_ms?: number } | null;
    throw new MatrixError(b?.error ?? e.message, b?.errcode, e.status, b?.retry_after_ms);
  }
}

const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;

/** A joined room's part of a sync response (spec "GET /sync", `JoinedRoom`). */
export interface SyncJoinedRoom {
  state?: { events?: MatrixEvent[] };
  timeline?: { events?: MatrixEvent[]; limited?: boolean; prev_batch?: string };
}
/** The parts of a sync response this page reads. */
export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, SyncJoinedRoom>;
    invite?: Record<string, { invite_state?: { events?: StrippedEvent[] } }>;
    leave?: Record<string, unknown>;
  };
}
/** `GET /rooms/{roomId}/messages` (spec "Room history"): `chunk` newest first when `dir=b`. */
export interface MessagesResponse {
  chunk: MatrixEvent[];
  start: string;
  end?: string;
  state?: MatrixEvent[];
}

/** The Matrix calls of the Rooms page. */
export const matrix = {
  /** `GET /joined_rooms`. */
  joinedRooms: (signal?: AbortSignal) => call<{ joined_rooms: string[] }>('GET', '/joined_rooms', undefined, signal),

  /** `GET /sync`: returns at once without `since`, else waits up to {@link SYNC_TIMEOUT_MS} for news. */
  sync(since: string | undefined, signal: AbortSignal) {
    const q = new URLSearchParams({ timeout: since ? String(SYNC_TIMEOUT_MS) : '0', filter: FILTER });
    if (since) q.set('since', since);
    return call<SyncResponse>('GET', `/sync?${q}`, undefined, signal);
  },

  /** `POST /createRoom`. */
  createRoom: (body: { name: string; topic?: string; preset: 'private_chat' | 'public_chat' }) =>
    call<{ room_id: string }>('POST', '/createRoom', body),

  /** `POST /rooms/{roomId}/invite`. */
  invite: (roomId: string, userId: string) => call<object>('POST', `${room(roomId)}/invite`, { user_id: userId }),

  /** `POST /join/{roomIdOrAlias}`. */
  join: (roomId: string) => call<{ room_id: string }>('POST', `/join/${encodeURIComponent(roomId)}`, {}),

  /** `POST /rooms/{roomId}/leave` (also declines an invite). */
  leave: (roomId: string) => call<object>('POST', `${room(roomId)}/leave`, {}),

  /** `PUT /rooms/{roomId}/send/m.room.message/{txnId}`: a plain text message. */
  sendText: (roomId: string, txnId: string, body: string) =>
    call<{ event_id: string }>('PUT', `${room(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`, { msgtype: 'm.text', body }),

  /** `GET /rooms/{roomId}/messages?dir=b`: the page of history before `from` (the latest when absent). */
  older(roomId: string, from: string | undefined) {
    const q = new URLSearchParams({ dir: 'b', limit: String(PAGE_LIMIT) });
    if (from) q.set('from', from);
    return call<MessagesResponse>('GET', `${room(roomId)}/messages?${q}`);
  },

  /** `GET /rooms/{roomId}/joined_members`. */
  joinedMembers: (roomId: string) =>
    call<{ joined: Record<string, { display_name?: string | null }> }>('GET', `${room(roomId)}/joined_members`),

  /** `GET /rooms/{roomId}/state/m.room.name/`: the room's name, or null when it has none. */
  async roomName(roomId: string): Promise<string | null> {
    try {
      const r = await call<{ name?: string }>('GET', `${room(roomId)}/state/m.room.name/`);
      return r.name || null;
    } catch (e) {
      if (e instanceof MatrixError && e.errcode === 'M_NOT_FOUND') return null;
      throw e;
    }
  },
};

/** A fresh transaction id for `PUT …/send` (spec: unique per access token; retries reuse it). */
export function newTxnId(): string {
  return `web${Date.now().toString(36)}${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
}

/** `@name:server` from what a person typed: a full user id, `@name`, or a bare localpart. */
export function toUserId(typed: string, serverName: string): string {
  const v = typed.trim();
  if (v.startsWith('@')) return v.includes(':') ? v : `${v}:${serverName}`;
  return `@${v}:${serverName}`;
}

/** The server name of a user id (`@alice:example.org` → `example.org`). */
export function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

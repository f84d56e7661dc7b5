/**
 * Reading the shared space (docs/runtime-connect.md "Endpoints", "Cursors"): pages of the feed after a cursor
 * (long-polled with `wait`), the live stream behind Server-Sent Events, and who is present.
 *
 * Fixes over the original (docs/runtime-connect.md): without a cursor the feed starts at the newest
 * page; an invalid cursor is a 400; one presence window everywhere. Part of the runtime service.
 */
import { DomainError } from '../lib/errors.ts';
import type { EventFilter, RoomEvent } from '../rooms/types.ts';
import { compoundCursor, parseCursor, streamCursor } from './cursor.ts';
import { RuntimeErrors } from './errors.ts';
import { MESSAGE_TYPES, usernameOf, type FeedMessage, type PresentUser, type RuntimeDeps, type SharedSink } from './types.ts';

/** Longest long-poll wait, ms. */
export const MAX_WAIT_MS = 30_000;
/** Feed page size bounds and default. */
const PAGE = { min: 1, max: 100, default: 40 };

/** The original feed item for a stored `m.room.message`. */
export function toFeedMessage(event: RoomEvent): FeedMessage {
  return {
    id: event.stream_ordering,
    user_id: event.sender,
    username: usernameOf(event.sender),
    content: typeof event.content.body === 'string' ? event.content.body : '',
    created_at: new Date(event.origin_server_ts).toISOString(),
  };
}

/**
 * One feed message object per stored event, shared by every watcher it is fanned out to (so sinks
 * can cache per-message work, such as the SSE frame, by identity).
 */
const feedMessages = new WeakMap<RoomEvent, FeedMessage>();
function feedMessageOf(event: RoomEvent): FeedMessage {
  let m = feedMessages.get(event);
  if (!m) feedMessages.set(event, (m = toFeedMessage(event)));
  return m;
}

/** Builds the feed part of the runtime service. */
export function createFeed(deps: RuntimeDeps) {
  const { rooms, config } = deps;

  return {
    /** Users seen within the presence window, newest first, at most 200. */
    async listPresent(): Promise<PresentUser[]> {
      return (await rooms.listPresent(config.runtime.presenceWindowMs)).map((p) => ({
        userId: p.user_id,
        username: usernameOf(p.user_id),
        lastSeenAt: new Date(p.last_active_ts).toISOString(),
        runtime: p.via_runtime,
      }));
    },

    /**
     * A page of the shared space: after `after` when given, else the newest page. `limit` is clamped
     * to [1, 100] (default 40). With `waitMs` > 0 and nothing new, waits up to `waitMs` (≤ 30 s) for
     * the next message, or until `signal` aborts (the client left, the credential was revoked, the
     * server is shutting down): then the empty page. `nextCursor` is the original compound form; an
     * empty page echoes `after`. With `excludeBotsOf` (a user id), that user's posts made with a token
     * (their bots') are left out, and their web posts kept (`?exclude=own_bots`).
     * @throws DomainError invalidCursor
     */
    async feed(input: { after?: string | undefined; limit?: string | number | undefined; waitMs?: number; signal?: AbortSignal; excludeBotsOf?: string | undefined }) {
      const n = input.limit === undefined ? PAGE.default : Math.floor(Number(input.limit));
      const limit = Number.isFinite(n) ? Math.min(PAGE.max, Math.max(PAGE.min, n)) : PAGE.default;
      const roomId = await rooms.ensureSharedRoom();
      const cursor = input.after ? parseCursor(input.after) : undefined;
      if (cursor === null) throw new DomainError(RuntimeErrors.invalidCursor);

      const filter: EventFilter | undefined = input.excludeBotsOf ? { not_token_sender: input.excludeBotsOf } : undefined;
      const read = async () =>
        !cursor
          ? rooms.latestEvents(roomId, MESSAGE_TYPES, limit, filter)
          : cursor.kind === 'stream'
            ? rooms.eventsAfter(roomId, MESSAGE_TYPES, cursor.after, limit, filter)
            : rooms.eventsAfter(roomId, MESSAGE_TYPES, { ts: cursor.afterTs }, limit, filter);

      let events = await read();
      const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, input.waitMs ?? 0));
      if (events.length === 0 && waitMs > 0 && cursor) {
        const after = cursor.kind === 'stream' ? cursor.after : 0;
        // Waiting is real time, whatever clock the expiry rules run on (a frozen test clock must not
        // make an empty long-poll wait forever).
        const deadline = performance.now() + waitMs;
        while (events.length === 0 && !input.signal?.aborted) {
          const remaining = deadline - performance.now();
          if (remaining <= 0) break;
          await rooms.waitForEvent(roomId, after, remaining, input.signal, MESSAGE_TYPES);
          events = await read();
        }
      }
      const messages = events.map(toFeedMessage);
      const last = events.at(-1);
      return {
        messages,
        nextCursor: last ? compoundCursor(last.origin_server_ts, last.stream_ordering) : (input.after ?? null),
        // Where a stream should resume to continue exactly after this page. After an empty page with a
        // time cursor (or none), every existing message is at or before it, so the head is the place.
        streamCursor: last
          ? streamCursor(last.stream_ordering)
          : cursor?.kind === 'stream'
            ? streamCursor(cursor.after)
            : streamCursor((await rooms.latestEvents(roomId, MESSAGE_TYPES, 1)).at(-1)?.stream_ordering ?? 0),
      };
    },

    /**
     * Follow the shared space live: every message after `after` (a stream cursor; default: from
     * now) in order, without gaps or repeats, and every presence change. Returns `close`. With
     * `excludeBotsOf`, that user's token posts are left out, as in `feed`.
     * @throws DomainError invalidCursor
     */
    async watchShared(after: string | undefined, sink: SharedSink, excludeBotsOf?: string): Promise<{ close(): void }> {
      let from: number | undefined;
      if (after) {
        const cursor = parseCursor(after);
        if (!cursor || cursor.kind !== 'stream') throw new DomainError(RuntimeErrors.invalidCursor);
        from = cursor.after;
      }
      const roomId = await rooms.ensureSharedRoom();
      const close = await rooms.watchRoom(roomId, MESSAGE_TYPES, from, {
        event: (e) => {
          if (excludeBotsOf !== undefined && e.sender === excludeBotsOf && e.token_id !== undefined) return;
          sink.message(feedMessageOf(e), streamCursor(e.stream_ordering));
        },
        presence: (userId, present) => sink.presence({ userId, username: usernameOf(userId), present }),
        error: (error) => sink.error?.(error),
        ...(sink.ready ? { ready: () => sink.ready!() } : {}),
      });
      return { close };
    },
  };
}

/**
 * Fan-out of the shared space to live watchers (SSE streams): each new message is read from the
 * store once and handed to every watcher, instead of one query per watcher per message. A watcher
 * that starts behind catches up with its own reads, then joins the live set at the exact head
 * position, so it sees every message once, in order, with no gap.
 */
import type { RoomsService } from '../rooms/service.ts';
import type { RoomEvent } from '../rooms/types.ts';

/** Receives events and presence changes. */
export interface FanoutSink {
  event(event: RoomEvent): void;
  presence(userId: string, present: boolean): void;
  error(error: unknown): void;
  /** Backpressure while catching up: the next page of history is read once this resolves. */
  ready?(): Promise<void>;
}

interface Watcher {
  position: number;
  sink: FanoutSink;
}

const PAGE = 100;

/** Build the fan-out for `roomId` and message `types`. Subscribes to the bus lazily. */
export function createSharedFanout(rooms: RoomsService, roomId: string, types: string[]) {
  const live = new Set<Watcher>();
  let head: number | undefined;
  let unsubscribe: (() => void) | undefined;
  let fetching = false;
  let again = false;

  let loadingHead: Promise<number> | undefined;

  /** The shared head, read once however many watchers ask at the same time. */
  function initHead(): Promise<number> {
    if (head !== undefined) return Promise.resolve(head);
    loadingHead ??= rooms
      .latestEvents(roomId, types, 1)
      .then((latest) => {
        // `advance` may have moved the head on meanwhile; never move it back.
        head ??= latest.at(-1)?.stream_ordering ?? 0;
        return head;
      })
      .finally(() => {
        loadingHead = undefined;
      });
    return loadingHead;
  }

  async function advance(): Promise<void> {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      do {
        again = false;
        for (;;) {
          const events = await rooms.eventsAfter(roomId, types, await initHead(), PAGE);
          for (const e of events) {
            head = e.stream_ordering;
            for (const w of live) {
              if (e.stream_ordering > w.position) {
                w.position = e.stream_ordering;
                w.sink.event(e);
              }
            }
          }
          if (events.length < PAGE) break;
        }
      } while (again);
    } catch (error) {
      for (const w of live) w.sink.error(error);
    } finally {
      fetching = false;
    }
  }

  function ensureSubscribed(): void {
    unsubscribe ??= rooms.subscribe((n) => {
      if (n.kind === 'resync' || (n.kind === 'event' && n.room_id === roomId && types.includes(n.type))) void advance();
      else if (n.kind === 'presence') for (const w of live) w.sink.presence(n.user_id, n.present);
    });
  }

  return {
    /**
     * Start a watcher after stream position `from` (default: the current head). Returns `close`.
     * Events after `from` that already exist are delivered first, then live ones.
     */
    async watch(from: number | undefined, sink: FanoutSink): Promise<() => void> {
      ensureSubscribed();
      const watcher: Watcher = { position: from ?? (await initHead()), sink };
      let closed = false;
      // Catch up on our own until level with the shared head, then join without awaiting in between.
      for (;;) {
        const current = await initHead();
        if (watcher.position >= current) break;
        const events = await rooms.eventsAfter(roomId, types, watcher.position, PAGE);
        for (const e of events) {
          if (e.stream_ordering > (head ?? 0)) break;
          watcher.position = e.stream_ordering;
          sink.event(e);
        }
        if (events.length === 0) break;
        await sink.ready?.();
      }
      live.add(watcher);
      // Anything stored after the head was read and before we joined is picked up by this advance.
      void advance();
      return () => {
        if (closed) return;
        closed = true;
        live.delete(watcher);
      };
    },
    /** Live watchers (for tests and stats). */
    size: () => live.size,
  };
}

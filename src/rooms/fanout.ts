/**
 * Fan-out of one room's timeline to live watchers (event streams, and later `/sync`): each new event
 * is read from the store once and handed to every watcher, instead of one query per watcher per
 * event. A watcher that starts behind catches up with its own reads, then joins the live set at the
 * exact head position, so it sees every event once, in order, with no gap.
 */
import type { BusNotification } from './event-bus.ts';
import type { RoomEvent } from './types.ts';

/** Receives a room's events and presence changes. */
export interface RoomWatcher {
  event(event: RoomEvent): void;
  presence(userId: string, present: boolean): void;
  error(error: unknown): void;
  /** Backpressure while catching up: the next page of history is read once this resolves. */
  ready?(): Promise<void>;
}

interface Watcher {
  position: number;
  sink: RoomWatcher;
}

const PAGE = 100;

/** The reads and the bus a fan-out needs (the rooms service provides them). */
export interface FanoutSource {
  /** The newest `limit` events of `types`, oldest first. */
  latestEvents(room_id: string, types: string[], limit: number): Promise<RoomEvent[]>;
  /** Events of `types` strictly after stream position `after`, oldest first. */
  eventsAfter(room_id: string, types: string[], after: number, limit: number): Promise<RoomEvent[]>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (n: BusNotification) => void): () => void;
}

/** A room's fan-out: `watch` from a stream position; `size` counts live watchers. */
export type RoomFanout = ReturnType<typeof createRoomFanout>;

/** Build the fan-out for `roomId` and event `types`. Subscribes to the bus lazily. */
export function createRoomFanout(rooms: FanoutSource, roomId: string, types: string[]) {
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
    async watch(from: number | undefined, sink: RoomWatcher): Promise<() => void> {
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

/**
 * Rooms: the recent timeline of busy rooms, in memory, for `/sync`. When a message lands in a room
 * with a hundred members long-polling, each of their syncs wants the same few events; reading them
 * from the database once per sync was most of the cost of a send (docs/PERFORMANCE.md, "Matrix send
 * throughput"). Here a room's newest events are read once per new stream position, however many
 * syncs ask at the same time, and every sync slices its page out of memory.
 *
 * A window knows every event of its room in the stream range (`start`, `head`]: it begins at the
 * position its first sync continues from (nothing older is read), grows by reading the range after
 * `head` up to a position the caller read from the database, and keeps the newest
 * RECENT_EVENTS_PER_ROOM. Events commit in stream order (one writer, serialized across instances:
 * event-writer-store.ts), so no event can later appear inside a range already read. A redaction
 * changes a stored event, so a redaction in the room (read, or announced on the bus) drops its
 * window until the next sync starts one; so does the bus's `resync`.
 */
import type { BusNotification } from './event-bus.ts';
import { toEvent } from './room-events.ts';
import type { RoomsStore } from './store.ts';
import type { RoomEvent } from './types.ts';

/** Newest events kept per room; older ones are read from the database. */
export const RECENT_EVENTS_PER_ROOM = 256;
/** Rooms kept (least recently used dropped first). */
export const RECENT_ROOMS = 2000;
/** Most events read in one go while catching a window up; a longer gap resets the window instead. */
const CATCH_UP_LIMIT = RECENT_EVENTS_PER_ROOM;

interface Window {
  /** Every event of the room with `start` < stream_ordering ≤ `head` is in `events`, oldest first. */
  start: number;
  head: number;
  events: RoomEvent[];
  /** The read in flight to move `head` on, shared by every sync waiting for it. */
  reading?: Promise<void>;
}

/** What a window needs from the rest of the rooms service. */
export interface RecentTimelineSource {
  store: Pick<RoomsStore, 'timelinePage'>;
  subscribe(listener: (n: BusNotification) => void): () => void;
}

/**
 * The recent-timeline cache of the rooms service: `view(room_id, upto)` is the room's newest events
 * up to `upto`, which must be a position read from the database (a sync's `next_batch`), so that
 * everything up to it is committed.
 */
export function createRecentTimeline(source: RecentTimelineSource) {
  const windows = new Map<string, Window>();
  const loading = new Map<string, Promise<Window | undefined>>();
  // Bumped by every invalidation: a load that began before one must not install what it read.
  let generation = 0;
  source.subscribe((n) => {
    if (n.kind === 'resync') {
      generation++;
      windows.clear();
      loading.clear();
    } else if (n.kind === 'event' && n.type === 'm.room.redaction') {
      drop(n.room_id);
    }
  });

  /** Forget a room's window (and any load in flight) so that syncs read the database. */
  function drop(room_id: string): void {
    generation++;
    windows.delete(room_id);
    loading.delete(room_id);
  }

  async function read(room_id: string, w: Window, upto: number): Promise<void> {
    const rows = await source.store.timelinePage(room_id, 'f', w.head, upto, CATCH_UP_LIMIT + 1);
    if (windows.get(room_id) !== w) return;
    // Too far behind to be worth keeping contiguous; or a redaction changed a stored event (the bus
    // notice that drops the window may still be on its way): the database answers until a new window.
    if (rows.length > CATCH_UP_LIMIT || rows.some((r) => r.type === 'm.room.redaction')) {
      drop(room_id);
      return;
    }
    for (const row of rows) w.events.push(toEvent(row));
    w.head = Math.max(w.head, upto);
    const excess = w.events.length - RECENT_EVENTS_PER_ROOM;
    if (excess > 0) w.start = w.events.splice(0, excess).at(-1)!.stream_ordering;
  }

  /**
   * A new window holding the room's events in (`after`, `upto`] (what the first sync to ask needs,
   * usually a few), or none when there are more than a window holds; one load per room at a time.
   */
  function load(room_id: string, after: number, upto: number): Promise<Window | undefined> {
    const began = generation;
    const loaded = (async () => {
      const rows = await source.store.timelinePage(room_id, 'f', after, upto, RECENT_EVENTS_PER_ROOM + 1);
      if (rows.length > RECENT_EVENTS_PER_ROOM) return undefined;
      const w: Window = { start: after, head: upto, events: rows.map(toEvent) };
      if (generation === began && !rows.some((r) => r.type === 'm.room.redaction')) windows.set(room_id, w);
      return w;
    })().finally(() => {
      if (loading.get(room_id) === loaded) loading.delete(room_id);
    });
    loading.set(room_id, loaded);
    return loaded;
  }

  /** The room's window brought up to `upto` (one database read however many callers wait); none when too much is new. */
  async function windowAt(room_id: string, after: number, upto: number): Promise<Window | undefined> {
    let w = windows.get(room_id);
    if (!w) {
      w = await (loading.get(room_id) ?? load(room_id, after, upto));
      if (!w) return undefined;
    } else {
      // Most recently used last, so the first key is the one to drop.
      windows.delete(room_id);
      windows.set(room_id, w);
    }
    if (windows.size > RECENT_ROOMS) windows.delete(windows.keys().next().value!);
    while (w.head < upto && windows.get(room_id) === w) {
      // One read in flight per room; a caller wanting a later position reads again after it.
      w.reading ??= read(room_id, w, upto).finally(() => {
        w.reading = undefined;
      });
      await w.reading;
    }
    return w;
  }

  return {
    /**
     * The room's events in (`start`, `upto`], oldest first, all of them: `start` is where the kept
     * range begins (a new window begins at `after`, the position its first caller syncs from).
     * `undefined` when there is no usable window (too much new, or dropped meanwhile): the caller
     * reads the database. The events are shared: do not change them.
     */
    async view(room_id: string, after: number, upto: number): Promise<{ start: number; events: readonly RoomEvent[] } | undefined> {
      const w = await windowAt(room_id, after, upto);
      if (!w || w.head < upto || windows.get(room_id) !== w) return undefined;
      let end = w.events.length;
      while (end > 0 && w.events[end - 1]!.stream_ordering > upto) end--;
      return { start: w.start, events: w.events.slice(0, end) };
    },
    /** Rooms held (for tests). */
    size: () => windows.size,
  };
}

/** The recent-timeline cache. */
export type RecentTimeline = ReturnType<typeof createRecentTimeline>;

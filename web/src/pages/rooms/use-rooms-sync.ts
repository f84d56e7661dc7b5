/**
 * The live loop of the Rooms page: `GET /joined_rooms` once, then `GET /sync` over and over, each
 * request long-polling from the previous `next_batch`. Stops when the page unmounts (the request in
 * flight is aborted) and backs off exponentially while the server fails.
 */
import { useEffect, useReducer, useState, type Dispatch } from 'react';
import { matrix, MatrixError } from './matrix-client.ts';
import { emptyRooms, reduceRooms, type RoomsAction, type RoomsState } from './room-state.ts';

/**
 * First wait after a failed sync, doubled on each further failure up to {@link BACKOFF_MAX_MS}; a
 * 429's `retry_after_ms` is waited out in full.
 */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/** What {@link useRoomsSync} hands the page. */
export interface RoomsSync {
  state: RoomsState;
  dispatch: Dispatch<RoomsAction>;
  /** The last sync succeeded and the next one is waiting for news. */
  live: boolean;
  /** Why the loop is retrying, shown to the person. */
  problem: string | null;
  /** The first sync has landed (until then an unknown room may just not be loaded yet). */
  ready: boolean;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs the sync loop for the signed-in user `me` while the calling component is mounted. */
export function useRoomsSync(me: string): RoomsSync {
  const [state, dispatch] = useReducer(reduceRooms, emptyRooms);
  const [live, setLive] = useState(false);
  const [ready, setReady] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    matrix.joinedRooms(signal).then(
      (r) => dispatch({ type: 'joined', roomIds: r.joined_rooms }),
      () => undefined, // the sync below reports what is wrong
    );
    void (async () => {
      let since: string | undefined;
      let failures = 0;
      while (!signal.aborted) {
        try {
          const response = await matrix.sync(since, signal);
          if (signal.aborted) return;
          since = response.next_batch;
          failures = 0;
          dispatch({ type: 'sync', response, me });
          setLive(true);
          setReady(true);
          setProblem(null);
        } catch (e) {
          if (signal.aborted) return;
          const asked = e instanceof MatrixError ? (e.retryAfterMs ?? 0) : 0;
          const wait = Math.max(asked, Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** failures));
          failures += 1;
          setLive(false);
          setProblem(`${e instanceof Error ? e.message : 'Sync failed.'} Retrying in ${Math.round(wait / 1000)} s.`);
          await pause(wait, signal);
        }
      }
    })();
    return () => controller.abort();
  }, [me]);

  return { state, dispatch, live, problem, ready };
}

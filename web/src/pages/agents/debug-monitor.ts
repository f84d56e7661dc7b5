/**
 * The live log: the agent's monitor stream (`GET /agent/<agentId>/monitor`, research §6.7) opened
 * with `EventSource` (same origin, so the session cookie goes with it) the first time the debugger
 * needs it, kept open while the agent page is, and read into log lines (debug-model.ts `logLines`).
 * Its `init` frame names the monitor; debug calls carry that id in `X-MONITOR-ID`, so their runs
 * report here. A reconnect (EventSource retries by itself, with `Last-Event-ID`) may bring a new
 * `init`: the newest id is the one sent.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { monitorUrl } from './debug-client.ts';
import { logLines, type LogLine } from './debug-model.ts';

/** Lines the log keeps (the oldest go first). */
const LOG_LINES_KEPT = 500;
/** How long a debug call waits for the monitor's `init` before going without it, ms. */
const INIT_WAIT_MS = 4_000;
/** How long after a refused stream (404, 403, 5xx: EventSource gives up) the next call tries again, ms. */
const REOPEN_AFTER_MS = 30_000;
/** The monitor's event names this log shows. */
const EVENTS = ['agent', 'component', 'llm/passthrough/content', 'llm/passthrough/thinking'];

/** The monitor's state as the page shows it. */
export type MonitorState = 'off' | 'connecting' | 'open' | 'failed';

/** What {@link useMonitor} gives the page. */
export interface Monitor {
  state: MonitorState;
  /** The monitor's id (from `init`), once known. */
  id: string | null;
  lines: LogLine[];
  /** Opens the stream if it is not open; resolves with its id, or undefined when none came in time. */
  ensure(): Promise<string | undefined>;
  clear(): void;
}

/** The monitor of agent `agentId`, opened on the first {@link Monitor.ensure}, closed on unmount. */
export function useMonitor(agentId: string): Monitor {
  const [state, setState] = useState<MonitorState>('off');
  const [id, setId] = useState<string | null>(null);
  const [lines, setLines] = useState<LogLine[]>([]);
  const source = useRef<EventSource | null>(null);
  const current = useRef<string | null>(null);
  const waiting = useRef<Array<(id: string | undefined) => void>>([]);
  const counter = useRef(0);
  const logged = useRef(new Set<string>());
  const openedAt = useRef(0);

  useEffect(
    () => () => {
      source.current?.close();
      source.current = null;
      current.current = null;
    },
    [agentId],
  );

  const open = useCallback(() => {
    const es = new EventSource(monitorUrl(agentId), { withCredentials: true });
    source.current = es;
    openedAt.current = Date.now();
    current.current = null;
    setState('connecting');
    es.addEventListener('init', (e) => {
      const monitorId = String(e.data).trim();
      current.current = monitorId;
      setId(monitorId);
      setState('open');
      for (const resolve of waiting.current.splice(0)) resolve(monitorId);
    });
    for (const name of EVENTS) {
      es.addEventListener(name, (e) => {
        const key = e.lastEventId || `m${++counter.current}`;
        const added = logLines(name, String(e.data), `${key}-${++counter.current}`, logged.current);
        if (added.length) setLines((old) => [...old, ...added].slice(-LOG_LINES_KEPT));
      });
    }
    es.onerror = () => {
      // CLOSED: the server refused the stream (no retry follows); CONNECTING: EventSource retries.
      const closed = es.readyState === EventSource.CLOSED;
      setState(closed ? 'failed' : 'connecting');
      // Calls waiting for an id go on without one (a refused stream will not send it).
      if (closed) for (const resolve of waiting.current.splice(0)) resolve(undefined);
    };
  }, [agentId]);

  const ensure = useCallback((): Promise<string | undefined> => {
    const refused = source.current?.readyState === EventSource.CLOSED;
    // A refused stream is asked again only now and then: each call would otherwise wait for it.
    if (refused && Date.now() - openedAt.current < REOPEN_AFTER_MS) return Promise.resolve(undefined);
    if (!source.current || refused) open();
    if (current.current && source.current?.readyState === EventSource.OPEN) return Promise.resolve(current.current);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.current = waiting.current.filter((w) => w !== done);
        resolve(current.current ?? undefined);
      }, INIT_WAIT_MS);
      const done = (monitorId: string | undefined) => {
        clearTimeout(timer);
        resolve(monitorId);
      };
      waiting.current.push(done);
    });
  }, [open]);

  const clear = useCallback(() => setLines([]), []);
  return useMemo(() => ({ state, id, lines, ensure, clear }), [state, id, lines, ensure, clear]);
}

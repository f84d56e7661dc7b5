/**
 * Feed cursors (docs/runtime-connect.md "Cursors"). Three forms are accepted:
 * - `<created_at ISO>|<id>`: the original compound cursor; `id` is the message's stream position,
 *   so "strictly after (created_at, id)" is "stream_ordering > id".
 * - `<created_at ISO>`: the legacy cursor; messages with `origin_server_ts` > that instant.
 * - `s<stream_ordering>`: Orrery's opaque stream cursor (also the SSE `id:`).
 * Anything else is invalid (the original silently restarted from the oldest message; a clear 400 is
 * better than a bot replaying history).
 */

/** A parsed cursor. */
export type FeedCursor = { kind: 'stream'; after: number } | { kind: 'time'; afterTs: number };

/** Parse `raw`; `null` when it is not a cursor. */
export function parseCursor(raw: string): FeedCursor | null {
  const value = raw.trim();
  const stream = /^s(\d{1,15})$/.exec(value);
  if (stream) return { kind: 'stream', after: Number(stream[1]) };
  const bar = value.lastIndexOf('|');
  if (bar >= 0) {
    const ts = Date.parse(value.slice(0, bar));
    const id = value.slice(bar + 1);
    if (Number.isNaN(ts) || !/^\d{1,15}$/.test(id)) return null;
    return { kind: 'stream', after: Number(id) };
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const ts = Date.parse(value);
  return Number.isNaN(ts) ? null : { kind: 'time', afterTs: ts };
}

/** The original-form cursor of a message: `<created_at ISO>|<id>`. */
export function compoundCursor(createdAtMs: number, id: number): string {
  return `${new Date(createdAtMs).toISOString()}|${id}`;
}

/** Orrery's opaque stream cursor. */
export function streamCursor(streamOrdering: number): string {
  return `s${streamOrdering}`;
}

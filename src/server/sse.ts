/**
 * A Server-Sent Events response (WHATWG HTML §9.2) written straight to the socket, for every event
 * stream Orrery serves (the runtime stream now; later streams reuse it).
 *
 * - The body is close-delimited (RFC 9112 §6.3, rule 8): neither Content-Length nor chunked
 *   encoding, so the bytes after the head are the frames exactly, each one `socket.write`. Frames are
 *   encoded once by the caller and shared by every stream they go to (docs/PERFORMANCE.md: chunk
 *   headers, corks and writev cost a third of the fan-out's CPU).
 * - The head goes out with the first frame, so an error found while setting up (a bad cursor) is
 *   still an ordinary JSON 4xx.
 * - A live reader that leaves more than `maxBacklogBytes` unsent in the socket is cut off: it
 *   resumes losslessly with `Last-Event-ID`, and a stalled reader cannot grow the server's memory.
 *   History is paced with {@link SseStream.ready} instead.
 * - Comments keep idle proxies from closing the connection.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Media type of an event stream. */
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
/** A comment frame every this many ms keeps intermediaries from closing an idle stream. */
export const SSE_KEEP_ALIVE_MS = 15_000;
/** Reconnection delay the client is told to use, ms. */
const RETRY_MS = 2000;

/** Headers of an event stream besides the type (also answered to `HEAD`). */
export const SSE_HEADERS = {
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/** `id: …\nevent: …\ndata: …\n\n` as bytes, ready to be written to any number of streams. */
export function sseFrame(event: string, data: unknown, id?: string): Buffer {
  return Buffer.from(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Options of {@link createSseStream}. */
export interface SseOptions {
  /** Unsent bytes a live reader may leave in its socket before it is cut off. */
  maxBacklogBytes: number;
  /** Called once when the stream ends, for whatever reason (reader left, cut off, ended by us). */
  onClose(): void;
  /** Comment frames every this many ms once live (default {@link SSE_KEEP_ALIVE_MS}). */
  keepAliveMs?: number;
}

/** An open (or about to open) event stream. */
export interface SseStream {
  /** Write one frame; the head goes first when not sent yet. No-op once closed. */
  write(frame: Buffer | string): void;
  /** Resolves when the reader has taken most of what was written (pacing for history). */
  ready(): Promise<void>;
  /** History is out: from now on a reader that falls behind is cut off; keep-alives start. */
  goLive(): void;
  /** End the stream cleanly (shutdown, revoked credential): the reader resumes with its last id. */
  end(): void;
  /** Drop the connection at once (a failure after the head was sent). */
  destroy(): void;
  /** True once the 200 head is out. */
  readonly started: boolean;
  /** False once ended, for whatever reason. */
  readonly open: boolean;
}

/** Resolves when `socket` has flushed its buffer, or is gone. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/** Take over `reply` for an event stream (nothing is sent until the first write or `goLive`). */
export function createSseStream(request: FastifyRequest, reply: FastifyReply, options: SseOptions): SseStream {
  const res = reply.raw;
  const socket = res.socket!;
  let started = false;
  let open = true;
  let live = false;
  let keepAlive: NodeJS.Timeout | undefined;

  const close = () => {
    if (!open) return;
    open = false;
    clearInterval(keepAlive);
    socket.off('close', close);
    options.onClose();
  };
  socket.once('close', close);
  // The reader may have left while the route was still getting ready: its 'close' has fired already,
  // and would never fire again (a keep-alive timer started later would run forever).
  if (socket.destroyed) process.nextTick(close);

  const start = () => {
    started = true;
    reply.hijack();
    res.removeHeader('content-length');
    res.removeHeader('transfer-encoding');
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': SSE_CONTENT_TYPE,
      ...SSE_HEADERS,
      connection: 'close',
    });
    res.flushHeaders();
    socket.write(`retry: ${RETRY_MS}\n: connected\n\n`);
  };

  const stream: SseStream = {
    write(frame) {
      if (!open) return;
      if (!started) start();
      if (live && socket.writableLength > options.maxBacklogBytes) {
        request.log.warn({ backlog_bytes: socket.writableLength }, 'stream reader too slow; closing');
        stream.destroy();
        return;
      }
      socket.write(frame);
    },
    ready: () => (socket.writableLength < options.maxBacklogBytes / 2 ? Promise.resolve() : drained(socket)),
    goLive() {
      if (!open) return;
      live = true;
      if (!started) start();
      keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), options.keepAliveMs ?? SSE_KEEP_ALIVE_MS);
    },
    end() {
      if (!open) return;
      if (!started) {
        close();
        if (!reply.sent) reply.hijack();
        socket.destroy();
        return;
      }
      close();
      socket.end();
    },
    destroy() {
      close();
      if (!started && !reply.sent) reply.hijack();
      socket.destroy();
    },
    get started() {
      return started;
    },
    get open() {
      return open;
    },
  };
  return stream;
}

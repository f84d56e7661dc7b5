/**
 * The bring-your-own bot, the original Kozmos `runtime-service.mjs` rebuilt (docs/runtime-connect.md,
 * "The bot"): heartbeat, read the shared space, reply when triggered, clear presence on shutdown.
 *
 * Fixes over the original: it knows its own user id from the token, so it never answers
 * its own account (with `--answer-owner` it answers the owner's web posts, and the server leaves out
 * every post of the account's bots: `exclude=own_bots`); the cursor advances only after a message is
 * handled, so a failing model call or post is retried (with backoff, honouring 429 `retry_after_ms`)
 * instead of lost; handled ids and the cursor persist in a state file (in the user's state directory,
 * not the working directory), so a restart neither re-answers nor misses what came while it was down;
 * with the server's event stream it learns of a message within milliseconds: it catches up through
 * the feed, then opens the stream exactly at its cursor (the server replays from there without
 * gaps) and handles messages straight from it, in order.
 */
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { createParser } from 'eventsource-parser';
import pRetry from 'p-retry';
import type { LlmProvider } from '../llm/types.ts';
import { LlmError } from '../llm/types.ts';
import { createRuntimeClient, RuntimeHttpError } from './client.ts';
import { triggerRegexOf, type ConnectOptions } from './options.ts';
import { legacyStateFile, loadState, MAX_HANDLED, saveState } from './state.ts';

/** A feed message as the server sends it. */
interface FeedMessage {
  id: number | string;
  user_id: string;
  username: string;
  content: string;
  created_at: string;
}

/** What the bot needs from its process. */
export interface BotDeps {
  options: ConnectOptions;
  llm: LlmProvider;
  /** One log line (the bot adds the UTC timestamp). */
  write?: (line: string) => void;
  /** Called to end the process (tests replace it). */
  exit?: (code: number) => void;
  /** Retry backoff (tests shorten it); see {@link RetryOptions}. */
  retry?: RetryOptions;
}

/**
 * Backoff of the bot's retries. A failed model call, post or feed read is tried up to `attempts`
 * times, waiting `minMs`, then twice as long each time, at most `maxMs` (a 429 carrying
 * `retry_after_ms` waits exactly that long instead, and does not count as an attempt); after that the
 * main loop starts over from the cursor, waiting `2 × minMs` doubling up to `maxMs` between rounds.
 */
export interface RetryOptions {
  /** First wait, ms (default 500). */
  minMs?: number;
  /** Longest wait, ms (default 30 000). */
  maxMs?: number;
  /** Tries per call before the main loop takes over (default 6). */
  attempts?: number;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as the original's log lines. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** The original's reply format: `<sender>: <reply>`, whitespace collapsed, at most 420 chars. */
export function formatReply(sender: string, reply: string): string {
  const text = reply.replace(/\s+/g, ' ').trim().slice(0, 420) || '...';
  return `${sender || 'user'}: ${text}`;
}

/** Wait `ms`, or less if `signal` aborts first (never rejects). */
const sleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

/** A failure worth retrying later: the message stays unhandled and the cursor does not move. */
class TransientFailure extends Error {}

/** Network failures, timeouts, 429 and 5xx: worth retrying (an error without a status is a network one). */
function isTransient(error: unknown): boolean {
  const status = error instanceof RuntimeHttpError || error instanceof LlmError ? error.status : undefined;
  return status === undefined || status === 0 || status === 408 || status === 429 || status >= 500;
}

/** The wait a 429 asked for (`retry_after_ms`), if it did. */
function retryAfterMs(error: unknown): number | undefined {
  return error instanceof RuntimeHttpError && error.status === 429 ? error.retryAfterMs : undefined;
}

/** Build the bot. `run()` resolves only when the bot stops. */
export function createConnectBot(deps: BotDeps) {
  const o = deps.options;
  const write = deps.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const log = (msg: string) => write(`[${timestamp()}] ${msg}`);
  const client = createRuntimeClient(o.baseUrl, o.token);
  const trigger = triggerRegexOf(o);
  const stateFile = o.stateFile;
  const minMs = deps.retry?.minMs ?? 500;
  const maxMs = deps.retry?.maxMs ?? 30_000;
  const attempts = deps.retry?.attempts ?? 6;
  const stopController = new AbortController();
  let stopping = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let me: { userId: string; username: string } | null = null;
  /** `exclude=own_bots` on feed and stream: `--answer-owner` asked for it and the server offers it. */
  let excludeOwnBots = false;
  const readQuery = (params: Record<string, string>) =>
    new URLSearchParams({ ...params, ...(excludeOwnBots ? { exclude: 'own_bots' } : {}) }).toString();
  // Earlier versions kept the state in the working directory: carry it over once.
  const legacy = existsSync(stateFile) ? undefined : legacyStateFile(o.token);
  const state = loadState(legacy && existsSync(legacy) ? legacy : stateFile);
  const handled = new Set(state.handled);
  let cursor = state.cursor ?? new Date(Date.now() - o.lookbackSeconds * 1000).toISOString();

  function markHandled(m: FeedMessage): void {
    const id = Number(m.id);
    handled.add(id);
    state.handled.push(id);
    if (state.handled.length > MAX_HANDLED) handled.delete(state.handled.shift()!);
  }

  function unauthorized(): never {
    log('token unauthorized, exiting.');
    clearInterval(heartbeatTimer);
    stopping = true;
    stopController.abort();
    exit(1);
    throw new Error('exited');
  }

  async function heartbeat(): Promise<void> {
    try {
      await client.request('POST', '/api/runtime/presence');
      log('heartbeat ok');
    } catch (error) {
      log(`heartbeat fail: ${(error as Error).message}`);
    }
  }

  /**
   * Run `fn` until it succeeds, at most `attempts` times with exponential backoff (a 429 waits its
   * `retry_after_ms` instead, without using up an attempt). A 401 ends the bot; a permanent error
   * (other 4xx) is rethrown as is; running out of attempts, or stopping, throws {@link TransientFailure}.
   */
  async function retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await pRetry(fn, {
        retries: attempts - 1,
        factor: 2,
        minTimeout: minMs,
        maxTimeout: maxMs,
        signal: stopController.signal,
        shouldRetry: ({ error }) => isTransient(error),
        shouldConsumeRetry: ({ error }) => retryAfterMs(error) === undefined,
        async onFailedAttempt({ error, retriesLeft, retriesConsumed }) {
          if (error instanceof RuntimeHttpError && error.status === 401) unauthorized();
          if (!isTransient(error) || retriesLeft === 0 || stopping) return;
          const told = retryAfterMs(error);
          // p-retry waits the backoff itself; only the server's own figure is waited here.
          log(`${what} retry in ${told ?? Math.min(maxMs, minMs * 2 ** retriesConsumed)} ms: ${error.message}`);
          if (told !== undefined) await sleep(told, stopController.signal);
        },
      });
    } catch (error) {
      if (stopping) throw new TransientFailure(`${what}: stopping`);
      if (isTransient(error)) throw new TransientFailure(`${what}: ${(error as Error).message}`);
      throw error;
    }
  }

  async function handle(m: FeedMessage): Promise<void> {
    const id = Number(m.id);
    if (!Number.isFinite(id) || handled.has(id)) return;
    const sender = String(m.username ?? '').trim();
    const content = String(m.content ?? '').trim();
    // With the server excluding the account's bot posts, what is left of the account is the owner's web posts.
    const own = !excludeOwnBots && ((me && m.user_id === me.userId) || (o.username && sender.toLowerCase() === o.username.toLowerCase()));
    if (!content || own || !(o.replyAll || trigger.test(content))) return markHandled(m);
    try {
      const reply = await retrying('model', () =>
        deps.llm.generate({ system: o.systemPrompt, input: `${sender || 'user'}: ${content}`, maxOutputTokens: 180, signal: stopController.signal }),
      );
      const posted = await retrying('post', () =>
        client.request<{ id?: number }>('POST', '/api/runtime/shared', { content: formatReply(sender, reply) }, { 'idempotency-key': `reply-${id}` }),
      );
      // Its own reply is never a trigger, whatever the server sends back.
      if (typeof posted?.id === 'number') markHandled({ ...m, id: posted.id });
      log(`replied to ${sender || 'user'}`);
    } catch (error) {
      if (error instanceof TransientFailure) throw error;
      // Permanent refusals (e.g. 400, 409 duplicate) cannot be fixed by retrying: log and move on.
      log(`reply fail: ${(error as Error).message}`);
    }
    markHandled(m);
  }

  /** Handle `m` and move the cursor past it (persisted). */
  async function consume(m: FeedMessage): Promise<void> {
    await handle(m);
    cursor = `${m.created_at}|${m.id}`;
    state.cursor = cursor;
    saveState(stateFile, state);
  }

  /** Read and handle every message after the cursor, page by page; returns the stream cursor to resume at. */
  async function drainFeed(): Promise<string | null> {
    for (;;) {
      const page = await retrying('feed', () =>
        client.request<{ messages: FeedMessage[]; nextCursor: string | null; streamCursor?: string | null }>(
          'GET',
          `/api/runtime/feed?${readQuery({ after: cursor, limit: String(o.feedLimit) })}`,
        ),
      );
      for (const m of page.messages) {
        if (stopping) return null;
        await consume(m);
      }
      if (page.messages.length < o.feedLimit) return page.streamCursor ?? null;
    }
  }

  /**
   * Catch up through the feed, then follow the event stream from exactly that point, handling each
   * message in order as it arrives. Returns when the stream ends; throws to be retried.
   */
  async function followStream(): Promise<void> {
    const resumeAt = await drainFeed();
    const controller = new AbortController();
    const abort = () => controller.abort();
    stopController.signal.addEventListener('abort', abort);
    let failure: unknown = null;
    let chain: Promise<void> = Promise.resolve();
    try {
      const query = readQuery(resumeAt ? { after: resumeAt } : {});
      const res = await fetch(`${o.baseUrl}/api/runtime/stream${query ? `?${query}` : ''}`, {
        headers: { authorization: `Bearer ${o.token}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (res.status === 401) unauthorized();
      if (!res.ok || !res.body) throw new RuntimeHttpError(`stream http ${res.status}`, res.status, null);
      log('stream connected');
      const parser = createParser({
        onEvent(event) {
          if (event.event !== 'message' || failure) return;
          const m = JSON.parse(event.data) as FeedMessage;
          chain = chain.then(() => (failure ? undefined : consume(m))).catch((error: unknown) => {
            failure = error;
            controller.abort();
          });
        },
      });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      await chain;
    } catch (error) {
      if (!failure && !stopping) throw error;
    } finally {
      stopController.signal.removeEventListener('abort', abort);
    }
    if (failure) throw failure;
  }

  /** What the server's spec says it offers beyond the original protocol (nothing when unreadable). */
  async function serverFeatures(): Promise<{ stream: boolean; excludeOwnBots: boolean }> {
    try {
      const spec = await client.request<{ endpoints?: { stream?: string }; capabilities?: string[] }>('GET', '/api/runtime/spec');
      return { stream: typeof spec?.endpoints?.stream === 'string', excludeOwnBots: spec?.capabilities?.includes('exclude_own_bots') === true };
    } catch {
      return { stream: false, excludeOwnBots: false };
    }
  }

  return {
    stateFile,

    /** Run until stopped. */
    async run(): Promise<void> {
      log(`runtime start user=${o.username || '(unknown)'} trigger=${o.triggerName}`);
      log(`model=${deps.llm.model} heartbeat=${o.heartbeatSeconds}s poll=${o.pollSeconds}s replyAll=${o.replyAll}`);
      try {
        me = await client.request<{ userId: string; username: string }>('GET', '/api/runtime/me');
        log(`identity user_id=${me.userId} username=${me.username}`);
      } catch (error) {
        if (error instanceof RuntimeHttpError && error.status === 401) unauthorized();
        log('identity unknown (server has no /api/runtime/me); self-filtering by --username');
      }
      heartbeatTimer = setInterval(() => void heartbeat(), o.heartbeatSeconds * 1000);
      await heartbeat();
      const features = await serverFeatures();
      const useStream = o.stream ?? features.stream;
      excludeOwnBots = o.answerOwner && features.excludeOwnBots;
      if (o.answerOwner && !excludeOwnBots) log('answer-owner unavailable (server cannot exclude its bots); never answering own account');
      log(`mode=${useStream ? 'stream' : 'poll'} answer-owner=${excludeOwnBots} state=${stateFile}`);
      const round = async () => {
        try {
          if (useStream) await followStream();
          else await drainFeed();
        } catch (error) {
          // p-retry gives up at once on a TypeError it does not know as a network error; a malformed
          // answer must not end the bot, so every failure reaches it as a plain Error.
          throw error instanceof TypeError ? new Error(error.message, { cause: error }) : error;
        }
      };
      while (!stopping) {
        try {
          await pRetry(round, {
            retries: Infinity,
            factor: 2,
            minTimeout: 2 * minMs,
            maxTimeout: maxMs,
            signal: stopController.signal,
            shouldRetry: () => !stopping,
            onFailedAttempt: ({ error }) => {
              if (!stopping) log(`loop fail: ${error.message}`);
            },
          });
        } catch {
          break; // only stopping ends the retries
        }
        if (!useStream) await sleep(o.pollSeconds * 1000, stopController.signal);
      }
    },

    /** Clean shutdown: clear presence, then exit 0 (once). */
    async stop(signal: string): Promise<void> {
      if (stopping) return;
      stopping = true;
      clearInterval(heartbeatTimer);
      stopController.abort();
      log(`${signal} received, clearing presence...`);
      try {
        await client.request('DELETE', '/api/runtime/presence');
        log('presence cleared');
      } catch (error) {
        log(`presence clear fail: ${(error as Error).message}`);
      }
      exit(0);
    },
  };
}

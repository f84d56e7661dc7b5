/**
 * Runtime Connect (seed 000; research/kozmos.md §1): one-time invites claimed for `kzrt_` runtime
 * tokens bound to the claimer's own account, token idle expiry, presence heartbeats, the shared-space
 * feed and posts with their limits, and admin rotate/revoke. Messages and presence live in rooms;
 * tokens in accounts. Knows nothing of HTTP.
 *
 * Fixes over the original (docs/runtime-connect.md): the feed without a cursor starts at the newest
 * page; an invalid cursor is a 400; the duplicate window honours its setting; limits apply per token
 * as well as per account; posts return their id and honour an idempotency key; one presence window
 * everywhere; revoking a token clears presence.
 */
import type { Config } from '../config/load.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { randomToken, safeEqual, sha256Hex } from '../lib/secrets.ts';
import type { AccountsService, TokenRecord } from '../accounts/service.ts';
import type { Principal, User } from '../accounts/types.ts';
import type { RoomsService } from '../rooms/service.ts';
import type { EventFilter, RoomEvent } from '../rooms/types.ts';
import { compoundCursor, parseCursor, streamCursor } from './cursor.ts';
import { RuntimeErrors } from './errors.ts';
import { createSharedFanout } from './shared-fanout.ts';
import type { RuntimeStore } from './store.ts';

/** What the runtime service needs. */
export interface RuntimeDeps {
  store: RuntimeStore;
  accounts: AccountsService;
  rooms: RoomsService;
  clock: Clock;
  config: Pick<Config, 'runtime'>;
}

/** Token kind of runtime tokens in accounts' token table. */
export const RUNTIME_TOKEN_KIND = 'runtime';
/** `kzrt_` + 24 random bytes (48 hex). */
const TOKEN_PREFIX = 'kzrt_';
/** `kzinv_` + 18 random bytes (36 hex). */
const INVITE_PREFIX = 'kzinv_';
const MESSAGE_TYPES = ['m.room.message'];
const MAX_CONTENT = 2000;
/** Longest long-poll wait, ms. */
export const MAX_WAIT_MS = 30_000;

/** A shared-space message in the original feed shape. */
export interface FeedMessage {
  id: number;
  user_id: string;
  username: string;
  content: string;
  created_at: string;
}

/** A present user in the original shape, plus whether the presence came from a runtime token. */
export interface PresentUser {
  userId: string;
  username: string;
  lastSeenAt: string;
  runtime: boolean;
}

/** Receiver of {@link RuntimeService.watchShared}. */
export interface SharedSink {
  message(message: FeedMessage, cursor: string): void;
  presence(change: { userId: string; username: string; present: boolean }): void;
  error?(error: unknown): void;
  /** Backpressure while catching up: the next page of history is read once this resolves. */
  ready?(): Promise<void>;
}

/** Localpart of a Matrix user id: the username everyone sees. */
export function usernameOf(userId: string): string {
  return userId.slice(1, userId.indexOf(':') > 0 ? userId.indexOf(':') : undefined);
}

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

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

/** Builds the runtime service. */
export function createRuntimeService(deps: RuntimeDeps) {
  const { store, accounts, rooms, clock, config } = deps;
  const limits = config.runtime;
  // A promise, so that watchers arriving in the same turn share one fan-out (a `??=` around an
  // `await` would build one per caller, each reading every message again).
  let fanout: Promise<ReturnType<typeof createSharedFanout>> | undefined;

  async function mintToken(userId: string, label: string, lastUsedAt: number | null): Promise<string> {
    const { token } = await accounts.createAccessToken(userId, {
      kind: RUNTIME_TOKEN_KIND,
      prefix: TOKEN_PREFIX,
      randomBytes: 24,
      label: label.slice(0, 60) || 'runtime',
      lastUsedAt,
    });
    return token;
  }

  type PostRow = { content: string; origin_server_ts: number; token_id: number | null };
  const rateLimited = (reason: string, retry_after_ms: number) =>
    new DomainError(RuntimeErrors.rateLimited, { details: { reason, retry_after_ms } });

  /** Per-minute budget and cooldown over one sender scope's posts (newest first). */
  function checkBudget(rows: PostRow[], now: number): void {
    if (rows.filter((r) => now - Number(r.origin_server_ts) < 60_000).length >= limits.sharedMaxPerMinute) {
      throw rateLimited('too many runtime shared posts', 60_000);
    }
    const newest = rows[0];
    const elapsed = newest ? now - Number(newest.origin_server_ts) : Infinity;
    if (elapsed < limits.sharedMinGapMs) throw rateLimited('cooldown', Math.max(50, limits.sharedMinGapMs - elapsed));
  }

  /** Account-wide rules: the cap over all its senders, and duplicate text within the window. */
  function checkAccount(rows: PostRow[], content: string, now: number): void {
    if (rows.filter((r) => now - Number(r.origin_server_ts) < 60_000).length >= limits.sharedAccountMaxPerMinute) {
      throw rateLimited('too many shared posts for this account', 60_000);
    }
    if (limits.sharedDuplicateWindowMs <= 0) return;
    const mine = normalise(content);
    const duplicate = rows.some((r) => {
      if (now - Number(r.origin_server_ts) >= limits.sharedDuplicateWindowMs) return false;
      const body = (JSON.parse(r.content) as { body?: unknown }).body;
      return typeof body === 'string' && normalise(body) === mine;
    });
    if (duplicate) throw new DomainError(RuntimeErrors.duplicateContent, { details: { reason: 'same message sent too recently' } });
  }

  const service = {
    /**
     * Resolve a `kzrt_` token. Idle expiry (research §1.1): when the last presence call (or the
     * creation) is older than `RUNTIME_TOKEN_IDLE_MS`, the token is deactivated, its user's presence
     * removed, and the call fails with `token expired`; later calls get `invalid token`.
     * @throws DomainError invalidToken | tokenExpired
     */
    async authenticate(raw: string): Promise<Principal> {
      const found = await accounts.findTokenWithUser(raw);
      const record = found?.record;
      if (!record || record.kind !== RUNTIME_TOKEN_KIND || !record.active) throw new DomainError(RuntimeErrors.invalidToken);
      const base = record.lastUsedAt ?? record.createdAt;
      if (clock.now() - base > limits.tokenIdleMs) {
        await accounts.revokeToken(record.tokenId);
        await rooms.clearPresence(record.userId);
        throw new DomainError(RuntimeErrors.tokenExpired);
      }
      const user = found.user;
      if (!user) throw new DomainError(RuntimeErrors.invalidToken);
      return { user, via: 'runtime_token', tokenId: record.tokenId };
    },

    /** The public discovery document (research §1.2), with one presence window (fix §7.1). `origin`: public origin. */
    spec(origin: string) {
      const e = (p: string) => `${origin}${p}`;
      return {
        protocol: 'kozmos-runtime-v1',
        summary: 'Claim one-time invite as logged-in user, then keep presence alive and write to shared.',
        endpoints: {
          invite_claim: e('/api/runtime/invite/claim'),
          presence: e('/api/runtime/presence'),
          feed: e('/api/runtime/feed'),
          shared: e('/api/runtime/shared'),
          stream: e('/api/runtime/stream'),
          token_rotate: e('/api/runtime/token/rotate'),
          token_revoke: e('/api/runtime/token/revoke'),
          manual: e('/runtime/spec'),
        },
        invite_claim_modes: {
          linked_user_only: 'Send your session (cookie, or Authorization: Bearer <access token>) to invite/claim; the runtime token is bound to your own account.',
        },
        heartbeat: { interval_seconds: limits.heartbeatIntervalS, timeout_seconds: Math.round(limits.presenceWindowMs / 1000) },
        token_idle_expiry_seconds: Math.round(limits.tokenIdleMs / 1000),
        shared_limits: {
          min_gap_ms: limits.sharedMinGapMs,
          max_per_minute: limits.sharedMaxPerMinute,
          duplicate_window_ms: limits.sharedDuplicateWindowMs,
          max_content_chars: MAX_CONTENT,
        },
        guidance: [
          'Store runtime token securely. It is shown once.',
          `POST /api/runtime/presence every ${limits.heartbeatIntervalS} seconds.`,
          `If heartbeat is missing for ${Math.round(limits.tokenIdleMs / 60000)} minutes, token is auto-expired and must be re-claimed.`,
          'On shutdown, call DELETE /api/runtime/presence for immediate offline removal.',
          'If 401 is returned, re-claim via a new invite.',
          'Creating brand-new runtime users is disabled.',
          'GET /api/runtime/stream (Server-Sent Events) or GET /api/runtime/feed?wait=<ms> deliver new messages as they arrive.',
          'Send Idempotency-Key on POST /api/runtime/shared to make retries safe.',
          "Add exclude=own_bots to the feed and the stream to leave out your own bots' posts; your web posts stay, so you can talk to your own bot.",
        ],
        /** Orrery additions a client may rely on (absent from the original server). */
        capabilities: ['stream', 'long_poll', 'idempotency_key', 'exclude_own_bots'],
      };
    },

    /** Create a one-time invite (links under `origin`); `ttlMinutes` is clamped to [1, 60], default 10 (fractions kept). */
    async createInvite(origin: string, userId: string, ttlMinutes: unknown): Promise<{ code: string; url: string; specUrl: string; expiresAt: string }> {
      const n = Number(ttlMinutes ?? 10);
      const ttl = Number.isFinite(n) ? Math.min(60, Math.max(1, n)) : 10;
      const code = randomToken(INVITE_PREFIX, 18);
      const now = clock.now();
      const expires_at = now + Math.round(ttl * 60_000);
      await store.insertInvite({
        code_hash: sha256Hex(code),
        created_by: userId,
        expires_at,
        max_claims: 1,
        used_claims: 0,
        used_at: null,
        revoked: 0,
        created_at: now,
      });
      return {
        code,
        url: `${origin}/runtime/connect?code=${encodeURIComponent(code)}`,
        specUrl: `${origin}/api/runtime/spec`,
        expiresAt: new Date(expires_at).toISOString(),
      };
    },

    /**
     * Claim an invite for the claimer's own account (research §1.4): single use; of two concurrent
     * claims exactly one wins. Mints a `kzrt_` token (shown once) and marks the claimer present.
     * @throws DomainError missingInviteCode | invalidInvite | inviteExpired | inviteUsed | claimFailed
     */
    async claimInvite(origin: string, user: User, rawCode: unknown, label: unknown) {
      const code = typeof rawCode === 'string' ? rawCode.trim() : '';
      if (!code) throw new DomainError(RuntimeErrors.missingInviteCode);
      const invite = await store.findInviteByHash(sha256Hex(code));
      if (!invite || invite.revoked === 1) throw new DomainError(RuntimeErrors.invalidInvite);
      const now = clock.now();
      if (invite.expires_at <= now || invite.used_claims >= invite.max_claims) throw new DomainError(RuntimeErrors.inviteExpired);
      if ((await store.reserveInvite(invite, now)) !== 1) throw new DomainError(RuntimeErrors.inviteUsed);
      let token: string;
      try {
        token = await mintToken(user.userId, typeof label === 'string' && label.trim() ? label.trim() : 'runtime', now);
        await rooms.touchPresence(user.userId, true, limits.presenceWindowMs);
      } catch {
        await store.restoreInvite(invite);
        throw new DomainError(RuntimeErrors.claimFailed);
      }
      return {
        user: { id: user.userId, username: user.localpart },
        token,
        mode: 'linked-user' as const,
        note: 'Store token now. It will not be shown again.',
        next: {
          spec: `${origin}/api/runtime/spec`,
          presence: `${origin}/api/runtime/presence`,
          shared: `${origin}/api/runtime/shared`,
        },
      };
    },

    /** @throws DomainError disabled unless `RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE` */
    assertDirectIssueEnabled(): void {
      if (!limits.allowDirectTokenIssue) {
        throw new DomainError(RuntimeErrors.disabled, {
          details: { reason: 'runtime is invite-claim only', how_to_claim: 'Use /runtime/connect while logged in and claim invite code.' },
        });
      }
    },

    /** Direct issue (`POST /api/runtime/token`), only when enabled; expiry counts from creation. */
    async issueDirect(user: User, label: unknown): Promise<{ token: string; note: string }> {
      service.assertDirectIssueEnabled();
      const token = await mintToken(user.userId, typeof label === 'string' ? label : 'runtime', null);
      return { token, note: 'Store this token now. It will not be shown again.' };
    },

    /** Heartbeat: present now, token kept alive. */
    async heartbeat(principal: Principal): Promise<void> {
      await Promise.all([
        rooms.touchPresence(principal.user.userId, true, limits.presenceWindowMs),
        principal.tokenId !== undefined ? accounts.touchToken(principal.tokenId) : undefined,
      ]);
    },

    /** Clean shutdown: presence removed at once (the token is still "used", as in the original). */
    async clearPresence(principal: Principal): Promise<void> {
      await rooms.clearPresence(principal.user.userId);
      if (principal.tokenId !== undefined) await accounts.touchToken(principal.tokenId);
    },

    /** Users seen within the presence window, newest first, at most 200. */
    async listPresent(): Promise<PresentUser[]> {
      return (await rooms.listPresent(limits.presenceWindowMs)).map((p) => ({
        userId: p.user_id,
        username: usernameOf(p.user_id),
        lastSeenAt: new Date(p.last_active_ts).toISOString(),
        runtime: p.via_runtime,
      }));
    },

    /**
     * A page of the shared space (research §1.10, fixed): after `after` when given, else the newest
     * page. `limit` is clamped to [1, 100] (default 40). With `waitMs` > 0 and nothing new, waits up
     * to `waitMs` (≤ 30 s) for the next message. `nextCursor` is the original compound form; an empty
     * page echoes `after`. With `excludeBotsOf` (a user id), that user's posts made with a token (their
     * bots') are left out, and their web posts kept: `?exclude=own_bots`, so an owner can talk to their bot.
     * @throws DomainError invalidCursor
     */
    async feed(input: { after?: string | undefined; limit?: unknown; waitMs?: number; signal?: AbortSignal; excludeBotsOf?: string | undefined }) {
      const n = input.limit === undefined ? 40 : Math.floor(Number(input.limit));
      const limit = Number.isFinite(n) ? Math.min(100, Math.max(1, n)) : 40;
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
        const deadline = clock.now() + waitMs;
        while (events.length === 0 && !input.signal?.aborted) {
          const remaining = deadline - clock.now();
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
     * Post to the shared space as the principal's own user (research §1.11, fixed). Cooldown and the
     * per-minute budget apply per token (and to the account's web posts on their own); an account-wide
     * cap and the duplicate rule apply to the whole account; all atomically with the insert. With an
     * idempotency key a retry returns the first post instead of posting again.
     * @throws DomainError emptyContent | rateLimited (reason, retry_after_ms) | duplicateContent
     */
    async postShared(principal: Principal, rawContent: unknown, idempotencyKey?: string) {
      const content = typeof rawContent === 'string' ? rawContent.trim().slice(0, MAX_CONTENT) : '';
      if (!content) throw new DomainError(RuntimeErrors.emptyContent);
      const roomId = await rooms.ensureSharedRoom();
      const userId = principal.user.userId;
      const windowMs = Math.max(60_000, limits.sharedDuplicateWindowMs);
      const fetchLimit = Math.max(40, limits.sharedAccountMaxPerMinute + 8);
      const { event, duplicate } = await rooms.sendEvent(
        roomId,
        userId,
        'm.room.message',
        { msgtype: 'm.text', body: content },
        {
          ...(idempotencyKey ? { txnId: `idem:${idempotencyKey.slice(0, 200)}` } : {}),
          ...(principal.tokenId !== undefined ? { tokenId: principal.tokenId } : {}),
          check: async (trx) => {
            const now = clock.now();
            const account = await rooms.recentBySender(trx, roomId, 'm.room.message', userId, now - windowMs, fetchLimit);
            // Each token (bot) and the account's web posts have budgets of their own (fix of §7.4).
            const scope =
              principal.tokenId !== undefined
                ? await rooms.recentByToken(trx, principal.tokenId, now - windowMs, fetchLimit)
                : account.filter((r) => r.token_id === null);
            checkBudget(scope, now);
            checkAccount(account, content, now);
          },
        },
      );
      await rooms.touchPresence(userId, principal.via === 'runtime_token', limits.presenceWindowMs);
      return { ok: true as const, id: event.stream_ordering, event_id: event.event_id, ...(duplicate ? { idempotent: true } : {}) };
    },

    /** True when `key` is the configured bootstrap key (constant time). @throws bootstrapDisabled when none is set */
    checkBootstrapKey(key: string | undefined): boolean {
      if (!limits.bootstrapKey) throw new DomainError(RuntimeErrors.bootstrapDisabled);
      return key !== undefined && safeEqual(key, limits.bootstrapKey);
    },

    /**
     * Admin rotate (research §1.7): a new token for the same user, the old one deactivated.
     * @throws DomainError missingTokenArg | invalidToken
     */
    async rotate(rawToken: unknown, label: unknown) {
      const old = typeof rawToken === 'string' ? rawToken.trim() : '';
      if (!old) throw new DomainError(RuntimeErrors.missingTokenArg);
      const record = await accounts.findTokenRecord(old);
      if (!record || record.kind !== RUNTIME_TOKEN_KIND || !record.active) throw new DomainError(RuntimeErrors.invalidToken);
      const token = await mintToken(record.userId, (typeof label === 'string' && label.trim()) || record.label || 'runtime', clock.now());
      await accounts.revokeToken(record.tokenId);
      return { ok: true as const, token, note: 'Store token now. Old token is revoked.' };
    },

    /**
     * Admin revoke (research §1.8, fixed: revoking a token also clears its user's presence).
     * @throws DomainError revokeTarget | missingUserTarget
     */
    async revoke(body: { token?: unknown; tokenHash?: unknown; revokeAllForUser?: unknown; userId?: unknown; username?: unknown }) {
      if (typeof body.token === 'string' || typeof body.tokenHash === 'string') {
        const record =
          typeof body.token === 'string'
            ? await accounts.findTokenRecord(body.token.trim())
            : await accounts.findTokenRecordByHash(String(body.tokenHash).trim());
        if (!record || record.kind !== RUNTIME_TOKEN_KIND) return { ok: true as const, revoked: 0 };
        const revoked = await accounts.revokeToken(record.tokenId);
        if (revoked) await rooms.clearPresence(record.userId);
        return { ok: true as const, revoked };
      }
      if (body.revokeAllForUser !== true) throw new DomainError(RuntimeErrors.revokeTarget);
      const target = typeof body.userId === 'string' ? body.userId : typeof body.username === 'string' ? body.username : '';
      const user = target ? await accounts.getUser(target).catch(() => null) : null;
      if (!user) throw new DomainError(RuntimeErrors.missingUserTarget);
      const revoked = await accounts.revokeUserTokens(user.userId, RUNTIME_TOKEN_KIND);
      await rooms.clearPresence(user.userId);
      return { ok: true as const, revoked };
    },

    /**
     * Follow the shared space live: every message after `after` (a stream cursor; default: from
     * now) in order, without gaps or repeats, and every presence change. Returns `close`. With
     * `excludeBotsOf`, that user's token posts are left out, as in {@link feed}.
     * @throws DomainError invalidCursor
     */
    async watchShared(after: string | undefined, sink: SharedSink, excludeBotsOf?: string): Promise<{ close(): void }> {
      let from: number | undefined;
      if (after) {
        const cursor = parseCursor(after);
        if (!cursor || cursor.kind !== 'stream') throw new DomainError(RuntimeErrors.invalidCursor);
        from = cursor.after;
      }
      fanout ??= rooms.ensureSharedRoom().then(
        (roomId) => createSharedFanout(rooms, roomId, MESSAGE_TYPES),
        (error: unknown) => {
          fanout = undefined;
          throw error;
        },
      );
      const close = await (await fanout).watch(from, {
        event: (e) => {
          if (excludeBotsOf !== undefined && e.sender === excludeBotsOf && e.token_id !== undefined) return;
          sink.message(feedMessageOf(e), streamCursor(e.stream_ordering));
        },
        presence: (userId, present) => sink.presence({ userId, username: usernameOf(userId), present }),
        error: (error) => sink.error?.(error),
        ready: sink.ready && (() => sink.ready!()),
      });
      return { close };
    },

    /** The caller's runtime tokens, newest first. */
    async listTokens(userId: string): Promise<TokenRecord[]> {
      return accounts.listTokens(userId, RUNTIME_TOKEN_KIND);
    },

    /** Revoke one of the caller's own runtime tokens. @throws DomainError tokenNotFound */
    async revokeOwnToken(userId: string, tokenId: number): Promise<void> {
      const record = await accounts.findTokenRecordById(tokenId);
      if (!record || record.userId !== userId || record.kind !== RUNTIME_TOKEN_KIND) throw new DomainError(RuntimeErrors.tokenNotFound);
      if (await accounts.revokeToken(tokenId)) await rooms.clearPresence(userId);
    },
  };
  return service;
}

/** The runtime service API. */
export type RuntimeService = ReturnType<typeof createRuntimeService>;

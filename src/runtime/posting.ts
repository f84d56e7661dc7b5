/**
 * Posting to the shared space (docs/runtime-connect.md, quirks 3, 4 and 8) and its limits: a cooldown and a
 * per-minute budget per token (and for the account's web posts on their own), an account-wide cap
 * over all its senders, and refusal of the same text within a window. Rooms checks them atomically
 * with the insert, from indexed counts; an idempotency key makes retries (also concurrent ones)
 * return the first post. Part of the runtime service.
 */
import { DomainError } from '../lib/errors.ts';
import { sha256Hex } from '../lib/secrets.ts';
import type { Principal } from '../accounts/types.ts';
import type { SendCount, SendGuard, SendPolicy, SendStats } from '../rooms/types.ts';
import { RuntimeErrors } from './errors.ts';
import { MAX_CONTENT } from './spec.ts';
import type { RuntimeDeps } from './types.ts';

/** The per-minute budgets count posts in this window, ms. */
const MINUTE_MS = 60_000;
/** Longest idempotency key kept, characters. */
const MAX_IDEMPOTENCY_KEY = 200;

/** Case and spacing do not make a message new. */
const normalise = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

/** Builds the posting part of the runtime service. */
export function createPosting(deps: RuntimeDeps) {
  const { rooms, config } = deps;
  const limits = config.runtime;
  const rateLimited = (reason: string, retry_after_ms: number) => new DomainError(RuntimeErrors.rateLimited, { details: { reason, retry_after_ms } });

  /** Per-minute budget and cooldown of one sender scope (a token, or the account's web posts). */
  function checkBudget(scope: SendCount, now: number): void {
    if (scope.count >= limits.sharedMaxPerMinute) throw rateLimited('too many runtime shared posts', MINUTE_MS);
    // Another instance's clock may run ahead of ours: a newer timestamp than `now` is no gap at all,
    // not a negative one (which would refuse even with no cooldown set).
    const elapsed = scope.newestTs === null ? Infinity : Math.max(0, now - scope.newestTs);
    if (elapsed < limits.sharedMinGapMs) throw rateLimited('cooldown', Math.max(50, limits.sharedMinGapMs - elapsed));
  }

  /** Account-wide rules: the cap over all its senders, and duplicate text within the window. */
  function checkAccount(stats: SendStats): void {
    if (stats.bySender.count >= limits.sharedAccountMaxPerMinute) throw rateLimited('too many shared posts for this account', MINUTE_MS);
    if (stats.duplicate) throw new DomainError(RuntimeErrors.duplicateContent, { details: { reason: 'same message sent too recently' } });
  }

  /** The shared space's limits for one send (a token's budget, or the account's web posts'). */
  function sharedGuard(tokenId: number | undefined): SendGuard {
    return {
      countWindowMs: MINUTE_MS,
      lookbackMs: Math.max(MINUTE_MS, limits.sharedMinGapMs),
      ...(limits.sharedDuplicateWindowMs > 0 ? { duplicateWindowMs: limits.sharedDuplicateWindowMs } : {}),
      // `now` is the post's own timestamp, taken once the write lock is held.
      verify(stats, now) {
        // Each token (bot) and the account's web posts have budgets of their own (quirk 4).
        checkBudget(tokenId !== undefined ? stats.byToken! : stats.bySenderWithoutToken, now);
        checkAccount(stats);
      },
    };
  }

  /**
   * The shared room's {@link SendPolicy}: its messages keep the same limits whichever API sends them
   * (a Matrix client's event in `#shared` counts as a post).
   */
  const sharedSendPolicy: SendPolicy = (send) => ({
    // Every timeline event counts against the budgets (stickers, custom types too); text is also
    // checked for repeats.
    guard: sharedGuard(send.tokenId),
    ...(typeof send.content.body === 'string' ? { dedupeKey: sha256Hex(normalise(send.content.body)) } : {}),
  });

  return {
    sharedSendPolicy,

    /**
     * Post to the shared space as the principal's own user (content trimmed, cut at 2000 chars).
     * With an idempotency key a retry, even one sent at the same time as the first, returns the first
     * post (`idempotent: true`) instead of posting again or being refused as a duplicate.
     * @throws DomainError emptyContent | rateLimited (reason, retry_after_ms) | duplicateContent
     */
    async postShared(principal: Principal, rawContent: string | undefined, idempotencyKey?: string) {
      const content = rawContent?.trim().slice(0, MAX_CONTENT) ?? '';
      if (!content) throw new DomainError(RuntimeErrors.emptyContent);
      const roomId = await rooms.ensureSharedRoom();
      const userId = principal.user.userId;
      const { event, duplicate } = await rooms.sendEvent(
        roomId,
        userId,
        'm.room.message',
        { msgtype: 'm.text', body: content },
        {
          ...(idempotencyKey ? { txnId: `idem:${idempotencyKey.slice(0, MAX_IDEMPOTENCY_KEY)}` } : {}),
          ...(principal.tokenId !== undefined ? { tokenId: principal.tokenId } : {}),
          dedupeKey: sha256Hex(normalise(content)),
          guard: sharedGuard(principal.tokenId),
        },
      );
      await rooms.touchPresence(userId, principal.via === 'runtime_token', limits.presenceWindowMs);
      return { ok: true as const, id: event.stream_ordering, event_id: event.event_id, ...(duplicate ? { idempotent: true } : {}) };
    },
  };
}

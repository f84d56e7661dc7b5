/**
 * The public discovery document of Runtime Connect (`GET /api/runtime/spec`; endpoints in
 * docs/runtime-connect.md), with one presence window everywhere (the original advertised three) and the capabilities
 * Orrery adds, so a client can tell what it may rely on.
 */
import type { RuntimeDeps } from './types.ts';

/** Longest shared-post content kept, characters (longer posts are cut, as the original). */
export const MAX_CONTENT = 2000;

/** Builds `spec(origin)`: the document with every link under `origin` (the public origin). */
export function createSpec(config: RuntimeDeps['config']) {
  const limits = config.runtime;
  return function spec(origin: string) {
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
  };
}

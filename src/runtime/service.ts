/**
 * Runtime Connect (seed 000; docs/runtime-connect.md): one-time invites claimed for `kzrt_` runtime
 * tokens bound to the claimer's own account, token idle expiry, presence heartbeats, the shared-space
 * feed and stream, and posts with their limits. Messages and presence live in rooms, tokens in
 * accounts. This file composes the parts, one per seam: `tokens.ts`, `invites.ts`, `feed.ts`,
 * `posting.ts`, `spec.ts`. Knows nothing of HTTP.
 */
import { createFeed } from './feed.ts';
import { createInvites } from './invites.ts';
import { createPosting } from './posting.ts';
import { createSpec } from './spec.ts';
import { createRuntimeTokens, RUNTIME_TOKEN_PREFIX } from './tokens.ts';
import type { RuntimeDeps } from './types.ts';

/** Builds the runtime service, and makes `kzrt_` bearer tokens resolve through it. */
export function createRuntimeService(deps: RuntimeDeps) {
  const tokens = createRuntimeTokens(deps);
  // Accounts resolves every bearer credential; runtime tells it how to read its own kind.
  deps.accounts.registerBearerPrefix(RUNTIME_TOKEN_PREFIX, tokens.authenticate);
  return {
    spec: createSpec(deps.config),
    ...tokens,
    ...createInvites(deps, tokens),
    ...createFeed(deps),
    ...createPosting(deps),
  };
}

/** The runtime service API. */
export type RuntimeService = ReturnType<typeof createRuntimeService>;
export type { RuntimeDeps };
export type { FeedMessage, PresentUser, SharedSink } from './types.ts';
export { RUNTIME_TOKEN_KIND } from './types.ts';

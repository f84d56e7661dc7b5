/**
 * Long-lived requests (event streams, long-polls, later `/sync`): one registry per instance, so that
 * - a credential holds at most `RUNTIME_STREAM_MAX_PER_CREDENTIAL` of them open (429 beyond);
 * - a revoked or expired credential stops receiving at once: when any instance announces that a
 *   user's credentials were revoked (the event bus's `credentials_revoked`), every request held
 *   open by that user is authenticated again and ended if its credential is no longer valid; and
 *   every `revalidateEveryMs` all of them are, which catches expiry (session TTL, JWT `exp`,
 *   runtime token idle expiry) without a timer per request;
 * - shutdown ends them all at once instead of waiting out `SHUTDOWN_TIMEOUT_MS`: streams end and
 *   their readers resume with `Last-Event-ID`, long-polls answer their empty page, and every answer
 *   sent while closing closes its connection.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, PlatformErrors } from '../lib/errors.ts';
import type { Principal } from '../accounts/types.ts';

/** Wait suggested to a credential that holds its maximum of open streams, ms. */
const RETRY_AFTER_MS = 1000;

/** Why a live request was ended by the server. */
export type EndReason = 'revoked' | 'shutdown';

/** A tracked request; `release` when it ends on its own. */
export interface LiveHandle {
  release(): void;
}

/** The registry's API, decorated as `app.live`. */
export interface LiveRequests {
  /**
   * Track `request` (already authenticated) until `release`; `end` is called when the server ends it.
   * @throws DomainError tooManyStreams when its credential holds the maximum already
   */
  track(request: FastifyRequest, end: (reason: EndReason) => void): LiveHandle;
  /** Authenticate every request of `userId` again; end those whose credential is gone. */
  revalidateUser(userId: string): Promise<void>;
  /** Authenticate every tracked request again (expiry). */
  revalidateAll(): Promise<void>;
  /** End every tracked request (shutdown). */
  endAll(reason: EndReason): void;
  /** How many are tracked. */
  size(): number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Long-lived requests of this instance (streams, long-polls). */
    live: LiveRequests;
  }
}

/** Options of {@link livePlugin}. */
export interface LiveOptions {
  maxPerCredential: number;
  /** How often every tracked request is authenticated again, ms (expiry). */
  revalidateEveryMs: number;
  /** True while the credential `request` came with still authenticates as the same principal. */
  reauthenticate(request: FastifyRequest): Promise<boolean>;
  /** Key naming the credential a principal used (one token, one session, one user's JWTs). */
  credentialKey(principal: Principal): string;
}

interface Entry {
  request: FastifyRequest;
  key: string;
  userId: string;
  end(reason: EndReason): void;
}

/** Decorates `app.live` and ends every live request when the app closes. */
export const livePlugin = fp(
  async function live(app: FastifyInstance, opts: LiveOptions) {
    const entries = new Set<Entry>();
    const perKey = new Map<string, number>();

    const drop = (entry: Entry) => {
      if (!entries.delete(entry)) return;
      const n = (perKey.get(entry.key) ?? 1) - 1;
      if (n > 0) perKey.set(entry.key, n);
      else perKey.delete(entry.key);
    };

    async function revalidate(selected: Entry[]): Promise<void> {
      await Promise.all(
        selected.map(async (entry) => {
          const valid = await opts.reauthenticate(entry.request).catch(() => false);
          if (!valid && entries.has(entry)) {
            drop(entry);
            entry.end('revoked');
          }
        }),
      );
    }

    const registry: LiveRequests = {
      track(request, end) {
        const principal = request.principal;
        if (!principal) throw new Error('live requests must be authenticated');
        const key = opts.credentialKey(principal);
        const held = perKey.get(key) ?? 0;
        if (held >= opts.maxPerCredential) {
          // A slot frees when one of the credential's streams ends; there is no better time to name.
          throw new DomainError(PlatformErrors.tooManyStreams, { details: { max_open: opts.maxPerCredential, retry_after_ms: RETRY_AFTER_MS } });
        }
        const entry: Entry = { request, key, userId: principal.user.userId, end };
        entries.add(entry);
        perKey.set(key, held + 1);
        return { release: () => drop(entry) };
      },
      revalidateUser: (userId) => revalidate([...entries].filter((e) => e.userId === userId)),
      revalidateAll: () => revalidate([...entries]),
      endAll(reason) {
        for (const entry of [...entries]) {
          drop(entry);
          entry.end(reason);
        }
      },
      size: () => entries.size,
    };
    app.decorate('live', registry);

    const timer = setInterval(() => void registry.revalidateAll(), opts.revalidateEveryMs);
    timer.unref();
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
      clearInterval(timer);
      registry.endAll('shutdown');
    });
    // What is still answered during shutdown (the long-polls just ended, in-flight requests) closes
    // its connection: the server's sweep of idle keep-alive connections has run already, and would
    // otherwise wait for the client to hang up.
    app.addHook('onSend', function closeWhileClosing(_request, reply, payload, done) {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
  },
  { name: 'orrery-live', fastify: '5.x', dependencies: ['orrery-auth'] },
);

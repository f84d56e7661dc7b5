/**
 * Runtime Connect HTTP API, `/api/runtime/*`: paths, JSON fields, status codes and error strings of
 * the original (docs/runtime-connect.md "Endpoints"), plus Orrery's stream, long-poll and token management.
 *
 * | method | path | who |
 * |---|---|---|
 * | GET | /api/runtime/spec | anyone |
 * | POST | /api/runtime/invite/create | session (`missing session token` / `unauthorized`) |
 * | POST | /api/runtime/invite/claim | session (`login required` / `unauthorized`) |
 * | POST, DELETE | /api/runtime/presence | runtime token (`missing token` / `invalid token` / `token expired`) |
 * | GET | /api/runtime/presence | session (`unauthorized`) |
 * | GET | /api/runtime/feed | runtime token or session |
 * | GET | /api/runtime/stream | runtime token or session (Server-Sent Events) |
 * | POST | /api/runtime/shared | runtime token or session |
 * | POST | /api/runtime/claim-identity | anyone → 410 |
 * | POST | /api/runtime/token | session, when enabled → else 410 |
 * | POST | /api/runtime/token/rotate, /token/revoke | admin session or `x-kozmos-bootstrap-key` |
 * | GET | /api/runtime/tokens | session: my runtime tokens |
 * | DELETE | /api/runtime/tokens/:token_id | session: revoke one of mine |
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../lib/errors.ts';
import type { Principal } from '../accounts/types.ts';
import { parseJsonOrEmpty } from '../server/input.ts';
import { createSseStream, SSE_CONTENT_TYPE, SSE_HEADERS, sseFrame } from '../server/sse.ts';
import { RuntimeErrors } from './errors.ts';
import type { RuntimeService, SharedSink } from './service.ts';

/** Options of {@link runtimeRoutes}. */
export interface RuntimeRoutesOptions {
  runtime: RuntimeService;
  /** `BASE_URL` when configured; otherwise each request's own origin is used (as the original). */
  publicOrigin: string | undefined;
  /** A live stream whose socket holds more unsent bytes than this is closed (RUNTIME_STREAM_MAX_BACKLOG_BYTES). */
  streamMaxBacklogBytes: number;
}

const BOOTSTRAP_HEADER = 'x-kozmos-bootstrap-key';
/** SSE frames by message: encoded once, written as the same bytes to every stream it fans out to. */
const frames = new WeakMap<object, Buffer>();
function messageFrame(message: object, cursor: string): Buffer {
  let frame = frames.get(message);
  if (!frame) frames.set(message, (frame = sseFrame('message', message, cursor)));
  return frame;
}

const SESSION = { missing: RuntimeErrors.missingSession, invalid: RuntimeErrors.unauthorized };
const CLAIM = { missing: RuntimeErrors.loginRequired, invalid: RuntimeErrors.unauthorized };
const TOKEN = { missing: RuntimeErrors.missingToken, invalid: RuntimeErrors.invalidToken };
const WEB = { missing: RuntimeErrors.unauthorized, invalid: RuntimeErrors.unauthorized };

const Ok = z.object({ ok: z.literal(true) });
const FeedMessage = z.object({ id: z.number(), user_id: z.string(), username: z.string(), content: z.string(), created_at: z.string() });

/**
 * A field the original read leniently: documented with its type, but a value of another type is
 * treated as absent instead of refused, so the service answers with the original's own error
 * (`content: 123` → 400 `empty content`, as Kozmos did), not a generic validation error.
 */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const Text = (description: string) => lenient(z.string().describe(description));
/** Request bodies (all optional: the original treated a missing body as `{}`). */
const Bodies = {
  inviteCreate: z.object({ ttlMinutes: lenient(z.union([z.number(), z.string()]).describe('minutes, 1-60 (default 10; fractions kept)')) }),
  inviteClaim: z.object({ code: Text('the kzinv_ invite code'), label: Text('a name for the token (default "runtime")') }),
  shared: z.object({ content: Text('the message: trimmed, at most 2000 characters') }),
  token: z.object({ label: Text('a name for the token') }),
  rotate: z.object({ token: Text('the kzrt_ token to replace'), label: Text('label of the new token (default: the old one)') }),
  revoke: z.object({
    token: Text('a kzrt_ token to revoke'),
    tokenHash: Text('or its SHA-256 hex'),
    revokeAllForUser: lenient(z.boolean().describe('revoke every runtime token of userId/username')),
    userId: Text('@localpart:server_name'),
    username: Text('localpart'),
  }),
};
/** A body schema that also accepts no body at all. */
const optionalBody = <T extends z.ZodObject>(schema: T) => schema.nullish().transform((v) => v ?? ({} as z.infer<T>));

function principalOf(request: FastifyRequest): Principal {
  return request.principal!;
}

/**
 * `exclude=own_bots` on the feed and the stream: leave out the caller's own posts made with a token
 * (their bots), keep their web posts, so the owner can talk to their bot and no bot hears a sibling.
 */
const Exclude = z.enum(['own_bots']).optional().describe("own_bots: leave out your own account's posts made with a token (your bots)");
function excludeBotsOf(principal: Principal, exclude: 'own_bots' | undefined): string | undefined {
  return exclude === 'own_bots' ? principal.user.userId : undefined;
}

/** Registers the runtime routes (expects prefix `/api/runtime`). */
export async function runtimeRoutes(app: FastifyInstance, opts: RuntimeRoutesOptions): Promise<void> {
  const { runtime } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const originOf = (request: FastifyRequest) => opts.publicOrigin ?? `${request.protocol}://${request.host}`;
  const tags = ['runtime'];

  // The original parsed whatever came as JSON: bots and scripts send JSON as `text/plain`, with no
  // content type, or with an empty body on heartbeats. Errors keep the original's string.
  const lenientJson = (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    try {
      done(null, parseJsonOrEmpty(String(body), RuntimeErrors.invalidJson.message));
    } catch {
      done(new DomainError(RuntimeErrors.invalidJson), undefined);
    }
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, lenientJson);
  app.removeContentTypeParser('*');
  app.addContentTypeParser('*', { parseAs: 'string' }, lenientJson);

  /**
   * Admin session, or the bootstrap key header (constant-time; docs/runtime-connect.md "Security"). With the header: 503
   * `bootstrap disabled` when no key is configured, as the original, 401 when wrong. Without it: 401
   * for no (or a runtime) credential, 403 for a signed-in non-admin.
   */
  async function requireAdminOrBootstrap(request: FastifyRequest): Promise<void> {
    const key = request.headers[BOOTSTRAP_HEADER];
    if (typeof key === 'string') {
      if (!runtime.checkBootstrapKey(key)) throw new DomainError(RuntimeErrors.unauthorized);
      return;
    }
    const principal = request.principal;
    if (!principal || principal.via === 'runtime_token') throw new DomainError(RuntimeErrors.unauthorized);
    if (!principal.user.isAdmin) throw new DomainError(RuntimeErrors.forbidden);
  }

  r.get('/spec', { schema: { tags, summary: 'Discovery document (public)' } }, async (request) => runtime.spec(originOf(request)));

  r.post(
    '/invite/create',
    { config: { auth: 'user', authErrors: SESSION }, schema: { tags, summary: 'Create a one-time invite (ttlMinutes 1-60, default 10)', body: optionalBody(Bodies.inviteCreate) } },
    async (request) => runtime.createInvite(originOf(request), principalOf(request).user.userId, request.body.ttlMinutes),
  );

  r.post(
    '/invite/claim',
    { config: { auth: 'user', authErrors: CLAIM }, schema: { tags, summary: 'Claim an invite for a kzrt_ token bound to your account', body: optionalBody(Bodies.inviteClaim) } },
    async (request) => runtime.claimInvite(originOf(request), principalOf(request).user, request.body.code, request.body.label),
  );

  r.get(
    '/me',
    {
      config: { auth: 'runtime', authErrors: TOKEN },
      schema: { tags, summary: "The runtime token's own user (bots use it to never answer themselves)", response: { 200: z.object({ userId: z.string(), username: z.string() }) } },
    },
    async (request) => ({ userId: principalOf(request).user.userId, username: principalOf(request).user.localpart }),
  );

  r.post(
    '/presence',
    // No body schema: whatever a bot sends (nothing, `{}`, a form) is ignored, as the original did.
    { config: { auth: 'runtime', authErrors: TOKEN }, schema: { tags, summary: 'Heartbeat (any body, or none, is ignored)', response: { 200: Ok } } },
    async (request) => {
      await runtime.heartbeat(principalOf(request));
      return { ok: true as const };
    },
  );
  r.delete(
    '/presence',
    { config: { auth: 'runtime', authErrors: TOKEN }, schema: { tags, summary: 'Clear presence (clean shutdown)', response: { 200: Ok } } },
    async (request) => {
      await runtime.clearPresence(principalOf(request));
      return { ok: true as const };
    },
  );
  r.get(
    '/presence',
    {
      config: { auth: 'user', authErrors: WEB },
      schema: {
        tags,
        summary: 'Present users (seen within the presence window)',
        response: { 200: z.object({ users: z.array(z.object({ userId: z.string(), username: z.string(), lastSeenAt: z.string(), runtime: z.boolean() })) }) },
      },
    },
    async () => ({ users: await runtime.listPresent() }),
  );

  r.get(
    '/feed',
    {
      config: { auth: 'runtime_or_user', authErrors: TOKEN },
      schema: {
        tags,
        summary: 'Shared-space messages after a cursor (newest page without one); wait=<ms> long-polls',
        querystring: z.object({ after: z.string().optional(), limit: z.string().optional(), wait: z.string().optional(), exclude: Exclude }),
        response: { 200: z.object({ messages: z.array(FeedMessage), nextCursor: z.string().nullable(), streamCursor: z.string() }) },
      },
    },
    async (request) => {
      const controller = new AbortController();
      request.raw.once('close', () => controller.abort());
      const wait = Number(request.query.wait ?? 0);
      const waitMs = Number.isFinite(wait) ? wait : 0;
      // A long-poll is held open: it counts against the credential's cap, and a revocation or a
      // shutdown answers it at once (an empty page; the next call sees the 401 or the new server).
      const held = waitMs > 0 ? app.live.track(request, () => controller.abort()) : undefined;
      try {
        return await runtime.feed({
          after: request.query.after || undefined,
          limit: request.query.limit,
          waitMs,
          signal: controller.signal,
          excludeBotsOf: excludeBotsOf(principalOf(request), request.query.exclude),
        });
      } finally {
        held?.release();
      }
    },
  );

  r.get(
    '/stream',
    {
      config: { auth: 'runtime_or_user', authErrors: TOKEN },
      schema: {
        tags,
        summary: 'Server-Sent Events: `message` (id: cursor) and `presence`; resumes from Last-Event-ID',
        querystring: z.object({ after: z.string().optional(), exclude: Exclude }),
      },
    },
    async (request, reply) => {
      // HEAD (Fastify answers it with this handler): the head of a stream, no body.
      if (request.method === 'HEAD') return reply.type(SSE_CONTENT_TYPE).headers(SSE_HEADERS).send();
      const lastEventId = request.headers['last-event-id'];
      const after = (typeof lastEventId === 'string' && lastEventId) || request.query.after || undefined;
      let watcher: { close(): void } | undefined;
      const held = app.live.track(request, () => stream.end());
      const stream = createSseStream(request, reply, {
        maxBacklogBytes: opts.streamMaxBacklogBytes,
        onClose: () => {
          watcher?.close();
          held.release();
        },
      });
      try {
        const sink: SharedSink = {
          message: (m, cursor) => stream.write(messageFrame(m, cursor)),
          presence: (p) => stream.write(sseFrame('presence', p)),
          error: (e) => request.log.warn({ err: e }, 'stream read failed'),
          ready: () => stream.ready(),
        };
        watcher = await runtime.watchShared(after, sink, excludeBotsOf(principalOf(request), request.query.exclude));
      } catch (error) {
        if (!stream.started) {
          held.release();
          throw error;
        }
        // The 200 is out already: end the stream; the reader retries from its last id.
        request.log.warn({ err: error }, 'stream catch-up failed');
        stream.destroy();
        return;
      }
      if (stream.open) return stream.goLive();
      // Ended while catching up (reader left, credential revoked, shutdown).
      watcher.close();
      stream.destroy();
    },
  );

  r.post(
    '/shared',
    {
      config: { auth: 'runtime_or_user', authErrors: TOKEN },
      schema: {
        tags,
        summary: 'Post to the shared space (trimmed, ≤ 2000 chars); Idempotency-Key makes retries safe',
        body: optionalBody(Bodies.shared),
        response: { 200: z.object({ ok: z.literal(true), id: z.number(), event_id: z.string(), idempotent: z.boolean().optional() }) },
      },
    },
    async (request) => {
      const key = request.headers['idempotency-key'];
      return runtime.postShared(principalOf(request), request.body.content, typeof key === 'string' && key ? key : undefined);
    },
  );

  r.post('/claim-identity', { schema: { tags, summary: 'Disabled: runtime is linked-user only (410)' } }, async () => {
    throw new DomainError(RuntimeErrors.disabled, {
      details: { reason: 'runtime is linked-user only', how_to_claim: 'Use /runtime/connect while logged in, then claim invite.' },
    });
  });

  r.post(
    '/token',
    {
      config: { auth: 'user', authErrors: SESSION },
      // Disabled is answered before authentication, as in the original.
      onRequest: async () => runtime.assertDirectIssueEnabled(),
      schema: { tags, summary: 'Direct token issue (410 unless RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE)', body: optionalBody(Bodies.token) },
    },
    async (request) => runtime.issueDirect(principalOf(request).user, request.body.label),
  );

  r.post(
    '/token/rotate',
    { schema: { tags, summary: 'Admin: replace a runtime token (admin session or bootstrap key)', body: optionalBody(Bodies.rotate) } },
    async (request) => {
      await requireAdminOrBootstrap(request);
      return runtime.rotate(request.body.token, request.body.label);
    },
  );
  r.post(
    '/token/revoke',
    { schema: { tags, summary: 'Admin: revoke a token, or all of a user (admin session or bootstrap key)', body: optionalBody(Bodies.revoke) } },
    async (request) => {
      await requireAdminOrBootstrap(request);
      return runtime.revoke(request.body);
    },
  );

  r.get(
    '/tokens',
    {
      config: { auth: 'user', authErrors: WEB },
      schema: {
        tags,
        summary: 'My runtime tokens',
        response: {
          200: z.object({
            tokens: z.array(z.object({ id: z.number(), label: z.string(), created_at: z.string(), last_used_at: z.string().nullable(), active: z.boolean() })),
          }),
        },
      },
    },
    async (request) => ({
      tokens: (await runtime.listTokens(principalOf(request).user.userId)).map((t) => ({
        id: t.tokenId,
        label: t.label,
        created_at: new Date(t.createdAt).toISOString(),
        last_used_at: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(),
        active: t.active,
      })),
    }),
  );
  r.delete(
    '/tokens/:token_id',
    {
      config: { auth: 'user', authErrors: WEB },
      schema: { tags, summary: 'Revoke one of my runtime tokens', params: z.object({ token_id: z.coerce.number().int().positive() }), response: { 200: Ok } },
    },
    async (request) => {
      await runtime.revokeOwnToken(principalOf(request).user.userId, request.params.token_id);
      return { ok: true as const };
    },
  );
}

/**
 * Runtime Connect HTTP API, `/api/runtime/*`: paths, JSON fields, status codes and error strings of
 * the original (research/kozmos.md §1), plus Orrery's stream, long-poll and token management.
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
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../lib/errors.ts';
import type { Principal } from '../accounts/types.ts';
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
  if (!frame) frames.set(message, (frame = Buffer.from(`id: ${cursor}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`)));
  return frame;
}
const KEEP_ALIVE_MS = 15_000;
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

const SESSION = { missing: RuntimeErrors.missingSession, invalid: RuntimeErrors.unauthorized };
const CLAIM = { missing: RuntimeErrors.loginRequired, invalid: RuntimeErrors.unauthorized };
const TOKEN = { missing: RuntimeErrors.missingToken, invalid: RuntimeErrors.invalidToken };
const WEB = { missing: RuntimeErrors.unauthorized, invalid: RuntimeErrors.unauthorized };

const Ok = z.object({ ok: z.literal(true) });
const FeedMessage = z.object({ id: z.number(), user_id: z.string(), username: z.string(), content: z.string(), created_at: z.string() });
/** Bodies are validated loosely: the original's rules (e.g. non-string content → `empty content`) apply in the service. */
const AnyBody = z.record(z.string(), z.unknown()).nullish();

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

  // Bots send `Content-Type: application/json` with an empty body on heartbeats; treat it as no body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, function lenientJson(_request, body, done) {
    const text = String(body).trim();
    if (!text) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new DomainError(RuntimeErrors.invalidJson), undefined);
    }
  });

  /** Admin session, or the bootstrap key header (research §1.7; constant-time, 503 when unset). */
  async function requireAdminOrBootstrap(request: FastifyRequest): Promise<void> {
    if (request.principal?.user.isAdmin && request.principal.via !== 'runtime_token') return;
    const key = request.headers[BOOTSTRAP_HEADER];
    if (!runtime.checkBootstrapKey(typeof key === 'string' ? key : undefined)) throw new DomainError(RuntimeErrors.unauthorized);
  }

  r.get('/spec', { schema: { tags, summary: 'Discovery document (public)' } }, async (request) => runtime.spec(originOf(request)));

  r.post(
    '/invite/create',
    { config: { auth: 'user', authErrors: SESSION }, schema: { tags, summary: 'Create a one-time invite (ttlMinutes 1-60, default 10)', body: AnyBody } },
    async (request) => runtime.createInvite(originOf(request), principalOf(request).user.userId, request.body?.ttlMinutes),
  );

  r.post(
    '/invite/claim',
    { config: { auth: 'user', authErrors: CLAIM }, schema: { tags, summary: 'Claim an invite for a kzrt_ token bound to your account', body: AnyBody } },
    async (request) => runtime.claimInvite(originOf(request), principalOf(request).user, request.body?.code, request.body?.label),
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
    { config: { auth: 'runtime', authErrors: TOKEN }, schema: { tags, summary: 'Heartbeat', body: AnyBody, response: { 200: Ok } } },
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
      return runtime.feed({
        after: request.query.after || undefined,
        limit: request.query.limit,
        waitMs: Number.isFinite(wait) ? wait : 0,
        signal: controller.signal,
        excludeBotsOf: excludeBotsOf(principalOf(request), request.query.exclude),
      });
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
      const lastEventId = request.headers['last-event-id'];
      const after = (typeof lastEventId === 'string' && lastEventId) || request.query.after || undefined;
      const res = reply.raw;
      const socket = res.socket!;
      // What to release when the stream ends, filled in as the stream is set up.
      const held: { keepAlive?: NodeJS.Timeout; watcher?: { close(): void } } = {};
      let open = true;
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(held.keepAlive);
        held.watcher?.close();
      };
      // The head goes out with the first frame: an invalid cursor is rejected before any frame, as a 400.
      let started = false;
      const start = () => {
        started = true;
        reply.hijack();
        // A close-delimited body (RFC 9112 §6.3, rule 8): neither Content-Length nor chunked encoding,
        // so the bytes after the head are the SSE frames exactly, each one socket write.
        res.removeHeader('content-length');
        res.removeHeader('transfer-encoding');
        res.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'close',
          'x-accel-buffering': 'no',
        });
        res.flushHeaders();
        socket.write(`retry: 2000\n: connected\n\n`);
      };
      let live = false;
      const write = (chunk: Buffer | string) => {
        if (!open) return;
        if (!started) start();
        // A stalled reader must not grow the server's memory; it resumes losslessly with Last-Event-ID.
        // History is paced by `ready` instead.
        if (live && socket.writableLength > opts.streamMaxBacklogBytes) {
          request.log.warn({ backlog_bytes: socket.writableLength }, 'stream reader too slow; closing');
          close();
          socket.destroy();
          return;
        }
        socket.write(chunk);
      };
      socket.once('close', close);
      let watcher: { close(): void };
      try {
        const sink: SharedSink = {
          message: (m, cursor) => write(messageFrame(m, cursor)),
          presence: (p) => write(`event: presence\ndata: ${JSON.stringify(p)}\n\n`),
          error: (e) => request.log.warn({ err: e }, 'stream read failed'),
          ready: () => (socket.writableLength < opts.streamMaxBacklogBytes / 2 ? Promise.resolve() : drained(socket)),
        };
        watcher = await runtime.watchShared(after, sink, excludeBotsOf(principalOf(request), request.query.exclude));
      } catch (error) {
        socket.off('close', close);
        if (!started) throw error;
        // The 200 is out already: end the stream; the reader retries from its last id.
        request.log.warn({ err: error }, 'stream catch-up failed');
        socket.destroy();
        return;
      }
      if (!open) {
        watcher.close();
        if (!started) reply.hijack();
        return;
      }
      held.watcher = watcher;
      live = true;
      if (!started) start();
      held.keepAlive = setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    },
  );

  r.post(
    '/shared',
    {
      config: { auth: 'runtime_or_user', authErrors: TOKEN },
      schema: {
        tags,
        summary: 'Post to the shared space (trimmed, ≤ 2000 chars); Idempotency-Key makes retries safe',
        body: AnyBody,
        response: { 200: z.object({ ok: z.literal(true), id: z.number(), event_id: z.string(), idempotent: z.boolean().optional() }) },
      },
    },
    async (request) => {
      const key = request.headers['idempotency-key'];
      return runtime.postShared(principalOf(request), request.body?.content, typeof key === 'string' && key ? key : undefined);
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
      schema: { tags, summary: 'Direct token issue (410 unless RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE)', body: AnyBody },
    },
    async (request) => runtime.issueDirect(principalOf(request).user, request.body?.label),
  );

  r.post(
    '/token/rotate',
    { schema: { tags, summary: 'Admin: replace a runtime token (admin session or bootstrap key)', body: AnyBody } },
    async (request) => {
      await requireAdminOrBootstrap(request);
      return runtime.rotate(request.body?.token, request.body?.label);
    },
  );
  r.post(
    '/token/revoke',
    { schema: { tags, summary: 'Admin: revoke a token, or all of a user (admin session or bootstrap key)', body: AnyBody } },
    async (request) => {
      await requireAdminOrBootstrap(request);
      return runtime.revoke(request.body ?? {});
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

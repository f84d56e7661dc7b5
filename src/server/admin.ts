/**
 * The admin server on `ADMIN_PORT`, bound to 127.0.0.1 only (seed 001 `ADMIN_PORT`): `GET /stats`,
 * `POST /disable` (stop accepting and drain), `POST /enable`, `GET /metrics` (Prometheus text format).
 * Operator guide: docs/operations.md "Admin port".
 *
 * Loopback keeps other hosts out, but not the browser on this host: any page it shows can make it
 * request `http://127.0.0.1:5054/…` (`<img src>`, a form post, DNS rebinding), and any local process
 * can connect. So, on every route:
 * 1. state changes are POST only: no link, image or prefetch sends a POST, and current browsers mark
 *    a page's POST with `Origin` (GET on them → 405, changing nothing);
 * 2. browser-originated requests are refused (403), see {@link browserRefusal};
 * 3. with `ADMIN_TOKEN` set, `Authorization: Bearer <token>` is required (401), for hosts where
 *    other local users or processes must not drain the server or read its metrics.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { safeEqual, sha256Hex } from '../lib/secrets.ts';
import type { Metrics } from './metrics.ts';
import type { ListenerControl } from './listener.ts';

/** Address the admin server binds to; never configurable, so it is never exposed. */
export const ADMIN_HOST = '127.0.0.1';

/** What the admin routes report on and control, and who may call them. */
export interface AdminOptions {
  listener: ListenerControl;
  metrics: Metrics;
  /** Process start, epoch ms (for `uptime_s`). */
  startedAtMs: number;
  /** pino level of the admin server's own log (refused requests log at `warn`). */
  logLevel: string;
  /** `ADMIN_TOKEN`: when set, every request must carry `Authorization: Bearer <adminToken>`. */
  adminToken?: string | undefined;
}

/**
 * `Host` names the admin port answers to. A page that rebinds its own name to 127.0.0.1 (DNS
 * rebinding) sends its own name here, and a browser without Fetch Metadata sends nothing else that
 * gives it away. Bracketed `[::1]` is how an IPv6 literal appears in `Host`.
 */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a request looks browser-originated, or `undefined` when it does not. Browsers mark every
 * request a page makes, and page scripts cannot remove the marks:
 * - `Origin`: sent on every cross-origin request and every non-GET request (older browsers included),
 *   even as `Origin: null` from sandboxed and `file:` pages.
 * - `Sec-Fetch-Site` (Fetch Metadata): `cross-site`, `same-site` or `same-origin` for anything a
 *   page starts, including `<img>` and navigations; `none` only for what the user starts (a typed
 *   URL, a bookmark), then with `Sec-Fetch-Mode: navigate`. `none` in another mode comes from an
 *   extension or the browser itself, so it is refused too.
 * - `Host` not a loopback name: DNS rebinding (see {@link LOOPBACK_NAMES}).
 * `Sec-Fetch-Mode` alone is no sign of a browser: Node's `fetch` (undici) sends `Sec-Fetch-Mode: cors`
 * on every request without `Sec-Fetch-Site`, and scripts must keep working.
 */
function browserRefusal(headers: IncomingHttpHeaders): string | undefined {
  if (headers.origin !== undefined) return `Origin header present (${headers.origin})`;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && !(site === 'none' && headers['sec-fetch-mode'] === 'navigate')) {
    return `Sec-Fetch-Site: ${site}, Sec-Fetch-Mode: ${headers['sec-fetch-mode'] ?? '(none)'}`;
  }
  const host = headers.host;
  // No Host at all (HTTP/1.0 tools) is not a browser; browsers always send it.
  if (host !== undefined) {
    const name = (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!).toLowerCase();
    if (!LOOPBACK_NAMES.has(name)) return `Host ${host} is not 127.0.0.1, localhost or [::1]`;
  }
  return undefined;
}

/** The credential of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1). */
function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
}

/**
 * Build (not start) the admin server; the caller listens on {@link ADMIN_HOST}.
 * Every route answers JSON errors `{error, …}`: 403 for browser-originated requests (before anything
 * else, so a page learns nothing), 401 with `WWW-Authenticate: Bearer` without the right token, 405
 * with `Allow` for a known path on another method, 404 `{error:"not found", path}`.
 */
export function createAdminServer(opts: AdminOptions): FastifyInstance {
  // Admin routes take no body: 1 KiB is plenty for what a client sends anyway.
  const admin = Fastify({ logger: { level: opts.logLevel }, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true, bodyLimit: 1024 });

  // `curl -d ''` and PowerShell's Invoke-RestMethod send an empty form body; an empty JSON body would
  // fail Fastify's JSON parser. Bodies are ignored, so accept (and discard) any.
  admin.removeAllContentTypeParsers();
  admin.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));

  // Methods per path, for 405 + Allow (Fastify alone answers 404 for a known path on another method).
  const methodsOf = new Map<string, string[]>();
  admin.addHook('onRoute', (route) => {
    methodsOf.set(route.url, [...(methodsOf.get(route.url) ?? []), ...[route.method].flat()]);
  });

  const expected = opts.adminToken === undefined ? undefined : sha256Hex(opts.adminToken);
  admin.addHook('onRequest', async function guard(request, reply) {
    const refusal = browserRefusal(request.headers);
    if (refusal) {
      request.log.warn({ method: request.method, url: request.url, reason: refusal }, 'admin: browser-originated request refused');
      return reply.code(403).send({ error: 'the admin port refuses requests from browsers; call it from curl or a script on this host', reason: refusal });
    }
    if (expected === undefined) return;
    const given = bearerToken(request.headers.authorization);
    // Hashing both sides first makes the comparison constant-time in the token's length too.
    if (given === undefined || !safeEqual(sha256Hex(given), expected)) {
      request.log.warn({ method: request.method, url: request.url }, 'admin: missing or wrong admin token');
      return reply
        .code(401)
        .header('www-authenticate', given === undefined ? 'Bearer realm="orrery-admin"' : 'Bearer realm="orrery-admin", error="invalid_token"')
        .send({ error: given === undefined ? 'admin token required (Authorization: Bearer <ADMIN_TOKEN>)' : 'wrong admin token' });
    }
  });

  admin.get('/stats', async function stats() {
    return {
      accepting: opts.listener.accepting(),
      open_connections: await opts.listener.openConnections(),
      requests_in_flight: opts.metrics.inFlight(),
      uptime_s: Math.round((Date.now() - opts.startedAtMs) / 100) / 10,
      memory_rss_bytes: process.memoryUsage().rss,
    };
  });
  admin.post('/disable', async function disable() {
    await opts.listener.disable();
    return { ok: true, accepting: false };
  });
  admin.post('/enable', async function enable() {
    await opts.listener.enable();
    return { ok: true, accepting: true };
  });
  admin.get('/metrics', async function metrics(_request, reply) {
    reply.type(opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  admin.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allow = methodsOf.get(path);
    if (allow) {
      reply.code(405).header('allow', allow.join(', ')).send({ error: `method not allowed: use ${allow.join(' or ')} ${path}`, allow });
      return;
    }
    reply.code(404).send({ error: 'not found', path });
  });
  return admin;
}

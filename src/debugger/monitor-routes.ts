/**
 * The monitor stream over HTTP (issue 11 item 4; research/smythos.md §6.1, §6.7):
 *
 * | method | path | who |
 * |---|---|---|
 * | GET | /agent/:agentId/monitor | the agent's owner or an admin (session cookie, `orr_` token or API JWT) |
 *
 * Server-Sent Events: first `event: init` / `data: <monitorId>`, then `agent`, `component` and
 * `llm/passthrough/*` events of the runs that name the monitor in `X-MONITOR-ID`. Every frame's id is
 * `<monitorId>:<position>`, so a reconnecting `EventSource` resumes the same monitor with
 * `Last-Event-ID`; `?monitorId=&lastEventId=` does the same for clients that cannot set the header.
 * Comment frames keep idle connections open (src/server/sse.ts); a stream ends after
 * {@link MONITOR_IDLE_CLOSE_MS} without an event. SmythOS checks no caller here (§9); Orrery does: a
 * read-only GET needs no CSRF token, since a cross-site page cannot read the response.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createSseStream, SSE_CONTENT_TYPE, SSE_HEADERS } from '../server/sse.ts';
import { initFrame, MONITOR_IDLE_CLOSE_MS, parseMonitorEventId, type MonitorStreams, type MonitorSubscription } from './monitor.ts';

/** Options of {@link monitorRoutes}. */
export interface MonitorRoutesOptions {
  monitors: MonitorStreams;
  /** Whether `caller` may debug `agentId`: its owner or an admin (`not_found` for anyone else, whether the agent exists or not). */
  canDebug(agentId: string, caller: { userId?: string; admin?: boolean }): Promise<'ok' | 'unauthorized' | 'not_found'>;
  /** Unsent bytes a live reader may leave before it is cut off (it resumes with `Last-Event-ID`); default 4 MiB. */
  maxBacklogBytes?: number;
  /** A stream ends after this long without an event, ms (default {@link MONITOR_IDLE_CLOSE_MS}). */
  idleCloseMs?: number;
  /** Heartbeat comments every this many ms (default SSE_KEEP_ALIVE_MS, 15 s). */
  keepAliveMs?: number;
}

/** Credentials a person signs in with; runtime tokens and bot JWTs are for their own surfaces. */
const PERSON_CREDENTIALS = new Set(['session', 'access_token', 'jwt']);
const DEFAULT_MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** Registers `GET /agent/:agentId/monitor` at the root. */
export async function monitorRoutes(app: FastifyInstance, opts: MonitorRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const idleCloseMs = opts.idleCloseMs ?? MONITOR_IDLE_CLOSE_MS;

  r.get(
    '/agent/:agentId/monitor',
    {
      // A signed-in person (central auth: 401 otherwise); the handler checks they may debug the agent.
      config: { auth: 'user' },
      schema: {
        tags: ['debugger'],
        summary: "Server-Sent Events of the agent's monitored runs (owner or admin); resumes with Last-Event-ID",
        params: z.object({ agentId: z.string().max(200) }),
        querystring: z.object({
          monitorId: z.string().max(100).optional().describe('resume this monitor'),
          lastEventId: z.string().max(200).optional().describe('resume after this event id (`<monitorId>:<n>` or `<n>`)'),
        }),
      },
    },
    async (request, reply) => {
      const principal = request.principal && PERSON_CREDENTIALS.has(request.principal.via) ? request.principal : null;
      if (!principal) return reply.status(401).send({ error: 'Debugging requires authentication' });
      const { agentId } = request.params;
      const verdict = await opts.canDebug(agentId, { userId: principal.user.userId, admin: principal.user.isAdmin });
      if (verdict === 'unauthorized') return reply.status(401).send({ error: 'Debugging requires authentication' });
      if (verdict !== 'ok') return reply.status(404).send({ error: 'Agent not found' });
      // HEAD (Fastify answers it with this handler): the head of a stream, no body, no monitor.
      if (request.method === 'HEAD') return reply.type(SSE_CONTENT_TYPE).headers(SSE_HEADERS).send();

      const header = request.headers['last-event-id'];
      const fromHeader = typeof header === 'string' ? parseMonitorEventId(header) : undefined;
      const fromQuery = request.query.lastEventId;
      const queried = fromQuery ? (parseMonitorEventId(fromQuery) ?? (/^\d{1,15}$/.test(fromQuery) ? { after: Number(fromQuery) } : undefined)) : undefined;
      const monitorId = fromHeader?.monitorId ?? request.query.monitorId ?? (queried && 'monitorId' in queried ? queried.monitorId : undefined);
      const after = fromHeader?.after ?? queried?.after;

      // Counted against the credential's open streams; ended on revocation and at shutdown.
      const held = app.hasDecorator('live') ? app.live.track(request, () => stream.end()) : undefined;
      let opened;
      try {
        opened = await opts.monitors.open({ agentId, userId: principal.user.userId, resume: monitorId ? { monitorId, after } : undefined });
      } catch (error) {
        held?.release();
        throw error;
      }
      let subscription: MonitorSubscription | undefined;
      const idle = setTimeout(() => stream.end(), idleCloseMs);
      const stream = createSseStream(request, reply, {
        maxBacklogBytes: opts.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES,
        ...(opts.keepAliveMs ? { keepAliveMs: opts.keepAliveMs } : {}),
        onClose: () => {
          clearTimeout(idle);
          subscription?.close();
          held?.release();
        },
      });
      stream.write(initFrame(opened));
      try {
        subscription = await opts.monitors.subscribe(opened, {
          write(frame) {
            stream.write(frame);
            idle.refresh();
          },
          ready: () => stream.ready(),
          isOpen: () => stream.open,
        });
      } catch (error) {
        // The 200 is out already: end the stream; the reader retries from its last id.
        request.log.warn({ err: error }, 'monitor catch-up failed');
        stream.destroy();
        return;
      }
      if (stream.open) return stream.goLive();
      // Ended while catching up (reader left, credential revoked, shutdown).
      subscription.close();
    },
  );
}

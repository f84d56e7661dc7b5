/**
 * Filtering and syncing (spec "Filtering", "Syncing"):
 *   POST /user/{userId}/filter              #post_matrixclientv3useruseridfilter
 *   GET  /user/{userId}/filter/{filterId}   #get_matrixclientv3useruseridfilterfilterid
 *   GET  /sync                              #get_matrixclientv3sync (`since`, `timeout` long-poll, `filter` id or inline
 *                                           JSON, `full_state`, `set_presence`)
 * Of a filter, Orrery applies `room.timeline.limit` and `room.include_leave`; every other field is
 * accepted and ignored (docs/matrix.md).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import type { SyncResult } from '../../rooms/types.ts';
import { MatrixErrors } from '../errors.ts';
import { checkUserId, renderEvents, requireSelf, txnScope, userOf, type MatrixRouteDeps } from './deps.ts';
import { pageToken, parseSyncToken, syncToken } from './format.ts';

/** Longest long-poll, ms (clients ask for 30 s; more only holds connections). */
export const MAX_SYNC_TIMEOUT_MS = 60_000;
/** Most timeline events per room a filter may ask for. */
const MAX_TIMELINE_LIMIT = 200;

const Filter = z.record(z.string(), z.unknown());

interface SyncFilter {
  timelineLimit?: number;
  includeLeave: boolean;
}

function readFilter(filter: Record<string, unknown>): SyncFilter {
  const room = (filter.room ?? {}) as Record<string, unknown>;
  const timeline = (room.timeline ?? {}) as Record<string, unknown>;
  const limit = typeof timeline.limit === 'number' && Number.isInteger(timeline.limit) && timeline.limit > 0 ? Math.min(timeline.limit, MAX_TIMELINE_LIMIT) : undefined;
  return { ...(limit ? { timelineLimit: limit } : {}), includeLeave: room.include_leave === true };
}

/** Registers the section's routes. */
export async function syncRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { matrix, rooms, clock } = deps;

  r.post('/user/:userId/filter', { schema: { params: z.object({ userId: z.string() }), body: Filter } }, async (request) => {
    const user = requireSelf(request, checkUserId(request.params.userId), 'filters');
    return { filter_id: await matrix.createFilter(user.userId, request.body) };
  });

  r.get('/user/:userId/filter/:filterId', { schema: { params: z.object({ userId: z.string(), filterId: z.string() }) } }, async (request) => {
    const user = requireSelf(request, checkUserId(request.params.userId), 'filters');
    return matrix.getFilter(user.userId, request.params.filterId);
  });

  async function filterOf(userId: string, raw: string | undefined): Promise<SyncFilter> {
    if (!raw) return { includeLeave: false };
    if (raw.trimStart().startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new DomainError(MatrixErrors.invalidParam, { message: 'filter is not valid JSON' });
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DomainError(MatrixErrors.invalidParam, { message: 'filter must be an object' });
      return readFilter(parsed as Record<string, unknown>);
    }
    try {
      return readFilter(await matrix.getFilter(userId, raw));
    } catch {
      throw new DomainError(MatrixErrors.invalidParam, { message: `No such filter: ${raw}` });
    }
  }

  async function render(result: SyncResult, viewer: string, scope: string) {
    const join: Record<string, unknown> = {};
    for (const [room_id, room] of result.join) {
      join[room_id] = {
        timeline: { events: await renderEvents(deps, room.timeline, viewer, scope, false), limited: room.limited, prev_batch: pageToken(room.prev_batch) },
        state: { events: await renderEvents(deps, room.state, viewer, scope, false) },
        ephemeral: { events: room.ephemeral },
        account_data: { events: room.account_data },
        unread_notifications: { notification_count: room.notification_count, highlight_count: 0 },
      };
    }
    const invite: Record<string, unknown> = {};
    for (const [room_id, events] of result.invite) invite[room_id] = { invite_state: { events } };
    const leave: Record<string, unknown> = {};
    for (const [room_id, room] of result.leave) {
      leave[room_id] = {
        timeline: { events: await renderEvents(deps, room.timeline, viewer, scope, false), limited: false, prev_batch: pageToken(room.prev_batch) },
        state: { events: await renderEvents(deps, room.state, viewer, scope, false) },
        account_data: { events: [] },
      };
    }
    return {
      next_batch: syncToken(result.next),
      rooms: { join, invite, leave, knock: {} },
      presence: {
        events: result.presence.map(({ user_id, ...content }) => ({ type: 'm.presence', sender: user_id, content })),
      },
      account_data: { events: result.account_data },
      to_device: { events: [] },
      device_lists: { changed: [], left: [] },
      device_one_time_keys_count: {},
    };
  }

  r.get(
    '/sync',
    {
      schema: {
        querystring: z.object({
          since: z.string().max(100).optional(),
          timeout: z.coerce.number().int().min(0).optional().catch(undefined),
          filter: z.string().max(20_000).optional(),
          full_state: z.enum(['true', 'false']).optional(),
          set_presence: z.enum(['offline', 'online', 'unavailable']).optional(),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const q = request.query;
      const since = q.since ? parseSyncToken(q.since) : undefined;
      const filter = await filterOf(user.userId, q.filter);
      const options = { since, fullState: q.full_state === 'true', includeLeave: filter.includeLeave, ...(filter.timelineLimit ? { timelineLimit: filter.timelineLimit } : {}) };
      if (q.set_presence !== 'offline') {
        if (q.set_presence === 'unavailable') await rooms.setPresence(user.userId, 'unavailable', undefined);
        else await rooms.touchPresence(user.userId, request.principal!.via === 'runtime_token');
      }
      const timeoutMs = Math.min(q.timeout ?? 0, MAX_SYNC_TIMEOUT_MS);
      // A client that can wait (it continues from a token with a timeout) waits a moment more on a
      // busy server (at most SYNC_WAKE_MAX_DELAY_MS, and never past its own timeout or its close).
      if (since && timeoutMs > 0) {
        const gone = new AbortController();
        const onClose = () => gone.abort();
        request.raw.once('close', onClose);
        const cap = setTimeout(onClose, timeoutMs);
        try {
          await rooms.paceSync(gone.signal);
        } finally {
          clearTimeout(cap);
          request.raw.off('close', onClose);
        }
      }
      let result = await rooms.computeSync(user.userId, options);
      if (since && timeoutMs > 0 && rooms.isEmpty(result)) {
        const deadline = clock.now() + timeoutMs;
        const controller = new AbortController();
        request.raw.once('close', () => controller.abort());
        // Held open: counts against the credential's cap, ends on revocation or shutdown.
        const held = app.live.track(request, () => controller.abort());
        // A logout that landed between authentication and tracking found nothing to end: check again
        // now that a later one will (its revalidation sees this request).
        if (!(await app.reauthenticate(request))) controller.abort();
        try {
          // Wait from the positions this answer would carry, so nothing stored meanwhile is missed.
          let next = result.next;
          while (rooms.isEmpty(result) && !controller.signal.aborted) {
            const left = deadline - clock.now();
            if (left <= 0) break;
            await rooms.waitForSync(user.userId, result.wake, left, controller.signal, next);
            result = await rooms.computeSync(user.userId, { ...options, since: next });
            next = result.next;
          }
        } finally {
          held.release();
        }
      }
      return render(result, user.userId, txnScope(request));
    },
  );
}

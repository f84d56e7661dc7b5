/**
 * Sending and reading room events (spec "Sending events to a room", "Getting events for a room",
 * "Redactions"):
 *   PUT /rooms/{roomId}/send/{eventType}/{txnId}        #put_matrixclientv3roomsroomidsendeventtypetxnid (idempotent per user and txnId)
 *   PUT /rooms/{roomId}/state/{eventType}/{stateKey}    #put_matrixclientv3roomsroomidstateeventtypestatekey (stateKey may be empty)
 *   GET /rooms/{roomId}/state/{eventType}/{stateKey}    #get_matrixclientv3roomsroomidstateeventtypestatekey
 *   GET /rooms/{roomId}/state                           #get_matrixclientv3roomsroomidstate
 *   GET /rooms/{roomId}/messages                        #get_matrixclientv3roomsroomidmessages
 *   GET /rooms/{roomId}/event/{eventId}                 #get_matrixclientv3roomsroomideventeventid
 *   GET /rooms/{roomId}/context/{eventId}               #get_matrixclientv3roomsroomidcontexteventid
 *   GET /rooms/{roomId}/members                         #get_matrixclientv3roomsroomidmembers
 *   GET /rooms/{roomId}/joined_members                  #get_matrixclientv3roomsroomidjoined_members
 *   PUT /rooms/{roomId}/redact/{eventId}/{txnId}        #put_matrixclientv3roomsroomidredacteventidtxnid
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { renderEvents, scopedTxn, txnScope, userOf, type MatrixRouteDeps } from './deps.ts';
import { pageToken, parsePositionToken } from './format.ts';

const Content = z.record(z.string(), z.unknown());
const RoomParams = z.object({ roomId: z.string().max(255) });
const EventType = z.string().min(1).max(255);
/** Largest event content, bytes of JSON (spec: events are at most 65536 bytes). */
const MAX_CONTENT_BYTES = 65_000;
/** Most events per `/messages` page. */
const MAX_PAGE = 1000;

function checkSize(content: Record<string, unknown>): void {
  if (Buffer.byteLength(JSON.stringify(content)) > MAX_CONTENT_BYTES) throw new DomainError({ code: 'M_TOO_LARGE', kind: 'payload_too_large', message: 'Event is too large' });
}

/** Registers the section's routes. */
export async function roomEventsRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { rooms } = deps;

  r.put(
    '/rooms/:roomId/send/:eventType/:txnId',
    { schema: { params: RoomParams.extend({ eventType: EventType, txnId: z.string().min(1).max(255) }), body: Content } },
    async (request) => {
      const user = userOf(request);
      checkSize(request.body);
      const { roomId, eventType, txnId } = request.params;
      if (eventType === 'm.room.redaction' && typeof request.body.redacts === 'string') {
        const event = await rooms.redact(roomId, user.userId, request.body.redacts, typeof request.body.reason === 'string' ? request.body.reason : undefined, { txnId: scopedTxn(request, 'redact', roomId, txnId), ...tokenOf(request) });
        return { event_id: event.event_id };
      }
      const { event } = await rooms.sendEvent(roomId, user.userId, eventType, request.body, { txnId: scopedTxn(request, 'send', roomId, txnId), ...tokenOf(request) });
      return { event_id: event.event_id };
    },
  );

  const putState = async (request: { params: { roomId: string; eventType: string; stateKey?: string | undefined }; body: Record<string, unknown> } & Parameters<typeof userOf>[0]) => {
    const user = userOf(request);
    checkSize(request.body);
    const event = await rooms.sendState(request.params.roomId, user.userId, request.params.eventType, request.params.stateKey ?? '', request.body, tokenOf(request).tokenId);
    return { event_id: event.event_id };
  };
  const StateParams = RoomParams.extend({ eventType: EventType, stateKey: z.string().max(255).optional() });
  r.put('/rooms/:roomId/state/:eventType/:stateKey', { schema: { params: StateParams, body: Content } }, (request) => putState(request));
  r.put('/rooms/:roomId/state/:eventType', { schema: { params: StateParams, body: Content } }, (request) => putState(request));

  const getState = async (request: { params: { roomId: string; eventType: string; stateKey?: string | undefined } } & Parameters<typeof userOf>[0]) =>
    rooms.stateContent(request.params.roomId, userOf(request).userId, request.params.eventType, request.params.stateKey ?? '');
  r.get('/rooms/:roomId/state/:eventType/:stateKey', { schema: { params: StateParams } }, (request) => getState(request));
  r.get('/rooms/:roomId/state/:eventType', { schema: { params: StateParams } }, (request) => getState(request));

  r.get('/rooms/:roomId/state', { schema: { params: RoomParams } }, async (request) => {
    const user = userOf(request);
    return renderEvents(deps, await rooms.roomState(request.params.roomId, user.userId), user.userId, txnScope(request));
  });

  r.get(
    '/rooms/:roomId/messages',
    {
      schema: {
        params: RoomParams,
        querystring: z.object({
          from: z.string().max(100).optional(),
          to: z.string().max(100).optional(),
          dir: z.enum(['b', 'f']).default('b'),
          limit: z.coerce.number().int().min(0).optional(),
          filter: z.string().max(20_000).optional(),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const q = request.query;
      const page = await rooms.messages(request.params.roomId, user.userId, {
        dir: q.dir,
        from: q.from ? parsePositionToken(q.from, 'from') : undefined,
        to: q.to ? parsePositionToken(q.to, 'to') : undefined,
        limit: Math.min(q.limit ?? 10, MAX_PAGE),
      });
      return {
        chunk: await renderEvents(deps, page.chunk, user.userId, txnScope(request)),
        start: pageToken(page.start),
        ...(page.end !== undefined ? { end: pageToken(page.end) } : {}),
        state: await renderEvents(deps, page.state, user.userId, txnScope(request)),
      };
    },
  );

  r.get('/rooms/:roomId/event/:eventId', { schema: { params: RoomParams.extend({ eventId: z.string().max(255) }) } }, async (request) => {
    const user = userOf(request);
    const event = await rooms.event(request.params.roomId, user.userId, request.params.eventId);
    return (await renderEvents(deps, [event], user.userId, txnScope(request)))[0];
  });

  r.get(
    '/rooms/:roomId/context/:eventId',
    { schema: { params: RoomParams.extend({ eventId: z.string().max(255) }), querystring: z.object({ limit: z.coerce.number().int().min(0).max(MAX_PAGE).default(10), filter: z.string().max(20_000).optional() }) } },
    async (request) => {
      const user = userOf(request);
      const c = await rooms.context(request.params.roomId, user.userId, request.params.eventId, request.query.limit);
      return {
        event: (await renderEvents(deps, [c.event], user.userId, txnScope(request)))[0],
        events_before: await renderEvents(deps, c.events_before, user.userId, txnScope(request)),
        events_after: await renderEvents(deps, c.events_after, user.userId, txnScope(request)),
        start: pageToken(c.start),
        end: pageToken(c.end),
        state: await renderEvents(deps, c.state, user.userId, txnScope(request)),
      };
    },
  );

  r.get(
    '/rooms/:roomId/members',
    {
      schema: {
        params: RoomParams,
        querystring: z.object({
          at: z.string().max(100).optional(),
          membership: z.enum(['join', 'invite', 'knock', 'leave', 'ban']).optional(),
          not_membership: z.enum(['join', 'invite', 'knock', 'leave', 'ban']).optional(),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const members = await rooms.members(request.params.roomId, user.userId, request.query);
      return { chunk: await renderEvents(deps, members, user.userId, txnScope(request)) };
    },
  );

  r.get('/rooms/:roomId/joined_members', { schema: { params: RoomParams } }, async (request) => ({
    joined: await rooms.joinedMembers(request.params.roomId, userOf(request).userId),
  }));

  r.put(
    '/rooms/:roomId/redact/:eventId/:txnId',
    { schema: { params: RoomParams.extend({ eventId: z.string().max(255), txnId: z.string().min(1).max(255) }), body: z.object({ reason: z.string().max(1000).optional() }).passthrough() } },
    async (request) => {
      const user = userOf(request);
      const event = await rooms.redact(request.params.roomId, user.userId, request.params.eventId, request.body.reason, { txnId: scopedTxn(request, 'redact', request.params.roomId, request.params.txnId), ...tokenOf(request) });
      return { event_id: event.event_id };
    },
  );
}

/** The sending token, for per-token limits and the sender's `transaction_id` echo. */
function tokenOf(request: Parameters<typeof userOf>[0]): { tokenId?: number } {
  const id = request.principal?.tokenId;
  return id === undefined ? {} : { tokenId: id };
}


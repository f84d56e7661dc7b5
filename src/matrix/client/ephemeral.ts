/**
 * Typing, receipts and read markers (spec "Typing Notifications", "Receipts", "Read and unread markers"):
 *   PUT  /rooms/{roomId}/typing/{userId}                    #put_matrixclientv3roomsroomidtypinguserid
 *   POST /rooms/{roomId}/receipt/{receiptType}/{eventId}    #post_matrixclientv3roomsroomidreceiptreceipttypeeventid
 *   POST /rooms/{roomId}/read_markers                       #post_matrixclientv3roomsroomidread_markers
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { MatrixErrors } from '../errors.ts';
import { requireSelf, userOf, type MatrixRouteDeps } from './deps.ts';

const RoomParams = z.object({ roomId: z.string().max(255) });
const RECEIPT_TYPES = ['m.read', 'm.read.private'] as const;

/** Registers the section's routes. */
export async function ephemeralRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { rooms } = deps;

  r.put(
    '/rooms/:roomId/typing/:userId',
    { schema: { params: RoomParams.extend({ userId: z.string().max(255) }), body: z.object({ typing: z.boolean(), timeout: z.number().int().min(0).optional() }) } },
    async (request) => {
      const user = requireSelf(request, request.params.userId, 'typing state');
      await rooms.setTyping(request.params.roomId, user.userId, request.body.typing, request.body.timeout ?? 30_000);
      return {};
    },
  );

  r.post(
    '/rooms/:roomId/receipt/:receiptType/:eventId',
    { schema: { params: RoomParams.extend({ receiptType: z.string().max(255), eventId: z.string().max(255) }), body: z.object({ thread_id: z.string().max(255).optional() }).passthrough() } },
    async (request) => {
      const user = userOf(request);
      const { roomId, receiptType, eventId } = request.params;
      if (receiptType === 'm.fully_read') {
        await rooms.setAccountData(user.userId, roomId, 'm.fully_read', { event_id: eventId });
        return {};
      }
      if (!(RECEIPT_TYPES as readonly string[]).includes(receiptType)) throw new DomainError(MatrixErrors.invalidParam, { message: `Unknown receipt type ${receiptType}` });
      await rooms.setReceipt(roomId, user.userId, receiptType, eventId, request.body.thread_id);
      return {};
    },
  );

  r.post(
    '/rooms/:roomId/read_markers',
    {
      schema: {
        params: RoomParams,
        body: z.object({ 'm.fully_read': z.string().max(255).optional(), 'm.read': z.string().max(255).optional(), 'm.read.private': z.string().max(255).optional() }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const { roomId } = request.params;
      const b = request.body;
      if (b['m.fully_read']) {
        await rooms.event(roomId, user.userId, b['m.fully_read']);
        await rooms.setAccountData(user.userId, roomId, 'm.fully_read', { event_id: b['m.fully_read'] });
      }
      if (b['m.read']) await rooms.setReceipt(roomId, user.userId, 'm.read', b['m.read']);
      if (b['m.read.private']) await rooms.setReceipt(roomId, user.userId, 'm.read.private', b['m.read.private']);
      return {};
    },
  );
}

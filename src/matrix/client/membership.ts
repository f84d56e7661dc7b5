/**
 * Room membership (spec "Room membership"):
 *   POST /join/{roomIdOrAlias}        #post_matrixclientv3joinroomidoralias
 *   POST /rooms/{roomId}/join         #post_matrixclientv3roomsroomidjoin
 *   POST /rooms/{roomId}/invite       #post_matrixclientv3roomsroomidinvite
 *   POST /rooms/{roomId}/leave        #post_matrixclientv3roomsroomidleave
 *   POST /rooms/{roomId}/kick         #post_matrixclientv3roomsroomidkick
 *   POST /rooms/{roomId}/ban          #post_matrixclientv3roomsroomidban
 *   POST /rooms/{roomId}/unban        #post_matrixclientv3roomsroomidunban
 *   POST /rooms/{roomId}/forget       #post_matrixclientv3roomsroomidforget
 * The rules (join rule, invites, power levels, bans) are the rooms service's, checked atomically.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { MatrixErrors } from '../errors.ts';
import { checkUserId, userOf, type MatrixRouteDeps } from './deps.ts';

const RoomParams = z.object({ roomId: z.string().max(255) });
const Target = z.object({ user_id: z.string().max(255), reason: z.string().max(1000).optional() });
const Reason = z.object({ reason: z.string().max(1000).optional() });

/** Registers the section's routes. */
export async function membershipRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { rooms, matrix, accounts } = deps;

  async function join(roomIdOrAlias: string, userId: string): Promise<{ room_id: string }> {
    let room_id = roomIdOrAlias;
    if (roomIdOrAlias.startsWith('#')) room_id = await rooms.resolveAlias(roomIdOrAlias);
    else if (!roomIdOrAlias.startsWith('!')) throw new DomainError(MatrixErrors.invalidParam, { message: `${roomIdOrAlias} is not a room id or alias` });
    const user = (await accounts.findUser(userId))!;
    await rooms.join(room_id, userId, matrix.memberProfile(user));
    return { room_id };
  }

  r.post('/join/:roomIdOrAlias', { schema: { params: z.object({ roomIdOrAlias: z.string().max(255) }), body: Reason.passthrough() } }, async (request) =>
    join(request.params.roomIdOrAlias, userOf(request).userId),
  );
  r.post('/rooms/:roomId/join', { schema: { params: RoomParams, body: Reason.passthrough() } }, async (request) => join(request.params.roomId, userOf(request).userId));

  r.post('/rooms/:roomId/invite', { schema: { params: RoomParams, body: Target } }, async (request) => {
    const user = userOf(request);
    const target = await accounts.findUser(checkUserId(request.body.user_id));
    if (!target) throw new DomainError(MatrixErrors.notFound, { message: `Unknown user ${request.body.user_id}` });
    await rooms.invite(request.params.roomId, user.userId, target.userId, { ...matrix.memberProfile(target), ...(request.body.reason ? { reason: request.body.reason } : {}) });
    return {};
  });

  r.post('/rooms/:roomId/leave', { schema: { params: RoomParams, body: Reason } }, async (request) => {
    await rooms.leave(request.params.roomId, userOf(request).userId, request.body.reason);
    return {};
  });

  r.post('/rooms/:roomId/kick', { schema: { params: RoomParams, body: Target } }, async (request) => {
    await rooms.kick(request.params.roomId, userOf(request).userId, checkUserId(request.body.user_id), request.body.reason);
    return {};
  });

  r.post('/rooms/:roomId/ban', { schema: { params: RoomParams, body: Target } }, async (request) => {
    await rooms.ban(request.params.roomId, userOf(request).userId, checkUserId(request.body.user_id), request.body.reason);
    return {};
  });

  r.post('/rooms/:roomId/unban', { schema: { params: RoomParams, body: Target } }, async (request) => {
    await rooms.unban(request.params.roomId, userOf(request).userId, checkUserId(request.body.user_id), request.body.reason);
    return {};
  });

  r.post('/rooms/:roomId/forget', { schema: { params: RoomParams } }, async (request) => {
    await rooms.forget(request.params.roomId, userOf(request).userId);
    return {};
  });
}

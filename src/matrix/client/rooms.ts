/**
 * Room creation, aliases and the directory (spec "Creation", "Room aliases", "Listing rooms"):
 *   POST   /createRoom                        #post_matrixclientv3createroom
 *   GET    /joined_rooms                      #get_matrixclientv3joined_rooms
 *   GET    /directory/room/{roomAlias}        #get_matrixclientv3directoryroomroomalias (no auth needed)
 *   PUT    /directory/room/{roomAlias}        #put_matrixclientv3directoryroomroomalias
 *   DELETE /directory/room/{roomAlias}        #delete_matrixclientv3directoryroomroomalias
 *   GET    /rooms/{roomId}/aliases            #get_matrixclientv3roomsroomidaliases
 *   GET    /directory/list/room/{roomId}      #get_matrixclientv3directorylistroomroomid
 *   PUT    /directory/list/room/{roomId}      #put_matrixclientv3directorylistroomroomid
 *   GET    /publicRooms, POST /publicRooms    #get_matrixclientv3publicrooms, #post_matrixclientv3publicrooms
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { MatrixErrors } from '../errors.ts';
import { checkUserId, userOf, type MatrixRouteDeps } from './deps.ts';

const Content = z.record(z.string(), z.unknown());
const RoomAliasParams = z.object({ roomAlias: z.string().max(255) });
const RoomParams = z.object({ roomId: z.string().max(255) });
/** `PUT /directory/room/{roomAlias}` on a taken alias: 409 (spec #put_matrixclientv3directoryroomroomalias). */
const ALIAS_EXISTS = { code: 'M_UNKNOWN', kind: 'conflict', message: 'Room alias already exists' } as const;

/** A room alias must be `#local:server` and, for this server, name this server. @throws DomainError invalidParam */
export function checkAlias(alias: string, serverName: string): string {
  if (!/^#[^:\s]+:\S+$/.test(alias)) throw new DomainError(MatrixErrors.invalidParam, { message: `Invalid room alias: ${alias}` });
  if (alias.slice(alias.indexOf(':') + 1) !== serverName) throw new DomainError(MatrixErrors.invalidParam, { message: 'Room alias must be on this server' });
  return alias;
}

/** Registers the section's routes. */
export async function roomsRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { rooms, matrix, accounts, serverName } = deps;

  r.post(
    '/createRoom',
    {
      schema: {
        body: z.object({
          visibility: z.enum(['public', 'private']).optional(),
          room_alias_name: z.string().max(200).optional(),
          name: z.string().max(1000).optional(),
          topic: z.string().max(10_000).optional(),
          invite: z.array(z.string().max(255)).max(500).optional(),
          preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
          is_direct: z.boolean().optional(),
          initial_state: z.array(z.object({ type: z.string().max(255), state_key: z.string().max(255).optional(), content: Content })).max(100).optional(),
          power_level_content_override: Content.optional(),
          creation_content: Content.optional(),
          room_version: z.string().optional(),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const b = request.body;
      if (b.room_version && b.room_version !== '11') throw new DomainError({ code: 'M_UNSUPPORTED_ROOM_VERSION', kind: 'invalid', message: `Room version ${b.room_version} is not supported` });
      if (b.room_alias_name !== undefined && (!/^[^:\s#]+$/.test(b.room_alias_name))) throw new DomainError(MatrixErrors.invalidParam, { message: 'Invalid room_alias_name' });
      const invite = (b.invite ?? []).map(checkUserId);
      for (const u of invite) if (!(await accounts.findUser(u))) throw new DomainError(MatrixErrors.notFound, { message: `Unknown user ${u}` });
      const room_id = await rooms.createRoom({
        creator: user.userId,
        alias: b.room_alias_name ? `#${b.room_alias_name}:${serverName}` : undefined,
        name: b.name,
        topic: b.topic,
        preset: b.preset,
        visibility: b.visibility,
        invite,
        initial_state: b.initial_state,
        power_level_content_override: b.power_level_content_override,
        is_direct: b.is_direct,
        creation_content: b.creation_content,
        profile: matrix.memberProfile(user),
      });
      return { room_id };
    },
  );

  r.get('/joined_rooms', {}, async (request) => ({ joined_rooms: await rooms.joinedRooms(userOf(request).userId) }));

  r.get('/directory/room/:roomAlias', { config: { auth: 'public' }, schema: { params: RoomAliasParams } }, async (request) => {
    const room_id = await rooms.resolveAlias(request.params.roomAlias);
    return { room_id, servers: [serverName] };
  });

  r.put('/directory/room/:roomAlias', { schema: { params: RoomAliasParams, body: z.object({ room_id: z.string().max(255) }) } }, async (request) => {
    const user = userOf(request);
    const alias = checkAlias(request.params.roomAlias, serverName);
    if ((await rooms.membershipOf(request.body.room_id, user.userId)) !== 'join') throw new DomainError(MatrixErrors.forbidden, { message: 'You must be in the room to create an alias for it' });
    try {
      await rooms.createAlias(alias, request.body.room_id);
    } catch (error) {
      // The spec gives 409 here (M_UNKNOWN in its example); createRoom's taken alias stays 400 M_ROOM_IN_USE.
      if (error instanceof DomainError && error.code === 'ORR_ROOMS_ALIAS_TAKEN') throw new DomainError(ALIAS_EXISTS, { message: `Room alias ${alias} already exists` });
      throw error;
    }
    return {};
  });

  r.delete('/directory/room/:roomAlias', { schema: { params: RoomAliasParams } }, async (request) => {
    const user = userOf(request);
    await rooms.deleteAlias(request.params.roomAlias, user.userId, async (room_id) => user.isAdmin || (await rooms.canSendState(room_id, user.userId, 'm.room.canonical_alias')));
    return {};
  });

  r.get('/rooms/:roomId/aliases', { schema: { params: RoomParams } }, async (request) => {
    await rooms.roomState(request.params.roomId, userOf(request).userId);
    return { aliases: await rooms.aliasesOf(request.params.roomId) };
  });

  r.get('/directory/list/room/:roomId', { config: { auth: 'public' }, schema: { params: RoomParams } }, async (request) => ({
    visibility: await rooms.visibilityOf(request.params.roomId),
  }));

  r.put('/directory/list/room/:roomId', { schema: { params: RoomParams, body: z.object({ visibility: z.enum(['public', 'private']).default('public') }) } }, async (request) => {
    const user = userOf(request);
    if (!user.isAdmin && !(await rooms.canSendState(request.params.roomId, user.userId, 'm.room.canonical_alias'))) {
      throw new DomainError(MatrixErrors.forbidden, { message: 'You do not have permission to change the directory listing of this room' });
    }
    await rooms.setVisibility(request.params.roomId, request.body.visibility);
    return {};
  });

  const PublicQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional(), since: z.string().max(50).optional(), server: z.string().max(255).optional() });
  const page = async (limit = 100, since?: string, term?: string) => {
    const offset = since && /^\d{1,9}$/.test(since) ? Number(since) : 0;
    const { chunk, total } = await rooms.publicRooms(limit, offset, term);
    return {
      chunk,
      total_room_count_estimate: total,
      ...(offset + chunk.length < total ? { next_batch: String(offset + chunk.length) } : {}),
      ...(offset > 0 ? { prev_batch: String(Math.max(0, offset - limit)) } : {}),
    };
  };
  r.get('/publicRooms', { config: { auth: 'public' }, schema: { querystring: PublicQuery } }, async (request) => page(request.query.limit, request.query.since));
  r.post(
    '/publicRooms',
    {
      schema: {
        body: z.object({ limit: z.number().int().min(1).max(500).optional(), since: z.string().max(50).optional(), filter: z.object({ generic_search_term: z.string().max(255).optional() }).passthrough().optional() }).passthrough(),
      },
    },
    async (request) => page(request.body.limit, request.body.since, request.body.filter?.generic_search_term || undefined),
  );
}

/**
 * Presence, profiles, account data and the user directory (spec "Presence", "Profiles",
 * "Client Config", "User Directory"):
 *   GET|PUT /presence/{userId}/status                              #get_matrixclientv3presenceuseridstatus
 *   GET     /profile/{userId}                                      #get_matrixclientv3profileuserid
 *   GET|PUT /profile/{userId}/displayname, /avatar_url             #put_matrixclientv3profileuseriddisplayname
 *   GET|PUT /user/{userId}/account_data/{type}                     #put_matrixclientv3useruseridaccount_datatype
 *   GET|PUT /user/{userId}/rooms/{roomId}/account_data/{type}      #put_matrixclientv3useruseridroomsroomidaccount_datatype
 *   POST    /user_directory/search                                 #post_matrixclientv3user_directorysearch
 * One presence for both surfaces: a runtime heartbeat shows here and a Matrix status there.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { MatrixErrors } from '../errors.ts';
import { checkUserId, requireSelf, userOf, type MatrixRouteDeps } from './deps.ts';

const UserParams = z.object({ userId: z.string().max(255) });
const Content = z.record(z.string(), z.unknown());

/** Registers the section's routes. */
export async function profileRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { rooms, matrix, accounts } = deps;

  r.get('/presence/:userId/status', { schema: { params: UserParams } }, async (request) => {
    const userId = checkUserId(request.params.userId);
    if (!(await accounts.findUser(userId))) throw new DomainError(MatrixErrors.notFound, { message: 'Unknown user' });
    const { user_id: _u, ...view } = await rooms.getPresence(userId);
    void _u;
    return view;
  });
  r.put(
    '/presence/:userId/status',
    { schema: { params: UserParams, body: z.object({ presence: z.enum(['online', 'offline', 'unavailable']), status_msg: z.string().max(1000).optional() }) } },
    async (request) => {
      const user = requireSelf(request, request.params.userId, 'presence');
      await rooms.setPresence(user.userId, request.body.presence, request.body.status_msg);
      return {};
    },
  );

  r.get('/profile/:userId', { config: { auth: 'public' }, schema: { params: UserParams } }, async (request) => matrix.profile(checkUserId(request.params.userId)));
  for (const field of ['displayname', 'avatar_url'] as const) {
    r.get(`/profile/:userId/${field}`, { config: { auth: 'public' }, schema: { params: UserParams } }, async (request) => {
      const profile = await matrix.profile(checkUserId(request.params.userId));
      if (profile[field] === undefined) throw new DomainError(MatrixErrors.notFound, { message: `No ${field} set` });
      return { [field]: profile[field] };
    });
    r.put(
      `/profile/:userId/${field}`,
      { schema: { params: UserParams, body: z.object({ [field]: z.string().max(field === 'displayname' ? 256 : 1000).nullable().optional() }) } },
      async (request) => {
        const user = requireSelf(request, request.params.userId, 'profile');
        const value = (request.body as Record<string, string | null | undefined>)[field] ?? null;
        if (field === 'avatar_url' && value !== null && !value.startsWith('mxc://')) throw new DomainError(MatrixErrors.invalidParam, { message: 'avatar_url must be an mxc:// URI' });
        await matrix.setProfile(user, field === 'displayname' ? { displayName: value } : { avatarUrl: value });
        return {};
      },
    );
  }

  const AccountDataParams = UserParams.extend({ type: z.string().min(1).max(255) });
  const RoomAccountDataParams = AccountDataParams.extend({ roomId: z.string().max(255) });
  const notServerManaged = (type: string) => {
    if (type === 'm.fully_read' || type === 'm.push_rules') throw new DomainError({ code: 'M_BAD_JSON', kind: 'invalid', message: `Cannot set ${type} through this API` });
  };
  r.get('/user/:userId/account_data/:type', { schema: { params: AccountDataParams } }, async (request) => {
    const user = requireSelf(request, request.params.userId, 'account data');
    const content = await rooms.getAccountData(user.userId, null, request.params.type);
    if (!content) throw new DomainError(MatrixErrors.notFound, { message: 'Account data not found' });
    return content;
  });
  r.put('/user/:userId/account_data/:type', { schema: { params: AccountDataParams, body: Content } }, async (request) => {
    const user = requireSelf(request, request.params.userId, 'account data');
    notServerManaged(request.params.type);
    await rooms.setAccountData(user.userId, null, request.params.type, request.body);
    return {};
  });
  r.get('/user/:userId/rooms/:roomId/account_data/:type', { schema: { params: RoomAccountDataParams } }, async (request) => {
    const user = requireSelf(request, request.params.userId, 'account data');
    const content = await rooms.getAccountData(user.userId, request.params.roomId, request.params.type);
    if (!content) throw new DomainError(MatrixErrors.notFound, { message: 'Room account data not found' });
    return content;
  });
  r.put('/user/:userId/rooms/:roomId/account_data/:type', { schema: { params: RoomAccountDataParams, body: Content } }, async (request) => {
    const user = requireSelf(request, request.params.userId, 'account data');
    notServerManaged(request.params.type);
    await rooms.setAccountData(user.userId, request.params.roomId, request.params.type, request.body);
    return {};
  });

  r.post(
    '/user_directory/search',
    { schema: { body: z.object({ search_term: z.string().max(255), limit: z.number().int().min(1).max(100).default(10) }) } },
    async (request) => {
      userOf(request);
      const found = await accounts.searchUsers(request.body.search_term, request.body.limit + 1);
      return {
        limited: found.length > request.body.limit,
        results: found.slice(0, request.body.limit).map((u) => ({ user_id: u.userId, ...(u.displayName ? { display_name: u.displayName } : {}), ...(u.avatarUrl ? { avatar_url: u.avatarUrl } : {}) })),
      };
    },
  );
}

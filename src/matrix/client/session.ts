/**
 * Client authentication and account registration (spec "Client Authentication", "Account registration"):
 *   GET  /login                 https://spec.matrix.org/v1.11/client-server-api/#get_matrixclientv3login
 *   POST /login                 #post_matrixclientv3login  (m.login.password; `identifier` m.id.user or legacy `user`)
 *   POST /logout, /logout/all   #post_matrixclientv3logout, #post_matrixclientv3logoutall
 *   POST /register              #post_matrixclientv3register (user-interactive auth; policy open | closed | token;
 *                               REGISTRATION_MAX_PER_ADDRESS attempts per address, as on the web)
 *   GET  /register/available    #get_matrixclientv3registeravailable
 *   GET  /account/whoami        #get_matrixclientv3accountwhoami
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { MatrixErrors } from '../errors.ts';
import { userOf, type MatrixSectionDeps } from './deps.ts';

const Identifier = z.object({ type: z.string(), user: z.string().max(255).optional() }).passthrough();

/** Registers the section's routes. */
export async function sessionRoutes(app: FastifyInstance, deps: MatrixSectionDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { matrix, accounts } = deps;

  r.get('/login', { config: { auth: 'public' } }, async () => ({ flows: matrix.loginFlows() }));

  r.post(
    '/login',
    {
      config: { auth: 'public' },
      schema: {
        body: z.object({
          type: z.string(),
          identifier: Identifier.optional(),
          user: z.string().max(255).optional(),
          password: z.string().max(1024).optional(),
          device_id: z.string().max(255).optional(),
          initial_device_display_name: z.string().max(255).optional(),
        }),
      },
    },
    async (request) => {
      const body = request.body;
      if (body.type !== 'm.login.password') throw new DomainError(MatrixErrors.unknownLoginType, { message: `Unknown login type ${body.type}` });
      if (body.identifier && body.identifier.type !== 'm.id.user') throw new DomainError(MatrixErrors.unknownLoginType, { message: `Unknown identifier type ${body.identifier.type}` });
      const username = body.identifier?.user ?? body.user;
      if (!username || body.password === undefined) throw new DomainError(MatrixErrors.badJson, { message: 'identifier.user and password are required' });
      return matrix.login({ username, password: body.password, clientIp: request.ip, deviceId: body.device_id, displayName: body.initial_device_display_name });
    },
  );

  r.post('/logout', {}, async (request) => {
    const principal = request.principal!;
    if (principal.via === 'jwt') throw new DomainError(MatrixErrors.unknownLoginType, { message: 'JWTs cannot be logged out; they expire' });
    await accounts.logout(principal);
    return {};
  });

  r.post('/logout/all', {}, async (request) => {
    await matrix.logoutAll(request.principal!);
    return {};
  });

  r.post(
    '/register',
    {
      config: { auth: 'public' },
      schema: {
        querystring: z.object({ kind: z.enum(['user', 'guest']).default('user') }),
        body: z.object({
          username: z.string().max(255).optional(),
          password: z.string().max(1024).optional(),
          device_id: z.string().max(255).optional(),
          initial_device_display_name: z.string().max(255).optional(),
          inhibit_login: z.boolean().optional(),
          auth: z.object({ type: z.string().optional(), session: z.string().max(255).optional(), token: z.string().max(1024).optional() }).passthrough().optional(),
        }),
      },
    },
    async (request, reply) => {
      if (request.query.kind === 'guest') throw new DomainError(MatrixErrors.guestForbidden);
      const b = request.body;
      // Every attempt at a stage counts (a wrong registration token too); asking for the challenge does not.
      if (b.auth?.type) await deps.limitRegistration(request);
      const result = await matrix.register({ username: b.username, password: b.password, auth: b.auth, deviceId: b.device_id, displayName: b.initial_device_display_name, inhibitLogin: b.inhibit_login });
      if ('challenge' in result) return reply.code(401).send(result.challenge);
      return result.login ?? { user_id: result.user_id };
    },
  );

  r.get(
    '/register/available',
    { config: { auth: 'public' }, schema: { querystring: z.object({ username: z.string().max(255) }) } },
    async (request) => ({ available: await matrix.usernameAvailable(request.query.username) }),
  );

  r.get('/account/whoami', {}, async (request) => {
    const user = userOf(request);
    return { user_id: user.userId, device_id: await matrix.deviceOf(request.principal!), is_guest: false };
  });
}

/**
 * OpenID (spec "OpenID"; server-server "OpenID" userinfo): the Boxel bot runner's server-session
 * exchange asks the homeserver for an OpenID token and the realm server checks it.
 *   POST /user/{userId}/openid/request_token            #post_matrixclientv3useruseridopenidrequest_token
 *   GET  /_matrix/federation/v1/openid/userinfo          server-server API #get_matrixfederationv1openiduserinfo (public, token in the query)
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireSelf, type MatrixRouteDeps } from './deps.ts';

/** The client-API route. */
export async function openidRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/user/:userId/openid/request_token', { schema: { params: z.object({ userId: z.string().max(255) }), body: z.object({}).passthrough() } }, async (request) => {
    const user = requireSelf(request, request.params.userId, 'OpenID tokens');
    return deps.matrix.requestOpenidToken(user.userId);
  });
}

/** The federation-API route (unversioned prefix). */
export async function openidUserinfoRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/_matrix/federation/v1/openid/userinfo',
    { config: { auth: 'public' }, schema: { querystring: z.object({ access_token: z.string().max(255) }) } },
    async (request) => deps.matrix.openidUserinfo(request.query.access_token),
  );
}

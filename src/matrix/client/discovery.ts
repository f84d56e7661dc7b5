/**
 * Server discovery and capabilities (spec "Server Discovery", "Capabilities negotiation", "Push Rules"):
 *   GET /_matrix/client/versions     #get_matrixclientversions (no auth; a token is ignored)
 *   GET /.well-known/matrix/client   #getwell-knownmatrixclient
 *   GET /capabilities                #get_matrixclientv3capabilities
 *   GET /pushrules/                  #get_matrixclientv3pushrules (the default rule set; Orrery sends no push)
 */
import type { FastifyInstance } from 'fastify';
import type { MatrixRouteDeps } from './deps.ts';
import { defaultPushRules } from './push-rules.ts';

/** Spec versions served (js-sdk needs v1.1+ for its stable endpoints). */
export const SPEC_VERSIONS = ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11'];

/** The unversioned routes: `/versions` and `.well-known`. */
export async function discoveryRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  app.get('/_matrix/client/versions', { config: { auth: 'public' } }, async () => ({ versions: SPEC_VERSIONS, unstable_features: {} }));
  app.get('/.well-known/matrix/client', { config: { auth: 'public' } }, async (request) => ({
    'm.homeserver': { base_url: deps.publicOrigin ?? `${request.protocol}://${request.host}` },
  }));
}

/** The versioned routes of the section. */
export async function capabilityRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  app.get('/capabilities', {}, async () => ({
    capabilities: {
      'm.change_password': { enabled: false },
      'm.room_versions': { default: '11', available: { '11': 'stable' } },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.3pid_changes': { enabled: false },
    },
  }));
  app.get('/pushrules/', {}, async (request) => ({ global: defaultPushRules(request.principal!.user.userId, deps.serverName) }));
}

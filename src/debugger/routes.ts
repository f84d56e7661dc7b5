/**
 * The debugger's own routes (research/smythos.md §6.1); the debug headers on skill calls are routed by
 * src/agents/runner-routes.ts onto {@link DebuggerService.handle}. Only the agent's owner or an admin:
 * anonymous 401, anyone else 404 (research §11.4: the original checks nobody).
 *
 * | method | path | what |
 * |---|---|---|
 * | GET | /agent/:agentId/debugSession | `{dbgSession}` of the live session held for the agent, or `{}` |
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DebugCaller, DebuggerService } from './service.ts';

/** Options of {@link debuggerRoutes}. */
export interface DebuggerRoutesOptions {
  debugger: Pick<DebuggerService, 'liveSession'>;
}

/**
 * Who is calling, for a read-only debugger route: a person's credential (web session, `orr_` token,
 * API JWT); runtime tokens and bot JWTs are for their own surfaces.
 */
export function debugCallerOf(request: FastifyRequest): DebugCaller {
  const principal = request.principal && ['session', 'access_token', 'jwt'].includes(request.principal.via) ? request.principal : null;
  return { userId: principal?.user.userId, admin: principal?.user.isAdmin };
}

/** Registers the routes at the root. */
export async function debuggerRoutes(app: FastifyInstance, opts: DebuggerRoutesOptions): Promise<void> {
  app.get<{ Params: { agentId: string } }>('/agent/:agentId/debugSession', { config: { auth: 'user' }, schema: { hide: true } }, async (request, reply) => {
    const answer = await opts.debugger.liveSession(request.params.agentId, debugCallerOf(request));
    return reply.status(answer.status).send(answer.body);
  });
}

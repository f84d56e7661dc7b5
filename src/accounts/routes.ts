/**
 * Accounts HTTP API, `/api/auth/*` and `/api/admin/users*` (docs/api.md).
 * Maps requests onto the accounts service; status codes and schemas only.
 *
 * | method | path | who |
 * |---|---|---|
 * | GET  | /api/auth/config | anyone |
 * | POST | /api/auth/register | anyone (per REGISTRATION_POLICY) |
 * | POST | /api/auth/login | anyone (throttled) |
 * | POST | /api/auth/logout | user |
 * | GET  | /api/auth/whoami | user |
 * | POST | /api/auth/password | user |
 * | POST | /api/auth/sessions/revoke | user |
 * | POST | /api/auth/tokens | user |
 * | GET  | /api/admin/users | admin |
 * | POST | /api/admin/users | admin |
 * | POST | /api/admin/users/:user_id/revoke-sessions | admin |
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RegistrationPolicy } from '../config/options.ts';
import { DomainError, PlatformErrors } from '../lib/errors.ts';
import type { AccountsService } from './service.ts';
import type { Principal, User } from './types.ts';

/** Options of {@link accountsRoutes}. */
export interface AccountsRoutesOptions {
  accounts: AccountsService;
  serverName: string;
  registrationPolicy: RegistrationPolicy;
  /** Self-service registration attempts per client address per window (REGISTRATION_MAX_PER_ADDRESS). */
  registrationLimit: { max: number; windowMs: number };
}

const UserBody = z.object({
  user_id: z.string().describe('Matrix user id, @localpart:server_name'),
  localpart: z.string(),
  display_name: z.string().nullable(),
  is_admin: z.boolean(),
  created_at: z.string().describe('ISO 8601'),
});
const Credentials = z.object({
  username: z.string().min(1).max(300).describe('localpart or full user id'),
  password: z.string().min(1).max(1024),
});
const Ok = z.object({ ok: z.literal(true) });
const SessionReply = z.object({ user: UserBody, csrf_token: z.string().optional() });

/** JSON shape of a user. */
export function userJson(user: User): z.infer<typeof UserBody> {
  return {
    user_id: user.userId,
    localpart: user.localpart,
    display_name: user.displayName,
    is_admin: user.isAdmin,
    created_at: new Date(user.createdAt).toISOString(),
  };
}

/** The authenticated caller; the route's `config.auth` guarantees it is set. */
function principalOf(request: FastifyRequest): Principal {
  return request.principal!;
}

/** Registers the accounts routes (expects prefix `/api`). */
export async function accountsRoutes(app: FastifyInstance, opts: AccountsRoutesOptions): Promise<void> {
  const { accounts } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['accounts'];

  async function startSession(request: FastifyRequest, reply: FastifyReply, user: User) {
    const session = await accounts.createSession(user.userId, request.headers['user-agent'] ?? null);
    app.setSessionCookie(reply, session.cookieValue, session.expiresAt);
    return { user: userJson(user), csrf_token: session.csrfToken };
  }

  r.get(
    '/auth/config',
    {
      schema: {
        tags,
        summary: 'Server name and registration policy (for login pages)',
        response: { 200: z.object({ server_name: z.string(), registration_policy: z.enum(['open', 'closed', 'token']) }) },
      },
    },
    async () => ({ server_name: opts.serverName, registration_policy: opts.registrationPolicy }),
  );

  r.post(
    '/auth/register',
    {
      config: {
        // Per address, whoever is signed in: an address must not mint accounts in bulk (docs/security.md).
        rateLimit: {
          max: opts.registrationLimit.max,
          timeWindow: opts.registrationLimit.windowMs,
          keyGenerator: (request: FastifyRequest) => `register:${request.ip}`,
          errorResponseBuilder: (_request: FastifyRequest, context: { ttl: number }) =>
            new DomainError(PlatformErrors.registrationRateLimited, { details: { retry_after_ms: context.ttl } }),
        },
      },
      schema: {
        tags,
        summary: 'Create an account and start a web session; the first account becomes admin',
        body: Credentials.extend({ registration_token: z.string().max(1024).optional() }),
        response: { 201: SessionReply },
      },
    },
    async (request, reply) => {
      const { username, password, registration_token } = request.body;
      const user = await accounts.register({ username, password, registrationToken: registration_token });
      return reply.code(201).send(await startSession(request, reply, user));
    },
  );

  r.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Password login: a web session (default), an opaque access token or a JWT',
        body: Credentials.extend({
          issue: z.enum(['session', 'access_token', 'jwt']).default('session'),
        }),
        response: {
          200: z.object({
            user: UserBody,
            csrf_token: z.string().optional(),
            access_token: z.string().optional(),
            token_type: z.enum(['bearer']).optional(),
            expires_at: z.string().optional(),
          }),
        },
      },
    },
    async (request, reply) => {
      const { username, password, issue } = request.body;
      const user = await accounts.login({ username, password, clientIp: request.ip });
      if (issue === 'access_token') {
        const { token } = await accounts.createAccessToken(user.userId, { label: 'login' });
        return { user: userJson(user), access_token: token, token_type: 'bearer' as const };
      }
      if (issue === 'jwt') {
        const { token, expiresAt } = await accounts.issueJwt(user.userId);
        return {
          user: userJson(user),
          access_token: token,
          token_type: 'bearer' as const,
          expires_at: new Date(expiresAt).toISOString(),
        };
      }
      return startSession(request, reply, user);
    },
  );

  r.post(
    '/auth/logout',
    { config: { auth: 'user' }, schema: { tags, summary: 'End the session or access token used', response: { 200: Ok } } },
    async (request, reply) => {
      const principal = principalOf(request);
      await accounts.logout(principal);
      if (principal.via === 'session') app.clearSessionCookie(reply);
      return { ok: true as const };
    },
  );

  r.get(
    '/auth/whoami',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'The caller and the credential used',
        response: { 200: z.object({ user: UserBody, via: z.string(), csrf_token: z.string().optional() }) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return {
        user: userJson(p.user),
        via: p.via,
        ...(p.sessionHash ? { csrf_token: accounts.csrfTokenFor(p.sessionHash) } : {}),
      };
    },
  );

  r.post(
    '/auth/password',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Change password; revokes every other session and token',
        body: z.object({ current_password: z.string().min(1).max(1024), new_password: z.string().min(1).max(1024) }),
        response: { 200: z.object({ ok: z.literal(true), csrf_token: z.string().optional() }) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      await accounts.changePassword(p.user.userId, request.body.current_password, request.body.new_password);
      if (p.via !== 'session') return { ok: true as const };
      const { csrf_token } = await startSession(request, reply, p.user);
      return { ok: true as const, csrf_token };
    },
  );

  r.post(
    '/auth/sessions/revoke',
    {
      config: { auth: 'user' },
      schema: { tags, summary: 'Revoke every session, token and JWT of the caller', response: { 200: Ok } },
    },
    async (request, reply) => {
      await accounts.revokeAllSessions(principalOf(request).user.userId);
      app.clearSessionCookie(reply);
      return { ok: true as const };
    },
  );

  r.post(
    '/auth/tokens',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Create an opaque API access token (shown once, stored hashed)',
        body: z.object({ label: z.string().trim().min(1).max(60).default('api') }).default({ label: 'api' }),
        response: { 201: z.object({ access_token: z.string(), token_type: z.literal('bearer'), label: z.string() }) },
      },
    },
    async (request, reply) => {
      const { token } = await accounts.createAccessToken(principalOf(request).user.userId, { label: request.body.label });
      return reply.code(201).send({ access_token: token, token_type: 'bearer' as const, label: request.body.label });
    },
  );

  r.get(
    '/admin/users',
    {
      config: { auth: 'admin' },
      schema: { tags: ['admin'], summary: 'List accounts', response: { 200: z.object({ users: z.array(UserBody) }) } },
    },
    async () => ({ users: (await accounts.listUsers()).map(userJson) }),
  );

  r.post(
    '/admin/users',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Create an account regardless of the registration policy',
        body: Credentials.extend({ is_admin: z.boolean().default(false) }),
        response: { 201: z.object({ user: UserBody }) },
      },
    },
    async (request, reply) => {
      const user = await accounts.createUser({
        username: request.body.username,
        password: request.body.password,
        isAdmin: request.body.is_admin,
      });
      return reply.code(201).send({ user: userJson(user) });
    },
  );

  r.post(
    '/admin/users/:user_id/revoke-sessions',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['admin'],
        summary: "Revoke every session and token of a user",
        params: z.object({ user_id: z.string().min(1).max(300) }),
        response: { 200: Ok },
      },
    },
    async (request) => {
      const user = await accounts.getUser(request.params.user_id);
      await accounts.revokeAllSessions(user.userId);
      return { ok: true as const };
    },
  );
}

/**
 * Accounts vocabulary.
 * - user: an account, named by its Matrix user id `@localpart:server_name`.
 * - session: a web login held in an httpOnly cookie, stored server-side (hashed), revocable.
 * - access token: an opaque bearer token (`orr_…`), stored hashed; runtime tokens (`kzrt_…`) are a kind of it.
 * - JWT: a stateless HS256 bearer for API clients, valid until `exp` or the user's `sessions_revoked_at`.
 * - principal: who a request acts as, and by which credential.
 */

/** A user as the service exposes it (never the password hash). */
export interface User {
  userId: string;
  localpart: string;
  displayName: string | null;
  isAdmin: boolean;
  /** ms since epoch */
  createdAt: number;
  /** `mxc://` URL of the profile picture, or null. */
  avatarUrl: string | null;
}

/** How a request proved who it is. */
/** `bot_jwt`: the bot endpoints' JWT (`user` claim), accepted only by routes declaring `auth: 'bot_jwt'`. */
export type CredentialKind = 'session' | 'access_token' | 'jwt' | 'runtime_token' | 'bot_jwt';

/** The authenticated caller of a request. */
export interface Principal {
  user: User;
  via: CredentialKind;
  /** Set when `via === 'session'`: the stored hash of the cookie value. */
  sessionHash?: string;
  /** Set when `via` is `access_token` or `runtime_token`. */
  tokenId?: number;
}

/** A freshly created web session: the raw cookie value (shown once) and its CSRF token. */
export interface NewSession {
  cookieValue: string;
  csrfToken: string;
  /** ms since epoch */
  expiresAt: number;
}

/**
 * The accounts error catalogue (`docs/errors.md` lists every code; a test keeps them in sync).
 */
import type { ErrorSpec } from '../lib/errors.ts';

/** Errors raised by the accounts service. */
export const AccountErrors = {
  invalidUsername: { code: 'ORR_AUTH_INVALID_USERNAME', kind: 'invalid', message: 'invalid username' },
  weakPassword: { code: 'ORR_AUTH_WEAK_PASSWORD', kind: 'invalid', message: 'password must be 8-1024 characters' },
  usernameTaken: { code: 'ORR_AUTH_USERNAME_TAKEN', kind: 'conflict', message: 'username taken' },
  registrationClosed: { code: 'ORR_AUTH_REGISTRATION_CLOSED', kind: 'forbidden', message: 'registration is closed' },
  registrationToken: {
    code: 'ORR_AUTH_REGISTRATION_TOKEN',
    kind: 'forbidden',
    message: 'a valid registration token is required',
  },
  badCredentials: { code: 'ORR_AUTH_BAD_CREDENTIALS', kind: 'unauthorized', message: 'invalid username or password' },
  loginThrottled: {
    code: 'ORR_AUTH_LOGIN_THROTTLED',
    kind: 'rate_limited',
    message: 'too many failed logins, try again later',
  },
  unauthorized: { code: 'ORR_AUTH_UNAUTHORIZED', kind: 'unauthorized', message: 'unauthorized' },
  forbidden: { code: 'ORR_AUTH_FORBIDDEN', kind: 'forbidden', message: 'admin only' },
  csrf: { code: 'ORR_AUTH_CSRF', kind: 'forbidden', message: 'missing or invalid csrf token' },
  jwtNotRevocable: {
    code: 'ORR_AUTH_JWT_NOT_REVOCABLE',
    kind: 'invalid',
    message: 'a JWT cannot be logged out; revoke all sessions instead',
  },
  userNotFound: { code: 'ORR_AUTH_USER_NOT_FOUND', kind: 'not_found', message: 'user not found' },
  // The bot endpoints' JWT (bot-jwt.ts): the original realm server's 401 strings, verbatim.
  jwtMissingHeader: { code: 'ORR_AUTH_JWT_MISSING', kind: 'unauthorized', message: 'Missing Authorization header' },
  jwtExpired: { code: 'ORR_AUTH_JWT_EXPIRED', kind: 'unauthorized', message: 'Token expired' },
  jwtInvalid: { code: 'ORR_AUTH_JWT_INVALID', kind: 'unauthorized', message: 'Token invalid' },
  jwtRevoked: { code: 'ORR_AUTH_JWT_REVOKED', kind: 'unauthorized', message: 'Session revoked' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * The Runtime Connect error catalogue. Messages are the original Kozmos strings (docs/runtime-connect.md
 * "Endpoints") so existing bots and scripts that match on `error` keep working.
 */
import type { ErrorSpec } from '../lib/errors.ts';

/** Errors raised by the runtime service and its routes. */
export const RuntimeErrors = {
  missingToken: { code: 'ORR_RUNTIME_MISSING_TOKEN', kind: 'unauthorized', message: 'missing token' },
  invalidToken: { code: 'ORR_RUNTIME_INVALID_TOKEN', kind: 'unauthorized', message: 'invalid token' },
  tokenExpired: { code: 'ORR_RUNTIME_TOKEN_EXPIRED', kind: 'unauthorized', message: 'token expired' },
  missingSession: { code: 'ORR_RUNTIME_MISSING_SESSION', kind: 'unauthorized', message: 'missing session token' },
  loginRequired: { code: 'ORR_RUNTIME_LOGIN_REQUIRED', kind: 'unauthorized', message: 'login required' },
  unauthorized: { code: 'ORR_RUNTIME_UNAUTHORIZED', kind: 'unauthorized', message: 'unauthorized' },
  forbidden: { code: 'ORR_RUNTIME_FORBIDDEN', kind: 'forbidden', message: 'forbidden' },
  missingInviteCode: { code: 'ORR_RUNTIME_MISSING_INVITE_CODE', kind: 'invalid', message: 'missing invite code' },
  invalidInvite: { code: 'ORR_RUNTIME_INVALID_INVITE', kind: 'unauthorized', message: 'invalid invite' },
  inviteExpired: { code: 'ORR_RUNTIME_INVITE_EXPIRED', kind: 'gone', message: 'invite expired' },
  inviteUsed: { code: 'ORR_RUNTIME_INVITE_USED', kind: 'conflict', message: 'invite already used' },
  claimFailed: { code: 'ORR_RUNTIME_CLAIM_FAILED', kind: 'internal', message: 'claim failed' },
  invalidJson: { code: 'ORR_RUNTIME_INVALID_JSON', kind: 'invalid', message: 'invalid json body' },
  emptyContent: { code: 'ORR_RUNTIME_EMPTY_CONTENT', kind: 'invalid', message: 'empty content' },
  rateLimited: { code: 'ORR_RUNTIME_RATE_LIMITED', kind: 'rate_limited', message: 'rate limited' },
  duplicateContent: { code: 'ORR_RUNTIME_DUPLICATE_CONTENT', kind: 'conflict', message: 'duplicate content' },
  invalidCursor: { code: 'ORR_RUNTIME_INVALID_CURSOR', kind: 'invalid', message: 'invalid cursor' },
  disabled: { code: 'ORR_RUNTIME_DISABLED', kind: 'gone', message: 'disabled' },
  bootstrapDisabled: { code: 'ORR_RUNTIME_BOOTSTRAP_DISABLED', kind: 'unavailable', message: 'bootstrap disabled' },
  missingTokenArg: { code: 'ORR_RUNTIME_MISSING_TOKEN_ARG', kind: 'invalid', message: 'missing token' },
  revokeTarget: {
    code: 'ORR_RUNTIME_REVOKE_TARGET',
    kind: 'invalid',
    message: 'provide token/tokenHash or revokeAllForUser + user target',
  },
  missingUserTarget: { code: 'ORR_RUNTIME_MISSING_USER_TARGET', kind: 'invalid', message: 'missing user target' },
  tokenNotFound: { code: 'ORR_RUNTIME_TOKEN_NOT_FOUND', kind: 'not_found', message: 'token not found' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * The Matrix surface's errors (client-server spec "Standard error response", "Common error codes"):
 * `{errcode, error}` bodies. Errors the module raises itself carry their `M_…` code; domain errors
 * from `accounts` and `rooms` are translated here, by code where the spec names one, else by kind,
 * with the status the spec gives (a wrong password is 403 `M_FORBIDDEN` on this surface).
 */
import type { ErrorSpec } from '../lib/errors.ts';

/** Errors raised by the Matrix module. */
export const MatrixErrors = {
  missingToken: { code: 'M_MISSING_TOKEN', kind: 'unauthorized', message: 'Missing access token' },
  unknownToken: { code: 'M_UNKNOWN_TOKEN', kind: 'unauthorized', message: 'Invalid access token passed.' },
  unrecognized: { code: 'M_UNRECOGNIZED', kind: 'not_found', message: 'Unrecognized request' },
  notFound: { code: 'M_NOT_FOUND', kind: 'not_found', message: 'Not found' },
  forbidden: { code: 'M_FORBIDDEN', kind: 'forbidden', message: 'Forbidden' },
  badJson: { code: 'M_BAD_JSON', kind: 'invalid', message: 'Malformed request body' },
  notJson: { code: 'M_NOT_JSON', kind: 'invalid', message: 'Content not JSON.' },
  invalidParam: { code: 'M_INVALID_PARAM', kind: 'invalid', message: 'Invalid parameter' },
  missingParam: { code: 'M_MISSING_PARAM', kind: 'invalid', message: 'Missing parameter' },
  unknownLoginType: { code: 'M_UNKNOWN', kind: 'invalid', message: 'Unknown login type' },
  guestForbidden: { code: 'M_GUEST_ACCESS_FORBIDDEN', kind: 'forbidden', message: 'Guest access is not allowed' },
} as const satisfies Record<string, ErrorSpec>;

/** How a domain error code reads on the Matrix surface: errcode and, where it differs, status. */
const TRANSLATED: Record<string, { errcode: string; status?: number }> = {
  ORR_AUTH_BAD_CREDENTIALS: { errcode: 'M_FORBIDDEN', status: 403 },
  ORR_AUTH_USERNAME_TAKEN: { errcode: 'M_USER_IN_USE', status: 400 },
  ORR_AUTH_INVALID_USERNAME: { errcode: 'M_INVALID_USERNAME' },
  ORR_AUTH_WEAK_PASSWORD: { errcode: 'M_WEAK_PASSWORD' },
  ORR_AUTH_REGISTRATION_CLOSED: { errcode: 'M_FORBIDDEN' },
  ORR_AUTH_REGISTRATION_TOKEN: { errcode: 'M_FORBIDDEN', status: 401 },
  ORR_AUTH_USER_NOT_FOUND: { errcode: 'M_NOT_FOUND' },
  ORR_AUTH_JWT_NOT_REVOCABLE: { errcode: 'M_UNKNOWN' },
  ORR_ROOMS_ALIAS_TAKEN: { errcode: 'M_ROOM_IN_USE', status: 400 },
  ORR_ROOMS_STILL_JOINED: { errcode: 'M_UNKNOWN' },
  ORR_ROOMS_BAD_ALIAS: { errcode: 'M_BAD_ALIAS' },
  ORR_PAYLOAD_TOO_LARGE: { errcode: 'M_TOO_LARGE' },
  ORR_UNSUPPORTED_MEDIA_TYPE: { errcode: 'M_NOT_JSON', status: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { errcode: 'M_NOT_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { errcode: 'M_NOT_JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { errcode: 'M_NOT_JSON', status: 400 },
};

const BY_STATUS: Record<number, string> = {
  400: 'M_INVALID_PARAM',
  401: 'M_UNKNOWN_TOKEN',
  403: 'M_FORBIDDEN',
  404: 'M_NOT_FOUND',
  405: 'M_UNRECOGNIZED',
  409: 'M_UNKNOWN',
  410: 'M_NOT_FOUND',
  413: 'M_TOO_LARGE',
  415: 'M_NOT_JSON',
  429: 'M_LIMIT_EXCEEDED',
};

/**
 * The errcode and status for an error view on the Matrix surface. Validation failures of the body
 * are `M_BAD_JSON` (valid JSON, wrong shape), of the query or path `M_INVALID_PARAM`.
 */
export function matrixErrcode(code: string, status: number, details: Record<string, unknown>): { errcode: string; status: number } {
  if (code.startsWith('M_')) return { errcode: code, status };
  const known = TRANSLATED[code];
  if (known) return { errcode: known.errcode, status: known.status ?? status };
  if (code === 'ORR_VALIDATION') {
    const issues = Array.isArray(details.issues) ? (details.issues as Array<{ path?: string }>) : [];
    return { errcode: issues.some((i) => String(i.path ?? '').startsWith('body')) ? 'M_BAD_JSON' : 'M_INVALID_PARAM', status };
  }
  return { errcode: BY_STATUS[status] ?? 'M_UNKNOWN', status };
}

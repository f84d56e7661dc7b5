/**
 * Domain errors: what went wrong, in words a client can show, with a stable code and a kind.
 * Domain modules throw {@link DomainError}; they know nothing of HTTP. `server/errors.ts` maps each
 * kind onto a status code and each API surface's body convention (DESIGN §7).
 */

/** The kinds of failure; each maps to exactly one HTTP status in `server/errors.ts`. */
export type ErrorKind =
  | 'invalid'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** One catalogue entry: stable `code` (`ORR_<AREA>_<WHAT>`), its kind and its default message. */
export interface ErrorSpec {
  code: string;
  kind: ErrorKind;
  message: string;
}

/** A failure with a catalogue entry, an optional message override and extra body fields. */
export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  /** Extra fields merged into the response body (e.g. `reason`, `retry_after_ms`). */
  readonly details: Record<string, unknown>;

  constructor(spec: ErrorSpec, options: { message?: string; details?: Record<string, unknown> } = {}) {
    super(options.message ?? spec.message);
    this.name = 'DomainError';
    this.code = spec.code;
    this.kind = spec.kind;
    this.details = options.details ?? {};
  }
}

/** Errors of the platform itself (routing, validation, limits). */
export const PlatformErrors = {
  notFound: { code: 'ORR_NOT_FOUND', kind: 'not_found', message: 'not found' },
  validation: { code: 'ORR_VALIDATION', kind: 'invalid', message: 'invalid request' },
  badRequest: { code: 'ORR_BAD_REQUEST', kind: 'invalid', message: 'bad request' },
  payloadTooLarge: { code: 'ORR_PAYLOAD_TOO_LARGE', kind: 'payload_too_large', message: 'payload too large' },
  unsupportedMediaType: { code: 'ORR_UNSUPPORTED_MEDIA_TYPE', kind: 'unsupported_media_type', message: 'unsupported media type' },
  rateLimited: { code: 'ORR_RATE_LIMITED', kind: 'rate_limited', message: 'rate limited' },
  tooManyStreams: { code: 'ORR_TOO_MANY_STREAMS', kind: 'rate_limited', message: 'too many open streams for this credential' },
  registrationRateLimited: { code: 'ORR_REGISTRATION_RATE_LIMITED', kind: 'rate_limited', message: 'too many registrations from this address, try again later' },
  nulInText: { code: 'ORR_NUL_IN_TEXT', kind: 'invalid', message: 'text must not contain NUL (U+0000) characters' },
  unavailable: { code: 'ORR_UNAVAILABLE', kind: 'unavailable', message: 'service unavailable' },
  internal: { code: 'ORR_INTERNAL', kind: 'internal', message: 'internal error' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * What the server accepts as input before any route sees it, the same on both databases.
 *
 * - An empty body is no body, whatever its content type. PowerShell's `Invoke-RestMethod -Method
 *   Post` without `-Body` sends `Content-Type: application/x-www-form-urlencoded` and nothing else; the
 *   original runtime scripts heartbeat that way, and bots send `application/json` with an empty body.
 * - A non-empty body needs a parser for its type (JSON here; routes may add more, as the runtime routes
 *   do), else 415.
 * - No text may contain NUL (U+0000): PostgreSQL refuses it in `text` and `jsonb` (a 500 with a stack
 *   trace, before), while SQLite stored it, so the two databases disagreed. Every string of the body,
 *   the query and the path, keys included, is checked once here: 400 `ORR_NUL_IN_TEXT`.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, PlatformErrors } from '../lib/errors.ts';

/** True when `value` holds a string (or an object key) containing U+0000, at any depth. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) if (key.includes('\u0000') || containsNul(inner)) return true;
  }
  return false;
}

/**
 * Parse `body` as JSON, an empty (or all-whitespace) body as no body.
 * @throws DomainError `invalid` (400) with `message` when it is not JSON
 */
export function parseJsonOrEmpty(body: string, message: string): unknown {
  const text = body.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError(PlatformErrors.badRequest, { message });
  }
}

/** Installs the body parsers and the NUL check. */
export const inputPlugin = fp(
  async function input(app: FastifyInstance) {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, function jsonOrEmpty(_request, body, done) {
      try {
        done(null, parseJsonOrEmpty(String(body), 'invalid JSON body'));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    // Plain text stays text (no route reads it yet), but an empty one is no body, as everywhere.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, function textOrEmpty(_request, body, done) {
      done(null, String(body) === '' ? undefined : String(body));
    });
    // Any other type: fine when empty, 415 when there is something we cannot read.
    app.addContentTypeParser('*', { parseAs: 'string' }, function emptyOnly(_request, body, done) {
      if (!String(body).trim()) return done(null, undefined);
      done(new DomainError(PlatformErrors.unsupportedMediaType), undefined);
    });

    app.addHook('preValidation', function refuseNul(request: FastifyRequest, _reply, done) {
      const nul = containsNul(request.body) || containsNul(request.query) || containsNul(request.params);
      done(nul ? new DomainError(PlatformErrors.nulInText) : undefined);
    });
  },
  { name: 'orrery-input', fastify: '5.x' },
);

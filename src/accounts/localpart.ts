/**
 * Matrix user ids: grammar and normalisation (Matrix spec, Appendices § "User Identifiers").
 * A localpart is 1+ characters of `a-z 0-9 . _ = - / +`; the whole id `@localpart:server_name`
 * is at most 255 bytes.
 */

const LOCALPART_RE = /^[a-z0-9._=\-/+]+$/;

/** Human-readable statement of the grammar, used in error messages. */
export const LOCALPART_RULE =
  'username may contain only lowercase letters a-z, digits 0-9 and . _ = - / + (Matrix user id localpart)';

/** Outcome of {@link parseUsername}: the localpart, or the rule it broke. */
export type ParsedUsername = { ok: true; localpart: string } | { ok: false; reason: string };

/**
 * Accept `alice` or `@alice:<serverName>` and return the localpart, or the broken rule.
 * Case is not folded: `Alice` is rejected with the rule, so ids never change under the user's feet.
 */
export function parseUsername(input: string, serverName: string): ParsedUsername {
  let localpart = input.trim();
  if (localpart.startsWith('@')) {
    const colon = localpart.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'a full user id must look like @localpart:' + serverName };
    if (localpart.slice(colon + 1) !== serverName) {
      return { ok: false, reason: `user id must be on this server (${serverName})` };
    }
    localpart = localpart.slice(1, colon);
  }
  if (localpart.length === 0) return { ok: false, reason: 'username must not be empty' };
  if (!LOCALPART_RE.test(localpart)) return { ok: false, reason: LOCALPART_RULE };
  if (Buffer.byteLength(userIdOf(localpart, serverName)) > 255) {
    return { ok: false, reason: 'user id must be at most 255 bytes' };
  }
  return { ok: true, localpart };
}

/** `@<localpart>:<serverName>`. */
export function userIdOf(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

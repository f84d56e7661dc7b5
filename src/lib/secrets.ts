/**
 * Random secrets and their storage form. High-entropy tokens are stored as unsalted SHA-256 hex
 * (DESIGN §7; docs/runtime-connect.md "Security"): a lookup is an equality on the hash, and the raw value is shown once.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** `prefix` + `bytes` random bytes as lowercase hex (e.g. `kzrt_` + 24 bytes = 48 hex chars). */
export function randomToken(prefix: string, bytes: number): string {
  return prefix + randomBytes(bytes).toString('hex');
}

/** SHA-256 of `value` as lowercase hex: the stored form of a token. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** HMAC-SHA-256 of `value` keyed by `secret`, base64url. */
export function hmac(secret: string, value: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

/** Constant-time string comparison; unequal lengths compare unequal without leaking where. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

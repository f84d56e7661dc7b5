/**
 * Accounts: password login with a throttle that holds under concurrency.
 *
 * Each attempt first reserves a slot under its keys (`ip:<address>`, `user:<localpart>`) with one
 * atomic conditional update, and only then hashes. Before, the lock was read, the password hashed and the
 * failure written as three steps: 550 wrong passwords sent at once were all checked (312 argon2
 * checks where 5 per username and 50 per address were allowed), and a 200-guess burst with the right
 * password inside it logged in. A success gives its reservations back. Part of the accounts service.
 */
import argon2 from 'argon2';
import { DomainError } from '../lib/errors.ts';
import { AccountErrors } from './errors.ts';
import { parseUsername } from './localpart.ts';
import type { AccountsDeps } from './service.ts';
import type { User } from './types.ts';
import { ARGON2, toUser } from './users.ts';

/** Failures allowed per client address, as a multiple of `LOGIN_MAX_FAILURES` (per username). */
export const IP_FAILURE_FACTOR = 10;
/** Wait suggested when a key's slots are all taken by attempts still being checked, ms. */
const BUSY_RETRY_MS = 1000;

/** Builds the login part of the accounts service. */
export function createLogin(deps: AccountsDeps) {
  const { store, config, clock } = deps;
  let dummyHash: Promise<string> | undefined;
  /** A client address may fail for many users before it is throttled; a username only a few times. */
  const limitOf = (key: string) => (key.startsWith('ip:') ? config.login.maxFailures * IP_FAILURE_FACTOR : config.login.maxFailures);

  /** Reserve an attempt under every key, or none: a refusal gives back what was taken. */
  async function reserve(keys: string[]): Promise<void> {
    const taken: string[] = [];
    for (const key of keys) {
      const wait = await store.reserveAuthAttempt(key, clock.now(), limitOf(key), config.login.lockoutMs, BUSY_RETRY_MS);
      if (wait !== null) {
        for (const k of taken) await store.settleAuthAttempt(k, false, clock.now(), limitOf(k), config.login.lockoutMs);
        throw new DomainError(AccountErrors.loginThrottled, { details: { retry_after_ms: wait } });
      }
      taken.push(key);
    }
  }

  return {
    /**
     * Password login. Unknown user and wrong password give the same error and take the same time.
     * After `LOGIN_MAX_FAILURES` attempts per username that did not succeed (10× that per client
     * address), logins are refused for `LOGIN_LOCKOUT_MS`; attempts in flight count.
     * @throws DomainError loginThrottled (details.retry_after_ms) | badCredentials
     */
    async login(input: { username: string; password: string; clientIp: string }): Promise<User> {
      const parsed = parseUsername(input.username, config.serverName);
      const userKey = parsed.ok ? `user:${parsed.localpart}` : undefined;
      const ipKey = `ip:${input.clientIp}`;
      const keys = userKey ? [ipKey, userKey] : [ipKey];
      await reserve(keys);

      const row = parsed.ok ? await store.findUserByLocalpart(parsed.localpart) : undefined;
      let ok = false;
      if (row?.password_hash && !row.deactivated_at) {
        ok = await argon2.verify(row.password_hash, input.password).catch(() => false);
      } else {
        dummyHash ??= argon2.hash('orrery-timing-equaliser', ARGON2);
        await argon2.verify(await dummyHash, input.password).catch(() => false);
      }
      if (!ok || !row) {
        // Only completed failures count and lock: attempts in flight are not failures yet, and a
        // burst of right-password logins must not lock its owner out.
        for (const key of keys) await store.settleAuthAttempt(key, true, clock.now(), limitOf(key), config.login.lockoutMs);
        throw new DomainError(AccountErrors.badCredentials);
      }
      // The username's record resets; the address only gets its slot back, so logging into one's
      // own account cannot clear the record of an address guessing at others.
      if (userKey) await store.deleteAuthFailure(userKey);
      await store.settleAuthAttempt(ipKey, false, clock.now(), limitOf(ipKey), config.login.lockoutMs);
      return toUser(row);
    },
  };
}

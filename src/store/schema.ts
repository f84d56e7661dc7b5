/**
 * Table row types for Kysely, one interface per table, grouped by the module that owns the table.
 * Only that module's `store.ts` queries its tables. Timestamps are integer milliseconds since the
 * epoch (`*_ts`, `*_at`), booleans are integers 0/1, JSON is text: one representation on both dialects.
 */
import type { Generated } from 'kysely';

/** `users` (accounts): one row per account; `user_id` is the Matrix user id `@localpart:server_name`. */
export interface UsersTable {
  user_id: string;
  localpart: string;
  password_hash: string | null;
  display_name: string | null;
  is_admin: number;
  created_at: number;
  /** Sessions and tokens issued before this instant (ms) are invalid. */
  sessions_revoked_at: number | null;
  deactivated_at: number | null;
}

/** `sessions` (accounts): server-side web sessions; `session_hash` is SHA-256 of the cookie value. */
export interface SessionsTable {
  session_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  user_agent: string | null;
}

/** `access_tokens` (accounts): opaque bearer tokens, stored hashed; `kind` separates API and runtime tokens. */
export interface AccessTokensTable {
  token_id: Generated<number>;
  token_hash: string;
  user_id: string;
  kind: string;
  label: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

/** `auth_failures` (accounts): failed-login counters per key (`user:<localpart>` or `ip:<addr>`). */
export interface AuthFailuresTable {
  key: string;
  failures: number;
  window_start: number;
  locked_until: number | null;
}

/** Every table Orrery owns. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  access_tokens: AccessTokensTable;
  auth_failures: AuthFailuresTable;
}

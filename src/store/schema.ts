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
  /** `mxc://` URL of the profile picture (Matrix profile), or null. */
  avatar_url: string | null;
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
  /** Matrix device id of the login that created it (null for tokens made outside a Matrix login). */
  device_id: string | null;
}

/** `auth_failures` (accounts): failed-login counters per key (`user:<localpart>` or `ip:<addr>`). */
export interface AuthFailuresTable {
  key: string;
  failures: number;
  /** Attempts reserved and still being checked (not yet a failure or a success). */
  pending: number;
  window_start: number;
  locked_until: number | null;
}

/** `rooms` (rooms): one row per room; everything else about a room is in its state events. */
export interface RoomsTable {
  room_id: string;
  creator: string;
  created_at: number;
  /** `public` rooms are listed in the room directory; `private` ones are not. */
  visibility: string;
}

/** `events` (rooms): every event, in one global order (`stream_ordering`), Matrix field names. */
export interface EventsTable {
  stream_ordering: Generated<number>;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  /** JSON text */
  content: string;
  origin_server_ts: number;
  txn_id: string | null;
  token_id: number | null;
  /** Sender-supplied key for "same content recently" checks (runtime: SHA-256 of the normalised text). */
  dedupe_key: string | null;
  /** Event id of the redaction that pruned this event's content, or null. */
  redacted_because: string | null;
}

/** `current_state` (rooms): the latest state event per (room, type, state_key). */
export interface CurrentStateTable {
  room_id: string;
  type: string;
  state_key: string;
  event_id: string;
  /** `content.membership` of `m.room.member` events, for membership queries. */
  membership: string | null;
}

/** `room_aliases` (rooms): `#alias:server_name` → room id. */
export interface RoomAliasesTable {
  room_alias: string;
  room_id: string;
}

/** `presence` (rooms): one row per user: `online | unavailable | offline`, last activity (ms). */
export interface PresenceTable {
  user_id: string;
  presence: string;
  last_active_ts: number;
  status_msg: string | null;
  /** 1 when the last heartbeat came from a runtime token (a bot). */
  via_runtime: number;
}

/** `runtime_invites` (runtime): one-time invite codes, stored as SHA-256 (docs/runtime-connect.md "Security"). */
export interface RuntimeInvitesTable {
  invite_id: Generated<number>;
  code_hash: string;
  created_by: string;
  expires_at: number;
  max_claims: number;
  used_claims: number;
  used_at: number | null;
  revoked: number;
  created_at: number;
}

/**
 * `room_updates` (rooms): the non-event data a sync carries, in one order (`stream_id`): `kind` is
 * `account_data` (room_id '' for global), `receipt` (type = receipt type), `typing` (content
 * `{expires_ts}`) or `presence` (room_id ''). One row per (kind, room_id, user_id, type): a change
 * replaces the row with a new `stream_id`.
 */
export interface RoomUpdatesTable {
  stream_id: Generated<number>;
  kind: string;
  room_id: string;
  user_id: string;
  type: string;
  /** JSON text */
  content: string;
  ts: number;
}

/** `room_forgotten` (rooms): rooms a user has forgotten after leaving. */
export interface RoomForgottenTable {
  user_id: string;
  room_id: string;
}

/** `matrix_filters` (matrix): filters uploaded with `POST /user/{userId}/filter` (JSON text). */
export interface MatrixFiltersTable {
  filter_id: Generated<number>;
  user_id: string;
  filter: string;
}

/** `openid_tokens` (matrix): OpenID tokens for `/_matrix/federation/v1/openid/userinfo`, stored as SHA-256. */
export interface OpenidTokensTable {
  token_hash: string;
  user_id: string;
  expires_at: number;
}

/** Every table Orrery owns. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  access_tokens: AccessTokensTable;
  auth_failures: AuthFailuresTable;
  rooms: RoomsTable;
  events: EventsTable;
  current_state: CurrentStateTable;
  room_aliases: RoomAliasesTable;
  presence: PresenceTable;
  runtime_invites: RuntimeInvitesTable;
  room_updates: RoomUpdatesTable;
  room_forgotten: RoomForgottenTable;
  matrix_filters: MatrixFiltersTable;
  openid_tokens: OpenidTokensTable;
  // queue tables (000006-queue) go here
  /** `queue_jobs` (queue): one row per job; times in ms since the epoch, `payload`/`result` JSON text. */
  queue_jobs: {
    id: Generated<number>;
    type: string;
    payload: string;
    /** Dedupe key (unique), or null. */
    job_key: string | null;
    /** Concurrency group, or null. */
    group_key: string | null;
    /** Higher runs first. */
    priority: number;
    /** `queued | running | completed | failed | cancelled`. */
    state: string;
    attempts: number;
    max_attempts: number;
    timeout_ms: number;
    run_at: number;
    created_at: number;
    started_at: number | null;
    finished_at: number | null;
    /** Fences one attempt: renewals and verdicts must present it. */
    lease_token: string | null;
    /** The worker holding the lease (an embedded worker id or a Graphile Worker id). */
    lease_owner: string | null;
    lease_expires_at: number | null;
    result: string | null;
    error: string | null;
  };
  // bot tables (000007-bots) go here
  /** `bot_registrations` (bots): `id` a uuid; `username` the Matrix user id; `is_global` 0/1; `created_at` ms. */
  bot_registrations: { id: string; username: string; is_global: number; created_at: number };
  /** `bot_commands` (bots): `bot_id` → bot_registrations (cascade); `command_filter` JSON text; `command_key` unique per bot; `created_at` ms. */
  bot_commands: { id: string; bot_id: string; command: string; command_filter: string; command_key: string; created_at: number };
  // agent tables (000008-agents)
  /** `agents` (agents): `id` `a` + 20 base32 chars (a DNS label); `document` the `.smyth` text as imported; `skill_access` `owner | key | public`; `debug_enabled` 0/1; times ms. */
  agents: {
    id: string;
    owner_id: string;
    name: string;
    document: string;
    skill_access: string;
    /** Vault key whose value is accepted as a bearer in `key` mode (default `API_KEY`). */
    skill_key_name: string | null;
    debug_enabled: number;
    /** Stubbed component outputs for the debugger, `{componentId: {data: {outputs}}}` JSON (000009), null for none. */
    mock_data: string | null;
    /** Embodiment settings JSON (000011; src/agents/embodiment-settings.ts), null for the defaults. */
    embodiments: string | null;
    created_at: number;
    updated_at: number;
  };
  /** `agent_versions` (agents): immutable deployed documents, `version` like `1.2`; `created_by` a user id. */
  agent_versions: { agent_id: string; version: string; document: string; created_at: number; created_by: string };
  /** `agent_keys` (agents): the vault; `ciphertext` base64 of IV | tag | AES-256-GCM ciphertext. */
  agent_keys: { agent_id: string; name: string; ciphertext: string; created_at: number; updated_at: number };
  /** `agent_runs` (agents): one row per skill run; `input`/`result` JSON text; `version` null = draft; times ms, `ended_at` null while running. */
  agent_runs: {
    id: string;
    agent_id: string;
    version: string | null;
    method: string;
    skill: string;
    /** `running | completed | failed | cancelled | timeout`. */
    status: string;
    input: string;
    result: string | null;
    error: string | null;
    http_status: number | null;
    caller_id: string | null;
    correlation_id: string;
    parent_run_id: string | null;
    debug_session_id: string | null;
    steps: number;
    started_at: number;
    ended_at: number | null;
  };
  /** `agent_calls` (agents): one row per component call of a run, `seq` in call order; `input`/`output`/`logs` JSON text; times ms. */
  agent_calls: {
    run_id: string;
    seq: number;
    component_id: string;
    component_name: string;
    title: string | null;
    step: number;
    source_id: string | null;
    input: string;
    output: string | null;
    error: string | null;
    started_at: number;
    ended_at: number | null;
    logs: string;
  };
  /** `agent_memory` (agents): key/value memory per agent; `value` JSON text; `expires_at` ms or null (never). */
  agent_memory: { agent_id: string; memory_name: string; key: string; value: string; expires_at: number | null };
  // debugger tables (000009-debugger)
  /** `debug_sessions` (debugger): one row per debug session; `request`/`snapshot`/`calls`/`answer` JSON text; `status` `open | closed`; `live` 0/1; times ms. */
  debug_sessions: {
    id: string;
    agent_id: string;
    version: string | null;
    user_id: string;
    run_id: string;
    request: string;
    snapshot: string;
    calls: string;
    step: number;
    status: string;
    answer: string | null;
    live: number;
    busy_until: number | null;
    created_at: number;
    updated_at: number;
    expires_at: number;
  };
  // debugger monitor tables (000010-debugger-monitor)
  /** `debug_monitors` (debugger): monitor streams opened on agents; `start_id` the event id a new stream starts after; times ms. */
  debug_monitors: { id: string; agent_id: string; user_id: string; start_id: number; created_at: number; expires_at: number };
  /** `debug_monitor_events` (debugger): chunks of events for monitors; `monitor_ids` `,a,b,`; `events` two lines each (SSE event, data line); `created_at` ms. */
  debug_monitor_events: { id: Generated<number>; agent_id: string; monitor_ids: string; events: string; created_at: number };
}

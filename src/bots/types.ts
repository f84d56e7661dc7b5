/**
 * Bots vocabulary (docs/bot-runner.md; research/boxel-bot-runner.md §1-§4).
 * - registration: a Matrix user's opt-in to having their own events turned into jobs (`username` is
 *   their Matrix user id); a **global** registration (admins only; the bot runner's own) applies to
 *   events from every sender.
 * - command: a mapping on a registration from a filter (which events) to a command (what runs).
 * - filter: `{type:"matrix-event", event_type, …}`, the grammar in filter.ts.
 * - command kinds: `echo`, `help`, `agent:<agentId>[@version]/<skill>`, `http(s)://…` (a webhook).
 * - match: one (event, command) pair the bot runner enqueues as one job, keyed by event and command.
 */

/** A bot registration as the service exposes it. */
export interface BotRegistration {
  /** uuid v4 */
  id: string;
  /** The Matrix user id, `@name:server`. */
  username: string;
  /** Applies to events from every sender (the bot runner's own commands). */
  global: boolean;
  /** ms since epoch */
  createdAt: number;
}

/** A bot command as the service exposes it. */
export interface BotCommand {
  /** uuid v4 */
  id: string;
  /** The registration it belongs to. */
  botId: string;
  /** What runs (trimmed): see {@link CommandSpec}. */
  command: string;
  /** Which events trigger it, stored as given (extra keys kept). */
  filter: Record<string, unknown>;
  /** ms since epoch */
  createdAt: number;
}

/** A registration with its commands, oldest first: what the matcher is given. */
export interface RegistrationWithCommands extends BotRegistration {
  commands: BotCommand[];
}

/** The parsed `command` string. */
export type CommandSpec =
  | { kind: 'echo' }
  | { kind: 'help' }
  | { kind: 'agent'; agentId: string; version: string | undefined; skill: string }
  | { kind: 'webhook'; url: string };

/** A Matrix room event as the bot runner sees it (client-server API shape). */
export interface MatrixEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  /** ms since epoch */
  origin_server_ts?: number;
  state_key?: string;
}

/**
 * Runtime Connect vocabulary (seed 000).
 * - invite: a one-time code (`kzinv_…`) a signed-in user creates and claims for a runtime token.
 * - runtime token: `kzrt_…`, an access token of kind `runtime` bound to its claimer's own account.
 * - shared space: the room `#shared:<server_name>`; its `m.room.message` events are the feed.
 * - cursor: where a feed page or stream resumes (`s<stream_ordering>`, or the original `<iso>|<id>`).
 */
import type { Config } from '../config/load.ts';
import type { Clock } from '../lib/clock.ts';
import type { AccountsService } from '../accounts/service.ts';
import type { RoomsService } from '../rooms/service.ts';
import type { RuntimeStore } from './store.ts';

/** What the runtime service and its parts need. */
export interface RuntimeDeps {
  store: RuntimeStore;
  accounts: AccountsService;
  rooms: RoomsService;
  clock: Clock;
  config: Pick<Config, 'runtime'>;
}

/** Token kind of runtime tokens in accounts' token table. */
export const RUNTIME_TOKEN_KIND = 'runtime';
/** Event types of the shared space's feed. */
export const MESSAGE_TYPES = ['m.room.message'];

/** A shared-space message in the original feed shape. */
export interface FeedMessage {
  id: number;
  user_id: string;
  username: string;
  content: string;
  created_at: string;
}

/** A present user in the original shape, plus whether the presence came from a runtime token. */
export interface PresentUser {
  userId: string;
  username: string;
  lastSeenAt: string;
  runtime: boolean;
}

/** Receiver of `watchShared`. */
export interface SharedSink {
  message(message: FeedMessage, cursor: string): void;
  presence(change: { userId: string; username: string; present: boolean }): void;
  error?(error: unknown): void;
  /** Backpressure while catching up: the next page of history is read once this resolves. */
  ready?(): Promise<void>;
}

/** Localpart of a Matrix user id: the username everyone sees. */
export function usernameOf(userId: string): string {
  return userId.slice(1, userId.indexOf(':') > 0 ? userId.indexOf(':') : undefined);
}

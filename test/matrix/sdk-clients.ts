/**
 * SDK clients of the Matrix SDK contract suite (sdk-contract.test.ts): waiting on what a matrix-js-sdk
 * client sees through /sync, and a matrix-bot-sdk echo bot written the way that SDK's users write one.
 */
import { ClientEvent, SyncState, type IStartClientOpts, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import type * as BotSdk from 'matrix-bot-sdk';
import { waitFor } from '../helpers/wait.ts';
import { describeError } from './sdk-harness.ts';

/** Longest wait for one thing a client should see through /sync, ms. */
export const SEE_MS = 8000;

/** A registered and logged-in Matrix account. */
export interface Account {
  username: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

/**
 * Start `client` (initial sync limit 8, 10 s long-polls, unless `opts` say otherwise) and wait until
 * its first sync is processed (PREPARED, then SYNCING); a sync error is named.
 */
export async function startAndSync(client: MatrixClient, opts: IStartClientOpts = {}): Promise<void> {
  let failure: unknown;
  client.on(ClientEvent.Sync, (state, _prev, data) => {
    if (state === SyncState.Error) failure = data?.error;
  });
  await client.startClient({ initialSyncLimit: 8, pollTimeout: 10_000, ...opts });
  await waitFor(() => client.getSyncState() === SyncState.Prepared || client.getSyncState() === SyncState.Syncing, { timeoutMs: SEE_MS, what: 'PREPARED' }).catch((error: Error) => {
    throw new Error(`${error.message}; state ${client.getSyncState()}${failure ? `; sync error: ${describeError(failure)}` : ''}`);
  });
}

/** The first event in `client`'s live timeline of `room` matching `match`. */
export function findEvent(client: MatrixClient, room: string, match: (e: MatrixEvent) => boolean): MatrixEvent | undefined {
  return client.getRoom(room)?.getLiveTimeline().getEvents().find(match);
}

/** Matches an m.room.message whose body is `body`. */
export const bodyIs = (body: string) => (e: MatrixEvent) => e.getType() === 'm.room.message' && e.getContent().body === body;

/** Wait until `client` has a message with `body` in `room`, from `sender` if given. */
export function seeMessage(client: MatrixClient, room: string, body: string, sender?: string): Promise<MatrixEvent> {
  return waitFor(() => findEvent(client, room, (e) => bodyIs(body)(e) && (!sender || e.getSender() === sender)), {
    timeoutMs: SEE_MS,
    what: `${client.getUserId()} to see "${body}" in ${room}`,
  });
}

/** Wait until `client` knows `room` with its own membership `membership`. */
export function seeMembership(client: MatrixClient, room: string, membership: string): Promise<Room> {
  return waitFor(
    () => {
      const r = client.getRoom(room);
      return r?.getMyMembership() === membership ? r : undefined;
    },
    { timeoutMs: SEE_MS, what: `${client.getUserId()} to be "${membership}" in ${room}` },
  );
}

/** A matrix-bot-sdk client of the echo scenarios. */
export interface EchoBot extends BotSdk.MatrixClient {
  /** The `!echo` commands it answered, in order. */
  handled: string[];
  /** Its /sync requests not yet answered. */
  syncsInFlight: number;
}

/**
 * Echo bots as a matrix-bot-sdk user writes one: AutojoinRoomsMixin, SimpleFsStorageProvider (its sync
 * token survives a restart), `!echo <text>` answered with a notice `<text>`. /sync waits at most 1 s,
 * so a stopped bot's loop ends quickly. matrix-bot-sdk's warnings and errors are kept for failure
 * messages ({@link withLog}); the rest of its log is dropped.
 */
export function createEchoBots(botSdk: typeof BotSdk) {
  const bots: EchoBot[] = [];
  const log: string[] = [];
  const keep = (level: string) => (module: string, ...args: unknown[]) => {
    log.push(`${level} ${module} ${args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`.slice(0, 500));
  };
  botSdk.LogService.setLogger({ info: () => undefined, debug: () => undefined, trace: () => undefined, warn: keep('warn'), error: keep('error') });

  class Bot extends botSdk.MatrixClient implements EchoBot {
    handled: string[] = [];
    syncsInFlight = 0;
    protected override async doSync(token: string): Promise<unknown> {
      this.syncsInFlight++;
      try {
        return await super.doSync(token);
      } finally {
        this.syncsInFlight--;
      }
    }
  }

  return {
    /** Start an echo bot for `account` on `baseUrl`, keeping its state in the file `storagePath`. */
    async start(baseUrl: string, account: Account, storagePath: string): Promise<EchoBot> {
      const bot = new Bot(baseUrl, account.accessToken, new botSdk.SimpleFsStorageProvider(storagePath));
      bot.syncingTimeout = 1000;
      bots.push(bot);
      botSdk.AutojoinRoomsMixin.setupOnClient(bot);
      bot.on('room.message', (room: string, event: { sender?: string; content?: { body?: unknown } }) => {
        const body = event.content?.body;
        if (event.sender === account.userId || typeof body !== 'string' || !body.startsWith('!echo ')) return;
        bot.handled.push(body);
        void bot.sendNotice(room, body.slice('!echo '.length)).catch(() => undefined);
      });
      await bot.start();
      return bot;
    },

    /** Run `wait`; on failure add the last lines matrix-bot-sdk logged at warn or error. */
    async withLog<T>(wait: () => Promise<T>): Promise<T> {
      try {
        return await wait();
      } catch (error) {
        throw new Error(`${describeError(error)}; bot log: ${log.slice(-5).join(' | ') || 'empty'}`);
      }
    },

    /** Stop every bot started here. */
    stopAll(): void {
      for (const bot of bots) bot.stop();
    },
  };
}

/** What {@link createEchoBots} returns. */
export type EchoBots = ReturnType<typeof createEchoBots>;

/**
 * createServices(config, store): the one assembly of Orrery's services, used by the server
 * (`app.ts`), every CLI command and the tests (CONVENTIONS "One assembly"). A second hand-built
 * graph drifts: `orrery admin create-user` once built accounts without rooms, so its accounts were
 * never joined to the shared space and could never post.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from './config/load.ts';
import { openStore, type Store } from './store/database.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createAccountsStore } from './accounts/store.ts';
import { createAccountsService, type AccountsService } from './accounts/service.ts';
import { createInProcessEventBus, type EventBus } from './rooms/event-bus.ts';
import { createPgEventBus } from './rooms/pg-event-bus.ts';
import { createRoomsStore } from './rooms/store.ts';
import { createUpdatesStore } from './rooms/updates-store.ts';
import { createMatrixStore } from './matrix/store.ts';
import { createMatrixService, type MatrixService } from './matrix/service.ts';
import { createRoomsService, type RoomsService } from './rooms/service.ts';
import { createRuntimeStore } from './runtime/store.ts';
import { createRuntimeService, type RuntimeService } from './runtime/service.ts';
import { createQueue } from './queue/queue.ts';
import type { Queue } from './queue/types.ts';
import { createBotsStore } from './bots/store.ts';
import { createBotsService, type BotsService } from './bots/service.ts';
import { createAgentsStore } from './agents/store.ts';
import { createAgentVault } from './agents/vault.ts';
import { createRunRecorder } from './agents/run-recorder.ts';
import { createAgentsService, type AgentsService } from './agents/service.ts';
import { isKnownComponentType } from './agents/components/index.ts';
import { createAgentRunner, type AgentRunner, type LiveDebugHold } from './agents/runner.ts';
import { createQueuedAsyncBranches } from './agents/async-jobs.ts';
import { createChatRouter, createModelRouter } from './llm/models.ts';
import { createConversations } from './embodiments/conversation.ts';
import { createEmbodimentsService, type EmbodimentsService } from './embodiments/service.ts';
import { createDebuggerStore } from './debugger/store.ts';
import { createDebuggerService, type DebuggerService } from './debugger/service.ts';
import { createMonitorStore } from './debugger/monitor-store.ts';
import { createMonitorHub, type MonitorStreams } from './debugger/monitor.ts';

/** The services every module may call. */
export interface Services {
  accounts: AccountsService;
  rooms: RoomsService;
  matrix: MatrixService;
  runtime: RuntimeService;
  queue: Queue;
  bots: BotsService;
  agents: AgentsService;
  /** Runs agent skills (the agent runner, src/agents/runner.ts). */
  agentRunner: AgentRunner;
  /** Debug sessions, live debug (src/debugger). */
  debugger: DebuggerService;
  /** Agents as OpenAI-compatible models, MCP servers, documents, Alexa skills and chats (src/embodiments). */
  embodiments: EmbodimentsService;
  /** The debugger's monitor streams (src/debugger/monitor.ts). */
  monitors: MonitorStreams;
}

/** Where the services report problems that are not any caller's (e.g. the event bus reconnecting). */
export interface ServiceLog {
  warn(object: Record<string, unknown>, message: string): void;
}

/** What {@link createServices} needs. */
export interface ServicesDeps {
  config: Config;
  store: Store;
  clock?: Clock;
  log?: ServiceLog;
}

/** Assembled services, the health of what they depend on, and how to release them. */
export interface AssembledServices {
  services: Services;
  /** Dependency checks for `/health` by name: `ok` or the reason (the PostgreSQL event bus). */
  checks: Record<string, () => string>;
  /** Stops the queue's workers and the event bus; the store stays open (its owner closes it). */
  close(): Promise<void>;
}

/**
 * The event bus for this store: in-process on SQLite (one instance per database file), LISTEN/NOTIFY
 * on PostgreSQL so that any number of instances wake each other's readers (DESIGN §4).
 * @throws Error when PostgreSQL cannot be listened to
 */
async function createEventBus(config: Config, store: Store, notify: (channel: string, payload: string) => Promise<void>, log: ServiceLog) {
  if (store.dialect !== 'postgres' || !config.databaseUrl) return { bus: createInProcessEventBus() as EventBus, close: async () => undefined };
  const bus = createPgEventBus({
    connectionString: config.databaseUrl,
    notify,
    onError: (error, context) => log.warn({ err: error }, `event bus: ${context}`),
  });
  try {
    await bus.ready();
  } catch (error) {
    await bus.close();
    throw error;
  }
  return { bus: bus as EventBus, close: () => bus.close(), health: () => bus.health() };
}

/**
 * Build every service over `store`, wired to each other: the shared space exists, every new account
 * joins it (DESIGN §1), and a revoked credential is announced on the event bus so that every
 * instance closes the streams it holds open.
 * @throws Error when the store or the PostgreSQL event bus cannot be reached
 */
export async function createServices(deps: ServicesDeps): Promise<AssembledServices> {
  const { config, store } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? { warn: () => undefined };
  const roomsStore = createRoomsStore(store.db, store.dialect);
  const eventBus = await createEventBus(config, store, roomsStore.notify, log);
  const accounts = createAccountsService({ store: createAccountsStore(store.db, store.dialect), config, clock });
  const rooms = createRoomsService({
    store: roomsStore,
    updates: createUpdatesStore(store.db, store.dialect),
    bus: eventBus.bus,
    clock,
    serverName: config.serverName,
    presenceWindowMs: config.runtime.presenceWindowMs,
    syncWakeMaxDelayMs: config.syncWakeMaxDelayMs,
  });
  const runtime = createRuntimeService({ store: createRuntimeStore(store.db), accounts, rooms, clock, config });
  const matrix = createMatrixService({ store: createMatrixStore(store.db), accounts, rooms, clock, config });
  // Built here, started by whoever runs workers (`orrery start`, `orrery worker`); stopped on close.
  const queue = createQueue({
    store,
    databaseUrl: config.databaseUrl,
    clock,
    log,
    options: { concurrency: config.queue.concurrency, leaseMs: config.queue.leaseMs, pollIntervalMs: config.queue.pollIntervalMs, retentionMs: config.queue.retentionMs },
  });
  const bots = createBotsService({
    store: createBotsStore(store.db),
    queue,
    clock,
    config,
    issueBotJwt: (userId) => accounts.issueBotJwt(userId),
    openidUserinfo: (token) => matrix.openidUserinfo(token),
    // The runner is assembled below; a command only runs once everything is.
    runAgentSkill: ({ agentId, version, skill, userId, body }) =>
      agentRunner.runSkill({
        agentId,
        version,
        request: { method: 'POST', path: `/api/${skill}`, body, query: {}, headers: {} },
        caller: { userId },
        correlationId: `bot-${randomUUID()}`,
      }),
  });

  const agentsStore = createAgentsStore(store.db, store.dialect);
  const agents = createAgentsService({
    store: agentsStore,
    vault: createAgentVault({ store: agentsStore, clock, serverSecret: config.sessionSecret }),
    runs: createRunRecorder({ store: agentsStore, log }),
    clock,
    isKnownType: isKnownComponentType,
  });

  const { openaiBaseUrl, openaiApiKey } = config.agents;
  // Async branches are queue jobs: any worker runs them through the runner, Await reads the queue.
  const asyncBranches = createQueuedAsyncBranches({
    queue,
    runFork: (branch, jobId, signal) => agentRunner.runFork(branch, jobId, signal),
    timeoutMs: config.agents.runTimeoutMs,
  });
  // The debugger is built on the runner and holds its live-debug calls: tied after both exist.
  const liveDebug: { current?: LiveDebugHold } = {};
  const models = { openAi: { ...(openaiBaseUrl ? { baseUrl: openaiBaseUrl } : {}), ...(openaiApiKey ? { apiKey: openaiApiKey } : {}) } };
  const agentRunner: AgentRunner = createAgentRunner({
    liveDebug,
    async: asyncBranches,
    agents,
    generate: createModelRouter(models),
    http: { allowPrivateNetwork: config.agents.httpAllowPrivate, timeoutMs: config.agents.httpTimeoutMs },
    runTimeoutMs: config.agents.runTimeoutMs,
  });

  // Debug sessions and monitor events may lose their last writes to a crash of the database (what a
  // step or a stream then does: docs/debugger.md); on PostgreSQL their commits do not wait for the disk.
  const debugStore = store.dialect === 'postgres' && config.databaseUrl ? openStore({ databaseUrl: config.databaseUrl, dataPath: config.dataPath, pgPoolMax: 4, synchronousCommit: false }) : undefined;
  const monitors = createMonitorHub({ store: createMonitorStore(debugStore?.db ?? store.db, store.dialect), bus: eventBus.bus, clock, log });
  const debuggerService = createDebuggerService({
    // A step waits on two writes of its session (the claim, then the state): on PostgreSQL they skip the
    // wait for the disk. A crash of the database may lose a session's last step, which the client
    // runs again (docs/debugger.md "Sessions").
    store: createDebuggerStore(debugStore?.db ?? store.db),
    runner: agentRunner,
    monitors,
    bus: eventBus.bus,
    clock,
    options: { ...config.debugger, stepTimeoutMs: config.agents.runTimeoutMs },
  });
  liveDebug.current = (loaded, call) => debuggerService.holdLive(loaded, call);

  const embodiments = createEmbodimentsService({
    runner: agentRunner,
    agents,
    conversations: createConversations({ chat: createChatRouter(models), maxToolRounds: config.embodiments.chatMaxToolRounds }),
    defaultChatModel: config.embodiments.chatDefaultModel,
  });

  const sharedRoomId = await rooms.ensureSharedRoom();
  rooms.setSendPolicy(sharedRoomId, runtime.sharedSendPolicy);
  accounts.onUserCreated(async (user) => void (await rooms.join(sharedRoomId, user.userId, matrix.memberProfile(user))));
  accounts.onCredentialsRevoked((userId) => rooms.announceCredentialsRevoked(userId));

  return {
    services: { accounts, rooms, runtime, matrix, queue, bots, agents, agentRunner, debugger: debuggerService, monitors, embodiments },
    checks: eventBus.health ? { event_bus: eventBus.health } : {},
    async close() {
      await queue.stop();
      // Runs are written after their answers: the last ones land before the store closes.
      await agents.flushRuns();
      await monitors.close();
      await eventBus.close();
      await debugStore?.close();
    },
  };
}

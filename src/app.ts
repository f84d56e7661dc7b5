/**
 * createApp(deps): the whole system on one page. Cross-cutting plugins first, in the order they must
 * run, then the one list of modules, each loaded when `SERVER_MODE` asks for it (DESIGN §2, seed 001
 * "Server Modes").
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config/load.ts';
import type { ServerMode } from './config/options.ts';
import type { Store } from './store/database.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { VERSION, WEB_DIST } from './lib/paths.ts';
import { createAccountsStore } from './accounts/store.ts';
import { createAccountsService, type AccountsService } from './accounts/service.ts';
import { accountsRoutes } from './accounts/routes.ts';
import { createInProcessEventBus, type EventBus } from './rooms/event-bus.ts';
import { createPgEventBus } from './rooms/pg-event-bus.ts';
import { createRoomsStore } from './rooms/store.ts';
import { createRoomsService, type RoomsService } from './rooms/service.ts';
import { createRuntimeStore } from './runtime/store.ts';
import { createRuntimeService, type RuntimeService } from './runtime/service.ts';
import { runtimeRoutes } from './runtime/routes.ts';
import { errorsPlugin } from './server/errors.ts';
import { correlationIdOf, requestContextPlugin } from './server/request-context.ts';
import { securityPlugin } from './server/security.ts';
import { authPlugin } from './server/auth.ts';
import { rateLimitPlugin } from './server/rate-limit.ts';
import { createMetrics, metricsPlugin, type Metrics } from './server/metrics.ts';
import { openapiPlugin } from './server/openapi.ts';
import { healthRoutes } from './server/health.ts';
import { webRoutes } from './server/web.ts';

/** What {@link createApp} needs from outside. */
export interface AppDeps {
  config: Config;
  store: Store;
  clock?: Clock;
  /** Extra pino destination for tests (e.g. a stream capturing log lines). */
  logStream?: NodeJS.WritableStream;
}

/** The services every module may call, built once per app. */
export interface Services {
  accounts: AccountsService;
  rooms: RoomsService;
  runtime: RuntimeService;
}

/** One entry of the module list. */
interface OrreryModule {
  name: string;
  /** Modes that load it; `runtime` loads every module. `all` marks platform modules needed by every mode. */
  modes: readonly ServerMode[] | 'all';
  register(app: FastifyInstance, services: Services): Promise<void>;
}

/** A built app, not yet listening. */
export interface OrreryApp {
  app: FastifyInstance;
  services: Services;
  metrics: Metrics;
  /** Names of the loaded modules, in load order. */
  modules: string[];
  config: Config;
  store: Store;
}

/** Every module, in load order. */
function moduleList(config: Config): OrreryModule[] {
  return [
    {
      name: 'accounts',
      modes: 'all',
      register: async (app, s) => {
        await app.register(accountsRoutes, {
          prefix: '/api',
          accounts: s.accounts,
          serverName: config.serverName,
          registrationPolicy: config.registration.policy,
        });
      },
    },
    {
      name: 'runtime',
      modes: ['runtime'],
      register: async (app, s) => {
        await app.register(runtimeRoutes, { prefix: '/api/runtime', runtime: s.runtime, publicOrigin: config.publicOrigin, streamMaxBacklogBytes: config.runtime.streamMaxBacklogBytes });
      },
    },
    {
      name: 'web',
      modes: ['runtime'],
      register: async (app) => {
        await app.register(webRoutes, { root: WEB_DIST });
      },
    },
  ];
}

function wanted(module: OrreryModule, modes: readonly ServerMode[]): boolean {
  return module.modes === 'all' || modes.includes('runtime') || module.modes.some((m) => modes.includes(m));
}

/**
 * The event bus for this store: in-process on SQLite (one instance per database file), LISTEN/NOTIFY
 * on PostgreSQL so that any number of instances wake each other's readers (DESIGN §4).
 * @throws Error when PostgreSQL cannot be listened to at start
 */
async function createEventBus(
  config: Config,
  store: Store,
  roomsStore: ReturnType<typeof createRoomsStore>,
  log: FastifyBaseLogger,
): Promise<EventBus & { close?(): Promise<void>; health?(): string }> {
  if (store.dialect !== 'postgres' || !config.databaseUrl) return createInProcessEventBus();
  const bus = createPgEventBus({
    connectionString: config.databaseUrl,
    notify: roomsStore.notify,
    onError: (error, context) => log.warn({ err: error }, `event bus: ${context}`),
  });
  try {
    await bus.ready();
  } catch (error) {
    await bus.close();
    throw error;
  }
  return bus;
}

/** Build the Fastify app with every cross-cutting plugin and the modules `SERVER_MODE` selects. */
export async function createApp(deps: AppDeps): Promise<OrreryApp> {
  const { config, store } = deps;
  const clock = deps.clock ?? systemClock;
  const startedAtMs = Date.now();

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-kozmos-bootstrap-key"]'],
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    genReqId: correlationIdOf,
    requestIdHeader: false,
    // Fastify's own per-request lines are replaced by one access-log line (server/request-context.ts).
    logController: new LogController({ requestIdLogLabel: 'correlation_id', disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const accounts = createAccountsService({ store: createAccountsStore(store.db, store.dialect), config, clock });
  const roomsStore = createRoomsStore(store.db, store.dialect);
  const bus = await createEventBus(config, store, roomsStore, app.log);
  app.addHook('onClose', async () => bus.close?.());
  const rooms = createRoomsService({ store: roomsStore, bus, clock, serverName: config.serverName });
  const runtime = createRuntimeService({ store: createRuntimeStore(store.db), accounts, rooms, clock, config });
  const services: Services = { accounts, rooms, runtime };
  // The shared space exists from the first start, and every account joins it on registration (DESIGN §1).
  const sharedRoomId = await rooms.ensureSharedRoom();
  accounts.onUserCreated((user) => rooms.join(sharedRoomId, user.userId));
  const metrics = createMetrics();

  await app.register(errorsPlugin, { exposeStack: config.nodeEnv === 'development' });
  await app.register(requestContextPlugin);
  await app.register(metricsPlugin, { metrics });
  await app.register(securityPlugin, { isProduction: config.isProduction, corsOrigins: config.corsOrigins });
  await app.register(cookie);
  await app.register(authPlugin, { accounts, secureCookies: config.isProduction, resolveRuntimeToken: runtime.authenticate });
  await app.register(rateLimitPlugin, config.rateLimit);
  await app.register(openapiPlugin, { version: VERSION, baseUrl: config.baseUrl });

  const modules = moduleList(config).filter((m) => wanted(m, config.serverModes));
  await app.register(healthRoutes, {
    store,
    mode: config.serverModes.join(','),
    modules: modules.map((m) => m.name),
    version: VERSION,
    startedAtMs,
    ...(bus.health ? { checks: { event_bus: () => bus.health!() } } : {}),
  });
  for (const module of modules) {
    await app.register(async function orreryModule(child) {
      child.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), module: module.name };
      });
      await module.register(child, services);
    });
  }

  return { app, services, metrics, modules: modules.map((m) => m.name), config, store };
}

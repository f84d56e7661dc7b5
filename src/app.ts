/**
 * createApp(deps): the whole system on one page. Cross-cutting plugins first, in the order they must
 * run, then the one list of modules, each loaded when `SERVER_MODE` asks for it (DESIGN §2, seed 001
 * "Server Modes").
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config/load.ts';
import type { ServerMode } from './config/options.ts';
import type { Store } from './store/database.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { VERSION, WEB_DIST } from './lib/paths.ts';
import { accountsRoutes } from './accounts/routes.ts';
import { runtimeRoutes } from './runtime/routes.ts';
import { matrixRoutes } from './matrix/client/index.ts';
import { botsRoutes } from './bots/routes.ts';
import { createBotJobs } from './bots/jobs.ts';
import { botJobsRoutes } from './bots/jobs-routes.ts';
import { queueAdminRoutes } from './queue/admin-routes.ts';
import { agentsRoutes } from './agents/routes.ts';
import { agentRunnerRoutes } from './agents/runner-routes.ts';
import { debuggerRoutes } from './debugger/routes.ts';
import { monitorRoutes } from './debugger/monitor-routes.ts';
import { embodimentRoutes } from './embodiments/routes.ts';
import { isEmbodimentPath } from './embodiments/http.ts';
import { createServices, type Services } from './services.ts';
import { errorsPlugin } from './server/errors.ts';
import { correlationIdOf, requestContextPlugin } from './server/request-context.ts';
import { securityPlugin } from './server/security.ts';
import { authPlugin, credentialKey } from './server/auth.ts';
import { livePlugin } from './server/live.ts';
import { inputPlugin } from './server/input.ts';
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

/** One entry of the module list. */
interface OrreryModule {
  name: string;
  /** Modes that load it; `runtime` loads every module. `all` marks platform modules needed by every mode. */
  modes: readonly ServerMode[] | 'all';
  register(app: FastifyInstance, services: Services): Promise<void>;
}

export type { Services };

/** One route as registered: what the authorization test walks, so a new route cannot be forgotten. */
export interface RouteEntry {
  method: string;
  url: string;
  /** The route's declared access (`config.auth`), absent for public routes. */
  auth: string | undefined;
}

/** A built app, not yet listening. */
export interface OrreryApp {
  app: FastifyInstance;
  /** Every route of the app, in registration order (HEAD routes Fastify adds for GET included). */
  routes: RouteEntry[];
  services: Services;
  metrics: Metrics;
  /** Names of the loaded modules, in load order. */
  modules: string[];
  config: Config;
  store: Store;
}

/** How often open streams and long-polls check that their credential is still valid, ms (expiry). */
const LIVE_REVALIDATE_MS = 15_000;

/** Every module, in load order. */
function moduleList(config: Config, clock: Clock): OrreryModule[] {
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
          registrationLimit: { max: config.registration.maxPerAddress, windowMs: config.registration.windowMs },
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
      name: 'matrix',
      modes: ['runtime'],
      register: async (app, s) => {
        await app.register(matrixRoutes, { matrix: s.matrix, rooms: s.rooms, accounts: s.accounts, clock, serverName: config.serverName, publicOrigin: config.publicOrigin });
      },
    },
    {
      name: 'bots',
      modes: ['runtime'],
      register: async (app, s) => {
        await app.register(botsRoutes, { bots: s.bots });
        // The UI's Bots and Queue pages (docs/bot-runner.md "UI"), on the platform API.
        await app.register(botJobsRoutes, { prefix: '/api/bots', jobs: createBotJobs({ queue: s.queue }) });
        await app.register(queueAdminRoutes, { prefix: '/api/admin/queue', queue: s.queue });
      },
    },
    {
      name: 'agents',
      modes: ['runtime', 'agent'],
      register: async (app, s) => {
        await app.register(agentsRoutes, { prefix: '/api/agents', agents: s.agents });
      },
    },
    {
      // Skills at /api/<endpoint>: registered after every platform route under /api, which win. The
      // smart router in front of them sends debug calls to the debugger where SERVER_MODE runs it.
      name: 'agent-runner',
      modes: ['agent', 'debugger'],
      register: async (app, s) => {
        const debugging = config.serverModes.includes('runtime') || config.serverModes.includes('debugger');
        await app.register(agentRunnerRoutes, {
          runner: s.agentRunner,
          defaultAgentDomain: config.agentDomains.default,
          prodAgentDomain: config.agentDomains.prod,
          checkCsrf: (sessionHash, token) => s.accounts.checkCsrf(sessionHash, token),
          ...(debugging ? { debugger: s.debugger } : {}),
        });
      },
    },
    {
      name: 'debugger',
      modes: ['debugger'],
      register: async (app, s) => {
        await app.register(debuggerRoutes, { debugger: s.debugger });
        await app.register(monitorRoutes, { monitors: s.monitors, canDebug: (agentId, caller) => s.debugger.canDebug(agentId, caller) });
      },
    },
    {
      name: 'embodiments',
      modes: ['embodiment'],
      register: async (app, s) => {
        await app.register(embodimentRoutes, {
          embodiments: s.embodiments,
          defaultAgentDomain: config.agentDomains.default,
          prodAgentDomain: config.agentDomains.prod,
          checkCsrf: (sessionHash, token) => s.accounts.checkCsrf(sessionHash, token),
          publicOrigin: config.publicOrigin,
          alexaVerifySignature: config.embodiments.alexaVerifySignature,
          now: () => clock.now(),
        });
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

function wantsEmbodiments(modes: readonly ServerMode[]): boolean {
  return modes.includes('runtime') || modes.includes('embodiment');
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
    // Matrix ids and aliases in paths run to 255 characters (Fastify's default cap is 100).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      // Read when asked: a module's own onRoute hook (the Matrix surface's default access) runs after this one.
      routes.push({
        method,
        url: route.url,
        get auth() {
          return route.config?.auth;
        },
      });
    }
  });

  const assembled = await createServices({ config, store, clock, log: app.log });
  app.addHook('onClose', assembled.close);
  const { services } = assembled;
  const { accounts } = services;
  const metrics = createMetrics();

  // A stack trace tells an attacker what runs where; only the test suite may see one.
  await app.register(errorsPlugin, { exposeStack: config.nodeEnv === 'test' });
  await app.register(requestContextPlugin);
  await app.register(metricsPlugin, { metrics });
  await app.register(securityPlugin, {
    isProduction: config.isProduction,
    corsOrigins: config.corsOrigins,
    ...(config.publicOrigin ? { publicOrigin: config.publicOrigin } : {}),
    devPort: config.nodeEnv === 'development' ? config.port : undefined,
    ...(wantsEmbodiments(config.serverModes) ? { ownCorsPath: isEmbodimentPath } : {}),
  });
  await app.register(cookie);
  await app.register(authPlugin, { accounts, secureCookies: config.isProduction });
  await app.register(livePlugin, {
    maxPerCredential: config.runtime.streamMaxPerCredential,
    revalidateEveryMs: LIVE_REVALIDATE_MS,
    reauthenticate: (request) => app.reauthenticate(request),
    credentialKey,
  });
  // A revocation announced by any instance ends the streams and long-polls it held open here.
  const unsubscribe = services.rooms.subscribe((n) => {
    if (n.kind === 'credentials_revoked') void app.live.revalidateUser(n.user_id);
  });
  app.addHook('onClose', async () => unsubscribe());
  // After auth, so that a 401 comes before a 400.
  await app.register(inputPlugin);
  await app.register(rateLimitPlugin, config.rateLimit);
  await app.register(openapiPlugin, { version: VERSION, baseUrl: config.baseUrl });

  const modules = moduleList(config, clock).filter((m) => wanted(m, config.serverModes));
  await app.register(healthRoutes, {
    store,
    mode: config.serverModes.join(','),
    modules: modules.map((m) => m.name),
    version: VERSION,
    startedAtMs,
    checks: assembled.checks,
  });
  for (const module of modules) {
    await app.register(async function orreryModule(child) {
      child.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), module: module.name };
      });
      await module.register(child, services);
    });
  }

  return { app, routes, services, metrics, modules: modules.map((m) => m.name), config, store };
}
